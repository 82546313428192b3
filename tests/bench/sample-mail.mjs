// The benchmark mail (Node): headers, a text part and about 3/4 of `size` as a base64 pseudo-random
// attachment, CRLF. compare.mjs writes it to tests/bench/dist/mail-<size>.eml for every
// implementation (OpenSSL, the pages, the Node runner), so that all of them work on the same bytes.
export function sampleMail(size) {
  const data = Buffer.alloc(Math.floor(size * 3 / 4));
  let x = 0x12345678;
  for (let i = 0; i + 3 < data.length; i += 4) {
    x ^= x << 13; x ^= x >>> 17; x ^= x << 5;
    data.writeInt32LE(x | 0, i);
  }
  const b64 = data.toString("base64").replace(/.{76}/g, "$&\r\n");
  const b = "----=_siegel_bench";
  return Buffer.from(
    `From: Alice <alice@example.com>\r\nTo: Bob <bob@example.com>\r\nSubject: Figures\r\nMIME-Version: 1.0\r\n` +
    `Content-Type: multipart/mixed; boundary="${b}"\r\n\r\n--${b}\r\nContent-Type: text/plain; charset=utf-8\r\n\r\n` +
    `Hello Bob,\r\n\r\nthe figures are attached.\r\n\r\nAlice\r\n\r\n--${b}\r\nContent-Type: application/octet-stream; name="figures.bin"\r\n` +
    `Content-Transfer-Encoding: base64\r\nContent-Disposition: attachment; filename="figures.bin"\r\n\r\n${b64}\r\n--${b}--\r\n`);
}
