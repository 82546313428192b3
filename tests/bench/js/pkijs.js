// PKI.js + asn1js on the browser's WebCrypto. Key transport is RSA-OAEP (SHA-256): WebCrypto has
// no RSAES-PKCS1-v1_5, so PKI.js cannot do the PKCS#1 v1.5 key transport the others use. PKI.js puts
// AES-GCM in EnvelopedData (not the AuthEnvelopedData of RFC 5083 that Siegel and OpenSSL write).
import * as pkijs from "pkijs";
import * as asn1js from "asn1js";
import { main } from "./harness.js";

const crypto = pkijs.getCrypto(true);
const pemDer = (u8) => {
  const t = new TextDecoder().decode(u8).replace(/-----[^-]+-----/g, "").replace(/\s/g, "");
  return Uint8Array.from(atob(t), (c) => c.charCodeAt(0));
};
const cert = (u8) => pkijs.Certificate.fromBER(pemDer(u8));

const lib = {
  name: "PKI.js",
  ciphers: ["aes-256-gcm", "aes-256-cbc"],
  async setup(f) {
    return {
      alice: cert(f.aliceCrt), bob: cert(f.bobCrt), intermediate: cert(f.intermediateCrt), root: cert(f.rootCrt),
      aliceKey: await crypto.importKey("pkcs8", pemDer(f.aliceKey), { name: "RSASSA-PKCS1-v1_5", hash: "SHA-256" }, false, ["sign"]),
      bobKey: await crypto.importKey("pkcs8", pemDer(f.bobKey), { name: "RSA-OAEP", hash: "SHA-256" }, false, ["decrypt"]),
    };
  },
  async sign(k, content) {
    const digest = await crypto.digest("SHA-256", content);
    const sd = new pkijs.SignedData({
      version: 1,
      encapContentInfo: new pkijs.EncapsulatedContentInfo({ eContentType: "1.2.840.113549.1.7.1" }),
      signerInfos: [new pkijs.SignerInfo({
        version: 1,
        sid: new pkijs.IssuerAndSerialNumber({ issuer: k.alice.issuer, serialNumber: k.alice.serialNumber }),
        signedAttrs: new pkijs.SignedAndUnsignedAttributes({ type: 0, attributes: [
          new pkijs.Attribute({ type: "1.2.840.113549.1.9.3", values: [new asn1js.ObjectIdentifier({ value: "1.2.840.113549.1.7.1" })] }),
          new pkijs.Attribute({ type: "1.2.840.113549.1.9.5", values: [new asn1js.UTCTime({ valueDate: new Date() })] }),
          new pkijs.Attribute({ type: "1.2.840.113549.1.9.4", values: [new asn1js.OctetString({ valueHex: digest })] }),
        ] }),
      })],
      certificates: [k.alice, k.intermediate],
    });
    await sd.sign(k.aliceKey, 0, "SHA-256");
    return new Uint8Array(new pkijs.ContentInfo({ contentType: pkijs.ContentInfo.SIGNED_DATA, content: sd.toSchema(true) }).toSchema().toBER());
  },
  async verify(k, content, der) {
    const ci = pkijs.ContentInfo.fromBER(der);
    const sd = new pkijs.SignedData({ schema: ci.content });
    const r = await sd.verify({ signer: 0, data: content, trustedCerts: [k.root], checkChain: true, extendedMode: true });
    return r.signatureVerified === true;
  },
  async encrypt(k, content, cipher, n) {
    const env = new pkijs.EnvelopedData();
    for (let i = 0; i < n; i++) env.addRecipientByCertificate(k.bob, { oaepHashAlgorithm: "SHA-256" });
    await env.encrypt({ name: cipher.endsWith("gcm") ? "AES-GCM" : "AES-CBC", length: 256 }, content);
    return new Uint8Array(new pkijs.ContentInfo({ contentType: pkijs.ContentInfo.ENVELOPED_DATA, content: env.toSchema() }).toSchema().toBER());
  },
  async decrypt(k, der) {
    const env = new pkijs.EnvelopedData({ schema: pkijs.ContentInfo.fromBER(der).content });
    return new Uint8Array(await env.decrypt(0, { recipientCertificate: k.bob, recipientPrivateKey: k.bobKey }));
  },
};
main(lib);
