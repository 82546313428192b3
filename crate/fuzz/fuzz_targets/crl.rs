#![no_main]

use libfuzzer_sys::fuzz_target;
use siegel::trust::crl::Crl;
use siegel::trust::ocsp::{check, OcspContext};

#[path = "common.rs"]
mod common;

fuzz_target!(|data: &[u8]| {
    if let Ok(crls) = Crl::parse_all(data) {
        for crl in &crls {
            let _ = (crl.issuer(), crl.this_update(), crl.next_update(), crl.is_delta());
        }
    }
    let responses = [data.to_vec()];
    let (not_before, _) = siegel::cert::validity(common::bob_cert());
    let ctx = OcspContext { responses: &responses, time: not_before + 3600, allow_sha1: true, nonce: None, skew: 300 };
    let _ = check(common::bob_cert(), common::intermediate(), &ctx);
});
