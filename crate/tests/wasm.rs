//! The wasm layer in a real browser: `wasm-pack test --headless --chrome crate` (see README).
//!
//! These tests go through the wasm-bindgen API (`siegel::wasm`), the same functions the extension's
//! service worker calls, and check PKCS#12 import, signing, encryption, decryption and verification
//! inside Chromium, with the browser's `crypto.getRandomValues` as the randomness source.
#![cfg(target_arch = "wasm32")]

use js_sys::{Array, Reflect, Uint8Array};
use siegel::wasm::{self, Identity};
use wasm_bindgen::{JsCast, JsValue};
use wasm_bindgen_test::*;

wasm_bindgen_test_configure!(run_in_browser);

const ALICE_P12: &[u8] = include_bytes!("data/pki/alice.p12");
const BOB_P12: &[u8] = include_bytes!("data/pki/bob.p12");
const BOB_OLD_P12: &[u8] = include_bytes!("data/pki/bob-old.p12");
const BOB_OLD_CRT: &[u8] = include_bytes!("data/pki/bob-old.crt");
const CAROL_P12: &[u8] = include_bytes!("data/pki/carol.p12");
const ROOT: &[u8] = include_bytes!("data/pki/root.crt");
const ERIN_P12: &[u8] = include_bytes!("data/pki/erin.p12");
const FRANK_P12: &[u8] = include_bytes!("data/pki/frank.p12");
const OTHER_ROOT: &[u8] = include_bytes!("data/pki/other-root.crt");
const BOB_CRT: &[u8] = include_bytes!("data/pki/bob.crt");
const MALLORY_CRT: &[u8] = include_bytes!("data/pki/mallory.crt");
const INTERMEDIATE_CRT: &[u8] = include_bytes!("data/pki/intermediate.crt");
const ROOT_CRL: &[u8] = include_bytes!("data/crl/root.crl");
const ISSUING_CRL: &[u8] = include_bytes!("data/crl/intermediate.crl");
const BOB_GOOD_OCSP: &[u8] = include_bytes!("data/crl/bob-good.ocsp");
const ALICE_REVOKED_OCSP: &[u8] = include_bytes!("data/crl/alice-revoked.ocsp");

fn get(obj: &JsValue, path: &str) -> JsValue {
    path.split('.').fold(obj.clone(), |o, k| Reflect::get(&o, &JsValue::from_str(k)).expect("property"))
}

fn options(json: &str) -> JsValue {
    js_sys::JSON::parse(json).expect("valid JSON")
}

fn trust(root: &[u8]) -> JsValue {
    let o = js_sys::Object::new();
    let list = Array::new();
    list.push(&Uint8Array::from(root));
    Reflect::set(&o, &"trust".into(), &list).unwrap();
    o.into()
}

fn mail() -> Vec<u8> {
    let m = options(
        r#"{"headers": [["From", "Alice <alice@example.com>"], ["To", "Bob <bob@example.com>"],
                        ["Subject", "Grüße aus dem Browser"]],
            "text": "Hallo Bob,\nGrüße!\n", "html": "<p>Hallo Bob, <b>Grüße</b>!</p>"}"#,
    );
    wasm::build_message(m).expect("build")
}

fn error_name(e: JsValue) -> String {
    e.dyn_into::<js_sys::Error>().map(|e| String::from(e.name())).unwrap_or_default()
}

#[wasm_bindgen_test]
fn imports_pkcs12_and_rejects_a_wrong_password() {
    let alice = Identity::from_pkcs12(ALICE_P12, "secret").expect("import");
    assert_eq!(alice.emails(), vec!["alice@example.com".to_string()]);
    let err = Identity::from_pkcs12(ALICE_P12, "wrong").err().expect("must fail");
    assert_eq!(error_name(err), "wrong-password");
    let err = Identity::from_pkcs12(b"not a p12 file", "secret").err().expect("must fail");
    assert_eq!(error_name(err), "malformed");
}

#[wasm_bindgen_test]
fn signs_and_verifies_detached_and_opaque() {
    let alice = Identity::from_pkcs12(ALICE_P12, "secret").unwrap();
    let message = mail();
    for opts in [r#"{}"#, r#"{"opaque": true, "digest": "sha512"}"#, r#"{"scheme": "rsa-pss"}"#] {
        let signed = wasm::sign_message(message.clone(), &alice, options(opts)).map(|a| a.to_vec()).expect("sign");
        let result = wasm::verify_message(signed.to_vec(), trust(ROOT)).expect("verify");
        assert_eq!(get(&result, "report.verdict").as_string().as_deref(), Some("trusted"), "{opts}");
        // A root that did not issue Alice's certificate: valid signature, untrusted.
        let result = wasm::verify_message(signed.to_vec(), trust(OTHER_ROOT)).expect("verify");
        assert_ne!(get(&result, "report.verdict").as_string().as_deref(), Some("trusted"));
    }
}

#[wasm_bindgen_test]
fn a_changed_byte_breaks_the_signature() {
    let alice = Identity::from_pkcs12(ALICE_P12, "secret").unwrap();
    let signed = wasm::sign_message(mail(), &alice, JsValue::UNDEFINED).map(|a| a.to_vec()).unwrap();
    let text = String::from_utf8(signed).unwrap();
    let tampered = text.replacen("Hallo Bob", "Hallo Rob", 1);
    assert_ne!(text, tampered);
    let result = wasm::verify_message(tampered.as_bytes().to_vec(), trust(ROOT)).expect("a report, not an error");
    assert_eq!(get(&result, "report.verdict").as_string().as_deref(), Some("invalid"));
}

#[wasm_bindgen_test]
fn encrypts_and_decrypts_with_every_cipher() {
    let bob = Identity::from_pkcs12(BOB_P12, "secret").unwrap();
    let bob_cert = Uint8Array::from(bob.encryption_certificate().unwrap().as_slice());
    let message = mail();
    for cipher in ["aes-256-gcm", "aes-128-gcm", "aes-256-cbc", "aes-128-cbc"] {
        for kt in ["rsa-pkcs1", "rsa-oaep"] {
            let opts = options(&format!(r#"{{"cipher": "{cipher}", "keyTransport": "{kt}"}}"#));
            let sealed = wasm::encrypt_message(message.to_vec(), vec![bob_cert.clone()], opts)
                .map(|a| a.to_vec())
                .expect("encrypt");
            let out = wasm::decrypt_message(sealed.to_vec(), &bob).expect("decrypt");
            let plain = Uint8Array::new(&get(&out, "message")).to_vec();
            let original = String::from_utf8(message.clone()).unwrap();
            let plain = String::from_utf8(plain).unwrap();
            assert!(plain.contains("Subject:"), "{cipher} {kt}");
            assert!(original.ends_with(plain.split("\r\n\r\n").last().unwrap()), "{cipher} {kt}");
        }
    }
}

/// EC identities in the browser: Erin (P-256) signs with ECDSA and encrypts to Frank (P-384) and Bob
/// (RSA) with ECDH and key transport in one message; each opens it and finds Erin's signature trusted.
#[wasm_bindgen_test]
fn ec_identities_sign_encrypt_and_decrypt() {
    let erin = Identity::from_pkcs12(ERIN_P12, "secret").expect("an EC .p12 imports");
    let frank = Identity::from_pkcs12(FRANK_P12, "secret").unwrap();
    let bob = Identity::from_pkcs12(BOB_P12, "secret").unwrap();
    let keys = erin.key_certificates().unwrap();
    assert_eq!(get(&Array::from(&keys).get(0), "key_type").as_string().as_deref(), Some("EC P-256"));
    let message = String::from_utf8(mail()).unwrap().replace("alice@example.com", "erin@example.com");
    let signed = wasm::sign_message(message.into_bytes(), &erin, JsValue::UNDEFINED).map(|a| a.to_vec()).unwrap();
    let recipients: Vec<Uint8Array> = [&frank, &bob, &erin]
        .iter()
        .map(|i| Uint8Array::from(i.encryption_certificate().unwrap().as_slice()))
        .collect();
    for cipher in ["aes-256-gcm", "aes-128-cbc"] {
        let opts = options(&format!(r#"{{"cipher": "{cipher}"}}"#));
        let sealed =
            wasm::encrypt_message(signed.clone(), recipients.clone(), opts).map(|a| a.to_vec()).expect("encrypt");
        for id in [&frank, &bob, &erin] {
            let opened = id.open_message(sealed.to_vec(), trust(ROOT)).expect("open");
            let layers = Array::from(&get(&opened, "layers"));
            assert_eq!(get(&layers.get(1), "verdict").as_string().as_deref(), Some("trusted"), "{cipher}");
        }
    }
}

#[wasm_bindgen_test]
fn sign_then_encrypt_opens_both_layers_with_an_old_key() {
    let alice = Identity::from_pkcs12(ALICE_P12, "secret").unwrap();
    let mut bob = Identity::from_pkcs12(BOB_P12, "secret").unwrap();
    bob.merge(&Identity::from_pkcs12(BOB_OLD_P12, "secret").unwrap());
    let signed = wasm::sign_message(mail(), &alice, JsValue::UNDEFINED).map(|a| a.to_vec()).unwrap();
    // Encrypted to Bob's old (expired) certificate is refused when writing ...
    let old = Uint8Array::from(BOB_OLD_CRT);
    assert!(wasm::encrypt_message(signed.to_vec(), vec![old], JsValue::UNDEFINED).map(|a| a.to_vec()).is_err());
    // ... but mail written to it years ago still opens: build it with the plain Rust API.
    let old_cert = siegel::cert::parse_certificates(BOB_OLD_CRT).unwrap();
    let der = siegel::envelope::encrypt(&signed, &old_cert, &Default::default()).expect("encrypt to the old key");
    let mut sealed = b"Content-Type: application/pkcs7-mime; smime-type=authEnveloped-data\r\n\
                       Content-Transfer-Encoding: base64\r\n\r\n"
        .to_vec();
    sealed.extend_from_slice(&siegel::mime::base64_lines(&der));
    let opened = bob.open_message(sealed.to_vec(), trust(ROOT)).expect("open");
    let layers = Array::from(&get(&opened, "layers"));
    assert_eq!(layers.length(), 2);
    assert_eq!(get(&layers.get(0), "layer").as_string().as_deref(), Some("encrypted"));
    assert_eq!(get(&layers.get(1), "verdict").as_string().as_deref(), Some("trusted"));
    // The identity is borrowed, not consumed: it opens a second mail too.
    assert!(bob.open_message(sealed.to_vec(), trust(ROOT)).is_ok());
    // Without keys, the signed mail still opens; the encrypted one asks for an identity.
    let verified = wasm::open_message(signed.to_vec(), trust(ROOT)).expect("open signed");
    assert_eq!(Array::from(&get(&verified, "layers")).length(), 1);
    let err = wasm::open_message(sealed.to_vec(), trust(ROOT)).expect_err("needs an identity");
    assert_eq!(get(&err, "name").as_string().as_deref(), Some("invalid-argument"));
}

#[wasm_bindgen_test]
fn a_stranger_cannot_decrypt() {
    let bob = Identity::from_pkcs12(BOB_P12, "secret").unwrap();
    let carol = Identity::from_pkcs12(CAROL_P12, "secret").unwrap();
    let to_bob = Uint8Array::from(bob.encryption_certificate().unwrap().as_slice());
    let sealed = wasm::encrypt_message(mail(), vec![to_bob], JsValue::UNDEFINED).map(|a| a.to_vec()).unwrap();
    let err = wasm::decrypt_message(sealed.to_vec(), &carol).expect_err("carol is not a recipient");
    assert_eq!(error_name(err), "not-for-us");
}

#[wasm_bindgen_test]
fn inspects_files() {
    let r = wasm::inspect(ROOT, None).unwrap();
    assert_eq!(get(&r, "kind").as_string().as_deref(), Some("certificates"));
    let r = wasm::inspect(ALICE_P12, Some("secret".into())).unwrap();
    assert_eq!(get(&r, "kind").as_string().as_deref(), Some("pkcs12"));
}

#[wasm_bindgen_test]
fn revocation_is_checked_with_the_crls_the_host_passes() {
    let with_crls = |crls: &[&[u8]], missing: &str| {
        let o = trust(ROOT);
        let list = Array::new();
        for c in crls {
            list.push(&Uint8Array::from(*c));
        }
        Reflect::set(&o, &"crls".into(), &list).unwrap();
        Reflect::set(&o, &"checkRevocation".into(), &JsValue::TRUE).unwrap();
        Reflect::set(&o, &"missingRevocation".into(), &missing.into()).unwrap();
        o
    };
    let alice = Identity::from_pkcs12(ALICE_P12, "secret").unwrap();
    let bob = Identity::from_pkcs12(BOB_P12, "secret").unwrap();
    // Alice is on the issuing CA's CRL.
    let signed = wasm::sign_message(mail(), &alice, JsValue::UNDEFINED).map(|a| a.to_vec()).unwrap();
    let opened = wasm::open_message(signed.to_vec(), with_crls(&[ROOT_CRL, ISSUING_CRL], "unknown")).expect("open");
    let layer = Array::from(&get(&opened, "layers")).get(0);
    assert_eq!(get(&layer, "verdict").as_string().as_deref(), Some("validUntrusted"));
    let revocation = get(&Array::from(&get(&layer, "signers")).get(0), "revocation");
    assert_eq!(get(&revocation, "status").as_string().as_deref(), Some("failed"));
    // Bob is not; without the root's CRL his path is "unknown", or not trusted when the policy says fail.
    let signed = wasm::sign_message(mail(), &bob, JsValue::UNDEFINED).map(|a| a.to_vec()).unwrap();
    let verdict = |crls: &[&[u8]], missing: &str| {
        let opened = wasm::open_message(signed.to_vec(), with_crls(crls, missing)).expect("open");
        get(&Array::from(&get(&opened, "layers")).get(0), "verdict").as_string().unwrap_or_default()
    };
    assert_eq!(verdict(&[ROOT_CRL, ISSUING_CRL], "unknown"), "trusted");
    assert_eq!(verdict(&[ISSUING_CRL], "unknown"), "unknown");
    assert_eq!(verdict(&[ISSUING_CRL], "fail"), "validUntrusted");
    // Something that is not a CRL is an error the host can show.
    let err = wasm::open_message(signed.to_vec(), with_crls(&[ROOT], "unknown")).expect_err("not a CRL");
    assert_eq!(error_name(err), "malformed");
}

#[wasm_bindgen_test]
fn encryption_with_trust_refuses_recipients_that_do_not_validate() {
    let opts = || {
        let o = trust(ROOT);
        let list = Array::new();
        list.push(&Uint8Array::from(INTERMEDIATE_CRT));
        Reflect::set(&o, &"intermediates".into(), &list).unwrap();
        Reflect::set(&o, &"cipher".into(), &"aes-128-gcm".into()).unwrap();
        o
    };
    let sealed = wasm::encrypt_message(mail(), vec![Uint8Array::from(BOB_CRT)], opts())
        .map(|a| a.to_vec())
        .expect("Bob validates");
    assert!(String::from_utf8_lossy(&sealed).contains("authEnveloped-data"));
    let err = wasm::encrypt_message(mail(), vec![Uint8Array::from(BOB_CRT), Uint8Array::from(MALLORY_CRT)], opts())
        .map(|a| a.to_vec())
        .expect_err("Mallory chains to an untrusted root");
    let message = err.dyn_ref::<js_sys::Error>().map(|e| String::from(e.message())).unwrap_or_default();
    assert_eq!(error_name(err), "unusable-certificate");
    assert!(message.contains("no chain to a trusted CA"), "{message}");
}

#[wasm_bindgen_test]
fn ocsp_responses_the_host_fetched_decide_revocation() {
    // The root's CRL covers the issuing CA; the end entities are decided by OCSP alone.
    let opts = |ocsp: &[u8]| {
        let o = trust(ROOT);
        let crls = Array::new();
        crls.push(&Uint8Array::from(ROOT_CRL));
        Reflect::set(&o, &"crls".into(), &crls).unwrap();
        let responses = Array::new();
        responses.push(&Uint8Array::from(ocsp));
        Reflect::set(&o, &"ocspResponses".into(), &responses).unwrap();
        Reflect::set(&o, &"missingRevocation".into(), &"fail".into()).unwrap();
        o
    };
    let verdict = |p12: &[u8], ocsp: &[u8]| {
        let id = Identity::from_pkcs12(p12, "secret").unwrap();
        let signed = wasm::sign_message(mail(), &id, JsValue::UNDEFINED).map(|a| a.to_vec()).unwrap();
        let opened = wasm::open_message(signed.to_vec(), opts(ocsp)).expect("open");
        get(&Array::from(&get(&opened, "layers")).get(0), "verdict").as_string().unwrap_or_default()
    };
    assert_eq!(verdict(BOB_P12, BOB_GOOD_OCSP), "trusted");
    assert_eq!(verdict(ALICE_P12, ALICE_REVOKED_OCSP), "validUntrusted");
    // Bob's answer says nothing about Alice: her status stays undecided, which "fail" refuses.
    assert_eq!(verdict(ALICE_P12, BOB_GOOD_OCSP), "validUntrusted");
}

#[wasm_bindgen_test]
fn options_are_read_by_member_and_wrong_types_are_invalid_arguments() {
    let alice = Identity::from_pkcs12(ALICE_P12, "secret").unwrap();
    let sign = |opts: JsValue| wasm::sign_message(mail(), &alice, opts).map(|a| String::from_utf8(a.to_vec()).unwrap());
    let message = |e: JsValue| e.dyn_ref::<js_sys::Error>().map(|e| String::from(e.message())).unwrap_or_default();

    // null members take their defaults; a Map works like an object; signingTime is a number.
    let o = options(r#"{"digest": null, "opaque": null}"#);
    Reflect::set(&o, &"signingTime".into(), &(js_sys::Date::now() / 1000.0).floor().into()).unwrap();
    let signed = sign(o).unwrap();
    assert!(signed.contains("micalg=sha-256"), "{signed}");
    let map = js_sys::Map::new();
    map.set(&"digest".into(), &"sha384".into());
    assert!(sign(map.into()).unwrap().contains("micalg=sha-384"));

    for (opts, member) in [
        (r#"{"digest": "sha1"}"#, "digest"),
        (r#"{"opaque": "yes"}"#, "opaque"),
        (r#"{"chain": 3}"#, "chain"),
        (r#"{"signingTime": -1}"#, "signingTime"),
        (r#"{"signingTime": 1.5}"#, "signingTime"),
        ("42", "sign options"),
    ] {
        let err = sign(options(opts)).expect_err(opts);
        let text = message(err.clone());
        assert_eq!(error_name(err), "invalid-argument", "{opts}");
        assert!(text.contains(member), "{opts}: {text}");
    }
    let err = wasm::verify_message(mail(), options(r#"{"trust": ["not bytes"]}"#)).expect_err("trust");
    assert!(message(err).contains("trust"));
    let err = wasm::verify_message(mail(), options(r#"{"missingRevocation": "ignore"}"#)).expect_err("enum");
    assert!(message(err).contains("unknown, fail"));

    // Attachment data as a Uint8Array, an ArrayBuffer or an array of numbers; filename and data are required.
    let with_attachment = |data: &JsValue, filename: bool| {
        let a = js_sys::Object::new();
        if filename {
            Reflect::set(&a, &"filename".into(), &"a.bin".into()).unwrap();
        }
        Reflect::set(&a, &"data".into(), data).unwrap();
        let m = options(r#"{"headers": [["From", "a@example.com"]], "text": "x"}"#);
        Reflect::set(&m, &"attachments".into(), &Array::of1(&a)).unwrap();
        wasm::build_message(m)
    };
    let bytes = Uint8Array::from(&b"\x00\x01\xff"[..]);
    // The MIME boundary is random: each mail is checked for the attachment's base64.
    for data in [bytes.clone().into(), bytes.buffer().into(), options("[0, 1, 255]")] {
        let built = with_attachment(&data, true).unwrap();
        assert!(String::from_utf8_lossy(&built).contains("\r\n\r\nAAH/\r\n"));
    }
    assert_eq!(error_name(with_attachment(&options("[0, 256]"), true).unwrap_err()), "invalid-argument");
    assert_eq!(error_name(with_attachment(&bytes, false).unwrap_err()), "invalid-argument");
}

/// wasm32's exponentiation (radix 2^28, lazy carries, vectorised by LLVM) against the plain
/// square-and-multiply of the CIOS product, on moduli of many widths and exponents with every bit
/// pattern at the ends: the host runs the same code only without SIMD.
#[wasm_bindgen_test]
fn secret_powers_agree_with_public_ones_in_wasm() {
    use siegel_bignum::{from_be, limbs_for, Modulus};
    let mut state = 0x243f_6a88_85a3_08d3u64;
    let mut bytes = |len: usize| -> Vec<u8> {
        (0..len)
            .map(|_| {
                state ^= state << 13;
                state ^= state >> 7;
                state ^= state << 17;
                state as u8
            })
            .collect()
    };
    for len in [1usize, 4, 5, 13, 64, 127, 128, 129, 192, 256, 384] {
        let mut m_be = bytes(len);
        m_be[0] |= 0x80;
        m_be[len - 1] |= 1;
        let m = Modulus::new(&m_be, 0).unwrap();
        let mut x_be = bytes(len);
        x_be[0] &= 0x7f;
        let x = m.to_mont(&from_be(&x_be, m.limbs()).unwrap());
        for e in [bytes(len), vec![0xff; len], vec![0], vec![1], vec![0x80, 0, 0, 1]] {
            let el = from_be(&e, limbs_for(&e).max(1)).unwrap();
            assert_eq!(m.pow_secret(&x, &el), m.pow_public(&x, &e), "{len}-byte modulus, exponent {e:02x?}");
        }
    }
}
