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

#[test]
fn inspect_describes_files() {
    let out = ok(siegel(&["inspect", s(&pki("alice.p12")), "--password-env", "SIEGEL_PW"], b"", PW));
    let v: serde_json::Value = serde_json::from_slice(&out).unwrap();
    assert_eq!(v["kind"], "pkcs12");
    let out = ok(siegel(&["inspect", s(&pki("chain.pem"))], b"", &[]));
    let v: serde_json::Value = serde_json::from_slice(&out).unwrap();
    assert_eq!(v["certificates"].as_array().unwrap().len(), 2);
}
