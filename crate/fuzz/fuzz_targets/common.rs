//! What the fuzz targets feed their input to, one function per target, and the fixed test identities
//! and certificates they use (loaded once).
//!
//! Shared by the fuzz targets (`fuzz_target!(|data| common::cms(data))`) and by the stable regression
//! test `crate/tests/fuzz_regressions.rs`, which replays every file under `regressions/<target>/`
//! through the same function; so it depends only on `siegel` and `x509-cert`.
#![allow(dead_code)]

use std::sync::OnceLock;

use siegel::identity::Identity;
use x509_cert::Certificate;

/// Bob's identity from the test PKI (password "secret").
pub fn bob() -> &'static Identity {
    static BOB: OnceLock<Identity> = OnceLock::new();
    BOB.get_or_init(|| {
        Identity::from_pkcs12(include_bytes!("../../tests/data/pki/bob.p12"), "secret").expect("bob.p12 loads")
    })
}

fn cert(pem: &[u8]) -> Certificate {
    siegel::cert::parse_certificates(pem).expect("test certificate parses").remove(0)
}

/// The test root CA.
pub fn root() -> &'static Certificate {
    static ROOT: OnceLock<Certificate> = OnceLock::new();
    ROOT.get_or_init(|| cert(include_bytes!("../../tests/data/pki/root.crt")))
}

/// The test intermediate CA (issuer of bob and alice).
pub fn intermediate() -> &'static Certificate {
    static INT: OnceLock<Certificate> = OnceLock::new();
    INT.get_or_init(|| cert(include_bytes!("../../tests/data/pki/intermediate.crt")))
}

/// Bob's certificate.
pub fn bob_cert() -> &'static Certificate {
    static CERT: OnceLock<Certificate> = OnceLock::new();
    CERT.get_or_init(|| cert(include_bytes!("../../tests/data/pki/bob.crt")))
}

/// Options that trust the test root at a fixed time inside the test certificates' validity.
pub fn verify_options() -> siegel::verify::VerifyOptions {
    let (not_before, _) = siegel::cert::validity(bob_cert());
    siegel::verify::VerifyOptions { trust: vec![root().clone()], time: Some(not_before + 3600), ..Default::default() }
}

/// What a fuzz target does with one input.
pub type Target = fn(&[u8]);

/// Every target by name, as in `Cargo.toml` and `regressions/<target>/`.
pub const TARGETS: &[(&str, Target)] = &[
    ("ber", ber),
    ("certificates", certificates),
    ("cms", cms),
    ("crl", crl),
    ("directory", directory),
    ("keys", keys),
    ("mime", mime),
    ("pkcs12", pkcs12),
    ("rsa_padding", rsa_padding),
    ("smime_open", smime_open),
];

/// `directory`: what a directory or a DNS-over-HTTPS resolver answers for a recipient: an answer's
/// certificates and the choice among them, an SMIMEA answer in DNS wire format, an address as an owner name.
pub fn directory(data: &[u8]) {
    let _ = siegel::dane::parse_response(data, "bob@example.com");
    let _ = siegel::dane::owner_name(&String::from_utf8_lossy(data));
    if let Ok(certs) = siegel::directory::parse_answer(data) {
        let _ = siegel::directory::choose(&certs, "bob@example.com", &Default::default());
    }
}

/// `ber`: the BER normaliser; DER output is a fixed point.
pub fn ber(data: &[u8]) {
    let _ = siegel::ber::looks_like_der(data);
    if let Ok(der) = siegel::ber::to_der(data) {
        let again = siegel::ber::to_der(&der).expect("DER output re-parses");
        assert_eq!(again, der, "to_der is idempotent");
        let _ = siegel::ber::der_children(&der);
    }
    let _ = siegel::ber::der_children(data);
}

/// `certificates`: certificate parsing and what is read from each, and trust store import (PEM, DER,
/// .p7b, .sst).
pub fn certificates(data: &[u8]) {
    use siegel::cert;
    if let Ok(certs) = cert::parse_certificates(data) {
        for c in &certs {
            let _ = cert::Summary::of(c);
            let _ = cert::emails(c);
            let _ = cert::crl_distribution_urls(c);
            let _ = cert::subject_key_id(c);
            let _ = cert::validity(c);
            let _ = cert::rsa_public_key(c);
            let _ = siegel::trust::ocsp::responder_urls(c);
        }
    }
    // An SMIMECapabilities list (also reached through Summary::of, from a certificate's extension).
    let _ = siegel::capabilities::Capabilities::parse(data);
    let mut store = siegel::trust::store::TrustStore::new();
    if store.import(data).is_ok() {
        let _ = store.entries();
        let _ = store.anchors();
    }
}

/// `cms`: SignedData verification (opaque, and detached with a fixed content), and decryption with
/// Bob's identity.
pub fn cms(data: &[u8]) {
    use siegel::verify::{verify, VerifyOptions};
    let _ = verify(data, None, &VerifyOptions::default());
    let _ = verify(data, Some(b"Content-Type: text/plain\r\n\r\nhello\r\n"), &verify_options());
    if let Ok(ci) = siegel::cms_common::parse_content_info(data) {
        let _ = siegel::envelope::decrypt_content_info(&ci, bob());
    }
    let _ = siegel::envelope::decrypt(data, bob());
}

/// `crl`: CRL parsing, and the input as the only OCSP response for Bob's certificate.
pub fn crl(data: &[u8]) {
    use siegel::trust::crl::Crl;
    use siegel::trust::ocsp::{check, OcspContext};
    if let Ok(crls) = Crl::parse_all(data) {
        for crl in &crls {
            let _ = (crl.issuer(), crl.this_update(), crl.next_update(), crl.is_delta());
        }
    }
    let responses = [data.to_vec()];
    let (not_before, _) = siegel::cert::validity(bob_cert());
    let ctx = OcspContext { responses: &responses, time: not_before + 3600, allow_sha1: true, nonce: None, skew: 300 };
    let _ = check(bob_cert(), intermediate(), &ctx);
}

/// `mime`: parsing, then everything read from every entity.
pub fn mime(data: &[u8]) {
    use siegel::mime::{self, Entity};
    fn walk(e: &Entity<'_>) {
        let _ = e.decoded_body();
        let _ = e.text();
        let _ = e.disposition();
        let _ = e.filename();
        let _ = e.is_attachment();
        let _ = siegel::smime::kind(e);
        for h in &e.headers.0 {
            let _ = mime::decode_header_words(&h.value);
            let _ = mime::parse_address_list(&h.value);
        }
        for name in ["subject", "from", "to", "content-type"] {
            let _ = e.headers.get_decoded(name);
        }
        for c in &e.children {
            walk(c);
        }
    }
    if let Ok(entity) = mime::parse(data) {
        walk(&entity);
        let _ = mime::readable(&entity);
    }
    let _ = siegel::smime::from_address(data);
    let _ = mime::canonicalize_crlf(data);
}

/// `pkcs12`: import with the test password and with the empty one.
pub fn pkcs12(data: &[u8]) {
    use siegel::identity::Identity;
    let _ = Identity::from_pkcs12(data, "secret");
    let _ = Identity::from_pkcs12(data, "");
}

/// `smime_open`: open, decrypt and verify a whole mail with Bob's identity and the test root trusted.
pub fn smime_open(data: &[u8]) {
    let options = verify_options();
    let _ = siegel::smime::open_message(data, Some(bob()), &options);
    let _ = siegel::smime::decrypt_message(data, bob());
    let _ = siegel::smime::verify_message(data, &options);
}

/// `rsa_padding`: the constant-time key decoders (`siegel::pubkey::rsa_padding`) on any decrypted block,
/// against plain, branching readings of RFC 8017 sections 7.1.2 and 7.2.2. The first byte picks the
/// key length and the OAEP hashes; the rest is the block.
pub fn rsa_padding(data: &[u8]) {
    use siegel::alg::Digest;
    use siegel::pubkey::rsa_padding::{oaep_key, pkcs1v15_key};
    let Some((&pick, em)) = data.split_first() else { return };
    let key_len = [16usize, 24, 32, 0, 1][pick as usize % 5];
    let fallback = vec![0xa5u8; key_len];

    let pkcs1 = || -> Option<Vec<u8>> {
        if em.len() < key_len + 11 || em[0] != 0 || em[1] != 2 {
            return None;
        }
        let zero = em[2..].iter().position(|&b| b == 0)? + 2;
        (zero >= 10 && em.len() - zero - 1 == key_len).then(|| em[zero + 1..].to_vec())
    };
    assert_eq!(&pkcs1v15_key(em, &fallback)[..], &pkcs1().unwrap_or_else(|| fallback.clone())[..], "PKCS#1 v1.5");

    let digests = [Digest::Sha1, Digest::Sha256, Digest::Sha384, Digest::Sha512];
    let (hash, mgf) = (digests[(pick as usize / 5) % 4], digests[(pick as usize / 20) % 4]);
    let mgf1 = |seed: &[u8], len: usize| -> Vec<u8> {
        let mut out = Vec::new();
        let mut counter = 0u32;
        while out.len() < len {
            out.extend(mgf.hash(&[seed, &counter.to_be_bytes()].concat()));
            counter += 1;
        }
        out.truncate(len);
        out
    };
    let oaep = || -> Option<Vec<u8>> {
        let h = hash.output_len();
        if em.len() < 2 * h + 2 || em.len() < key_len + 2 * h + 2 || em[0] != 0 {
            return None;
        }
        let (masked_seed, masked_db) = em[1..].split_at(h);
        let seed: Vec<u8> = masked_seed.iter().zip(mgf1(masked_db, h)).map(|(a, b)| a ^ b).collect();
        let db: Vec<u8> = masked_db.iter().zip(mgf1(&seed, masked_db.len())).map(|(a, b)| a ^ b).collect();
        if db[..h] != hash.hash(b"")[..] {
            return None;
        }
        let one = db[h..].iter().position(|&b| b != 0)? + h;
        (db[one] == 1 && db.len() - one - 1 == key_len).then(|| db[one + 1..].to_vec())
    };
    let got = oaep_key(em, hash, mgf, b"", &fallback);
    assert_eq!(&got[..], &oaep().unwrap_or_else(|| fallback.clone())[..], "OAEP {hash:?}/{mgf:?}");
}

/// `keys`: the RSA, DSA and EC key readers and the operations on them. The first byte picks the
/// reader; a private key that is accepted must work (its public half's encryption comes back; an EC
/// key's signature verifies and it agrees with itself), and an EC peer key either is refused or
/// gives a shared secret.
pub fn keys(data: &[u8]) {
    use siegel::alg::Digest;
    use siegel::pubkey::rsa::{verify_pkcs1v15, verify_pss, PrivateKey, PublicKey};
    let Some((&pick, der)) = data.split_first() else { return };
    match pick % 5 {
        0 => {
            let Ok(key) = PrivateKey::from_pkcs1_der(der) else { return };
            let again = PrivateKey::from_pkcs1_der(key.to_pkcs1_der()).expect("a key read is written back readable");
            assert!(again.public() == key.public());
            let size = key.public().size();
            let mut m = vec![0u8; size];
            m[size - 1] = 7;
            if size > 1 {
                m[1] = pick;
            }
            let c = key.public().encrypt_raw(&m).expect("a number below n");
            assert_eq!(&key.decrypt_raw(&c).expect("the key's own ciphertext")[..], &m[..]);
        }
        1 => {
            // A DER RSAPublicKey and a signature, split at the length (2 bytes, big-endian) first.
            let [l1, l0, rest @ ..] = der else { return };
            let (key, sig) = rest.split_at(usize::from(u16::from_be_bytes([*l1, *l0])).min(rest.len()));
            let Ok(key) = PublicKey::from_pkcs1_der(key) else { return };
            let hash = Digest::Sha256.hash(b"siegel");
            let _ = verify_pkcs1v15(&key, Digest::Sha256, &hash, sig);
            let _ = verify_pss(&key, Digest::Sha256, &hash, pick as usize / 3, sig);
        }
        3 => {
            // A PKCS#8 EC private key (RFC 5915 inside).
            use siegel::pubkey::ec::PrivateKey;
            let Ok(key) = PrivateKey::from_pkcs8_der(der) else { return };
            let written = key.to_pkcs8_der().expect("a key read is written back");
            let again = PrivateKey::from_pkcs8_der(&written).expect("read back");
            assert_eq!(again.public_sec1(), key.public_sec1());
            let hash = Digest::Sha256.hash(der);
            let sig = key.sign_prehash(Digest::Sha256, &hash).expect("an accepted key signs");
            let public =
                siegel::pubkey::ecdsa::PublicKey::from_sec1(key.curve(), key.public_sec1()).expect("its own point");
            public.verify_prehash(&hash, &sig).expect("its own signature");
            key.diffie_hellman(key.public_sec1()).expect("agrees with itself");
        }
        4 => {
            // Any bytes as an ECDH peer key, on both curves: refused, or a secret as long as a coordinate.
            use siegel::pubkey::ecdsa::{P256, P384};
            for (curve, d) in [(&P256, [7u8; 32].as_slice()), (&P384, [9u8; 48].as_slice())] {
                let key = siegel::pubkey::ec::PrivateKey::from_scalar(curve, d).expect("a fixed scalar below n");
                if let Ok(z) = key.diffie_hellman(der) {
                    assert_eq!(z.len(), curve.element_len());
                }
            }
        }
        _ => {
            // Dss-Parms, y and a signature, split at the lengths (2 bytes each, big-endian) first.
            let [a1, a0, b1, b0, rest @ ..] = der else { return };
            let (a, b) = (usize::from(u16::from_be_bytes([*a1, *a0])), usize::from(u16::from_be_bytes([*b1, *b0])));
            let (params, rest) = rest.split_at(a.min(rest.len()));
            let (y, sig) = rest.split_at(b.min(rest.len()));
            if let Ok(key) = siegel::pubkey::dsa::PublicKey::from_der(params, y) {
                let _ = key.verify_prehash(&Digest::Sha1.hash(b"siegel"), sig);
            }
        }
    }
}
