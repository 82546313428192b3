//! Whole messages (RFC 5322): header fields in front of a MIME entity.

use super::address::parse_address_list;
use super::rfc2047::encode_header_word;

/// Header fields whose value is a list of addresses: only display names get encoded.
const ADDRESS_FIELDS: [&str; 10] =
    ["from", "to", "cc", "bcc", "reply-to", "sender", "resent-from", "resent-to", "resent-cc", "resent-bcc"];

/// The longest header line written when it can be folded (RFC 5322 section 2.1.1).
const FOLD_AT: usize = 78;

/// Folds a header line longer than 78 characters at spaces (RFC 5322 section 2.2.3). Line breaks
/// already in `line` (from [`encode_header_word`]) are kept. A word longer than a line stays whole.
fn fold(line: &str) -> String {
    let mut out = String::with_capacity(line.len() + 8);
    for (n, physical) in line.split("\r\n").enumerate() {
        if n > 0 {
            out.push_str("\r\n");
        }
        let mut col = 0;
        for (i, word) in physical.split(' ').enumerate() {
            if i > 0 {
                // Never fold so that a line would hold only whitespace.
                if col + 1 + word.len() > FOLD_AT && col > 1 && !word.is_empty() {
                    out.push_str("\r\n");
                    col = 0;
                }
                out.push(' ');
                col += 1;
            }
            out.push_str(word);
            col += word.len();
        }
    }
    out
}

/// Whether `s` can be written as a display name without quotes: RFC 5322 atoms and spaces.
fn is_plain_phrase(s: &str) -> bool {
    s.bytes().all(|b| b == b' ' || b.is_ascii_alphanumeric() || b"!#$%&'*+-/=?^_`{|}~".contains(&b))
        && !s.contains("=?")
}

/// A display name as a phrase: as is, quoted, or RFC 2047-encoded.
fn phrase(name: &str) -> String {
    if !name.bytes().all(|b| (b' '..=b'~').contains(&b)) || name.contains("=?") {
        encode_header_word(name)
    } else if is_plain_phrase(name) {
        name.to_string()
    } else {
        format!("\"{}\"", name.replace('\\', "\\\\").replace('"', "\\\""))
    }
}

/// Encodes a header value: for address fields only the display names (and only when the value
/// is not ASCII: ASCII lists are kept as written), for any other field the whole value.
fn encode_value(name: &str, value: &str) -> String {
    // Never let a value smuggle in another header line.
    let value: String = value.chars().map(|c| if c == '\r' || c == '\n' { ' ' } else { c }).collect();
    if value.is_ascii() {
        return encode_header_word(&value);
    }
    if ADDRESS_FIELDS.contains(&name.to_ascii_lowercase().as_str()) {
        let list = parse_address_list(&value);
        if !list.is_empty() {
            return list
                .iter()
                .map(|a| match &a.display_name {
                    Some(n) => format!("{} <{}>", phrase(n), a.email),
                    None => a.email.clone(),
                })
                .collect::<Vec<_>>()
                .join(", ");
        }
    }
    encode_header_word(&value)
}

/// Puts header fields in front of a MIME entity from [`build_entity`](super::build_entity).
///
/// `headers` are `(name, value)` pairs with UTF-8 values, e.g. From, To, Cc, Subject, Date,
/// Message-ID, written in order as `Name: value`. Non-ASCII values are RFC 2047-encoded: in
/// address fields (From, To, Cc, Bcc, Reply-To, Sender, Resent-*) only the display names, keeping
/// `<addr>`; in any other field the whole value. Lines longer than 78 characters are folded at
/// spaces. CR and LF in values become spaces, and names are cleaned to printable ASCII without
/// colons, so a value cannot add header fields. `MIME-Version: 1.0` comes first unless given.
/// Content-* fields given here are skipped: the entity brings its own.
pub fn build_message(headers: &[(&str, &str)], entity: &[u8]) -> Vec<u8> {
    let mut fields = Vec::with_capacity(headers.len() + 1);
    let mut has_version = false;
    for (name, value) in headers {
        let name: String = name.chars().filter(|c| c.is_ascii_graphic() && *c != ':').collect();
        let lower = name.to_ascii_lowercase();
        if name.is_empty() || lower.starts_with("content-") {
            continue;
        }
        has_version |= lower == "mime-version";
        fields.push(fold(&format!("{name}: {}", encode_value(&name, value))));
    }
    if !has_version {
        fields.insert(0, "MIME-Version: 1.0".to_string());
    }
    let mut out = Vec::with_capacity(entity.len() + fields.iter().map(|f| f.len() + 2).sum::<usize>());
    for f in fields {
        out.extend_from_slice(f.as_bytes());
        out.extend_from_slice(b"\r\n");
    }
    out.extend_from_slice(entity);
    out
}

#[cfg(test)]
mod tests {
    use super::super::{build_entity, parse, parse_address_list, Body};
    use super::*;

    #[test]
    fn builds_a_readable_message() {
        let entity = build_entity(&Body { text: Some("Hallo".into()), ..Default::default() });
        let long_subject = "Grüße aus Köln und eine sehr lange Betreffzeile, die gefaltet werden muss, ".repeat(2);
        let m = build_message(
            &[
                ("From", "Jörg Müller <joerg@example.de>"),
                ("To", "\"Doe, John\" <j@x.org>, b@y.org"),
                ("Subject", &long_subject),
                ("X-Evil", "a\r\nBcc: victim@x.org"),
                ("Content-Type", "text/html"),
            ],
            &entity,
        );
        assert!(m.iter().all(u8::is_ascii));
        for l in m.split(|&b| b == b'\n') {
            assert!(l.len() <= 78, "{:?}", String::from_utf8_lossy(l));
        }
        let p = parse(&m).unwrap();
        assert_eq!(p.headers.get_decoded("subject").as_deref(), Some(long_subject.as_str()));
        let from = parse_address_list(p.headers.get("from").unwrap());
        assert_eq!(from[0].display_name.as_deref(), Some("Jörg Müller"));
        assert_eq!(from[0].email, "joerg@example.de");
        let to = parse_address_list(p.headers.get("to").unwrap());
        assert_eq!(to.len(), 2);
        assert_eq!(to[0].display_name.as_deref(), Some("Doe, John"));
        assert!(p.headers.get("bcc").is_none());
        assert!(p.content_type.is("text/plain"));
        assert_eq!(p.headers.get("mime-version"), Some("1.0"));
        assert_eq!(p.text().unwrap(), "Hallo");
        assert!(m.starts_with(b"MIME-Version: 1.0\r\nFrom: "));
    }

    #[test]
    fn display_names_and_folding() {
        assert_eq!(encode_value("To", "a@b, \"X, Y\" <c@d>"), "a@b, \"X, Y\" <c@d>");
        let enc = encode_value("cc", "Zoë <z@x>, \"Doe, Jöhn\" <j@x>, Ann B <a@x>, q@x");
        assert!(enc.is_ascii() && enc.contains(", Ann B <a@x>, q@x") && enc.contains(" <z@x>, "));
        let back: Vec<_> = parse_address_list(&enc).into_iter().map(|a| (a.display_name, a.email)).collect();
        assert_eq!(
            back,
            vec![
                (Some("Zoë".to_string()), "z@x".to_string()),
                (Some("Doe, Jöhn".to_string()), "j@x".to_string()),
                (Some("Ann B".to_string()), "a@x".to_string()),
                (None, "q@x".to_string()),
            ]
        );
        assert_eq!(phrase("O'Brien, Pat"), "\"O'Brien, Pat\"");
        assert_eq!(phrase("a \"b\""), "\"a \\\"b\\\"\"");
        let line = format!("Subject: {}", "word ".repeat(40));
        let folded = fold(line.trim_end());
        assert!(folded.split("\r\n").all(|l| l.len() <= FOLD_AT && !l.trim().is_empty()));
        assert_eq!(folded.replace("\r\n", ""), line.trim_end());
        assert_eq!(fold("X: short"), "X: short");
        let m = build_message(&[("Subject", "x"), ("MIME-Version", "1.0")], b"\r\nbody");
        assert_eq!(m, b"Subject: x\r\nMIME-Version: 1.0\r\n\r\nbody");
    }
}
