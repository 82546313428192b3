//! The `siegel` command line as a contract: stdin in, stdout out, exit codes, passwords never on argv.

use std::io::Write;
use std::path::{Path, PathBuf};
use std::process::{Command, Output, Stdio};

fn pki(name: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../tests/data/pki").join(name)
}

fn siegel(args: &[&str], stdin: &[u8], env: &[(&str, &str)]) -> Output {
    let mut child = Command::new(env!("CARGO_BIN_EXE_siegel"))
        .args(args)
        .envs(env.iter().copied())
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let mut input = child.stdin.take().unwrap();
    let data = stdin.to_vec();
    let writer = std::thread::spawn(move || input.write_all(&data));
    let out = child.wait_with_output().unwrap();
    writer.join().unwrap().ok();
    out
}

fn ok(out: Output) -> Vec<u8> {
    assert!(out.status.success(), "siegel failed: {}", String::from_utf8_lossy(&out.stderr));
    out.stdout
}

fn s(p: &Path) -> &str {
    p.to_str().unwrap()
}

const MAIL: &[u8] =
    b"From: Alice <alice@example.com>\nTo: Bob <bob@example.com>\nSubject: =?utf-8?q?Gr=C3=BC=C3=9Fe?=\n\
Content-Type: text/plain; charset=utf-8\n\nHallo Bob,\nGr\xc3\xbc\xc3\x9fe!\n";

const PW: &[(&str, &str)] = &[("SIEGEL_PW", "secret")];

#[test]
fn sign_then_verify_exits_zero_with_a_json_report() {
    let alice = pki("alice.p12");
    for extra in [&[][..], &["--opaque"][..], &["--digest", "sha512", "--pss"][..]] {
        let mut args = vec!["sign", "--identity", s(&alice), "--password-env", "SIEGEL_PW"];
        args.extend_from_slice(extra);
        let signed = ok(siegel(&args, MAIL, PW));
        let root = pki("root.crt");
        let out = siegel(&["verify", "--trust", s(&root)], &signed, &[]);
        let report: serde_json::Value = serde_json::from_slice(&out.stdout).expect("a JSON report on stdout");
        assert!(out.status.success(), "{extra:?}: {}", String::from_utf8_lossy(&out.stderr));
        assert_eq!(report["verdict"], "trusted");
        assert_eq!(report["signers"][0]["fromAddress"]["status"], "passed", "{report}");
    }
}

#[test]
fn verify_fails_with_a_one_line_reason() {
    let signed = ok(siegel(&["sign", "--identity", s(&pki("alice.p12")), "--password-env", "SIEGEL_PW"], MAIL, PW));
    // Not trusted: exit 1, a one-line reason, and still a report.
    let out = siegel(&["verify", "--trust", s(&pki("other-root.crt"))], &signed, &[]);
    assert_eq!(out.status.code(), Some(1));
    let stderr = String::from_utf8(out.stderr).unwrap();
    assert_eq!(stderr.trim_end().lines().count(), 1, "{stderr}");
    assert!(stderr.contains("chain"), "{stderr}");
    serde_json::from_slice::<serde_json::Value>(&out.stdout).unwrap();
    // Changed content: exit 1.
    let tampered = String::from_utf8(signed).unwrap().replacen("Hallo Bob", "Hallo Rob", 1);
    let out = siegel(&["verify", "--trust", s(&pki("root.crt"))], tampered.as_bytes(), &[]);
    assert_eq!(out.status.code(), Some(1));
    // Not signed at all: a usage error, exit 2.
    let out = siegel(&["verify", "--trust", s(&pki("root.crt"))], MAIL, &[]);
    assert_eq!(out.status.code(), Some(2));
}

#[test]
fn verify_writes_the_signed_content() {
    let dir = std::env::temp_dir().join(format!("siegel-cli-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let content = dir.join("content.eml");
    let signed =
        ok(siegel(&["sign", "--identity", s(&pki("alice.p12")), "--password-env", "SIEGEL_PW", "--opaque"], MAIL, PW));
    ok(siegel(&["verify", "--trust", s(&pki("root.crt")), "--content-out", s(&content)], &signed, &[]));
    // The exact signed bytes: the MIME entity, its 8-bit text made 7-bit safe (quoted-printable).
    let text = std::fs::read_to_string(&content).unwrap();
    assert!(
        text.contains("Content-Transfer-Encoding: quoted-printable\r\n\r\nHallo Bob,\r\nGr=C3=BC=C3=9Fe!"),
        "{text}"
    );
}

#[test]
fn encrypt_then_decrypt_with_the_key_history() {
    // To Bob's current certificate and to his old one (mail written years ago, read today).
    let mail_to_new = ok(siegel(
        &["encrypt", "--to", s(&pki("bob.crt")), "--cipher", "aes-128-cbc", "--key-transport", "rsa-oaep"],
        MAIL,
        &[],
    ));
    let history = [s(&pki("bob.p12")).to_string(), s(&pki("bob-old.p12")).to_string()];
    let out = ok(siegel(
        &["decrypt", "--identity", &history[0], "--identity", &history[1], "--password-env", "SIEGEL_PW"],
        &mail_to_new,
        PW,
    ));
    assert!(String::from_utf8_lossy(&out).contains("Hallo Bob,\r\nGr"));
    // The old certificate has expired: encrypting to it is refused ...
    let out = siegel(&["encrypt", "--to", s(&pki("bob-old.crt"))], MAIL, &[]);
    assert_eq!(out.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&out.stderr).contains("valid"), "{}", String::from_utf8_lossy(&out.stderr));
    // ... and Carol cannot read Bob's mail.
    let out = siegel(&["decrypt", "--identity", s(&pki("carol.p12")), "--password-env", "SIEGEL_PW"], &mail_to_new, PW);
    assert_eq!(out.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&out.stderr).contains("not encrypted to any of your keys"));
}

#[test]
fn passwords_come_from_a_file_or_an_env_var() {
    let dir = std::env::temp_dir().join(format!("siegel-cli-pw-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let file = dir.join("pw");
    std::fs::write(&file, "secret\n").unwrap();
    ok(siegel(&["sign", "--identity", s(&pki("alice.p12")), "--password-file", s(&file)], MAIL, &[]));
    let out = siegel(&["sign", "--identity", s(&pki("alice.p12")), "--password-env", "NOPE_NOT_SET"], MAIL, &[]);
    assert_eq!(out.status.code(), Some(2));
    let out = siegel(
        &["sign", "--identity", s(&pki("alice.p12")), "--password-env", "SIEGEL_PW"],
        MAIL,
        &[("SIEGEL_PW", "wrong")],
    );
    assert_eq!(out.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&out.stderr).contains("wrong password"));
    // There is no way to pass a password on the command line.
    let out = siegel(&["sign", "--identity", s(&pki("alice.p12")), "--password", "secret"], MAIL, &[]);
    assert!(!out.status.success());
}

#[test]
fn open_unwraps_signed_and_encrypted_mail() {
    let signed = ok(siegel(&["sign", "--identity", s(&pki("alice.p12")), "--password-env", "SIEGEL_PW"], MAIL, PW));
    let sealed = ok(siegel(&["encrypt", "--to", s(&pki("bob.crt")), "--to", s(&pki("alice.crt"))], &signed, &[]));
    let out = siegel(
        &["open", "--identity", s(&pki("bob.p12")), "--password-env", "SIEGEL_PW", "--trust", s(&pki("root.crt"))],
        &sealed,
        PW,
    );
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    let report: serde_json::Value = serde_json::from_slice(&out.stderr).unwrap();
    assert_eq!(report["layers"][0]["layer"], "encrypted");
    assert_eq!(report["layers"][1]["layer"], "signed");
    assert_eq!(report["layers"][1]["verdict"], "trusted");
    assert!(String::from_utf8_lossy(&out.stdout).contains("Hallo Bob,"));
}

/// EC identities on the command line: Erin (P-256) signs, the mail is encrypted to Frank (P-384), Bob
/// (RSA) and Erin, and each opens it with the signature trusted; `inspect` describes an EC .p12.
#[test]
fn ec_identities_sign_encrypt_and_open() {
    let mail = String::from_utf8_lossy(MAIL).replace("alice@example.com", "erin@example.com");
    let signed =
        ok(siegel(&["sign", "--identity", s(&pki("erin.p12")), "--password-env", "SIEGEL_PW"], mail.as_bytes(), PW));
    for cipher in ["aes-256-gcm", "aes-128-cbc"] {
        let to = ["frank.crt", "bob.crt", "erin.crt"].map(pki);
        let sealed = ok(siegel(
            &["encrypt", "--cipher", cipher, "--to", s(&to[0]), "--to", s(&to[1]), "--to", s(&to[2])],
            &signed,
            &[],
        ));
        for (who, transport) in [("frank", "ECDH P-384"), ("bob", "RSA"), ("erin", "ECDH P-256")] {
            let id = pki(&format!("{who}.p12"));
            let out = siegel(
                &["open", "--identity", s(&id), "--password-env", "SIEGEL_PW", "--trust", s(&pki("root.crt"))],
                &sealed,
                PW,
            );
            assert!(out.status.success(), "{who} {cipher}: {}", String::from_utf8_lossy(&out.stderr));
            let report: serde_json::Value = serde_json::from_slice(&out.stderr).unwrap();
            assert!(report["layers"][0]["keyTransport"].as_str().unwrap().starts_with(transport), "{report}");
            assert_eq!(report["layers"][1]["verdict"], "trusted", "{who} {cipher}");
            assert!(String::from_utf8_lossy(&out.stdout).contains("Hallo Bob,"));
        }
    }
    let out = ok(siegel(&["inspect", s(&pki("frank.p12")), "--password-env", "SIEGEL_PW"], b"", PW));
    let v: serde_json::Value = serde_json::from_slice(&out).unwrap();
    assert_eq!(v["keyCertificates"][0]["key_type"], "EC P-384", "{v}");
}

#[test]
fn inspect_describes_files() {
    let out = ok(siegel(&["inspect", s(&pki("alice.p12")), "--password-env", "SIEGEL_PW"], b"", PW));
    let v: serde_json::Value = serde_json::from_slice(&out).unwrap();
    assert_eq!(v["kind"], "pkcs12");
    let out = ok(siegel(&["inspect", s(&pki("chain.pem"))], b"", &[]));
    let v: serde_json::Value = serde_json::from_slice(&out).unwrap();
    assert_eq!(v["certificates"].as_array().unwrap().len(), 2);
}

fn trust_data(name: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../tests/data/trust").join(name)
}

/// A Windows serialized store (.sst) of the given PEM/DER files, each certificate preceded by a
/// friendly-name property, as CertSaveStore(CERT_STORE_SAVE_AS_STORE) writes it.
fn write_sst(path: &Path, files: &[PathBuf]) {
    use x509_cert::der::Encode;
    let mut out = vec![0, 0, 0, 0, b'C', b'E', b'R', b'T'];
    let mut element = |id: u32, value: &[u8]| {
        for n in [id, 1, value.len() as u32] {
            out.extend_from_slice(&n.to_le_bytes());
        }
        out.extend_from_slice(value);
    };
    for file in files {
        for cert in siegel::cert::parse_certificates(&std::fs::read(file).unwrap()).unwrap() {
            element(11, &"CA\0".encode_utf16().flat_map(u16::to_le_bytes).collect::<Vec<_>>());
            element(0x20, &cert.to_der().unwrap());
        }
    }
    out.extend_from_slice(&[0; 12]);
    std::fs::write(path, out).unwrap();
}

fn temp_dir(name: &str) -> PathBuf {
    let dir = std::env::temp_dir().join(format!("siegel-cli-{name}-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    dir
}

#[test]
fn trust_inspect_lists_the_collection() {
    let dir = temp_dir("trust-inspect");
    let sst = dir.join("roots.sst");
    write_sst(&sst, &[pki("root.crt"), pki("other-root.crt")]);
    let out = siegel(&["trust", "inspect", s(&trust_data("chain.p7b")), s(&sst)], b"", &[]);
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    let entries: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    let roles: Vec<_> = entries.as_array().unwrap().iter().map(|e| (e["subject"].clone(), e["role"].clone())).collect();
    assert_eq!(
        roles,
        [
            ("CN=Siegel Test Issuing CA,O=Siegel Test".into(), "intermediate".into()),
            ("CN=Siegel Test Root CA,O=Siegel Test".into(), "root".into()),
            ("CN=Untrusted Root,O=Elsewhere".into(), "root".into()),
        ]
    );
    assert!(entries[0]["sha256_fingerprint"].as_str().unwrap().contains(':'));
    // One summary line per file on stderr; the root in the .sst was a duplicate.
    let stderr = String::from_utf8(out.stderr).unwrap();
    assert!(stderr.contains("chain.p7b: pkcs7, 2 added, 0 duplicates"), "{stderr}");
    assert!(stderr.contains("roots.sst: sst, 1 added, 1 duplicates"), "{stderr}");
    // The PEM form of the .p7b too.
    let out = ok(siegel(&["trust", "inspect", s(&trust_data("chain.p7b.pem"))], b"", &[]));
    assert_eq!(serde_json::from_slice::<serde_json::Value>(&out).unwrap().as_array().unwrap().len(), 2);
    // A bad file: exit 2, one line naming the file.
    let truncated = dir.join("truncated.sst");
    let bytes = std::fs::read(&sst).unwrap();
    std::fs::write(&truncated, &bytes[..bytes.len() - 30]).unwrap();
    for bad in [truncated, pki("alice.p12")] {
        let out = siegel(&["trust", "inspect", s(&bad)], b"", &[]);
        assert_eq!(out.status.code(), Some(2));
        let stderr = String::from_utf8(out.stderr).unwrap();
        assert_eq!(stderr.trim_end().lines().count(), 1, "{stderr}");
        assert!(stderr.contains(s(&bad)), "{stderr}");
    }
}

#[test]
fn verify_trusts_p7b_and_sst_collections() {
    let dir = temp_dir("trust-verify");
    let signed = ok(siegel(&["sign", "--identity", s(&pki("alice.p12")), "--password-env", "SIEGEL_PW"], MAIL, PW));
    let sst = dir.join("chain.sst");
    write_sst(&sst, &[pki("chain.pem")]);
    let p7b = trust_data("chain.p7b");
    for args in [
        &["--trust", s(&sst)][..],
        &["--trust", s(&p7b)][..],
        &["--trust", s(&trust_data("chain.p7b.pem"))][..],
        &["--trust", s(&pki("other-root.crt")), "--trust", s(&sst)][..],
    ] {
        let out = siegel(&[&["verify"][..], args].concat(), &signed, &[]);
        assert!(out.status.success(), "{args:?}: {}", String::from_utf8_lossy(&out.stderr));
        let report: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
        assert_eq!(report["verdict"], "trusted", "{args:?}");
    }
    // Intermediates alone are never trust anchors: a usage error that says what to do.
    let inter = dir.join("intermediate.sst");
    write_sst(&inter, &[pki("intermediate.crt")]);
    let out = siegel(&["verify", "--trust", s(&inter)], &signed, &[]);
    assert_eq!(out.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&out.stderr).contains("no self-signed root"));
    // A root from --intermediates is not trusted either.
    let out = siegel(&["verify", "--trust", s(&pki("other-root.crt")), "--intermediates", s(&p7b)], &signed, &[]);
    assert_eq!(out.status.code(), Some(1));
    // open loads collections the same way.
    let out = siegel(&["open", "--trust", s(&sst)], &signed, &[]);
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
}

#[test]
fn encrypt_with_trust_refuses_recipients_that_do_not_validate() {
    let (root, inter) = (pki("root.crt"), pki("intermediate.crt"));
    let (bob, mallory, nokeyenc) = (pki("bob.crt"), pki("mallory.crt"), pki("nokeyenc.crt"));
    let trust = ["--trust", s(&root), "--intermediates", s(&inter)];
    // Bob's certificate validates for key encipherment: encrypted.
    let mut args = vec!["encrypt", "--to", s(&bob)];
    args.extend_from_slice(&trust);
    assert!(String::from_utf8(ok(siegel(&args, MAIL, &[]))).unwrap().contains("application/pkcs7-mime"));
    // Mallory's (claiming alice@example.com) chains to an untrusted root: nothing is written, and the
    // error names the address and why.
    let mut args = vec!["encrypt", "--to", s(&bob), "--to", s(&mallory)];
    args.extend_from_slice(&trust);
    let out = siegel(&args, MAIL, &[]);
    assert_eq!(out.status.code(), Some(2));
    assert!(out.stdout.is_empty());
    let stderr = String::from_utf8(out.stderr).unwrap();
    assert!(stderr.contains("alice@example.com") && stderr.contains("no chain to a trusted CA"), "{stderr}");
    // A certificate without keyEncipherment is refused for that reason.
    let mut args = vec!["encrypt", "--to", s(&nokeyenc)];
    args.extend_from_slice(&trust);
    let out = siegel(&args, MAIL, &[]);
    assert_eq!(out.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&out.stderr).contains("key encipherment"), "{:?}", out);
}

#[test]
fn revocation_without_any_crl_is_unknown_or_a_failure_as_asked() {
    let signed = ok(siegel(&["sign", "--identity", s(&pki("alice.p12")), "--password-env", "SIEGEL_PW"], MAIL, PW));
    let root = pki("root.crt");
    // Revocation checking on (--fetch-crls), and the test PKI names no distribution point: unknown.
    let out = siegel(&["verify", "--trust", s(&root), "--fetch-crls"], &signed, &[]);
    assert_eq!(out.status.code(), Some(1));
    let report: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(report["verdict"], "unknown", "{report}");
    assert_eq!(report["signers"][0]["revocation"]["status"], "unknown", "{report}");
    assert!(String::from_utf8_lossy(&out.stderr).contains("revocation"));
    // --missing-crl fail: not trusted.
    let out = siegel(&["verify", "--trust", s(&root), "--fetch-crls", "--missing-crl", "fail"], &signed, &[]);
    assert_eq!(out.status.code(), Some(1));
    let report: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(report["verdict"], "validUntrusted", "{report}");
    // With the test PKI's CRLs: Alice is revoked (exit 1, the reason on stderr), Bob is trusted.
    let crl_dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("../tests/data/crl");
    let (root_crl, issuing_crl) = (crl_dir.join("root.crl"), crl_dir.join("intermediate.crl"));
    let with_crls = ["verify", "--trust", s(&root), "--crl", s(&root_crl), "--crl", s(&issuing_crl)];
    let out = siegel(&with_crls, &signed, &[]);
    assert_eq!(out.status.code(), Some(1));
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(stderr.contains("revoked") && stderr.contains("KeyCompromise"), "{stderr}");
    let bob_signed = ok(siegel(&["sign", "--identity", s(&pki("bob.p12")), "--password-env", "SIEGEL_PW"], MAIL, PW));
    ok(siegel(&with_crls, &bob_signed, &[]));
    // A CRL file that is not a CRL is a usage error.
    let out = siegel(&["verify", "--trust", s(&root), "--crl", s(&root)], &signed, &[]);
    assert_eq!(out.status.code(), Some(2));
}

/// Runs the openssl CLI; panics with its stderr on failure.
fn openssl(args: &[&str]) -> Vec<u8> {
    let out = Command::new("openssl").args(args).output().expect("the openssl CLI (installed by .ci/setup)");
    assert!(out.status.success(), "openssl {args:?}: {}", String::from_utf8_lossy(&out.stderr));
    out.stdout
}

/// A signer whose certificate names an OCSP responder on 127.0.0.1:`port`, issued by the test PKI's
/// issuing CA; returns (its .p12, its OpenSSL CA database line as valid).
fn ocsp_signer(dir: &Path, port: u16) -> (PathBuf, String) {
    let key = dir.join("dora.key");
    openssl(&["genpkey", "-algorithm", "RSA", "-pkeyopt", "rsa_keygen_bits:2048", "-out", s(&key)]);
    let csr = dir.join("dora.csr");
    openssl(&["req", "-new", "-key", s(&key), "-subj", "/O=Siegel Test/CN=Dora", "-out", s(&csr)]);
    let ext = dir.join("dora.ext");
    std::fs::write(
        &ext,
        format!(
            "basicConstraints=critical,CA:FALSE\nkeyUsage=critical,digitalSignature,keyEncipherment\n\
             extendedKeyUsage=emailProtection\nsubjectAltName=email:dora@example.com\n\
             authorityInfoAccess=OCSP;URI:http://127.0.0.1:{port}/\n"
        ),
    )
    .unwrap();
    let crt = dir.join("dora.crt");
    let (ca, ca_key) = (pki("intermediate.crt"), pki("intermediate.key"));
    openssl(&[
        "x509",
        "-req",
        "-in",
        s(&csr),
        "-CA",
        s(&ca),
        "-CAkey",
        s(&ca_key),
        "-set_serial",
        "0x5EC1E1",
        "-days",
        "30",
        "-extfile",
        s(&ext),
        "-out",
        s(&crt),
    ]);
    let p12 = dir.join("dora.p12");
    openssl(&[
        "pkcs12",
        "-export",
        "-inkey",
        s(&key),
        "-in",
        s(&crt),
        "-certfile",
        s(&ca),
        "-passout",
        "pass:secret",
        "-out",
        s(&p12),
    ]);
    let line = "V\t21261029192006Z\t\t5EC1E1\tunknown\t/O=Siegel Test/CN=Dora\n".to_string();
    (p12, line)
}

/// `openssl ocsp` as a responder on 127.0.0.1:`port` answering from `index`; the caller kills it.
fn ocsp_responder(index: &Path, port: u16) -> std::process::Child {
    let (ca, ca_key) = (pki("intermediate.crt"), pki("intermediate.key"));
    let child = Command::new("openssl")
        .args(["ocsp", "-index", s(index), "-port", &port.to_string(), "-rsigner", s(&ca), "-rkey", s(&ca_key)])
        .args(["-CA", s(&ca), "-nrequest", "5", "-ndays", "1"])
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    // Wait until it listens: a probe connection would occupy the single-threaded responder, so watch for
    // the port to become taken instead.
    for _ in 0..100 {
        if std::net::TcpListener::bind(("127.0.0.1", port)).is_err() {
            break;
        }
        std::thread::sleep(std::time::Duration::from_millis(50));
    }
    child
}

#[test]
fn fetch_crls_asks_the_ocsp_responder_the_certificate_names() {
    let dir = std::env::temp_dir().join(format!("siegel-cli-ocsp-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let port = std::net::TcpListener::bind("127.0.0.1:0").unwrap().local_addr().unwrap().port();
    let (p12, valid_line) = ocsp_signer(&dir, port);
    let mail = b"From: Dora <dora@example.com>\r\nTo: Bob <bob@example.com>\r\nSubject: OCSP\r\n\r\nHallo!\r\n";
    let signed = ok(siegel(&["sign", "--identity", s(&p12), "--password-env", "SIEGEL_PW"], mail, PW));
    let root = pki("root.crt");
    let root_crl = Path::new(env!("CARGO_MANIFEST_DIR")).join("../tests/data/crl/root.crl");
    let verify = ["verify", "--trust", s(&root), "--crl", s(&root_crl), "--fetch-crls", "--missing-crl", "fail"];
    let index = dir.join("index.txt");

    // Without a responder listening, Dora's status is unknown: not trusted under --missing-crl fail, and the
    // report says where the answer could be had.
    let out = siegel(&verify, &signed, &[]);
    assert_eq!(out.status.code(), Some(1));
    let report: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    let sources = &report["signers"][0]["revocationSources"];
    assert_eq!(sources[0]["kind"], "ocsp", "{report}");
    assert_eq!(sources[0]["url"], format!("http://127.0.0.1:{port}/"), "{report}");

    // The responder says good: trusted.
    std::fs::write(&index, &valid_line).unwrap();
    let mut responder = ocsp_responder(&index, port);
    let out = siegel(&verify, &signed, &[]);
    responder.kill().ok();
    responder.wait().ok();
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));

    // The responder says revoked: not trusted, and why.
    std::fs::write(
        &index,
        valid_line.replacen("V\t21261029192006Z\t\t", "R\t21261029192006Z\t260101000000Z,keyCompromise\t", 1),
    )
    .unwrap();
    let mut responder = ocsp_responder(&index, port);
    let out = siegel(&verify, &signed, &[]);
    responder.kill().ok();
    responder.wait().ok();
    assert_eq!(out.status.code(), Some(1));
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(stderr.contains("revoked") && stderr.contains("KeyCompromise"), "{stderr}");
}
