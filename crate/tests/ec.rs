//! EC identities end to end through the public API: P-256 and P-384 keys from PKCS#12 (PBES2 and
//! the legacy 3DES/RC2 encryption), ECDSA signatures (detached and opaque, SHA-256/384/512) that
//! verify as trusted, and mail encrypted to EC and RSA recipients together, opened by each.

use siegel::alg::{Cipher, SigningDigest};
use siegel::envelope::EncryptOptions;
use siegel::identity::Identity;
use siegel::sign::SignOptions;
use siegel::smime::{self, Layer, SignMode};
use siegel::verify::VerifyOptions;

fn p12(name: &str) -> Identity {
    let path = format!("{}/tests/data/pki/{name}.p12", env!("CARGO_MANIFEST_DIR"));
    Identity::from_pkcs12(&std::fs::read(&path).unwrap(), "secret").unwrap_or_else(|e| panic!("{name}: {e}"))
}

fn options() -> VerifyOptions {
    VerifyOptions {
        trust: siegel::cert::parse_certificates(include_bytes!("data/pki/root.crt")).unwrap(),
        ..VerifyOptions::default()
    }
}

const MAIL: &[u8] = b"From: NAME@example.com\r\nTo: bob@example.com\r\nSubject: EC\r\nContent-Type: text/plain\r\n\r\nSigned with an elliptic curve.\r\n";

#[test]
fn ec_identities_load_from_modern_and_legacy_pkcs12() {
    for (name, key_type) in [("erin", "EC P-256"), ("erin-legacy", "EC P-256"), ("frank", "EC P-384")] {
        let id = p12(name);
        let summary = siegel::cert::Summary::of(id.pairs()[0].certificate());
        assert_eq!(summary.key_type, key_type, "{name}");
        assert!(
            id.encryption_pair(siegel::clock::now_unix()).is_ok(),
            "{name}: keyAgreement makes it an encryption certificate"
        );
        // The key goes out to PKCS#8 and comes back as the same pair.
        let pkcs8 = id.pairs()[0].private_key_pkcs8().unwrap();
        siegel::identity::KeyPair::new(&pkcs8, id.pairs()[0].certificate().clone()).unwrap();
        assert_eq!(siegel::identity::describe_private_key(&pkcs8).unwrap(), key_type);
    }
    // Erin's key with Frank's certificate is refused.
    let (erin, frank) = (p12("erin"), p12("frank"));
    let pkcs8 = erin.pairs()[0].private_key_pkcs8().unwrap();
    assert!(siegel::identity::KeyPair::new(&pkcs8, frank.pairs()[0].certificate().clone()).is_err());
}

#[test]
fn ecdsa_signatures_verify_as_trusted() {
    for name in ["erin", "frank"] {
        let id = p12(name);
        let mail = String::from_utf8(MAIL.to_vec()).unwrap().replace("NAME", name);
        for digest in [SigningDigest::Sha256, SigningDigest::Sha384, SigningDigest::Sha512] {
            for mode in [SignMode::Detached, SignMode::Opaque] {
                let options = SignOptions { digest, ..SignOptions::default() };
                let signed = smime::sign_message(mail.as_bytes(), &id, &options, mode).unwrap();
                let opened = smime::open_message(&signed, None, &self::options()).unwrap();
                let [Layer::Signed(report)] = opened.layers.as_slice() else { panic!("{:?}", opened.layers) };
                let signer = &report.signers[0];
                assert!(signer.trusted(), "{name} {digest:?} {mode:?}: {signer:?}");
                assert!(signer.signature_algorithm.starts_with("ecdsa-with-SHA"), "{}", signer.signature_algorithm);
                // A changed body breaks it.
                let tampered = String::from_utf8_lossy(&signed).replace("elliptic", "Elliptic");
                if tampered.as_bytes() != signed.as_slice() {
                    let opened = smime::open_message(tampered.as_bytes(), None, &self::options()).unwrap();
                    let [Layer::Signed(report)] = opened.layers.as_slice() else { panic!() };
                    assert!(!report.signers[0].valid(), "{name} {digest:?} {mode:?} tampered");
                }
            }
        }
    }
}

#[test]
fn mail_to_ec_and_rsa_recipients_is_read_by_each() {
    let (bob, erin, frank) = (p12("bob"), p12("erin"), p12("frank"));
    let recipients: Vec<_> = [&bob, &erin, &frank].iter().map(|i| i.pairs()[0].certificate().clone()).collect();
    for cipher in [Cipher::Aes256Gcm, Cipher::Aes256Cbc, Cipher::Aes128Cbc] {
        let mail = String::from_utf8(MAIL.to_vec()).unwrap().replace("NAME", "erin");
        let signed = smime::sign_message(mail.as_bytes(), &erin, &SignOptions::default(), SignMode::Detached).unwrap();
        let sealed =
            smime::encrypt_message(&signed, &recipients, &EncryptOptions { cipher, ..EncryptOptions::default() })
                .unwrap();
        for (who, id) in [("bob", &bob), ("erin", &erin), ("frank", &frank)] {
            let opened = smime::open_message(&sealed, Some(id), &options()).unwrap_or_else(|e| panic!("{who}: {e}"));
            let [Layer::Encrypted(info), Layer::Signed(report)] = opened.layers.as_slice() else { panic!() };
            assert!(report.signers[0].trusted(), "{who}");
            assert_eq!(info.recipient_count, 3);
            assert!(String::from_utf8_lossy(&opened.message).contains("Signed with an elliptic curve."));
        }
    }
}

/// An EC recipient must allow keyAgreement (ECDH), not keyEncipherment (RSA key transport): Erin's and
/// Frank's do; a P-256 certificate with keyEncipherment only is refused for encryption, with the reason.
#[test]
fn ec_recipients_need_key_agreement() {
    let pki = format!("{}/tests/data/pki", env!("CARGO_MANIFEST_DIR"));
    let chain = siegel::cert::parse_certificates(&std::fs::read(format!("{pki}/intermediate.crt")).unwrap()).unwrap();
    let options = VerifyOptions { intermediates: chain, ..options() };
    let ok: Vec<_> = ["erin", "frank"].iter().map(|n| p12(n).pairs()[0].certificate().clone()).collect();
    smime::check_recipients_against(&ok, &options).unwrap();

    let dir = std::env::temp_dir().join(format!("siegel-ec-ku-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let run = |args: &[&str]| {
        let out = std::process::Command::new("openssl").current_dir(&dir).args(args).output().expect("the openssl CLI");
        assert!(out.status.success(), "openssl {args:?}: {}", String::from_utf8_lossy(&out.stderr));
    };
    std::fs::write(
        dir.join("ext"),
        "basicConstraints=critical,CA:FALSE\nkeyUsage=critical,digitalSignature,keyEncipherment\n\
         extendedKeyUsage=emailProtection\nsubjectAltName=email:gina@example.com\n",
    )
    .unwrap();
    run(&["genpkey", "-algorithm", "EC", "-pkeyopt", "ec_paramgen_curve:P-256", "-out", "gina.key"]);
    run(&["req", "-new", "-key", "gina.key", "-subj", "/CN=Gina", "-out", "gina.csr"]);
    let (ca, ca_key) = (format!("{pki}/intermediate.crt"), format!("{pki}/intermediate.key"));
    run(&[
        "x509",
        "-req",
        "-in",
        "gina.csr",
        "-CA",
        &ca,
        "-CAkey",
        &ca_key,
        "-set_serial",
        "7",
        "-extfile",
        "ext",
        "-days",
        "30",
        "-out",
        "gina.crt",
    ]);
    let gina = siegel::cert::parse_certificates(&std::fs::read(dir.join("gina.crt")).unwrap()).unwrap();
    let err = smime::check_recipients_against(&gina, &options).unwrap_err().to_string();
    assert!(err.contains("gina@example.com") && err.contains("key agreement"), "{err}");
    let err = smime::encrypt_message(MAIL, &gina, &EncryptOptions::default()).unwrap_err().to_string();
    assert!(err.contains("key agreement"), "{err}");
    std::fs::remove_dir_all(&dir).ok();
}
