#![no_main]

use libfuzzer_sys::fuzz_target;

#[path = "common.rs"]
mod common;

fuzz_target!(|data: &[u8]| {
    let options = common::verify_options();
    let _ = siegel::smime::open_message(data, Some(common::bob()), &options);
    let _ = siegel::smime::decrypt_message(data, common::bob());
    let _ = siegel::smime::verify_message(data, &options);
});
