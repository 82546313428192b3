#![no_main]

use libfuzzer_sys::fuzz_target;
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

fuzz_target!(|data: &[u8]| {
    if let Ok(entity) = mime::parse(data) {
        walk(&entity);
        let _ = mime::readable(&entity);
    }
    let _ = siegel::smime::from_address(data);
    let _ = mime::canonicalize_crlf(data);
});
