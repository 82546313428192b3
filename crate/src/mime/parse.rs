//! Parsing a mail or MIME entity into a tree that borrows from the input.

use super::content_type::ContentType;
use super::entity::Entity;
use super::header::parse_header_block;
#[cfg(doc)]
use super::header::MAX_HEADER_LINES;
use super::lines::{find_byte, find_bytes};
use crate::{Error, Result};

/// How deeply multiparts may nest.
pub const MAX_DEPTH: usize = 32;
/// The longest boundary parameter honoured.
const MAX_BOUNDARY: usize = 200;
/// How many entities one message may have, all levels together.
pub const MAX_PARTS: usize = 10_000;

/// Parses a whole message or a MIME entity. Accepts CRLF and bare LF line endings. Never panics;
/// malformed structure is read leniently, and only limits ([`MAX_DEPTH`], [`MAX_PARTS`],
/// [`MAX_HEADER_LINES`]) end in an error.
pub fn parse(input: &[u8]) -> Result<Entity<'_>> {
    let mut count = 0;
    parse_entity(input, 0, usize::MAX, &mut count)
}

/// [`parse`], down to `levels` levels of parts only: 0 reads the top entity alone (no children),
/// 1 its parts but not theirs, and so on. Deeper multiparts are left unparsed (no `children`),
/// which saves scanning a large mail's body again for every level.
pub fn parse_levels(input: &[u8], levels: usize) -> Result<Entity<'_>> {
    let mut count = 0;
    parse_entity(input, 0, levels, &mut count)
}

fn parse_entity<'a>(raw: &'a [u8], depth: usize, levels: usize, count: &mut usize) -> Result<Entity<'a>> {
    *count += 1;
    if *count > MAX_PARTS {
        return Err(Error::LimitExceeded(format!("more than {MAX_PARTS} MIME parts")));
    }
    let (headers, body_at) = parse_header_block(raw)?;
    let body = raw.get(body_at..).unwrap_or(&[]);
    let content_type = headers.get("content-type").map(ContentType::parse).unwrap_or_default();
    let mut children = Vec::new();
    if content_type.is_multipart() && depth < levels {
        // RFC 2046 allows boundaries of 1 to 70 characters; a much longer one is not honoured
        // (the entity stays a leaf), which also keeps the boundary search cheap.
        let boundary = content_type.param("boundary").filter(|b| !b.is_empty() && b.len() <= MAX_BOUNDARY);
        if let Some(boundary) = boundary {
            if depth + 1 > MAX_DEPTH {
                return Err(Error::LimitExceeded(format!("MIME parts nested deeper than {MAX_DEPTH}")));
            }
            for part in split_parts(body, boundary.as_bytes()) {
                children.push(parse_entity(part, depth + 1, levels, count)?);
            }
        }
    }
    Ok(Entity { raw, headers, content_type, body, children })
}

/// A boundary delimiter line found in a body.
struct Delimiter {
    /// Where the line starts ("--boundary").
    start: usize,
    /// Where the next line starts.
    next: usize,
    /// Whether it is the close delimiter ("--boundary--").
    close: bool,
}

/// Finds the next delimiter line for `boundary` at or after `from`: `--boundary` at the start of
/// a line, then only transport padding (spaces, tabs) up to the line break; or the close
/// delimiter `--boundary--`, then anything up to the line break.
///
/// Each candidate costs only the bytes up to its first non-padding byte (or its line's end for a
/// close delimiter, which ends the search), so the scan stays linear.
fn next_delimiter(body: &[u8], dash_boundary: &[u8], mut from: usize) -> Option<Delimiter> {
    loop {
        let at = from + find_bytes(body.get(from..)?, dash_boundary)?;
        from = at + 1;
        if at != 0 && body.get(at - 1) != Some(&b'\n') {
            continue;
        }
        let after = at + dash_boundary.len();
        let rest = body.get(after..).unwrap_or(&[]);
        if let Some(tail) = rest.strip_prefix(b"--") {
            let next = match find_byte(tail, b'\n') {
                Some(i) => after + 2 + i + 1,
                None => body.len(),
            };
            return Some(Delimiter { start: at, next, close: true });
        }
        let pad = rest.iter().take_while(|&&b| matches!(b, b' ' | b'\t' | b'\r')).count();
        match rest.get(pad) {
            None => return Some(Delimiter { start: at, next: body.len(), close: false }),
            Some(b'\n') => return Some(Delimiter { start: at, next: after + pad + 1, close: false }),
            Some(_) => {}
        }
    }
}

/// The parts of a multipart body, each without the line break that precedes the next delimiter.
fn split_parts<'a>(body: &'a [u8], boundary: &[u8]) -> Vec<&'a [u8]> {
    let mut dash_boundary = b"--".to_vec();
    dash_boundary.extend_from_slice(boundary);
    let mut parts = Vec::new();
    let Some(mut delim) = next_delimiter(body, &dash_boundary, 0) else { return parts };
    while !delim.close {
        let start = delim.next;
        match next_delimiter(body, &dash_boundary, start) {
            Some(next) => {
                let mut end = next.start.max(start);
                if end > start && body.get(end - 1) == Some(&b'\n') {
                    end -= 1;
                    if end > start && body.get(end - 1) == Some(&b'\r') {
                        end -= 1;
                    }
                }
                parts.push(body.get(start..end).unwrap_or(&[]));
                delim = next;
            }
            None => {
                // No close delimiter: the last part runs to the end.
                if start < body.len() {
                    parts.push(body.get(start..).unwrap_or(&[]));
                }
                break;
            }
        }
    }
    parts
}

#[cfg(test)]
mod tests {
    use super::*;

    const SIGNED: &[u8] = b"From: a@example.com\r\nContent-Type: multipart/signed; boundary=\"xyz\"; protocol=\"application/pkcs7-signature\"\r\n\r\n\
preamble\r\n--xyz\r\nContent-Type: text/plain\r\n\r\nsigned text\r\n\r\n--xyz\r\nContent-Type: application/pkcs7-signature\r\nContent-Transfer-Encoding: base64\r\n\r\naGVsbG8=\r\n--xyz--\r\nepilogue\r\n";

    #[test]
    fn multipart_children_keep_exact_bytes() {
        let e = parse(SIGNED).unwrap();
        assert!(e.content_type.is("multipart/signed"));
        assert_eq!(e.children.len(), 2);
        assert_eq!(e.children[0].raw, b"Content-Type: text/plain\r\n\r\nsigned text\r\n");
        assert_eq!(e.children[0].body, b"signed text\r\n");
        assert_eq!(e.children[1].decoded_body().unwrap(), b"hello");
        assert_eq!(e.headers.get("from"), Some("a@example.com"));
    }

    #[test]
    fn bare_lf_input() {
        let lf: Vec<u8> = String::from_utf8_lossy(SIGNED).replace("\r\n", "\n").into_bytes();
        let e = parse(&lf).unwrap();
        assert_eq!(e.children.len(), 2);
        assert_eq!(e.children[0].raw, b"Content-Type: text/plain\n\nsigned text\n");
    }

    #[test]
    fn lenient_structure() {
        // Missing close delimiter, boundary-like text inside a part, missing boundary parameter.
        let m = b"Content-Type: multipart/mixed; boundary=b\n\n--b\n\none\n--bx not a delimiter\n--b\n\ntwo\n";
        let e = parse(m).unwrap();
        assert_eq!(e.children.len(), 2);
        assert_eq!(e.children[0].body, b"one\n--bx not a delimiter");
        assert_eq!(e.children[1].body, b"two\n");
        let e = parse(b"Content-Type: multipart/mixed\n\nbody").unwrap();
        assert!(e.children.is_empty());
        let e = parse(b"Content-Type: multipart/mixed; boundary=b\n\n--b--\n").unwrap();
        assert!(e.children.is_empty());
        let e = parse(b"").unwrap();
        assert!(e.headers.0.is_empty() && e.body.is_empty());
    }

    #[test]
    fn decodes_bodies_and_names() {
        let m = "Content-Type: text/plain; charset=iso-8859-1; name=\"a.txt\"\nContent-Transfer-Encoding: quoted-printable\nContent-Disposition: attachment; filename*=utf-8''%C3%A4.txt\n\nK=F6ln\n";
        let e = parse(m.as_bytes()).unwrap();
        assert_eq!(e.text().unwrap(), "Köln\n");
        assert_eq!(e.filename().as_deref(), Some("ä.txt"));
        assert!(e.is_attachment());
    }

    #[test]
    fn parse_levels_stops_descending() {
        let mail = b"Content-Type: multipart/mixed; boundary=a\r\n\r\n--a\r\n\
            Content-Type: multipart/alternative; boundary=b\r\n\r\n--b\r\n\r\nx\r\n--b--\r\n--a--\r\n";
        assert_eq!(parse_levels(mail, 0).unwrap().children.len(), 0);
        let one = parse_levels(mail, 1).unwrap();
        assert_eq!(one.children.len(), 1);
        assert!(one.children[0].children.is_empty());
        let all = parse(mail).unwrap();
        assert_eq!(all.children[0].children.len(), 1);
        assert_eq!(one.children[0].raw, all.children[0].raw);
    }

    #[test]
    fn nesting_is_limited() {
        let mut m = String::new();
        for i in 0..=MAX_DEPTH {
            m.push_str(&format!("Content-Type: multipart/mixed; boundary=b{i}\n\n--b{i}\n"));
        }
        m.push_str("\ntext\n");
        assert!(matches!(parse(m.as_bytes()), Err(Error::LimitExceeded(_))));
    }

    #[test]
    fn boundary_search_stays_linear() {
        // One long line full of near-delimiters, and many lines of dashes.
        let mut m = b"Content-Type: multipart/mixed; boundary=b\n\n--b\n\n".to_vec();
        m.extend(b"x--b".repeat(500_000));
        m.push(b'\n');
        m.extend(b"--bx\n".repeat(200_000));
        m.extend(b"--b \t\r\n\nlast\n--b--");
        let start = std::time::Instant::now();
        let e = parse(&m).unwrap();
        assert_eq!(e.children.len(), 2);
        assert_eq!(e.children[1].body, b"last");
        assert!(start.elapsed().as_secs() < 10);
        let long = format!("Content-Type: multipart/mixed; boundary={}\n\n--x", "b".repeat(300));
        assert!(parse(long.as_bytes()).unwrap().children.is_empty());
    }

    #[test]
    fn part_count_is_limited() {
        let mut m = String::from("Content-Type: multipart/mixed; boundary=b\n\n");
        for _ in 0..=MAX_PARTS {
            m.push_str("--b\n\nx\n");
        }
        assert!(matches!(parse(m.as_bytes()), Err(Error::LimitExceeded(_))));
    }

    #[test]
    fn mutated_input_never_panics() {
        for len in 0..SIGNED.len() {
            let e = parse(&SIGNED[..len]).unwrap();
            let _ = e.decoded_body();
            for c in &e.children {
                let _ = (c.text(), c.filename(), c.is_attachment());
            }
        }
        let mut x = 1u32;
        for _ in 0..3000 {
            let mut m = SIGNED.to_vec();
            x ^= x << 13;
            x ^= x >> 17;
            x ^= x << 5;
            let at = x as usize % m.len();
            m[at] = (x >> 8) as u8;
            if let Ok(e) = parse(&m) {
                let _ = e.decoded_body();
            }
        }
    }
}
