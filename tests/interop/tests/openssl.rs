//! Siegel against the real `openssl` 3 CLI, both directions, every capability.
//!
//! - What Siegel writes (detached and opaque signatures, PKCS#1 v1.5 and PSS, every cipher, both
//!   key transports, both recipient identifiers), `openssl cms -verify` / `-decrypt` accepts.
//! - What `openssl cms` writes (BER streaming output with `-stream`, detached and `-nodetach`,
//!   `-encrypt` with AES-CBC, AES-GCM and OAEP), Siegel verifies or decrypts to the exact bytes.
//! - PKCS#12 files that `openssl pkcs12 -export` writes, with and without `-legacy`, import.
//! - A changed byte fails verification; the wrong key fails decryption cleanly.

use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::sync::atomic::{AtomicUsize, Ordering};

use siegel::alg::{Cipher, IdentifierKind, KeyTransport, SignatureScheme, SigningDigest};
use siegel::envelope::{self, EncryptOptions};
use siegel::identity::Identity;
use siegel::sign::SignOptions;
use siegel::smime::{self, Layer, SignMode};
use siegel::trust::crl::Crl;
use siegel::trust::validate::MissingRevocation;
use siegel::verify::{Verdict, VerifyOptions};
use siegel::Error;

fn pki(name: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../../crate/tests/data/pki").join(name)
}

fn read(name: &str) -> Vec<u8> {
    std::fs::read(pki(name)).unwrap_or_else(|e| panic!("{name}: {e}"))
}

/// A scratch directory of its own for each test.
fn scratch() -> PathBuf {
    static N: AtomicUsize = AtomicUsize::new(0);
    let dir = std::env::temp_dir().join(format!(
        "siegel-interop-{}-{}",
        std::process::id(),
        N.fetch_add(1, Ordering::SeqCst)
    ));
    std::fs::create_dir_all(&dir).unwrap();
    dir
}

/// Runs openssl; returns stdout, or the exit status and stderr.
fn openssl(args: &[&str], stdin: &[u8]) -> Result<Vec<u8>, String> {
    use std::io::Write;
    let mut child = Command::new("openssl")
        .args(args)
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("the openssl CLI must be installed (.ci/setup installs it)");
    let mut input = child.stdin.take().unwrap();
    let data = stdin.to_vec();
    let writer = std::thread::spawn(move || input.write_all(&data));
    let out = child.wait_with_output().unwrap();
    writer.join().unwrap().ok();
    if out.status.success() {
        Ok(out.stdout)
    } else {
        Err(format!("openssl {} failed ({}): {}", args.join(" "), out.status, String::from_utf8_lossy(&out.stderr)))
    }
}

fn must(args: &[&str], stdin: &[u8]) -> Vec<u8> {
    openssl(args, stdin).unwrap_or_else(|e| panic!("{e}"))
}

fn p(path: &Path) -> &str {
    path.to_str().unwrap()
}

fn alice() -> Identity {
    Identity::from_pkcs12(&read("alice.p12"), "secret").unwrap()
}

fn bob() -> Identity {
    Identity::from_pkcs12(&read("bob.p12"), "secret").unwrap()
}

fn trust() -> VerifyOptions {
    VerifyOptions { trust: siegel::cert::parse_certificates(&read("root.crt")).unwrap(), ..Default::default() }
}

/// A mail with non-ASCII text, long lines and an attachment, the way a webmail would hand it over.
fn mail() -> Vec<u8> {
    let body = siegel::mime::Body {
        text: Some(format!("Hallo Bob,\n\nGrüße aus Köln! {}\n\n-- \nAlice\n", "lang ".repeat(40))),
        html: Some("<p>Hallo Bob,</p><p>Grüße aus <b>Köln</b>!</p>".into()),
        attachments: vec![siegel::mime::Attachment {
            filename: "zahlen.bin".into(),
            content_type: "application/octet-stream".into(),
            data: (0..=255u8).cycle().take(5000).collect(),
        }],
    };
    siegel::mime::build_message(
        &[("From", "Alice <alice@example.com>"), ("To", "Bob <bob@example.com>"), ("Subject", "Zahlen für dich")],
        &siegel::mime::build_entity(&body),
    )
}

/// A MIME entity in canonical CRLF form, as a peer would sign or encrypt it.
const ENTITY: &[u8] = b"Content-Type: text/plain; charset=utf-8\r\nContent-Transfer-Encoding: 8bit\r\n\r\n\
Gr\xc3\xbc\xc3\x9fe von OpenSSL.\r\nZweite Zeile.\r\n";

fn verify_with_openssl(dir: &Path, signed: &[u8]) -> Vec<u8> {
    let root = pki("root.crt");
    let msg = dir.join("signed.eml");
    std::fs::write(&msg, signed).unwrap();
    must(&["cms", "-verify", "-in", p(&msg), "-CAfile", p(&root), "-purpose", "smimesign"], b"")
}

fn crlf(data: &[u8]) -> Vec<u8> {
    siegel::mime::canonicalize_crlf(data).into_owned()
}

// ---------------------------------------------------------------------------------------------
// Siegel writes, OpenSSL reads.

#[test]
fn openssl_verifies_siegel_signatures() {
    let dir = scratch();
    let mail = mail();
    let cases = [
        (SignMode::Detached, SigningDigest::Sha256, SignatureScheme::RsaPkcs1v15),
        (SignMode::Detached, SigningDigest::Sha384, SignatureScheme::RsaPkcs1v15),
        (SignMode::Detached, SigningDigest::Sha512, SignatureScheme::RsaPss),
        (SignMode::Opaque, SigningDigest::Sha256, SignatureScheme::RsaPkcs1v15),
        (SignMode::Opaque, SigningDigest::Sha256, SignatureScheme::RsaPss),
    ];
    for (mode, digest, scheme) in cases {
        let options = SignOptions { digest, scheme, ..Default::default() };
        let signed = smime::sign_message(&mail, &alice(), &options, mode).unwrap();
        let content = verify_with_openssl(&dir, &signed);
        // What OpenSSL says was signed is the entity Siegel reports as signed.
        let (ours, report) = smime::verify_message(&signed, &trust()).unwrap();
        assert_eq!(report.verdict, Verdict::Trusted, "{mode:?} {digest:?} {scheme:?}");
        let body_of = |m: &[u8]| {
            let m = crlf(m);
            let at = m.windows(4).position(|w| w == b"\r\n\r\n").unwrap();
            m[at..].to_vec()
        };
        assert_eq!(body_of(&content), body_of(&ours), "{mode:?} {digest:?} {scheme:?}");
    }
}

#[test]
fn openssl_rejects_a_siegel_signature_over_changed_content() {
    let dir = scratch();
    let signed = smime::sign_message(&mail(), &alice(), &SignOptions::default(), SignMode::Detached).unwrap();
    let text = String::from_utf8(signed).unwrap();
    let tampered = text.replacen("Hallo Bob", "Hallo Rob", 1);
    let msg = dir.join("tampered.eml");
    std::fs::write(&msg, &tampered).unwrap();
    let root = pki("root.crt");
    assert!(openssl(&["cms", "-verify", "-in", p(&msg), "-CAfile", p(&root)], b"").is_err());
}

#[test]
fn openssl_decrypts_what_siegel_encrypts() {
    let dir = scratch();
    let bob_cert = siegel::cert::parse_certificates(&read("bob.crt")).unwrap();
    let (bob_crt, bob_key) = (pki("bob.crt"), pki("bob.key"));
    for cipher in [Cipher::Aes256Gcm, Cipher::Aes128Gcm, Cipher::Aes256Cbc, Cipher::Aes128Cbc] {
        for key_transport in [KeyTransport::RsaPkcs1, KeyTransport::RsaOaep] {
            for identifier in [IdentifierKind::IssuerAndSerial, IdentifierKind::SubjectKeyId] {
                let options = EncryptOptions { cipher, key_transport, identifier };
                let sealed = smime::encrypt_entity(ENTITY, &bob_cert, &options).unwrap();
                let msg = dir.join("sealed.eml");
                std::fs::write(&msg, &sealed).unwrap();
                let plain = must(
                    &["cms", "-decrypt", "-binary", "-in", p(&msg), "-recip", p(&bob_crt), "-inkey", p(&bob_key)],
                    b"",
                );
                assert_eq!(plain, ENTITY, "{options:?}");
            }
        }
    }
}

#[test]
fn openssl_reads_signed_then_encrypted_mail_from_siegel() {
    let dir = scratch();
    let recipients = siegel::cert::parse_certificates(&read("bob.crt")).unwrap();
    let signed = smime::sign_message(&mail(), &alice(), &SignOptions::default(), SignMode::Detached).unwrap();
    let sealed = smime::encrypt_message(&signed, &recipients, &EncryptOptions::default()).unwrap();
    let msg = dir.join("sealed.eml");
    std::fs::write(&msg, &sealed).unwrap();
    let inner =
        must(&["cms", "-decrypt", "-in", p(&msg), "-recip", p(&pki("bob.crt")), "-inkey", p(&pki("bob.key"))], b"");
    verify_with_openssl(&dir, &inner);
}

// ---------------------------------------------------------------------------------------------
// OpenSSL writes, Siegel reads.

fn openssl_sign(dir: &Path, extra: &[&str]) -> Vec<u8> {
    let input = dir.join("entity.txt");
    std::fs::write(&input, ENTITY).unwrap();
    let (signer, key, inter) = (pki("alice.crt"), pki("alice.key"), pki("intermediate.crt"));
    let mut args = vec![
        "cms",
        "-sign",
        "-stream",
        "-in",
        p(&input),
        "-signer",
        p(&signer),
        "-inkey",
        p(&key),
        "-certfile",
        p(&inter),
    ];
    args.extend_from_slice(extra);
    let args: Vec<String> = args.into_iter().map(String::from).collect();
    let args: Vec<&str> = args.iter().map(String::as_str).collect();
    let mut signed = b"From: Alice <alice@example.com>\r\nTo: Bob <bob@example.com>\r\nSubject: OpenSSL\r\n".to_vec();
    signed.extend_from_slice(&crlf(&must(&args, b"")));
    signed
}

#[test]
fn siegel_verifies_openssl_detached_signatures() {
    let dir = scratch();
    for extra in [&[][..], &["-md", "sha512"][..], &["-keyopt", "rsa_padding_mode:pss"][..], &["-md", "sha1"][..]] {
        let signed = openssl_sign(&dir, extra);
        let options = VerifyOptions { allow_sha1: extra.contains(&"sha1"), ..trust() };
        let (content, report) = smime::verify_message(&signed, &options).unwrap();
        assert_eq!(report.verdict, Verdict::Trusted, "{extra:?}: {:?}", report.failure());
        assert!(report.detached);
        assert!(content.ends_with(ENTITY), "{extra:?}");
    }
    // SHA-1 is refused unless asked for.
    let signed = openssl_sign(&dir, &["-md", "sha1"]);
    let (_, report) = smime::verify_message(&signed, &trust()).unwrap();
    assert_ne!(report.verdict, Verdict::Trusted);
}

#[test]
fn siegel_verifies_openssl_opaque_ber_signatures() {
    let dir = scratch();
    let signed = openssl_sign(&dir, &["-nodetach"]);
    let (content, report) = smime::verify_message(&signed, &trust()).unwrap();
    assert_eq!(report.verdict, Verdict::Trusted, "{:?}", report.failure());
    assert!(!report.detached);
    assert!(content.ends_with(ENTITY));
    // The same as raw BER through the CMS layer: the exact bytes come back.
    let der = must(
        &[
            "cms",
            "-sign",
            "-stream",
            "-nodetach",
            "-binary",
            "-outform",
            "DER",
            "-signer",
            p(&pki("alice.crt")),
            "-inkey",
            p(&pki("alice.key")),
        ],
        ENTITY,
    );
    assert!(der.windows(2).any(|w| w == [0x24, 0x80] || w == [0x30, 0x80]), "expected indefinite-length BER");
    let verified = siegel::verify::verify(
        &der,
        None,
        &VerifyOptions {
            intermediates: siegel::cert::parse_certificates(&read("intermediate.crt")).unwrap(),
            ..trust()
        },
    )
    .unwrap();
    assert_eq!(verified.content, ENTITY);
    assert_eq!(verified.report.verdict, Verdict::Trusted, "{:?}", verified.report.failure());
}

#[test]
fn siegel_reports_a_changed_byte_in_openssl_signed_content() {
    let dir = scratch();
    for extra in [&[][..], &["-nodetach", "-outform", "SMIME"][..]] {
        let signed = openssl_sign(&dir, extra);
        let mut tampered = signed.clone();
        if extra.is_empty() {
            let at = tampered.windows(7).position(|w| w == b"Zweite ").unwrap();
            tampered[at] = b'z';
        } else {
            // Inside base64: flip one character of the encapsulated content's region.
            let at = tampered.len() / 2;
            tampered[at] = if tampered[at] == b'A' { b'B' } else { b'A' };
        }
        match smime::verify_message(&tampered, &trust()) {
            Ok((_, report)) => assert_eq!(report.verdict, Verdict::Invalid, "{extra:?}"),
            Err(e) => assert!(matches!(e, Error::Malformed { .. }), "{extra:?}: {e}"),
        }
    }
}

#[test]
fn siegel_decrypts_what_openssl_encrypts() {
    let dir = scratch();
    let input = dir.join("entity.txt");
    std::fs::write(&input, ENTITY).unwrap();
    let bob_crt = pki("bob.crt");
    let cases: [&[&str]; 6] = [
        &["-aes-256-cbc"],
        &["-aes-128-cbc"],
        &["-aes-256-gcm"],
        &["-aes-128-gcm"],
        &["-aes-256-cbc", "-recip", p(&bob_crt), "-keyopt", "rsa_padding_mode:oaep"],
        &["-aes-256-gcm", "-recip", p(&bob_crt), "-keyopt", "rsa_padding_mode:oaep", "-keyopt", "rsa_oaep_md:sha256"],
    ];
    for extra in cases {
        for form in ["SMIME", "DER"] {
            let mut args = vec!["cms", "-encrypt", "-binary", "-stream", "-in", p(&input), "-outform", form];
            args.extend_from_slice(extra);
            if !extra.contains(&"-recip") {
                args.push(p(&bob_crt));
            }
            let out = must(&args, b"");
            let plain = if form == "DER" {
                envelope::decrypt(&out, &bob()).unwrap().content
            } else {
                let (m, _) = smime::decrypt_message(&out, &bob()).unwrap();
                // decrypt_message returns the mail: the outer header fields (none here), then the entity.
                m.strip_prefix(b"MIME-Version: 1.0\r\n".as_slice()).unwrap_or(&m).to_vec()
            };
            assert_eq!(plain, ENTITY, "{extra:?} {form}");
        }
    }
}

#[test]
fn siegel_opens_openssl_signed_then_encrypted_mail() {
    let dir = scratch();
    let signed = openssl_sign(&dir, &[]);
    let signed_file = dir.join("signed.eml");
    std::fs::write(&signed_file, &signed).unwrap();
    let sealed = must(&["cms", "-encrypt", "-aes-256-gcm", "-in", p(&signed_file), p(&pki("bob.crt"))], b"");
    let mut mail = b"From: Alice <alice@example.com>\r\nSubject: both\r\n".to_vec();
    mail.extend_from_slice(&crlf(&sealed));
    let opened = smime::open_message(&mail, Some(&bob()), &trust()).unwrap();
    assert!(
        matches!(opened.layers.as_slice(), [Layer::Encrypted(_), Layer::Signed(r)] if r.verdict == Verdict::Trusted)
    );
    assert!(opened.message.ends_with(ENTITY));
}

#[test]
fn the_wrong_key_fails_decryption_cleanly() {
    let dir = scratch();
    let input = dir.join("entity.txt");
    std::fs::write(&input, ENTITY).unwrap();
    let carol = Identity::from_pkcs12(&read("carol.p12"), "secret").unwrap();
    for cipher in ["-aes-256-cbc", "-aes-256-gcm"] {
        let der =
            must(&["cms", "-encrypt", "-binary", "-outform", "DER", "-in", p(&input), cipher, p(&pki("bob.crt"))], b"");
        let err = envelope::decrypt(&der, &carol).unwrap_err();
        assert!(matches!(err, Error::NotForUs { .. }), "{cipher}: {err}");
        // The right recipient, altered ciphertext (GCM: the tag; CBC: the last block): one uniform error.
        let mut swapped = der.clone();
        let last = swapped.len() - 3;
        swapped[last] ^= 0x55;
        match envelope::decrypt(&swapped, &bob()) {
            Err(e) => assert_eq!(e, Error::DecryptionFailed, "{cipher}"),
            // CBC has no integrity: a changed last block can, rarely, still end in valid padding.
            Ok(d) => assert!(cipher.ends_with("cbc") && d.content != ENTITY, "{cipher}: tampering went unnoticed"),
        }
    }
}

// ---------------------------------------------------------------------------------------------
// PKCS#12 from OpenSSL.

#[test]
fn siegel_imports_openssl_pkcs12_modern_and_legacy() {
    let dir = scratch();
    let variants: [&[&str]; 4] = [
        &[],
        &["-legacy"],
        &["-certpbe", "PBE-SHA1-3DES", "-keypbe", "PBE-SHA1-3DES", "-macalg", "sha1"],
        &["-certpbe", "AES-128-CBC", "-keypbe", "AES-256-CBC", "-macalg", "sha512"],
    ];
    for extra in variants {
        let out = dir.join("id.p12");
        let (key, cert, chain) = (pki("bob.key"), pki("bob.crt"), pki("chain.pem"));
        let mut args = vec![
            "pkcs12",
            "-export",
            "-inkey",
            p(&key),
            "-in",
            p(&cert),
            "-certfile",
            p(&chain),
            "-passout",
            "pass:s3cret ünïcode",
            "-out",
            p(&out),
        ];
        args.extend_from_slice(extra);
        match openssl(&args, b"") {
            Ok(_) => {}
            // OpenSSL builds without the legacy provider cannot write RC2; say so rather than pass silently.
            Err(e) if extra == ["-legacy"] && e.contains("legacy") => panic!("openssl lacks the legacy provider: {e}"),
            Err(e) => panic!("{e}"),
        }
        let data = std::fs::read(&out).unwrap();
        let id = Identity::from_pkcs12(&data, "s3cret ünïcode").unwrap_or_else(|e| panic!("{extra:?}: {e}"));
        assert_eq!(id.emails(), vec!["bob@example.com".to_string()], "{extra:?}");
        assert_eq!(id.chain().len(), 2, "{extra:?}");
        assert_eq!(Identity::from_pkcs12(&data, "wrong").unwrap_err(), Error::WrongPassword, "{extra:?}");
        // The imported key really decrypts.
        let sealed = smime::encrypt_entity(
            ENTITY,
            &siegel::cert::parse_certificates(&read("bob.crt")).unwrap(),
            &Default::default(),
        )
        .unwrap();
        let (plain, _) = smime::decrypt_message(&sealed, &id).unwrap();
        assert!(plain.ends_with(ENTITY));
    }
}

// ---------------------------------------------------------------------------------------------
// Revocation with CRLs that `openssl ca -gencrl` writes.

/// The serial (hex, as OpenSSL prints it), notAfter (YYMMDDHHMMSSZ or YYYYMMDDHHMMSSZ) and subject of a
/// test certificate, for an OpenSSL CA database line.
fn index_line(cert: &str, revoked: Option<&str>) -> String {
    let out = String::from_utf8(must(
        &["x509", "-in", p(&pki(cert)), "-noout", "-serial", "-subject", "-nameopt", "compat", "-enddate"],
        b"",
    ))
    .unwrap();
    let field = |k: &str| out.lines().find_map(|l| l.strip_prefix(k)).unwrap().trim().to_string();
    let (serial, subject) = (field("serial="), field("subject="));
    // The database wants the notAfter as ASN.1 GeneralizedTime here (the year is 2126).
    let not_after = "21261029192006Z";
    match revoked {
        Some(reason) => format!("R\t{not_after}\t260101000000Z,{reason}\t{serial}\tunknown\t{subject}\n"),
        None => format!("V\t{not_after}\t\t{serial}\tunknown\t{subject}\n"),
    }
}

/// A CRL by the CA `ca` (cert + key in the test PKI) revoking the listed certificates.
fn openssl_crl(dir: &Path, ca: &str, revoked: &[(&str, &str)]) -> Vec<u8> {
    let db = dir.join(format!("{ca}-index.txt"));
    let lines: String = revoked.iter().map(|(cert, reason)| index_line(cert, Some(reason))).collect();
    std::fs::write(&db, lines).unwrap();
    std::fs::write(dir.join(format!("{ca}-crlnumber")), "1000\n").unwrap();
    let config = dir.join(format!("{ca}.cnf"));
    std::fs::write(
        &config,
        format!(
            "[ca]\ndefault_ca = CA_default\n[CA_default]\ndatabase = {}\ncrlnumber = {}\ndefault_md = sha256\n\
             default_crl_days = 30\nunique_subject = no\n",
            db.display(),
            dir.join(format!("{ca}-crlnumber")).display()
        ),
    )
    .unwrap();
    let (cert, key) = (pki(&format!("{ca}.crt")), pki(&format!("{ca}.key")));
    must(&["ca", "-config", p(&config), "-gencrl", "-cert", p(&cert), "-keyfile", p(&key)], b"")
}

#[test]
fn siegel_checks_revocation_with_openssl_crls() {
    let dir = scratch();
    let root_crl = openssl_crl(&dir, "root", &[]);
    let issuing_crl = openssl_crl(&dir, "intermediate", &[("alice.crt", "keyCompromise")]);
    let crls: Vec<Crl> = [&root_crl, &issuing_crl].iter().flat_map(|c| Crl::parse_all(c).unwrap()).collect();
    assert_eq!(crls.len(), 2);
    let options = VerifyOptions { crls, check_revocation: true, ..trust() };

    // Alice's certificate is on the issuing CA's CRL: the signature is valid, the signer is revoked.
    let signed = smime::sign_message(&mail(), &alice(), &SignOptions::default(), SignMode::Detached).unwrap();
    let (_, report) = smime::verify_message(&signed, &options).unwrap();
    assert_eq!(report.verdict, Verdict::ValidUntrusted);
    let signer = &report.signers[0];
    assert!(signer.valid());
    let reason = signer.revocation.reason().unwrap_or_default();
    assert!(reason.contains("revoked") && reason.contains("KeyCompromise"), "{reason}");
    assert!(report.failure().unwrap().contains("revocation"), "{:?}", report.failure());

    // Bob's is not: both CRLs cover the path, so the verdict is trusted.
    let signed = smime::sign_message(&mail(), &bob(), &SignOptions::default(), SignMode::Detached).unwrap();
    let (_, report) = smime::verify_message(&signed, &options).unwrap();
    assert_eq!(report.verdict, Verdict::Trusted, "{:?}", report.failure());

    // Without the root's CRL the intermediate's status is unknown: "unknown", or not trusted when asked.
    let only_issuing = VerifyOptions { crls: Crl::parse_all(&issuing_crl).unwrap(), ..options.clone() };
    let (_, report) = smime::verify_message(&signed, &only_issuing).unwrap();
    assert_eq!(report.verdict, Verdict::Unknown, "{:?}", report.failure());
    let strict = VerifyOptions { missing_revocation: MissingRevocation::Fail, ..only_issuing };
    let (_, report) = smime::verify_message(&signed, &strict).unwrap();
    assert_eq!(report.verdict, Verdict::ValidUntrusted);
}

// ---------------------------------------------------------------------------------------------
// Certificates signed by EC CAs (ECDSA is verified by Siegel's own code, `siegel::pubkey::ecdsa`).

#[test]
fn siegel_validates_certificates_that_openssl_ec_cas_sign() {
    let dir = scratch();
    let file = |name: &str| dir.join(name);
    std::fs::write(file("ext"), "keyUsage=critical,digitalSignature,keyEncipherment\nextendedKeyUsage=emailProtection\nsubjectAltName=email:leaf@example.com\n").unwrap();
    std::fs::write(
        file("mail"),
        b"From: leaf@example.com\r\nTo: x@example.com\r\nSubject: EC\r\nContent-Type: text/plain\r\n\r\nhello\r\n",
    )
    .unwrap();
    for (curve, digest) in
        [("prime256v1", "-sha256"), ("secp384r1", "-sha384"), ("prime256v1", "-sha512"), ("secp384r1", "-sha256")]
    {
        let (ca_key, ca, leaf_key, csr, leaf) =
            (file("ca.key"), file("ca.crt"), file("leaf.key"), file("leaf.csr"), file("leaf.crt"));
        must(&["ecparam", "-name", curve, "-genkey", "-noout", "-out", p(&ca_key)], b"");
        let subject = format!("/CN=EC Root {curve}");
        must(
            &[
                "req",
                "-x509",
                "-new",
                "-key",
                p(&ca_key),
                "-subj",
                &subject,
                "-days",
                "3650",
                digest,
                "-out",
                p(&ca),
                "-addext",
                "basicConstraints=critical,CA:TRUE",
                "-addext",
                "keyUsage=critical,keyCertSign,cRLSign",
            ],
            b"",
        );
        must(
            &[
                "req",
                "-new",
                "-newkey",
                "rsa:2048",
                "-nodes",
                "-keyout",
                p(&leaf_key),
                "-subj",
                "/CN=Leaf/emailAddress=leaf@example.com",
                "-out",
                p(&csr),
            ],
            b"",
        );
        must(
            &[
                "x509",
                "-req",
                "-in",
                p(&csr),
                "-CA",
                p(&ca),
                "-CAkey",
                p(&ca_key),
                "-set_serial",
                "7",
                "-days",
                "365",
                digest,
                "-extfile",
                p(&file("ext")),
                "-out",
                p(&leaf),
            ],
            b"",
        );
        let signed =
            crlf(&must(&["cms", "-sign", "-signer", p(&leaf), "-inkey", p(&leaf_key), "-in", p(&file("mail"))], b""));
        let roots = siegel::cert::parse_certificates(&std::fs::read(&ca).unwrap()).unwrap();
        let options = VerifyOptions { trust: roots, ..Default::default() };
        let (_, report) = smime::verify_message(&signed, &options).unwrap();
        assert_eq!(report.verdict, Verdict::Trusted, "{curve} {digest}: {:?}", report.failure());

        // The leaf with one bit of its signature changed is refused.
        let mut der = must(&["x509", "-in", p(&leaf), "-outform", "DER"], b"");
        let original = siegel::cert::parse_certificates(&der).unwrap().remove(0);
        assert_eq!(siegel::verify::verify_certificate_signature(&original, &options.trust[0], false), Ok(()));
        *der.last_mut().unwrap() ^= 1;
        let changed = siegel::cert::parse_certificates(&der).unwrap().remove(0);
        assert!(siegel::verify::verify_certificate_signature(&changed, &options.trust[0], false).is_err());
    }
}

// ---------------------------------------------------------------------------------------------
// EC identities (P-256 and P-384): ECDSA and ECDH both ways.

fn ec(name: &str) -> Identity {
    Identity::from_pkcs12(&read(&format!("{name}.p12")), "secret").unwrap()
}

#[test]
fn openssl_verifies_siegel_ecdsa_signatures() {
    let dir = scratch();
    for name in ["erin", "frank"] {
        let mail = String::from_utf8(mail()).unwrap().replace("alice@example.com", &format!("{name}@example.com"));
        for (mode, digest) in [
            (SignMode::Detached, SigningDigest::Sha256),
            (SignMode::Detached, SigningDigest::Sha384),
            (SignMode::Opaque, SigningDigest::Sha512),
        ] {
            let options = SignOptions { digest, ..Default::default() };
            let signed = smime::sign_message(mail.as_bytes(), &ec(name), &options, mode).unwrap();
            verify_with_openssl(&dir, &signed);
            let (_, report) = smime::verify_message(&signed, &trust()).unwrap();
            assert_eq!(report.verdict, Verdict::Trusted, "{name} {mode:?} {digest:?}");
        }
    }
}

#[test]
fn siegel_verifies_openssl_ecdsa_signatures() {
    let dir = scratch();
    let input = dir.join("entity.txt");
    std::fs::write(&input, ENTITY).unwrap();
    for (name, md) in [("erin", "sha256"), ("erin", "sha512"), ("frank", "sha384"), ("frank", "sha256")] {
        for detach in [true, false] {
            let (crt, key, inter) = (pki(&format!("{name}.crt")), pki(&format!("{name}.key")), pki("intermediate.crt"));
            let mut args = vec![
                "cms",
                "-sign",
                "-stream",
                "-in",
                p(&input),
                "-signer",
                p(&crt),
                "-inkey",
                p(&key),
                "-certfile",
                p(&inter),
                "-md",
                md,
            ];
            if !detach {
                args.push("-nodetach");
            }
            let mut signed = format!("From: {name}@example.com\r\nTo: bob@example.com\r\nSubject: EC\r\n").into_bytes();
            signed.extend_from_slice(&crlf(&must(&args, b"")));
            let (content, report) = smime::verify_message(&signed, &trust()).unwrap();
            assert_eq!(report.verdict, Verdict::Trusted, "{name} {md} {detach}: {:?}", report.failure());
            assert!(content.ends_with(ENTITY));
            // One changed byte of the signature value fails it.
            let tampered = String::from_utf8(signed.clone()).unwrap().replacen("Zweite", "Dritte", 1);
            if tampered.as_bytes() != signed.as_slice() {
                let (_, report) = smime::verify_message(tampered.as_bytes(), &trust()).unwrap();
                assert_ne!(report.verdict, Verdict::Trusted, "{name} {md} {detach} tampered");
            }
        }
    }
}

#[test]
fn openssl_decrypts_what_siegel_encrypts_to_ec_and_mixed_recipients() {
    let dir = scratch();
    let recipients: Vec<_> = ["bob", "erin", "frank"]
        .iter()
        .flat_map(|n| siegel::cert::parse_certificates(&read(&format!("{n}.crt"))).unwrap())
        .collect();
    for cipher in [Cipher::Aes256Gcm, Cipher::Aes128Gcm, Cipher::Aes256Cbc, Cipher::Aes128Cbc] {
        let options = EncryptOptions { cipher, ..Default::default() };
        let sealed = smime::encrypt_entity(ENTITY, &recipients, &options).unwrap();
        let msg = dir.join("sealed.eml");
        std::fs::write(&msg, &sealed).unwrap();
        for name in ["bob", "erin", "frank"] {
            let (crt, key) = (pki(&format!("{name}.crt")), pki(&format!("{name}.key")));
            let plain =
                must(&["cms", "-decrypt", "-binary", "-in", p(&msg), "-recip", p(&crt), "-inkey", p(&key)], b"");
            assert_eq!(plain, ENTITY, "{name} {cipher:?}");
        }
    }
}

#[test]
fn siegel_decrypts_what_openssl_encrypts_to_ec_recipients() {
    let dir = scratch();
    let input = dir.join("entity.txt");
    std::fs::write(&input, ENTITY).unwrap();
    let (bob_crt, erin_crt, frank_crt) = (pki("bob.crt"), pki("erin.crt"), pki("frank.crt"));
    // OpenSSL's default KDF (SHA-1 for ECDH in CMS), and the ones RFC 8551 readers meet: SHA-256,
    // SHA-384, SHA-512, the cofactor scheme, and mixed RSA and EC recipients.
    let cases: [&[&str]; 8] = [
        &["-aes-256-cbc", p(&erin_crt), p(&frank_crt)],
        &["-aes-256-cbc", "-keyid", p(&erin_crt), p(&bob_crt), p(&frank_crt)],
        &["-aes-128-gcm", p(&erin_crt), p(&frank_crt)],
        &["-aes-256-gcm", p(&bob_crt), p(&erin_crt), p(&frank_crt)],
        &[
            "-aes-256-cbc",
            "-recip",
            p(&erin_crt),
            "-keyopt",
            "ecdh_kdf_md:sha256",
            "-recip",
            p(&frank_crt),
            "-keyopt",
            "ecdh_kdf_md:sha384",
        ],
        &[
            "-aes-256-gcm",
            "-recip",
            p(&erin_crt),
            "-keyopt",
            "ecdh_kdf_md:sha512",
            "-recip",
            p(&frank_crt),
            "-keyopt",
            "ecdh_cofactor_mode:1",
        ],
        &["-aes-192-cbc", p(&erin_crt), p(&frank_crt)],
        &[
            "-aes-256-cbc",
            "-recip",
            p(&erin_crt),
            "-keyopt",
            "ecdh_kdf_md:sha256",
            "-keyopt",
            "ecdh_cofactor_mode:1",
            "-recip",
            p(&frank_crt),
        ],
    ];
    for extra in cases {
        for form in ["SMIME", "DER"] {
            let mut args = vec!["cms", "-encrypt", "-binary", "-stream", "-in", p(&input), "-outform", form];
            args.extend_from_slice(extra);
            let out = must(&args, b"");
            for name in ["erin", "frank"] {
                let plain = if form == "DER" {
                    envelope::decrypt(&out, &ec(name)).unwrap_or_else(|e| panic!("{name} {extra:?}: {e}")).content
                } else {
                    let (m, _) =
                        smime::decrypt_message(&out, &ec(name)).unwrap_or_else(|e| panic!("{name} {extra:?}: {e}"));
                    m.strip_prefix(b"MIME-Version: 1.0\r\n".as_slice()).unwrap_or(&m).to_vec()
                };
                assert_eq!(plain, ENTITY, "{name} {extra:?} {form}");
            }
        }
    }
}

#[test]
fn siegel_imports_openssl_ec_pkcs12_both_encryptions() {
    let dir = scratch();
    for (name, legacy) in [("erin", false), ("erin", true), ("frank", false), ("frank", true)] {
        let out = dir.join("id.p12");
        let (crt, key, inter) = (pki(&format!("{name}.crt")), pki(&format!("{name}.key")), pki("intermediate.crt"));
        let mut args = vec![
            "pkcs12",
            "-export",
            "-inkey",
            p(&key),
            "-in",
            p(&crt),
            "-certfile",
            p(&inter),
            "-passout",
            "pass:pw",
            "-out",
            p(&out),
        ];
        if legacy {
            args.push("-legacy");
        }
        must(&args, b"");
        let id = Identity::from_pkcs12(&std::fs::read(&out).unwrap(), "pw")
            .unwrap_or_else(|e| panic!("{name} {legacy}: {e}"));
        assert_eq!(id.chain().len(), 1);
        // The imported key signs what OpenSSL verifies.
        let mail = format!("From: {name}@example.com\r\nContent-Type: text/plain\r\n\r\nhi\r\n");
        let signed = smime::sign_message(mail.as_bytes(), &id, &SignOptions::default(), SignMode::Detached).unwrap();
        verify_with_openssl(&dir, &signed);
    }
}
