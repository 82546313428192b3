#![no_main]

use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let _ = siegel::ber::looks_like_der(data);
    if let Ok(der) = siegel::ber::to_der(data) {
        // DER is a fixed point of the normalisation.
        let again = siegel::ber::to_der(&der).expect("DER output re-parses");
        assert_eq!(again, der, "to_der is idempotent");
        let _ = siegel::ber::der_children(&der);
    }
    let _ = siegel::ber::der_children(data);
});
