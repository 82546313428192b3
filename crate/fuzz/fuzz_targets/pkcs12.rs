#![no_main]

use libfuzzer_sys::fuzz_target;
use siegel::identity::Identity;

fuzz_target!(|data: &[u8]| {
    let _ = Identity::from_pkcs12(data, "secret");
    let _ = Identity::from_pkcs12(data, "");
});
