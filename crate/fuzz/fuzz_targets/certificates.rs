#![no_main]

use libfuzzer_sys::fuzz_target;
use siegel::cert;

fuzz_target!(|data: &[u8]| {
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
    let mut store = siegel::trust::store::TrustStore::new();
    if store.import(data).is_ok() {
        let _ = store.entries();
        let _ = store.anchors();
    }
});
