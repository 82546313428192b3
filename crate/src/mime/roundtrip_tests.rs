//! Tests across the module: build then parse, exact bytes of parts, limits, and robustness.

use super::*;
use crate::Error;

fn attachment(name: &str, data: &[u8]) -> Attachment {
    Attachment { filename: name.into(), content_type: "application/octet-stream".into(), data: data.to_vec() }
}

/// Checks what a built entity promises: ASCII, CRLF only, short lines, no trailing whitespace,
/// no `From ` at a line start.
fn assert_sign_safe(e: &[u8]) {
    assert!(e.iter().all(u8::is_ascii), "non-ASCII output");
    assert!(!e.windows(2).any(|w| w[1] == b'\n' && w[0] != b'\r'), "bare LF");
    assert!(!e.windows(2).any(|w| w[0] == b'\r' && w[1] != b'\n'), "bare CR");
    for l in e.split(|&b| b == b'\n') {
        let l = l.strip_suffix(b"\r").unwrap_or(l);
        assert!(l.len() <= 78, "long line {:?}", String::from_utf8_lossy(l));
        assert!(!l.ends_with(b" ") && !l.ends_with(b"\t"), "trailing whitespace {:?}", String::from_utf8_lossy(l));
        assert!(!l.starts_with(b"From "));
    }
}

#[test]
fn text_round_trip() {
    for text in ["Hello\nWorld\n", "Grüße\r\nFrom here \n.\n", "", "x", &"long line ".repeat(30)] {
        let e = build_entity(&Body { text: Some(text.into()), ..Default::default() });
        assert_sign_safe(&e);
        let p = parse(&e).unwrap();
        assert!(p.content_type.is("text/plain"));
        assert_eq!(p.content_type.param("charset"), Some("utf-8"));
        assert_eq!(p.text().unwrap(), text.replace("\r\n", "\n").replace('\n', "\r\n"));
        assert!(p.children.is_empty() && !p.is_attachment());
    }
}

#[test]
fn html_round_trip() {
    let html = "<p>Grüße</p>\n<p>a=b</p>";
    let e = build_entity(&Body { html: Some(html.into()), ..Default::default() });
    assert_sign_safe(&e);
    let p = parse(&e).unwrap();
    assert!(p.content_type.is("text/html"));
    assert_eq!(p.text().unwrap(), html.replace('\n', "\r\n"));
}

#[test]
fn alternative_round_trip() {
    let e =
        build_entity(&Body { text: Some("plain\n".into()), html: Some("<b>html</b>\n".into()), ..Default::default() });
    assert_sign_safe(&e);
    let p = parse(&e).unwrap();
    assert!(p.content_type.is("multipart/alternative"));
    assert!(p.content_type.param("boundary").is_some_and(|b| b.starts_with("----=_siegel_") && b.len() == 37));
    assert_eq!(p.children.len(), 2);
    assert_eq!(p.children[0].text().unwrap(), "plain\r\n");
    assert_eq!(p.children[1].text().unwrap(), "<b>html</b>\r\n");
    assert!(p.children[1].content_type.is("text/html"));
}

#[test]
fn attachments_with_unicode_names_round_trip() {
    let data: Vec<u8> = (0..=255u8).cycle().take(5000).collect();
    let long_name = "Sehr langer Dateiname mit Umlauten äöü und noch mehr Text, ".repeat(3) + ".pdf";
    let body = Body {
        text: Some("see attached".into()),
        html: None,
        attachments: vec![
            attachment("Grüße 😀.bin", &data),
            Attachment { filename: long_name.clone(), content_type: "Application/PDF".into(), data: b"%PDF".to_vec() },
            attachment("", b""),
        ],
    };
    let e = build_entity(&body);
    assert_sign_safe(&e);
    let p = parse(&e).unwrap();
    assert!(p.content_type.is("multipart/mixed"));
    assert_eq!(p.children.len(), 4);
    assert_eq!(p.children[0].text().unwrap(), "see attached");
    assert!(!p.children[0].is_attachment());
    let a = &p.children[1];
    assert!(a.is_attachment());
    assert_eq!(a.filename().as_deref(), Some("Grüße 😀.bin"));
    assert_eq!(a.content_type.param("name"), Some("Grüße 😀.bin"));
    assert_eq!(a.decoded_body().unwrap(), data);
    assert_eq!(p.children[2].filename(), Some(long_name));
    assert!(p.children[2].content_type.is("application/pdf"));
    assert_eq!(p.children[3].filename().as_deref(), Some("attachment"));
    assert_eq!(p.children[3].decoded_body().unwrap(), b"");
}

#[test]
fn nested_multipart_round_trip() {
    let body = Body {
        text: Some("t\n".into()),
        html: Some("<i>h</i>".into()),
        attachments: vec![attachment("a.txt", b"attached\n")],
    };
    let e = build_entity(&body);
    assert_sign_safe(&e);
    let p = parse(&e).unwrap();
    assert_eq!(p.children.len(), 2);
    let alt = &p.children[0];
    assert!(alt.content_type.is("multipart/alternative"));
    assert_eq!(alt.children.len(), 2);
    assert_eq!(alt.children[0].text().unwrap(), "t\r\n");
    assert_eq!(alt.children[1].text().unwrap(), "<i>h</i>");
    assert_eq!(p.children[1].decoded_body().unwrap(), b"attached\n");
    // The alternative's raw bytes are a complete entity: parsing them alone gives the same tree.
    let again = parse(alt.raw).unwrap();
    assert_eq!(again.children.len(), 2);
    assert_eq!(again.children[1].raw, alt.children[1].raw);
    // And the built message around it parses the same way.
    let m = build_message(&[("From", "Ä <a@x>"), ("Subject", "Tëst")], &e);
    assert_sign_safe(&m);
    let pm = parse(&m).unwrap();
    assert_eq!(pm.children[0].raw, alt.raw);
    assert_eq!(pm.headers.get_decoded("subject").as_deref(), Some("Tëst"));
}

const SAMPLE: &str = "From: \"Doe, J\" <j@example.com>\r\n\
Subject: =?utf-8?q?Gr=C3=BC=C3=9Fe?=\r\n\
Content-Type: multipart/signed; protocol=\"application/pkcs7-signature\";\r\n\
\tmicalg=sha-256; boundary=\"outer\"\r\n\
\r\n\
This is a preamble.\r\n\
--outer\r\n\
Content-Type: multipart/mixed; boundary=inner\r\n\
\r\n\
--inner\r\n\
Content-Type: text/plain; charset=utf-8\r\n\
Content-Transfer-Encoding: quoted-printable\r\n\
\r\n\
Gr=C3=BC=C3=9Fe\r\n\
\r\n\
--inner\r\n\
Content-Type: application/octet-stream; name=\"a.bin\"\r\n\
Content-Disposition: attachment; filename*0*=utf-8''%C3%A4;\r\n\
\x20filename*1=\".bin\"\r\n\
Content-Transfer-Encoding: base64\r\n\
\r\n\
AAEC\r\n\
--inner--\r\n\
\r\n\
--outer\r\n\
Content-Type: application/pkcs7-signature; name=smime.p7s\r\n\
Content-Transfer-Encoding: base64\r\n\
\r\n\
MIIB\r\n\
--outer--\r\n\
epilogue\r\n";

/// The exact bytes of the first part of `SAMPLE`, as a signature covers them.
const SIGNED_PART: &str = "Content-Type: multipart/mixed; boundary=inner\r\n\
\r\n\
--inner\r\n\
Content-Type: text/plain; charset=utf-8\r\n\
Content-Transfer-Encoding: quoted-printable\r\n\
\r\n\
Gr=C3=BC=C3=9Fe\r\n\
\r\n\
--inner\r\n\
Content-Type: application/octet-stream; name=\"a.bin\"\r\n\
Content-Disposition: attachment; filename*0*=utf-8''%C3%A4;\r\n\
\x20filename*1=\".bin\"\r\n\
Content-Transfer-Encoding: base64\r\n\
\r\n\
AAEC\r\n\
--inner--\r\n";

#[test]
fn multipart_children_raw_bytes_are_exact_with_crlf() {
    let p = parse(SAMPLE.as_bytes()).unwrap();
    assert!(p.content_type.is("multipart/signed"));
    assert_eq!(p.content_type.param("micalg"), Some("sha-256"));
    assert_eq!(p.headers.get_decoded("subject").as_deref(), Some("Grüße"));
    assert_eq!(p.children.len(), 2);
    assert_eq!(p.children[0].raw, SIGNED_PART.as_bytes());
    let inner = &p.children[0].children;
    assert_eq!(inner.len(), 2);
    assert_eq!(inner[0].body, b"Gr=C3=BC=C3=9Fe\r\n");
    assert_eq!(inner[0].text().unwrap(), "Grüße\r\n");
    assert_eq!(inner[1].raw.last(), Some(&b'C'));
    assert_eq!(inner[1].filename().as_deref(), Some("ä.bin"));
    assert_eq!(inner[1].decoded_body().unwrap(), [0, 1, 2]);
    assert_eq!(p.children[1].body, b"MIIB");
    let from = parse_address_list(p.headers.get("from").unwrap());
    assert_eq!(from, vec![Address { display_name: Some("Doe, J".into()), email: "j@example.com".into() }]);
}

#[test]
fn multipart_children_raw_bytes_are_exact_with_lf() {
    let lf = SAMPLE.replace("\r\n", "\n");
    let p = parse(lf.as_bytes()).unwrap();
    assert_eq!(p.children.len(), 2);
    assert_eq!(p.children[0].raw, SIGNED_PART.replace("\r\n", "\n").as_bytes());
    assert_eq!(p.children[0].children[0].text().unwrap(), "Grüße\n");
    assert_eq!(&*canonicalize_crlf(p.children[0].raw), SIGNED_PART.as_bytes());
}

#[test]
fn depth_33_is_refused_and_32_accepted() {
    let nest = |levels: usize| {
        let mut m = String::new();
        for i in 0..levels {
            m.push_str(&format!("Content-Type: multipart/mixed; boundary=b{i}\r\n\r\n--b{i}\r\n"));
        }
        m.push_str("Content-Type: text/plain\r\n\r\nleaf\r\n");
        m
    };
    assert!(matches!(parse(nest(33).as_bytes()), Err(Error::LimitExceeded(_))));
    let ok = nest(32);
    let parsed = parse(ok.as_bytes()).unwrap();
    let mut e = &parsed;
    let mut depth = 0;
    while let Some(c) = e.children.first() {
        e = c;
        depth += 1;
    }
    assert_eq!(depth, 32);
    assert_eq!(e.body, b"leaf\r\n");
    // Far deeper input still only errors.
    assert!(matches!(parse(nest(5000).as_bytes()), Err(Error::LimitExceeded(_))));
}

#[test]
fn large_base64_body_parses_fast() {
    let data: Vec<u8> = (0..7_500_000u32).map(|i| (i.wrapping_mul(2_654_435_761) >> 24) as u8).collect();
    let body = Body { text: Some("x".into()), attachments: vec![attachment("big.bin", &data)], ..Default::default() };
    let e = build_entity(&body);
    assert!(e.len() > 10_000_000);
    let start = std::time::Instant::now();
    let p = parse(&e).unwrap();
    assert_eq!(p.children.len(), 2);
    assert_eq!(p.children[1].decoded_body().unwrap(), data);
    // Generous even for a debug build on a slow machine; a quadratic scan would take minutes.
    assert!(start.elapsed().as_secs() < 20, "took {:?}", start.elapsed());
}

#[test]
fn truncated_and_mutated_messages_never_panic() {
    fn touch(e: &Entity<'_>) {
        let _ = (e.decoded_body(), e.text(), e.filename(), e.is_attachment(), e.headers.get_decoded("subject"));
        let _ = e.headers.get("from").map(parse_address_list);
        for c in &e.children {
            touch(c);
        }
    }
    let sample = SAMPLE.as_bytes();
    for len in 0..=sample.len() {
        touch(&parse(&sample[..len]).unwrap());
        touch(&parse(&sample[len..]).unwrap());
    }
    let specials = b"\r\n-=?:;\"\\<>()*'%_ \t\x00\xff";
    let mut x = 0x2545_f491_u32;
    let mut next = move || {
        x ^= x << 13;
        x ^= x >> 17;
        x ^= x << 5;
        x as usize
    };
    for _ in 0..5000 {
        let mut m = sample.to_vec();
        for _ in 0..(1 + next() % 4) {
            let at = next() % m.len();
            match next() % 4 {
                0 => m[at] = specials[next() % specials.len()],
                1 => {
                    m.remove(at);
                }
                2 => m.insert(at, specials[next() % specials.len()]),
                _ => m[at] = next() as u8,
            }
        }
        if let Ok(e) = parse(&m) {
            touch(&e);
        }
    }
}

#[test]
fn headers_only_and_body_only_inputs() {
    let p = parse(b"\r\nbody only").unwrap();
    assert!(p.headers.0.is_empty());
    assert_eq!(p.body, b"body only");
    let p = parse(b"Subject: hi\nX-A: b").unwrap();
    assert_eq!(p.headers.0.len(), 2);
    assert!(p.body.is_empty());
    let p = parse(b"Content-Type: multipart/mixed; boundary=b\n\n--b\nX: 1\n\npart").unwrap();
    assert_eq!(p.children.len(), 1);
    assert_eq!(p.children[0].body, b"part");
}
