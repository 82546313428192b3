//! Siegel against NSS (Mozilla's library behind Thunderbird), through `cmsutil`, `certutil` and
//! `pk12util` from Debian's `libnss3-tools` (NSS 3.87 on Debian 12), where NSS supports the case:
//!
//! - signatures both ways, RSA and ECDSA (P-256, P-384): NSS reports Siegel's as GoodSignature, and
//!   Siegel finds NSS's valid and trusted;
//! - EnvelopedData with AES-CBC to RSA recipients both ways.
//!
//! Not covered because NSS 3.87 cannot: AuthEnvelopedData (AES-GCM: "unrecognized OID") and ECDH
//! key agreement recipients (it refuses OpenSSL's as well as Siegel's as "improperly formatted
//! DER"), which is why Siegel negotiates CBC for a recipient who announces no GCM.

use std::path::{Path, PathBuf};
use std::process::Command;
use std::sync::atomic::{AtomicUsize, Ordering};

use siegel::alg::{Cipher, SigningDigest};
use siegel::envelope::{self, EncryptOptions};
use siegel::identity::Identity;
use siegel::sign::SignOptions;
use siegel::verify::{Verdict, VerifyOptions};

const CONTENT: &[u8] = b"Content-Type: text/plain; charset=utf-8\r\n\r\nGr\xc3\xbc\xc3\x9fe an NSS.\r\n";

fn pki(name: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../../crate/tests/data/pki").join(name)
}

fn id(name: &str) -> Identity {
    Identity::from_pkcs12(&std::fs::read(pki(&format!("{name}.p12"))).unwrap(), "secret").unwrap()
}

fn trust() -> VerifyOptions {
    VerifyOptions {
        trust: siegel::cert::parse_certificates(&std::fs::read(pki("root.crt")).unwrap()).unwrap(),
        intermediates: siegel::cert::parse_certificates(&std::fs::read(pki("intermediate.crt")).unwrap()).unwrap(),
        ..Default::default()
    }
}

fn run(program: &str, args: &[&str]) -> Vec<u8> {
    let out = Command::new(program)
        .args(args)
        .output()
        .unwrap_or_else(|e| panic!("{program} must be installed (.ci/setup installs libnss3-tools): {e}"));
    assert!(out.status.success(), "{program} {args:?}: {}", String::from_utf8_lossy(&out.stderr));
    out.stdout
}

/// A fresh NSS database holding the test identities' keys, with the test root trusted for S/MIME.
fn nss_db() -> (PathBuf, String) {
    static N: AtomicUsize = AtomicUsize::new(0);
    let dir =
        std::env::temp_dir().join(format!("siegel-nss-{}-{}", std::process::id(), N.fetch_add(1, Ordering::SeqCst)));
    std::fs::create_dir_all(&dir).unwrap();
    let db = format!("sql:{}", dir.display());
    run("certutil", &["-N", "-d", &db, "--empty-password"]);
    for name in ["alice", "bob", "erin", "frank"] {
        let p12 = pki(&format!("{name}.p12"));
        run("pk12util", &["-i", p12.to_str().unwrap(), "-d", &db, "-W", "secret", "-K", ""]);
    }
    run("certutil", &["-A", "-d", &db, "-n", "root", "-t", "C,C,C", "-i", pki("root.crt").to_str().unwrap()]);
    (dir, db)
}

#[test]
fn nss_verifies_siegel_rsa_and_ecdsa_signatures() {
    let (dir, db) = nss_db();
    for (name, digest) in [
        ("alice", SigningDigest::Sha256),
        ("erin", SigningDigest::Sha256),
        ("erin", SigningDigest::Sha512),
        ("frank", SigningDigest::Sha384),
    ] {
        let options = SignOptions { digest, ..Default::default() };
        let der = siegel::sign::sign(CONTENT, &id(name), &options, false).unwrap();
        let file = dir.join("signed.der");
        std::fs::write(&file, &der).unwrap();
        let out = String::from_utf8(run("cmsutil", &["-D", "-d", &db, "-i", file.to_str().unwrap(), "-h", "2", "-n"]))
            .unwrap();
        assert!(out.contains("signer0.status=GoodSignature"), "{name} {digest:?}: {out}");
        // A changed signature byte: NSS says so.
        let mut bad = der.clone();
        let last = bad.len() - 5;
        bad[last] ^= 1;
        std::fs::write(&file, &bad).unwrap();
        let out = String::from_utf8(run("cmsutil", &["-D", "-d", &db, "-i", file.to_str().unwrap(), "-h", "2", "-n"]))
            .unwrap();
        assert!(!out.contains("GoodSignature"), "{name} {digest:?} tampered: {out}");
    }
    std::fs::remove_dir_all(&dir).ok();
}

#[test]
fn siegel_verifies_nss_rsa_and_ecdsa_signatures() {
    let (dir, db) = nss_db();
    let input = dir.join("content.txt");
    std::fs::write(&input, CONTENT).unwrap();
    for (nick, hash) in
        [("alice", "SHA256"), ("erin", "SHA256"), ("erin", "SHA384"), ("frank", "SHA384"), ("frank", "SHA512")]
    {
        let file = dir.join("nss.der");
        run(
            "cmsutil",
            &["-S", "-d", &db, "-N", nick, "-H", hash, "-i", input.to_str().unwrap(), "-o", file.to_str().unwrap()],
        );
        let der = std::fs::read(&file).unwrap();
        let verified = siegel::verify::verify(&der, None, &trust()).unwrap();
        assert_eq!(verified.report.verdict, Verdict::Trusted, "{nick} {hash}: {:?}", verified.report.failure());
    }
    std::fs::remove_dir_all(&dir).ok();
}

#[test]
fn cbc_enveloped_data_to_rsa_recipients_both_ways() {
    let (dir, db) = nss_db();
    // Siegel writes, NSS decrypts.
    let bob_cert = siegel::cert::parse_certificates(&std::fs::read(pki("bob.crt")).unwrap()).unwrap();
    for cipher in [Cipher::Aes256Cbc, Cipher::Aes128Cbc] {
        let der = envelope::encrypt(CONTENT, &bob_cert, &EncryptOptions { cipher, ..Default::default() }).unwrap();
        let file = dir.join("enc.der");
        std::fs::write(&file, &der).unwrap();
        assert_eq!(run("cmsutil", &["-D", "-d", &db, "-i", file.to_str().unwrap()]), CONTENT, "{cipher:?}");
    }
    // NSS writes, Siegel decrypts.
    let input = dir.join("content.txt");
    std::fs::write(&input, CONTENT).unwrap();
    let file = dir.join("nss-enc.der");
    run("cmsutil", &["-E", "-d", &db, "-r", "bob", "-i", input.to_str().unwrap(), "-o", file.to_str().unwrap()]);
    let out = envelope::decrypt(&std::fs::read(&file).unwrap(), &id("bob")).unwrap();
    assert_eq!(out.content, CONTENT);
    std::fs::remove_dir_all(&dir).ok();
}
