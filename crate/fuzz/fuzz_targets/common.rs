//! Fixed test identities and certificates shared by the fuzz targets (loaded once).
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
