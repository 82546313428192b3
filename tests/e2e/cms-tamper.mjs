// What a padding-oracle attacker does to a victim's S/MIME mail (tests/e2e/hostile.test.mjs): change the IV
// and cut the encrypted content of a CBC EnvelopedData, leaving the RSA part (the encrypted key) intact, so
// that each copy decrypts with the victim's key to a chosen last block whose padding is right for exactly
// one guess of a plaintext byte. A minimal DER reader and writer for that (definite lengths only, as
// `openssl cms -encrypt -outform DER` writes).

/** Parses DER into `{ tag, value }` (primitive) or `{ tag, children }` (constructed) nodes. */
export function parse(buf, pos = 0, end = buf.length) {
  const nodes = [];
  while (pos < end) {
    const tag = buf[pos];
    let len = buf[pos + 1];
    let head = 2;
    if (len & 0x80) {
      const n = len & 0x7f;
      len = 0;
      for (let i = 0; i < n; i++) len = len * 256 + buf[pos + 2 + i];
      head = 2 + n;
    }
    const start = pos + head;
    const stop = start + len;
    if (stop > end) throw new Error("DER: a length runs past its end");
    nodes.push(tag & 0x20 ? { tag, children: parse(buf, start, stop) } : { tag, value: buf.subarray(start, stop) });
    pos = stop;
  }
  return nodes;
}

function length(n) {
  if (n < 0x80) return Buffer.from([n]);
  const bytes = [];
  for (let v = n; v > 0; v = Math.floor(v / 256)) bytes.unshift(v & 0xff);
  return Buffer.from([0x80 | bytes.length, ...bytes]);
}

/** Writes nodes back as DER. */
export function encode(nodes) {
  return Buffer.concat(nodes.map((node) => {
    const body = node.children ? encode(node.children) : Buffer.from(node.value);
    return Buffer.concat([Buffer.from([node.tag]), length(body.length), body]);
  }));
}

/** The EncryptedContentInfo of a DER ContentInfo holding EnvelopedData: `{ iv, ciphertext, set(iv, ct) }`. */
export function cbcParts(der) {
  const [contentInfo] = parse(der);
  const enveloped = contentInfo.children[1].children[0];
  const info = enveloped.children.find((c) => c.tag === 0x30 && c.children[0].tag === 0x06);
  const params = info.children[1].children[1];
  const content = info.children.find((c) => c.tag === 0x80);
  if (!params || params.tag !== 0x04 || !content) throw new Error("not CBC EnvelopedData with its content inside");
  return {
    iv: Buffer.from(params.value),
    ciphertext: Buffer.from(content.value),
    /** The same ContentInfo with another IV and encrypted content. */
    with(iv, ciphertext) {
      params.value = iv;
      content.value = ciphertext;
      const out = encode([contentInfo]);
      return out;
    },
  };
}

/** A mail around DER EnvelopedData, as a mail client sends it. */
export function smime(der, { from, to, subject }) {
  const b64 = der.toString("base64").replace(/.{76}/g, "$&\r\n");
  return Buffer.from(
    `From: ${from}\r\nTo: ${to}\r\nSubject: ${subject}\r\nMIME-Version: 1.0\r\n` +
      `Content-Type: application/pkcs7-mime; smime-type=enveloped-data; name=smime.p7m\r\n` +
      `Content-Disposition: attachment; filename=smime.p7m\r\nContent-Transfer-Encoding: base64\r\n\r\n${b64}\r\n`,
  );
}

/**
 * The padding-oracle probe for guess `g` of the last byte of the first plaintext block: the IV's last byte
 * turned so that the block ends in 0x01 exactly when the guess is right, and only the first block kept.
 */
export function probe(parts, g) {
  const iv = Buffer.from(parts.iv);
  iv[15] ^= g ^ 0x01;
  return parts.with(iv, parts.ciphertext.subarray(0, 16));
}
