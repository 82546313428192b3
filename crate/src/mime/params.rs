//! Parameters of structured header fields (RFC 2045 section 5.1) with RFC 2231 extensions:
//! `name*=charset'lang'%XX` values and `name*0=`, `name*1*=` continuations.

use super::charset::decode_charset;
use super::rfc2047::decode_header_words;

/// The most parameters read from one field; the rest are ignored. Keeps joining the RFC 2231
/// sections of a hostile field with thousands of parameters cheap.
const MAX_PARAMS: usize = 128;

/// Splits `value` at the first `;` outside quotes: the main value and the parameter text.
pub(crate) fn split_value(value: &str) -> (&str, &str) {
    let mut quoted = false;
    let mut escaped = false;
    for (i, c) in value.char_indices() {
        match c {
            _ if escaped => escaped = false,
            '\\' if quoted => escaped = true,
            '"' => quoted = !quoted,
            ';' if !quoted => return (value.get(..i).unwrap_or(""), value.get(i + 1..).unwrap_or("")),
            _ => {}
        }
    }
    (value, "")
}

/// Removes `(comments)` outside quoted strings.
pub(crate) fn strip_comments(s: &str) -> std::borrow::Cow<'_, str> {
    if !s.contains('(') {
        // Nothing opens a comment: every character stays (the usual case, without the copy).
        return std::borrow::Cow::Borrowed(s);
    }
    let mut out = String::with_capacity(s.len());
    let (mut depth, mut quoted, mut escaped) = (0usize, false, false);
    for c in s.chars() {
        if escaped {
            escaped = false;
            if depth == 0 {
                out.push(c);
            }
            continue;
        }
        match c {
            '\\' => {
                escaped = true;
                if depth == 0 {
                    out.push(c);
                }
            }
            '"' if depth == 0 => {
                quoted = !quoted;
                out.push(c);
            }
            '(' if !quoted => depth += 1,
            ')' if !quoted && depth > 0 => depth -= 1,
            _ if depth == 0 => out.push(c),
            _ => {}
        }
    }
    std::borrow::Cow::Owned(out)
}

/// Parses `; a=1; b="two; three"` into lower-cased names and values, joining RFC 2231
/// continuations and decoding RFC 2231 charsets (and, leniently, RFC 2047 words in quoted values,
/// which some mailers write).
pub(crate) fn parse_params(text: &str) -> Vec<(String, String)> {
    let text = strip_comments(text);
    // name → (section, is_extended, raw value)
    let mut raw: Vec<(String, u32, bool, String)> = Vec::new();
    let mut rest: &str = &text;
    loop {
        rest = rest.trim_start_matches([' ', '\t', '\r', '\n', ';']);
        if rest.is_empty() {
            break;
        }
        if raw.len() >= MAX_PARAMS {
            break;
        }
        // ASCII delimiters: a byte search, and the index is a character boundary.
        let Some(eq) = rest.bytes().position(|b| b == b'=' || b == b';') else { break };
        if rest.get(eq..).is_some_and(|r| r.starts_with(';')) {
            // A parameter without a value ("attachment; junk; filename=a"): skip it.
            rest = rest.get(eq..).unwrap_or("");
            continue;
        }
        let name = rest.get(..eq).unwrap_or("").trim().to_ascii_lowercase();
        rest = rest.get(eq + 1..).unwrap_or("").trim_start();
        let value;
        let plain_quoted = rest.strip_prefix('"').and_then(|q| {
            // A quoted string without backslashes (nearly all): the text up to the closing quote.
            let end = q.bytes().position(|b| b == b'"' || b == b'\\')?;
            (q.as_bytes().get(end) == Some(&b'"')).then(|| (q.get(..end).unwrap_or(""), q.get(end + 1..).unwrap_or("")))
        });
        if let Some((v, after)) = plain_quoted {
            value = v.to_string();
            rest = after.find(';').and_then(|i| after.get(i..)).unwrap_or("");
        } else if let Some(q) = rest.strip_prefix('"') {
            let mut v = String::new();
            let mut end = q.len();
            let mut escaped = false;
            for (i, c) in q.char_indices() {
                if escaped {
                    v.push(c);
                    escaped = false;
                } else if c == '\\' {
                    escaped = true;
                } else if c == '"' {
                    end = i + 1;
                    break;
                } else {
                    v.push(c);
                }
            }
            value = v;
            rest = q.get(end..).unwrap_or("");
            // Skip anything up to the next ';'.
            rest = rest.find(';').and_then(|i| rest.get(i..)).unwrap_or("");
        } else {
            let end = rest.find(';').unwrap_or(rest.len());
            value = rest.get(..end).unwrap_or("").trim().to_string();
            rest = rest.get(end..).unwrap_or("");
        }
        if name.is_empty() {
            continue;
        }
        // RFC 2231: name*N*, name*N, name*
        let (base, section, extended) = match name.strip_suffix('*') {
            Some(stem) => match stem.rsplit_once('*') {
                Some((b, n)) if n.parse::<u32>().is_ok() => (b.to_string(), n.parse().unwrap_or(0), true),
                _ => (stem.to_string(), 0, true),
            },
            None => match name.rsplit_once('*') {
                Some((b, n)) if n.parse::<u32>().is_ok() => (b.to_string(), n.parse().unwrap_or(0), false),
                _ => (name.clone(), 0, false),
            },
        };
        raw.push((base, section, extended, value));
    }
    // The usual case: no RFC 2231 sections or charsets, each name once. The values need only the
    // lenient RFC 2047 decoding, and only when they hold an encoded word.
    if raw
        .iter()
        .enumerate()
        .all(|(i, r)| r.1 == 0 && !r.2 && !raw.get(..i).unwrap_or_default().iter().any(|q| q.0 == r.0))
    {
        return raw
            .into_iter()
            .map(|(name, _, _, value)| {
                let value = if value.contains("=?") { decode_header_words(&value) } else { value };
                (name, value)
            })
            .collect();
    }
    let mut out: Vec<(String, String)> = Vec::new();
    let mut names: Vec<String> = Vec::new();
    for (n, ..) in &raw {
        if !names.contains(n) {
            names.push(n.clone());
        }
    }
    for name in names {
        let mut parts: Vec<&(String, u32, bool, String)> = raw.iter().filter(|r| r.0 == name).collect();
        crate::sort::by_key(&mut parts, |r| u64::from(r.1));
        parts.dedup_by_key(|r| r.1);
        let mut charset = String::new();
        let mut bytes = Vec::new();
        let mut any_extended = false;
        for (i, (_, _, extended, value)) in parts.iter().map(|r| (r.0.as_str(), r.1, r.2, r.3.as_str())).enumerate() {
            if extended {
                any_extended = true;
                let mut v = value;
                if i == 0 {
                    let mut it = value.splitn(3, '\'');
                    if let (Some(cs), Some(_lang), Some(text)) = (it.next(), it.next(), it.next()) {
                        charset = cs.to_string();
                        v = text;
                    }
                }
                bytes.extend(percent_decode(v));
            } else {
                bytes.extend_from_slice(value.as_bytes());
            }
        }
        let value = if any_extended {
            decode_charset(&bytes, &charset)
        } else {
            decode_header_words(&String::from_utf8_lossy(&bytes))
        };
        out.push((name, value));
    }
    out
}

fn percent_decode(s: &str) -> Vec<u8> {
    let b = s.as_bytes();
    let mut out = Vec::with_capacity(b.len());
    let mut i = 0;
    while let Some(&c) = b.get(i) {
        if c == b'%' {
            if let Some(Ok(v)) =
                b.get(i + 1..i + 3).and_then(|h| std::str::from_utf8(h).ok()).map(|h| u8::from_str_radix(h, 16))
            {
                out.push(v);
                i += 3;
                continue;
            }
        }
        out.push(c);
        i += 1;
    }
    out
}

/// Quotes a parameter value when it is not a plain token (RFC 2045 tspecials).
pub(crate) fn quote(value: &str) -> String {
    let token = !value.is_empty() && value.bytes().all(|b| b.is_ascii_graphic() && !b"()<>@,;:\\\"/[]?=".contains(&b));
    if token {
        value.to_string()
    } else {
        format!("\"{}\"", value.replace('\\', "\\\\").replace('"', "\\\""))
    }
}

/// The longest header line [`format_param`] aims for, with the leading space and the `;`.
const MAX_LINE: usize = 76;

/// The parameter `name` with `value`, ready to follow a `;` in a header field. Plain when the value
/// is printable ASCII (quoted when needed); RFC 2231-encoded (`name*=utf-8''%XX`) otherwise; split
/// into continuations when long, joined by `";\r\n "` so that each one sits on its own line.
pub(crate) fn format_param(name: &str, value: &str) -> String {
    // " name*NN*=utf-8''" + section + ";" must fit in MAX_LINE; at least 16 characters per section.
    let max_section = MAX_LINE.saturating_sub(name.len() + 17).max(16);
    if value.bytes().all(|b| (b' '..=b'~').contains(&b)) {
        if value.len() <= max_section {
            return format!("{name}={}", quote(value));
        }
        let sections = split_at_char_boundaries(value, max_section);
        return sections
            .iter()
            .enumerate()
            .map(|(i, v)| format!("{name}*{i}={}", quote(v)))
            .collect::<Vec<_>>()
            .join(";\r\n ");
    }
    let mut pieces: Vec<String> = vec![String::new()];
    for c in value.chars() {
        let mut buf = [0u8; 4];
        let enc: String = c
            .encode_utf8(&mut buf)
            .bytes()
            .map(|b| {
                if b.is_ascii_alphanumeric() || b"!#$&+-.^_`|~".contains(&b) {
                    char::from(b).to_string()
                } else {
                    format!("%{b:02X}")
                }
            })
            .collect();
        match pieces.last_mut() {
            Some(last) if last.len() + enc.len() <= max_section => last.push_str(&enc),
            _ => pieces.push(enc),
        }
    }
    if pieces.len() == 1 {
        return format!("{name}*=utf-8''{}", pieces.concat());
    }
    pieces
        .iter()
        .enumerate()
        .map(|(i, v)| if i == 0 { format!("{name}*0*=utf-8''{v}") } else { format!("{name}*{i}*={v}") })
        .collect::<Vec<_>>()
        .join(";\r\n ")
}

/// Splits ASCII `s` into pieces of at most `max` bytes.
fn split_at_char_boundaries(s: &str, max: usize) -> Vec<&str> {
    let mut out = Vec::new();
    let mut rest = s;
    while !rest.is_empty() {
        let mut at = rest.len().min(max);
        while !rest.is_char_boundary(at) {
            at -= 1;
        }
        let (head, tail) = rest.split_at(at);
        out.push(head);
        rest = tail;
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn get(params: &[(String, String)], name: &str) -> Option<String> {
        params.iter().find(|(n, _)| n == name).map(|(_, v)| v.clone())
    }

    #[test]
    fn plain_and_quoted() {
        let p = parse_params(r#" charset=UTF-8; name="a \"b\"; c.txt" ; X=(comment) y"#);
        assert_eq!(get(&p, "charset").as_deref(), Some("UTF-8"));
        assert_eq!(get(&p, "name").as_deref(), Some(r#"a "b"; c.txt"#));
        assert_eq!(get(&p, "x").as_deref(), Some("y"));
    }

    #[test]
    fn rfc_2231_examples() {
        let p = parse_params("title*=us-ascii'en-us'This%20is%20%2A%2A%2Afun%2A%2A%2A");
        assert_eq!(get(&p, "title").as_deref(), Some("This is ***fun***"));
        let p = parse_params("URL*0=\"ftp://\";\r\n URL*1=\"cs.utk.edu/pub/moore/bulk-mailer/bulk-mailer.tar\"");
        assert_eq!(get(&p, "url").as_deref(), Some("ftp://cs.utk.edu/pub/moore/bulk-mailer/bulk-mailer.tar"));
        let p = parse_params(
            "title*0*=us-ascii'en'This%20is%20even%20more%20;title*1*=%2A%2A%2Afun%2A%2A%2A%20;title*2=\"isn't it!\"",
        );
        assert_eq!(get(&p, "title").as_deref(), Some("This is even more ***fun*** isn't it!"));
        let p = parse_params("filename*=utf-8''Gr%C3%BC%C3%9Fe.txt");
        assert_eq!(get(&p, "filename").as_deref(), Some("Grüße.txt"));
        let p = parse_params("filename=\"=?utf-8?b?R3LDvMOfZS50eHQ=?=\"");
        assert_eq!(get(&p, "filename").as_deref(), Some("Grüße.txt"));
    }

    #[test]
    fn formats_and_round_trips() {
        for v in ["plain.txt", "with space.txt", "Grüße \"quoted\".pdf", ""] {
            let p = parse_params(&format_param("filename", v));
            assert_eq!(get(&p, "filename").as_deref(), Some(v), "{v}");
        }
        assert_eq!(split_value("text/plain; a=\";\"; b=c"), ("text/plain", " a=\";\"; b=c"));
        let long = "Überlange Datei ".repeat(20) + ".pdf";
        let f = format_param("filename", &long);
        assert!(f.split("\r\n").all(|l| l.len() < 78), "{f}");
        assert!(f.starts_with("filename*0*=utf-8''%C3%9Cberlange"));
        assert_eq!(get(&parse_params(&f), "filename"), Some(long));
        let long = "x".repeat(150);
        let f = format_param("name", &long);
        assert!(f.starts_with("name*0=xxx") && f.contains(";\r\n name*2="));
        assert_eq!(get(&parse_params(&f), "name"), Some(long));
    }

    #[test]
    fn skips_valueless_parameters_and_caps_the_count() {
        let p = parse_params(" junk; filename=a.txt; ;=x; b");
        assert_eq!(get(&p, "filename").as_deref(), Some("a.txt"));
        assert_eq!(get(&p, "junk"), None);
        let many: String = (0..100_000).map(|i| format!("; p{i}*{i}=v")).collect();
        assert!(parse_params(&many).len() <= MAX_PARAMS);
    }
}
