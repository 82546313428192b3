//! Header fields (RFC 5322 section 2.2): reading a header block, and looking fields up.

use super::lines::lines;
use super::rfc2047::decode_header_words;
use crate::{Error, Result};

/// The most header lines one entity may have.
pub const MAX_HEADER_LINES: usize = 10_000;

/// One header field.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Header {
    /// The field name as written (compare case-insensitively).
    pub name: String,
    /// The value as written, unfolded (line breaks before folding whitespace removed), without
    /// leading whitespace and without the final line break. Not decoded: see [`Headers::get_decoded`].
    pub value: String,
}

/// The header fields of an entity, in order.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Headers(pub Vec<Header>);

impl Headers {
    /// The value of the first field called `name` (case-insensitive).
    pub fn get(&self, name: &str) -> Option<&str> {
        self.0.iter().find(|h| h.name.eq_ignore_ascii_case(name)).map(|h| h.value.as_str())
    }

    /// The values of every field called `name`, in order.
    pub fn get_all<'s>(&'s self, name: &'s str) -> impl Iterator<Item = &'s str> + 's {
        self.0.iter().filter(move |h| h.name.eq_ignore_ascii_case(name)).map(|h| h.value.as_str())
    }

    /// The value of the first field called `name`, with RFC 2047 encoded words decoded.
    pub fn get_decoded(&self, name: &str) -> Option<String> {
        self.get(name).map(decode_header_words)
    }
}

/// Whether `line` starts a header field: a name of printable ASCII without spaces, then a colon.
fn field_name(line: &[u8]) -> Option<(&[u8], &[u8])> {
    let colon = line.iter().position(|&b| b == b':')?;
    let (name, rest) = line.split_at(colon);
    // Obsolete syntax allows whitespace before the colon.
    let name = name.strip_suffix(b" ").unwrap_or(name);
    let name = name.strip_suffix(b"\t").unwrap_or(name);
    if name.is_empty() || !name.iter().all(|&b| (b'!'..=b'~').contains(&b)) {
        return None;
    }
    Some((name, rest.get(1..).unwrap_or(&[])))
}

/// Reads the header block at the start of `input`. Returns the fields and the offset of the body
/// (just after the empty line; the input's length when there is none). Reading stops, leniently,
/// at the first line that is neither a field nor a continuation; that line starts the body.
pub(crate) fn parse_header_block(input: &[u8]) -> Result<(Headers, usize)> {
    let mut headers: Vec<Header> = Vec::new();
    let mut offset = 0;
    for (count, line) in lines(input).enumerate() {
        if count >= MAX_HEADER_LINES {
            return Err(Error::LimitExceeded(format!("more than {MAX_HEADER_LINES} header lines")));
        }
        if line.text.is_empty() {
            return Ok((finish(headers), offset + line.eol.len()));
        }
        if matches!(line.text.first(), Some(b' ' | b'\t')) {
            if let Some(last) = headers.last_mut() {
                last.value.push_str(&String::from_utf8_lossy(line.text));
                offset += line.text.len() + line.eol.len();
                continue;
            }
        }
        match field_name(line.text) {
            Some((name, value)) => {
                let value = String::from_utf8_lossy(value);
                headers.push(Header {
                    name: String::from_utf8_lossy(name).into_owned(),
                    value: value.trim_start_matches([' ', '\t']).to_string(),
                });
            }
            None => return Ok((finish(headers), offset)),
        }
        offset += line.text.len() + line.eol.len();
    }
    Ok((finish(headers), input.len()))
}

/// Whether `input` starts with a header section: header fields (continuations allowed) up to an empty
/// line, or the empty line alone. A bare payload (text that is not a MIME entity) does not: its first
/// line is no field, or no empty line ends its "fields".
pub fn starts_with_header_section(input: &[u8]) -> bool {
    for (count, line) in lines(input).enumerate() {
        if count >= MAX_HEADER_LINES {
            return false;
        }
        if line.text.is_empty() {
            return !line.eol.is_empty();
        }
        let continuation = matches!(line.text.first(), Some(b' ' | b'\t'));
        if (continuation && count == 0) || (!continuation && field_name(line.text).is_none()) {
            return false;
        }
    }
    false
}

/// Trims what the unfolding leaves: whitespace after the colon when the value starts on a
/// continuation line, and CRs at the ends of lines that ended in CR CR LF.
fn finish(mut headers: Vec<Header>) -> Headers {
    for h in &mut headers {
        let trimmed = h.value.trim_start_matches([' ', '\t']).trim_end_matches('\r');
        if trimmed.len() != h.value.len() {
            h.value = trimmed.to_string();
        }
    }
    Headers(headers)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_and_unfolds_fields() {
        let input = b"From: a@b\r\nSubject: one\r\n two\r\nX-Empty:\r\n\r\nbody";
        let (h, body) = parse_header_block(input).unwrap();
        assert_eq!(h.get("subject"), Some("one two"));
        assert_eq!(h.get("FROM"), Some("a@b"));
        assert_eq!(h.get("x-empty"), Some(""));
        let (h, _) = parse_header_block(b"Subject:\r\n =?a?=\r\n\t=?b?=\r\nX: y\r\r\n\r\n").unwrap();
        assert_eq!(h.get("subject"), Some("=?a?=\t=?b?="));
        assert_eq!(h.get("x"), Some("y"));
        assert_eq!(h.get_all("SUBJECT").collect::<Vec<_>>(), vec!["=?a?=\t=?b?="]);
        assert_eq!(&input[body..], b"body");
    }

    #[test]
    fn header_sections_and_bare_payloads() {
        for entity in
            [&b"Content-Type: text/plain\r\n\r\nhi"[..], b"\r\nbody", b"\n", b"A: b\r\n c\r\nD:\r\n\r\n", b"X: y\n\n"]
        {
            assert!(starts_with_header_section(entity), "{:?}", String::from_utf8_lossy(entity));
        }
        for payload in [
            &b"Hello Bob,\r\nthis is plain text.\r\n"[..],
            b"",
            b"one line, no break",
            b" indented first line\r\n\r\n",
            b"Subject: a field but no empty line after it\r\n",
            b"Dear Bob: a colon after spaces\r\n\r\n",
        ] {
            assert!(!starts_with_header_section(payload), "{:?}", String::from_utf8_lossy(payload));
        }
    }

    #[test]
    fn lenient_edges() {
        let (h, body) = parse_header_block(b"\nbody").unwrap();
        assert!(h.0.is_empty());
        assert_eq!(body, 1);
        let (h, body) = parse_header_block(b"A: 1\nB: 2").unwrap();
        assert_eq!((h.0.len(), body), (2, 9));
        let (h, body) = parse_header_block(b"A: 1\nnot a header\nmore").unwrap();
        assert_eq!((h.0.len(), body), (1, 5));
        let (h, _) = parse_header_block(b"Subject : obsolete\n\n").unwrap();
        assert_eq!(h.get("subject"), Some("obsolete"));
        assert_eq!(h.get_all("nope").count(), 0);
    }

    #[test]
    fn decodes_on_request() {
        let (h, _) = parse_header_block(b"Subject: =?utf-8?q?Gr=C3=BC=C3=9Fe?=\n\n").unwrap();
        assert_eq!(h.get_decoded("subject").as_deref(), Some("Grüße"));
    }

    #[test]
    fn too_many_lines() {
        let input = "X: y\n".repeat(MAX_HEADER_LINES + 1);
        assert!(matches!(parse_header_block(input.as_bytes()), Err(Error::LimitExceeded(_))));
    }
}
