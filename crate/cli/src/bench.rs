//! `siegel bench`: how long the core operations take natively, on the test PKI's RSA-2048 keys, or
//! its EC keys (`--keys p256`, `--keys p384`: ECDSA signatures, ECDH key agreement).
//!
//! A benchmark, not a test: it prints figures and never fails on them. Each figure is the median
//! of `runs` repetitions. The same operations are measured in Chromium and Node (wasm) by `tests/bench/compare.mjs`.

use std::time::Instant;

use siegel::envelope::EncryptOptions;
use siegel::identity::Identity;
use siegel::mime;
use siegel::sign::SignOptions;
use siegel::smime::{self, SignMode};
use siegel::verify::VerifyOptions;
use siegel::Result;

const ALICE_P12: &[u8] = include_bytes!(concat!(env!("CARGO_MANIFEST_DIR"), "/../tests/data/pki/alice.p12"));
const BOB_P12: &[u8] = include_bytes!(concat!(env!("CARGO_MANIFEST_DIR"), "/../tests/data/pki/bob.p12"));
const ERIN_P12: &[u8] = include_bytes!(concat!(env!("CARGO_MANIFEST_DIR"), "/../tests/data/pki/erin.p12"));
const FRANK_P12: &[u8] = include_bytes!(concat!(env!("CARGO_MANIFEST_DIR"), "/../tests/data/pki/frank.p12"));
const ROOT: &[u8] = include_bytes!(concat!(env!("CARGO_MANIFEST_DIR"), "/../tests/data/pki/root.crt"));

/// A mail of about `size` bytes: a text part and an attachment of pseudo-random bytes.
pub fn sample_mail(size: usize) -> Vec<u8> {
    let mut data = Vec::with_capacity(size);
    let mut x: u32 = 0x1234_5678;
    while data.len() < size * 3 / 4 {
        x ^= x << 13;
        x ^= x >> 17;
        x ^= x << 5;
        data.extend_from_slice(&x.to_le_bytes());
    }
    let body = mime::Body {
        text: Some("Hello Bob,\r\n\r\nthe figures are attached.\r\n\r\nAlice\r\n".into()),
        html: None,
        attachments: vec![mime::Attachment {
            filename: "figures.bin".into(),
            content_type: "application/octet-stream".into(),
            data,
        }],
    };
    mime::build_message(
        &[("From", "Alice <alice@example.com>"), ("To", "Bob <bob@example.com>"), ("Subject", "Figures")],
        &mime::build_entity(&body),
    )
}

fn median<T>(runs: usize, mut f: impl FnMut() -> Result<T>) -> Result<(f64, T)> {
    let mut times = Vec::with_capacity(runs);
    let mut last = None;
    for _ in 0..runs.max(1) {
        let start = Instant::now();
        let out = f()?;
        times.push(start.elapsed().as_secs_f64() * 1000.0);
        last = Some(out);
    }
    times.sort_by(f64::total_cmp);
    let mid = times.get(times.len() / 2).copied().unwrap_or_default();
    match last {
        Some(out) => Ok((mid, out)),
        None => Err(siegel::Error::InvalidArgument("no runs".into())),
    }
}

/// Runs the benchmark and prints a table (or, with `json`, one JSON object per size on stdout).
/// `cipher` is a content cipher name ("aes-256-gcm", "aes-256-cbc"); `recipients`, when given,
/// encrypts to Bob's certificate that many times instead of to Bob and Alice (as
/// `tests/bench/compare.mjs` does, to compare with other implementations on the same keys).
/// `keys` picks sender and recipient: "rsa" (Alice to Bob), "p256" (Erin to herself), "p384"
/// (Frank to himself).
pub fn run(
    sizes: &[usize],
    runs: usize,
    cipher: &str,
    recipients: Option<usize>,
    keys: &str,
    json: bool,
) -> Result<()> {
    let (alice, bob, label) = match keys {
        "rsa" => (Identity::from_pkcs12(ALICE_P12, "secret")?, Identity::from_pkcs12(BOB_P12, "secret")?, "RSA-2048"),
        "p256" => (Identity::from_pkcs12(ERIN_P12, "secret")?, Identity::from_pkcs12(ERIN_P12, "secret")?, "EC P-256"),
        "p384" => {
            (Identity::from_pkcs12(FRANK_P12, "secret")?, Identity::from_pkcs12(FRANK_P12, "secret")?, "EC P-384")
        }
        other => return Err(siegel::Error::InvalidArgument(format!("unknown keys {other:?}; use rsa, p256 or p384"))),
    };
    let now = siegel::clock::now_unix();
    let bob_cert = bob.encryption_pair(now)?.certificate().clone();
    let recipients = match recipients {
        Some(n) => vec![bob_cert; n.max(1)],
        None => vec![bob_cert, alice.encryption_pair(now)?.certificate().clone()],
    };
    let cipher: siegel::alg::Cipher = cipher.parse()?;
    let verify = VerifyOptions { trust: siegel::cert::parse_certificates(ROOT)?, ..VerifyOptions::default() };
    let sign = SignOptions::default();
    let encrypt = EncryptOptions { cipher, ..EncryptOptions::default() };
    if !json {
        println!(
            "siegel bench (native, {label}, SHA-256, {cipher:?}, {} recipients; median of {runs} runs, ms)",
            recipients.len()
        );
        println!(
            "{:>10} {:>9} {:>9} {:>13} {:>9} {:>9} {:>14}",
            "size", "sign", "encrypt", "sign+encrypt", "decrypt", "verify", "decrypt+verify"
        );
    }
    for &size in sizes {
        let mail = sample_mail(size);
        let (t_sign, signed) = median(runs, || smime::sign_message(&mail, &alice, &sign, SignMode::Detached))?;
        let (t_enc, _) = median(runs, || smime::encrypt_message(&mail, &recipients, &encrypt))?;
        let (t_both, sealed) = median(runs, || {
            let s = smime::sign_message(&mail, &alice, &sign, SignMode::Detached)?;
            smime::encrypt_message(&s, &recipients, &encrypt)
        })?;
        let (t_dec, _) = median(runs, || smime::decrypt_message(&sealed, &bob))?;
        let (t_ver, _) = median(runs, || smime::verify_message(&signed, &verify))?;
        let (t_open, opened) = median(runs, || smime::open_message(&sealed, Some(&bob), &verify))?;
        if opened.layers.len() != 2 {
            return Err(siegel::Error::InvalidArgument("the benchmark's round trip lost a layer".into()));
        }
        if json {
            println!(
                "{{\"keys\":\"{keys}\",\"size\":{size},\"recipients\":{},\"sign\":{t_sign},\"encrypt\":{t_enc},\"signEncrypt\":{t_both},\"decrypt\":{t_dec},\"verify\":{t_ver},\"decryptVerify\":{t_open}}}",
                recipients.len()
            );
            continue;
        }
        println!(
            "{:>10} {:>9.2} {:>9.2} {:>13.2} {:>9.2} {:>9.2} {:>14.2}",
            size, t_sign, t_enc, t_both, t_dec, t_ver, t_open
        );
    }
    Ok(())
}
