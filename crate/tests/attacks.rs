//! Crafted attack mails against the reading side: EFAIL (2018) and the signature spoofing of "Johnny,
//! you are fired" (2019). The mails are in `data/attacks/` (written by `make-attacks.py` with the real
//! `openssl cms` and the `siegel` CLI); the extension's end-to-end tests show the same mails in the reader.
//! Each test opens a mail as Bob, with the test root trusted, and asserts what a reader is told.

use siegel::envelope::EncryptionInfo;
use siegel::identity::Identity;
use siegel::smime::{self, Kind, Layer, Opened, Sender};
use siegel::verify::{Check, SignatureReport, SignerReport, Verdict, VerifyOptions};
use siegel::Error;

const SECRET: &str = "The launch code is 0451-7781.";

fn mail(name: &str) -> Vec<u8> {
    let path = format!("{}/tests/data/attacks/{name}", env!("CARGO_MANIFEST_DIR"));
    std::fs::read(&path).unwrap_or_else(|e| panic!("{path}: {e}"))
}

fn bob() -> Identity {
    Identity::from_pkcs12(include_bytes!("data/pki/bob.p12"), "secret").unwrap()
}

fn options() -> VerifyOptions {
    VerifyOptions {
        trust: siegel::cert::parse_certificates(include_bytes!("data/pki/root.crt")).unwrap(),
        ..VerifyOptions::default()
    }
}

fn open(name: &str) -> Opened {
    smime::open_message(&mail(name), Some(&bob()), &options()).unwrap()
}

fn signature(opened: &Opened) -> &SignatureReport {
    match opened.layers.as_slice() {
        [Layer::Signed(report)] => report,
        other => panic!("expected one signed layer, got {other:?}"),
    }
}

fn encryption(opened: &Opened) -> &EncryptionInfo {
    match opened.layers.first() {
        Some(Layer::Encrypted(info)) => info,
        other => panic!("expected an encrypted layer, got {other:?}"),
    }
}

fn failed(check: &Check) -> &str {
    match check {
        Check::Failed { reason } => reason,
        other => panic!("expected a failed check, got {other:?}"),
    }
}

fn signer_email(s: &SignerReport) -> Option<&str> {
    s.certificate.as_ref()?.emails.first().map(String::as_str)
}

fn contains(haystack: &[u8], needle: &str) -> bool {
    haystack.windows(needle.len()).any(|w| w == needle.as_bytes())
}

// ---- EFAIL

#[test]
fn efail_direct_exfiltration_encrypted_part_between_attacker_html_is_not_decrypted() {
    let opened = open("efail-direct.eml");
    assert!(opened.layers.is_empty(), "nothing was decrypted or verified");
    assert_eq!(opened.unopened_parts, vec![Kind::Encrypted]);
    assert!(!contains(&opened.message, SECRET), "the plaintext must not come out");
    // What a reader then shows: the attacker's HTML alone (its remote image is the reader's to block).
    let readable = siegel::mime::readable(&siegel::mime::parse(&opened.message).unwrap()).unwrap();
    assert!(!readable.html.unwrap_or_default().contains(SECRET));
}

#[test]
fn cbc_mail_is_marked_not_integrity_protected() {
    let opened = open("cbc-remote.eml");
    let info = encryption(&opened);
    assert!(!info.integrity_protected);
    assert_eq!(info.cipher, "AES-256-CBC");
    assert!(contains(&opened.message, SECRET));
}

#[test]
fn cbc_malleability_an_iv_flip_decrypts_unnoticed_so_cbc_is_flagged() {
    // The attacker flipped one IV bit: the first plaintext block changed ("Content-Type" became
    // "Xontent-Type") and decryption cannot notice. Only the flag tells the reader.
    let opened = open("cbc-flipped.eml");
    assert!(!encryption(&opened).integrity_protected);
    assert!(contains(&opened.message, "Xontent-Type: text/html"));
}

#[test]
fn gcm_detects_the_same_flip() {
    let err = smime::open_message(&mail("gcm-flipped.eml"), Some(&bob()), &options()).unwrap_err();
    assert!(matches!(err, Error::DecryptionFailed), "{err:?}");
}

#[test]
fn decrypted_content_replaces_the_whole_mail() {
    // The decrypted entity is the whole mail body: nothing of the outer (unencrypted) entity stays
    // beside it, only the outer header fields.
    let opened = open("cbc-remote.eml");
    let parsed = siegel::mime::parse(&opened.message).unwrap();
    assert!(parsed.content_type.is("text/html"));
    assert!(parsed.children.is_empty());
}

// ---- Signature spoofing

#[test]
fn several_signers_one_untrusted_is_not_trusted_and_both_are_reported() {
    let opened = open("two-signers-untrusted.eml");
    let report = signature(&opened);
    assert_eq!(report.signers.len(), 2);
    assert_eq!(report.verdict, Verdict::ValidUntrusted);
    assert!(report.signers.iter().all(SignerReport::valid));
    assert_eq!(report.signers.iter().filter(|s| s.trusted()).count(), 1);
    assert!(report.failure().unwrap().contains("Mallory"));
}

#[test]
fn several_signers_one_invalid_is_invalid() {
    let report = signature(&open("two-signers-one-invalid.eml")).clone();
    assert_eq!(report.signers.len(), 2);
    assert_eq!(report.verdict, Verdict::Invalid);
    assert_eq!(report.signers.iter().filter(|s| s.valid()).count(), 1);
}

#[test]
fn econtent_type_confusion_is_an_invalid_signature() {
    // Alice's signature is genuine, but over a "time-stamp token", not over mail.
    let report = signature(&open("econtent-type.eml")).clone();
    assert_eq!(report.verdict, Verdict::Invalid);
    assert!(failed(&report.signers[0].signature).contains("not mail (id-data)"));
}

#[test]
fn partially_signed_mail_is_not_signed() {
    let opened = open("partial-signed.eml");
    assert!(opened.layers.is_empty(), "a signature over one part does not sign the mail");
    assert_eq!(opened.unopened_parts, vec![Kind::DetachedSigned]);
}

#[test]
fn signed_mail_forwarded_inside_unsigned_mail_is_not_signed() {
    let opened = open("forwarded-signed.eml");
    assert!(opened.layers.is_empty());
    // The forwarded mail is an attachment (message/rfc822), not a part of this mail's MIME tree.
    assert!(opened.unopened_parts.is_empty());
}

#[test]
fn from_mismatch_fails_the_from_check() {
    let report = signature(&open("from-mismatch.eml")).clone();
    assert_eq!(report.verdict, Verdict::Trusted, "Carol's signature itself is fine");
    let reason = failed(&report.signers[0].from_address);
    assert!(reason.contains("alice@example.com") && reason.contains("carol@example.com"), "{reason}");
}

#[test]
fn display_name_showing_another_address_fails_the_from_check() {
    for name in ["display-name.eml", "display-name-encoded.eml"] {
        let report = signature(&open(name)).clone();
        let reason = failed(&report.signers[0].from_address);
        assert_eq!(reason, "the sender's name shows alice@example.com, but the mail is from carol@example.com");
    }
}

#[test]
fn several_from_addresses_fail_the_from_check() {
    let report = signature(&open("two-from.eml")).clone();
    assert!(failed(&report.signers[0].from_address).contains("2 senders"));
}

#[test]
fn signer_certificate_without_email_fails_the_from_check() {
    let report = signature(&open("no-email-signer.eml")).clone();
    assert_eq!(signer_email(&report.signers[0]), None);
    assert!(failed(&report.signers[0].from_address).contains("names no email address"));
}

#[test]
fn signing_time_in_the_future_is_not_trusted() {
    let report = signature(&open("future-signing-time.eml")).clone();
    assert!(report.signers[0].valid());
    assert!(failed(&report.signers[0].signing_time_check).contains("in the future"));
    assert_eq!(report.verdict, Verdict::ValidUntrusted);
}

#[test]
fn unsigned_html_imitating_the_banner_is_unsigned() {
    let opened = open("fake-banner.eml");
    assert!(opened.layers.is_empty() && opened.unopened_parts.is_empty());
}

#[test]
fn sender_reads_display_names_and_lists() {
    let s = |from: &str| smime::sender(format!("From: {from}\r\n\r\nx").as_bytes());
    assert_eq!(s("Alice <alice@example.com>"), Sender::One("alice@example.com".into()));
    assert_eq!(s("\"Alice (alice@example.com)\" <Alice@Example.com>"), Sender::One("Alice@Example.com".into()));
    assert_eq!(s("alice@example.com"), Sender::One("alice@example.com".into()));
    assert!(matches!(s("\"bob@example.com via list\" <list@example.com>"), Sender::Misleading { .. }));
    assert!(matches!(s("a@example.com, b@example.com"), Sender::Misleading { .. }));
    assert_eq!(smime::sender(b"To: x@example.com\r\n\r\nx"), Sender::Missing);
    let two_fields = smime::sender(b"From: a@example.com\r\nFrom: b@example.com\r\n\r\nx");
    assert!(matches!(two_fields, Sender::Misleading { .. }), "{two_fields:?}");
}

// ---- Wrapping: a signature around someone else's signed or encrypted message (the layering rules,
// `smime::Attribution`).

use siegel::smime::Attribution;

fn verdicts(opened: &Opened) -> Vec<Verdict> {
    opened
        .layers
        .iter()
        .filter_map(|l| match l {
            Layer::Signed(r) => Some(r.verdict),
            Layer::Encrypted(_) => None,
        })
        .collect()
}

#[test]
fn a_signature_wrapping_another_signed_mail_counts_for_nothing() {
    let opened = open("wrapped-signed.eml");
    // Each signature on its own is good; together, nobody vouches for the mail.
    assert_eq!(verdicts(&opened), vec![Verdict::Trusted, Verdict::Trusted]);
    assert_eq!(
        opened.attribution,
        Attribution::Wrapped { signers: vec!["carol@example.com".into(), "alice@example.com".into()] }
    );
    let reason = opened.attribution.reason().unwrap();
    assert!(reason.contains("carol@example.com around alice@example.com"), "{reason}");
}

#[test]
fn a_signature_around_a_mail_encrypted_to_us_that_holds_another_signature_counts_for_nothing() {
    let opened = open("wrapped-encrypted-signed.eml");
    assert!(matches!(opened.layers.as_slice(), [Layer::Signed(_), Layer::Encrypted(_), Layer::Signed(_)]));
    assert!(matches!(&opened.attribution, Attribution::Wrapped { signers } if signers.len() == 2));
}

#[test]
fn an_encrypted_part_below_two_signatures_is_not_decrypted() {
    let err = smime::open_message(&mail("wrapped-twice-encrypted.eml"), Some(&bob()), &options()).unwrap_err();
    assert!(matches!(err, Error::Refused(_)), "{err:?}");
    assert!(err.to_string().contains("below two signature layers"), "{err}");
    assert_eq!(err.code(), "refused");
}

#[test]
fn one_signature_over_ciphertext_does_not_sign_the_content() {
    let opened = open("signed-ciphertext.eml");
    assert!(
        matches!(opened.layers.as_slice(), [Layer::Signed(r), Layer::Encrypted(_)] if r.verdict == Verdict::Trusted)
    );
    assert_eq!(opened.attribution, Attribution::OverCiphertext { signers: vec!["carol@example.com".into()] });
    assert!(opened.attribution.reason().unwrap().contains("signed only the encrypted form"));
    assert!(contains(&opened.message, SECRET), "decrypted: one signature layer does not stop that");
}

#[test]
fn the_normal_shapes_keep_their_signature() {
    // encrypted(signed) and signed alone: the one signature counts.
    for name in ["future-signing-time.eml", "two-signers-untrusted.eml"] {
        assert_eq!(open(name).attribution, Attribution::Signed, "{name}");
    }
    assert_eq!(open("fake-banner.eml").attribution, Attribution::Unsigned);
    let alice = Identity::from_pkcs12(include_bytes!("data/pki/alice.p12"), "secret").unwrap();
    let bob_cert = siegel::cert::parse_certificates(include_bytes!("data/pki/bob.crt")).unwrap();
    let mail = b"From: alice@example.com\r\nTo: bob@example.com\r\nContent-Type: text/plain\r\n\r\nhi\r\n";
    let signed = smime::sign_message(mail, &alice, &Default::default(), smime::SignMode::Detached).unwrap();
    let sealed = smime::encrypt_message(&signed, &bob_cert, &Default::default()).unwrap();
    let opened = smime::open_message(&sealed, Some(&bob()), &options()).unwrap();
    assert_eq!(opened.attribution, Attribution::Signed);
    assert_eq!(verdicts(&opened), vec![Verdict::Trusted]);
}
