// node-forge, pure JavaScript. Its PKCS#7 EnvelopedData knows CBC only (no GCM, no
// AuthEnvelopedData), and it has no SignedData verification: verify() below does it by hand with
// forge's primitives (messageDigest attribute, RSA PKCS#1 v1.5 signature over the signed
// attributes, certificate chain to the root with forge.pki.verifyCertificateChain).
import forge from "node-forge";
import { main } from "./harness.js";

const latin1 = (u8) => { let s = ""; for (let i = 0; i < u8.length; i += 0x8000) s += String.fromCharCode.apply(null, u8.subarray(i, i + 0x8000)); return s; };
const fromLatin1 = (s) => { const u = new Uint8Array(s.length); for (let i = 0; i < s.length; i++) u[i] = s.charCodeAt(i); return u; };
const text = (u8) => new TextDecoder().decode(u8);
const oids = forge.pki.oids;

const lib = {
  name: "node-forge",
  ciphers: ["aes-256-cbc"],
  async setup(f) {
    return {
      alice: forge.pki.certificateFromPem(text(f.aliceCrt)), bob: forge.pki.certificateFromPem(text(f.bobCrt)),
      intermediate: forge.pki.certificateFromPem(text(f.intermediateCrt)), root: forge.pki.certificateFromPem(text(f.rootCrt)),
      aliceKey: forge.pki.privateKeyFromPem(text(f.aliceKey)), bobKey: forge.pki.privateKeyFromPem(text(f.bobKey)),
    };
  },
  async sign(k, content) {
    const p7 = forge.pkcs7.createSignedData();
    p7.content = forge.util.createBuffer(latin1(content));
    p7.addCertificate(k.alice);
    p7.addCertificate(k.intermediate);
    p7.addSigner({
      key: k.aliceKey, certificate: k.alice, digestAlgorithm: oids.sha256,
      authenticatedAttributes: [{ type: oids.contentType, value: oids.data }, { type: oids.messageDigest }, { type: oids.signingTime }],
    });
    p7.sign({ detached: true });
    return fromLatin1(forge.asn1.toDer(p7.toAsn1()).getBytes());
  },
  async verify(k, content, der) {
    const p7 = forge.pkcs7.messageFromAsn1(forge.asn1.fromDer(forge.util.createBuffer(latin1(der))));
    const si = p7.rawCapture.signerInfos[0].value; // version, sid, digestAlg, [0] attrs, sigAlg, signature
    const attrs = si.find((n) => n.tagClass === forge.asn1.Class.CONTEXT_SPECIFIC && n.type === 0);
    const sig = si.find((n, i) => i > 3 && n.type === forge.asn1.Type.OCTETSTRING).value;
    let digestAttr = null;
    for (const a of attrs.value) if (forge.asn1.derToOid(a.value[0].value) === oids.messageDigest) digestAttr = a.value[1].value[0].value;
    const md = forge.md.sha256.create();
    md.update(latin1(content));
    if (md.digest().bytes() !== digestAttr) return false;
    const set = forge.asn1.create(forge.asn1.Class.UNIVERSAL, forge.asn1.Type.SET, true, attrs.value);
    const amd = forge.md.sha256.create();
    amd.update(forge.asn1.toDer(set).getBytes());
    const signer = p7.certificates.find((c) => c.serialNumber === k.alice.serialNumber) || p7.certificates[0];
    if (!signer.publicKey.verify(amd.digest().bytes(), sig)) return false;
    return forge.pki.verifyCertificateChain(forge.pki.createCaStore([k.root]), [signer, ...p7.certificates.filter((c) => c !== signer)]);
  },
  async encrypt(k, content, cipher, n) {
    const p7 = forge.pkcs7.createEnvelopedData();
    for (let i = 0; i < n; i++) p7.addRecipient(k.bob);
    p7.content = forge.util.createBuffer(latin1(content));
    p7.encrypt(undefined, oids["aes256-CBC"]);
    return fromLatin1(forge.asn1.toDer(p7.toAsn1()).getBytes());
  },
  async decrypt(k, der) {
    const p7 = forge.pkcs7.messageFromAsn1(forge.asn1.fromDer(forge.util.createBuffer(latin1(der))));
    p7.decrypt(p7.findRecipient(k.bob), k.bobKey);
    return fromLatin1(p7.content.getBytes());
  },
};
main(lib);
