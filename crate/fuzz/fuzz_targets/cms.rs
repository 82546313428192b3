#![no_main]

use libfuzzer_sys::fuzz_target;
use siegel::verify::{verify, VerifyOptions};

#[path = "common.rs"]
mod common;

fuzz_target!(|data: &[u8]| {
    let _ = verify(data, None, &VerifyOptions::default());
    let _ = verify(data, Some(b"Content-Type: text/plain\r\n\r\nhello\r\n"), &common::verify_options());
    if let Ok(ci) = siegel::envelope::parse_content_info(data) {
        let _ = siegel::envelope::decrypt_content_info(&ci, common::bob());
    }
    let _ = siegel::envelope::decrypt(data, common::bob());
});
