//! Building MIME entities that are safe to sign: CRLF line endings, 7-bit transport encodings,
//! lines of at most 76 characters, no trailing whitespace, no line starting with `From `.

use rand_core::RngCore;

use super::params::format_param;
use super::transfer::{base64_lines, quoted_printable_encode};

/// A file attached to a mail.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Attachment {
    /// The file name shown to the reader.
    pub filename: String,
    /// Its media type, e.g. `application/pdf`.
    pub content_type: String,
    /// The content.
    pub data: Vec<u8>,
}

/// The content of a mail to build.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Body {
    /// The plain-text body.
    pub text: Option<String>,
    /// The HTML body (with `text`, the two become multipart/alternative).
    pub html: Option<String>,
    /// Attachments (with any, the whole becomes multipart/mixed).
    pub attachments: Vec<Attachment>,
}

/// The fixed start of every boundary this module makes.
const BOUNDARY_PREFIX: &str = "----=_siegel_";

/// A fresh boundary: [`BOUNDARY_PREFIX`] and 24 random hex digits.
///
/// Why it cannot clash with the content: base64 output never holds `=_` (nor `-` or `_` at all),
/// and quoted-printable output never holds `=_` either, because its `=` is always followed by two
/// hex digits or a line break. So no base64 or quoted-printable part can contain a boundary
/// delimiter. The only parts that could are 7bit text (any ASCII the user wrote) and nested
/// multiparts (whose own boundaries differ in the random part); [`multipart`] checks those and
/// draws again on a clash, which the 96 random bits make practically never happen.
fn boundary() -> String {
    let mut b = [0u8; 12];
    rand_core::OsRng.fill_bytes(&mut b);
    let hex: String = b.iter().map(|x| format!("{x:02x}")).collect();
    format!("{BOUNDARY_PREFIX}{hex}")
}

/// Whether text can go as 7bit: ASCII without control characters other than tab, only CRLF or LF
/// line breaks (no bare CR), lines of at most 76 characters, no trailing whitespace, no line that
/// starts with `From ` or is a lone `.`.
fn is_plain_7bit(text: &str) -> bool {
    text.bytes().all(|b| b == b'\t' || b == b'\n' || b == b'\r' || (b' '..=b'~').contains(&b))
        && text.split('\n').all(|l| {
            let l = l.strip_suffix('\r').unwrap_or(l);
            !l.contains('\r') && l.len() <= 76 && !l.ends_with([' ', '\t']) && !l.starts_with("From ") && l != "."
        })
}

/// A single text part: `text/<subtype>; charset=utf-8`, 7bit when [`is_plain_7bit`], else
/// quoted-printable. Line breaks become CRLF.
fn text_part(subtype: &str, text: &str) -> Vec<u8> {
    let canonical = super::lines::canonicalize_crlf(text.as_bytes());
    let (cte, body) = if is_plain_7bit(text) {
        ("7bit", canonical.into_owned())
    } else {
        ("quoted-printable", quoted_printable_encode(&canonical))
    };
    let mut out =
        format!("Content-Type: text/{subtype}; charset=utf-8\r\nContent-Transfer-Encoding: {cte}\r\n\r\n").into_bytes();
    out.extend_from_slice(&body);
    out
}

/// Whether `s` is an RFC 2045 token.
fn is_token(s: &str) -> bool {
    !s.is_empty() && s.bytes().all(|b| b.is_ascii_graphic() && !b"()<>@,;:\\\"/[]?=".contains(&b))
}

/// The attachment's media type when it is a valid `type/subtype`, else `application/octet-stream`.
fn media_type(a: &Attachment) -> String {
    let ct = a.content_type.trim();
    match ct.split_once('/') {
        Some((t, s)) if is_token(t) && is_token(s) => ct.to_ascii_lowercase(),
        _ => "application/octet-stream".to_string(),
    }
}

/// An attachment part: base64, with the file name in Content-Type `name` and Content-Disposition
/// `filename` (RFC 2231-encoded when not ASCII, split into continuations when long).
fn attachment_part(a: &Attachment) -> Vec<u8> {
    // No control characters or path separators in names we write.
    let name: String = a.filename.chars().filter(|c| !c.is_control() && *c != '/' && *c != '\\').collect();
    let name = if name.trim().is_empty() { "attachment".to_string() } else { name };
    let mut out = format!(
        "Content-Type: {};\r\n {}\r\nContent-Transfer-Encoding: base64\r\nContent-Disposition: attachment;\r\n {}\r\n\r\n",
        media_type(a),
        format_param("name", &name),
        format_param("filename", &name)
    )
    .into_bytes();
    out.extend_from_slice(&base64_lines(&a.data));
    out
}

/// A multipart of `parts`: each part is followed by the CRLF that belongs to the next delimiter
/// (RFC 2046 section 5.1.1), so a parser gives back each part's bytes exactly.
fn multipart(subtype: &str, parts: &[Vec<u8>]) -> Vec<u8> {
    let mut b = boundary();
    while parts.iter().any(|p| super::lines::find_bytes(p, b.as_bytes()).is_some()) {
        b = boundary();
    }
    let len = parts.iter().map(|p| p.len() + b.len() + 8).sum::<usize>() + 128;
    let mut out = Vec::with_capacity(len);
    out.extend_from_slice(format!("Content-Type: multipart/{subtype};\r\n boundary=\"{b}\"\r\n\r\n").as_bytes());
    for p in parts {
        out.extend_from_slice(format!("--{b}\r\n").as_bytes());
        out.extend_from_slice(p);
        out.extend_from_slice(b"\r\n");
    }
    out.extend_from_slice(format!("--{b}--\r\n").as_bytes());
    out
}

/// Builds a MIME entity (Content-* header fields, empty line, body; no MIME-Version) from `body`,
/// ready to sign: CRLF line endings, 7-bit transport encodings, lines of at most 76 characters.
///
/// Text and HTML are `text/plain` and `text/html` with `charset=utf-8`, quoted-printable (7bit when
/// they are plain short-line ASCII); both together make a multipart/alternative; attachments
/// (base64, `Content-Disposition: attachment`) make a multipart/mixed around the text. An empty
/// body gives an empty text/plain part.
pub fn build_entity(body: &Body) -> Vec<u8> {
    let mut alternatives = Vec::new();
    if let Some(t) = &body.text {
        alternatives.push(text_part("plain", t));
    }
    if let Some(h) = &body.html {
        alternatives.push(text_part("html", h));
    }
    let main = match alternatives.len() {
        0 if body.attachments.is_empty() => Some(text_part("plain", "")),
        0 => None,
        1 => alternatives.pop(),
        _ => Some(multipart("alternative", &alternatives)),
    };
    if body.attachments.is_empty() {
        return main.unwrap_or_default();
    }
    let mut parts: Vec<Vec<u8>> = main.into_iter().collect();
    parts.extend(body.attachments.iter().map(attachment_part));
    multipart("mixed", &parts)
}

#[cfg(test)]
mod tests {
    use super::super::parse;
    use super::*;

    fn lines_ok(e: &[u8]) {
        assert!(!e.windows(2).any(|w| w[1] == b'\n' && w[0] != b'\r'), "bare LF");
        for l in e.split(|&b| b == b'\n') {
            assert!(l.len() <= 78, "long line {:?}", String::from_utf8_lossy(l));
            assert!(!l.starts_with(b"From "));
        }
        assert!(e.iter().all(u8::is_ascii));
    }

    #[test]
    fn text_only() {
        let e = build_entity(&Body { text: Some("Hello\nWorld".into()), ..Default::default() });
        lines_ok(&e);
        let p = parse(&e).unwrap();
        assert!(p.content_type.is("text/plain"));
        assert_eq!(p.text().unwrap(), "Hello\r\nWorld");
        let e = build_entity(&Body { text: Some("Grüße \nFrom me\n".into()), ..Default::default() });
        lines_ok(&e);
        assert_eq!(parse(&e).unwrap().text().unwrap(), "Grüße \r\nFrom me\r\n");
    }

    #[test]
    fn alternative_and_attachments() {
        let body = Body {
            text: Some("plain ".repeat(50)),
            html: Some("<p>html</p>".into()),
            attachments: vec![
                Attachment {
                    filename: "Grüße.pdf".into(),
                    content_type: "application/pdf".into(),
                    data: vec![0, 1, 2, 255],
                },
                Attachment { filename: "a\"b.txt".into(), content_type: "bogus".into(), data: b"x".to_vec() },
            ],
        };
        let e = build_entity(&body);
        lines_ok(&e);
        let p = parse(&e).unwrap();
        assert!(p.content_type.is("multipart/mixed"));
        assert_eq!(p.children.len(), 3);
        let alt = &p.children[0];
        assert!(alt.content_type.is("multipart/alternative"));
        assert_eq!(alt.children[0].text().unwrap(), "plain ".repeat(50));
        assert_eq!(alt.children[1].text().unwrap(), "<p>html</p>");
        assert_eq!(p.children[1].filename().as_deref(), Some("Grüße.pdf"));
        assert_eq!(p.children[1].decoded_body().unwrap(), vec![0, 1, 2, 255]);
        assert!(p.children[1].is_attachment());
        assert_eq!(p.children[2].filename().as_deref(), Some("a\"b.txt"));
        assert!(p.children[2].content_type.is("application/octet-stream"));
    }

    #[test]
    fn nested_parse_of_built_entities() {
        let inner = build_entity(&Body { text: Some("t".into()), html: Some("h".into()), ..Default::default() });
        let outer = multipart("mixed", &[inner.clone(), text_part("plain", "x")]);
        let p = parse(&outer).unwrap();
        assert_eq!(p.children[0].raw, inner.as_slice());
        assert_eq!(p.children[0].children.len(), 2);
    }

    #[test]
    fn empty_body() {
        let p_bytes = build_entity(&Body::default());
        let p = parse(&p_bytes).unwrap();
        assert!(p.content_type.is("text/plain"));
        assert_eq!(p.text().unwrap(), "");
    }
}
