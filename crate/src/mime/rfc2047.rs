//! Encoded words in header fields (RFC 2047): `=?UTF-8?B?...?=` and `=?charset?Q?...?=`.

use base64::engine::general_purpose::STANDARD;
use base64::Engine;

use super::charset::{decode_charset, is_known};
use super::transfer::decode_base64_lenient;

/// The longest encoded word RFC 2047 allows.
const MAX_WORD: usize = 75;

/// The longest encoded word this module reads: longer than RFC 2047 allows (mailers exceed it),
/// but bounded so that a value full of `=?` cannot make decoding quadratic.
const MAX_READ_WORD: usize = 4096;

/// Encodes a header value for transport.
///
/// Returns `s` unchanged when it is printable ASCII (and holds no `=?`, which a reader would take
/// for the start of an encoded word); otherwise UTF-8 base64 encoded words of at most 75
/// characters each, split on character boundaries and joined by a folding `"\r\n "`.
pub fn encode_header_word(s: &str) -> String {
    if s.bytes().all(|b| (b' '..=b'~').contains(&b)) && !s.contains("=?") {
        return s.to_string();
    }
    // "=?UTF-8?B?" + "?=" take 12 characters; 63 base64 characters remain: 15 groups, 45 bytes.
    const MAX_BYTES: usize = (MAX_WORD - 12) / 4 * 3;
    let mut words = Vec::new();
    let mut chunk = String::new();
    for c in s.chars() {
        if chunk.len() + c.len_utf8() > MAX_BYTES {
            words.push(format!("=?UTF-8?B?{}?=", STANDARD.encode(chunk.as_bytes())));
            chunk.clear();
        }
        chunk.push(c);
    }
    if !chunk.is_empty() || words.is_empty() {
        words.push(format!("=?UTF-8?B?{}?=", STANDARD.encode(chunk.as_bytes())));
    }
    words.join("\r\n ")
}

/// Decodes the text of a `Q` encoded word: `_` is a space, `=XX` a byte, the rest literal.
fn q_decode(text: &[u8]) -> Vec<u8> {
    let mut out = Vec::with_capacity(text.len());
    let mut i = 0;
    while let Some(&b) = text.get(i) {
        let hex = || {
            let h = text.get(i + 1..i + 3)?;
            u8::from_str_radix(std::str::from_utf8(h).ok()?, 16).ok()
        };
        match b {
            b'_' => out.push(b' '),
            b'=' => {
                if let Some(v) = hex() {
                    out.push(v);
                    i += 3;
                    continue;
                }
                out.push(b);
            }
            _ => out.push(b),
        }
        i += 1;
    }
    out
}

/// An encoded word found in a value: where it ends, its charset, and its decoded bytes.
struct Word<'s> {
    end: usize,
    charset: &'s str,
    bytes: Vec<u8>,
}

/// Reads the encoded word starting at `start` (which points at `=?`), if it is one this module
/// can decode: a known charset, `B` or `Q`, no whitespace inside.
fn word_at(value: &str, start: usize) -> Option<Word<'_>> {
    let rest = value.get(start + 2..)?;
    let rest = rest.get(..floor_char_boundary(rest, MAX_READ_WORD))?;
    let (full_charset, after_charset) = rest.split_once('?')?;
    let (encoding, after_encoding) = after_charset.split_once('?')?;
    let text_len = after_encoding.find("?=")?;
    let text = after_encoding.get(..text_len)?;
    let bad = |p: &str| p.contains(|c: char| c.is_whitespace() || c == '?' || !c.is_ascii());
    if bad(full_charset) || bad(encoding) || bad(text) {
        return None;
    }
    // RFC 2231 section 5: charset*language.
    let charset = full_charset.split('*').next().unwrap_or(full_charset);
    if charset.is_empty() || !is_known(charset) {
        return None;
    }
    let bytes = match encoding {
        "B" | "b" => decode_base64_lenient(text.as_bytes()).ok()?,
        "Q" | "q" => q_decode(text.as_bytes()),
        _ => return None,
    };
    let end = start + 2 + full_charset.len() + 1 + encoding.len() + 1 + text_len + 2;
    Some(Word { end, charset, bytes })
}

/// The largest char boundary of `s` that is at most `index`.
fn floor_char_boundary(s: &str, index: usize) -> usize {
    (0..=index.min(s.len())).rev().find(|&i| s.is_char_boundary(i)).unwrap_or(0)
}

/// Decodes every RFC 2047 encoded word in a header value.
///
/// Knows the `B` and `Q` encodings and the charsets of [`decode_charset`]; whitespace between two
/// adjacent encoded words is dropped (RFC 2047 section 6.2), and adjacent words in the same charset
/// are joined before conversion, so a character split across two words survives. Words in an
/// unknown charset, and anything that is not a well-formed encoded word, stay as written.
pub fn decode_header_words(value: &str) -> String {
    let mut out = String::with_capacity(value.len());
    // Bytes of adjacent encoded words not yet converted, with their charset.
    let mut pending: Vec<u8> = Vec::new();
    let mut pending_charset = "";
    let mut pos = 0; // Everything before `pos` has been handled.
    let mut search = 0;
    while let Some(found) = value.get(search..).and_then(|r| r.find("=?")) {
        let start = search + found;
        let Some(word) = word_at(value, start) else {
            search = start + 2;
            continue;
        };
        let between = value.get(pos..start).unwrap_or("");
        let adjacent = !pending_charset.is_empty() && between.chars().all(char::is_whitespace);
        if !adjacent || !pending_charset.eq_ignore_ascii_case(word.charset) {
            if !pending_charset.is_empty() {
                out.push_str(&decode_charset(&pending, pending_charset));
                pending.clear();
            }
            if !adjacent {
                out.push_str(between);
            }
        }
        pending.extend_from_slice(&word.bytes);
        pending_charset = word.charset;
        pos = word.end;
        search = word.end;
    }
    if !pending_charset.is_empty() {
        out.push_str(&decode_charset(&pending, pending_charset));
    }
    out.push_str(value.get(pos..).unwrap_or(""));
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn decodes_the_rfc_2047_examples() {
        // RFC 2047 section 8.
        assert_eq!(decode_header_words("(=?ISO-8859-1?Q?a?=)"), "(a)");
        assert_eq!(decode_header_words("(=?ISO-8859-1?Q?a?= b)"), "(a b)");
        assert_eq!(decode_header_words("(=?ISO-8859-1?Q?a?= =?ISO-8859-1?Q?b?=)"), "(ab)");
        assert_eq!(decode_header_words("(=?ISO-8859-1?Q?a?=  =?ISO-8859-1?Q?b?=)"), "(ab)");
        assert_eq!(decode_header_words("(=?ISO-8859-1?Q?a?=\r\n    =?ISO-8859-1?Q?b?=)"), "(ab)");
        assert_eq!(decode_header_words("(=?ISO-8859-1?Q?a_b?=)"), "(a b)");
        // ISO-8859-2 is not known here: that word stays, and so does the space before it.
        assert_eq!(decode_header_words("(=?ISO-8859-1?Q?a?= =?ISO-8859-2?Q?_b?=)"), "(a =?ISO-8859-2?Q?_b?=)");
        assert_eq!(
            decode_header_words("=?ISO-8859-1?Q?Keld_J=F8rn_Simonsen?= <keld@dkuug.dk>"),
            "Keld Jørn Simonsen <keld@dkuug.dk>"
        );
        assert_eq!(
            decode_header_words("=?US-ASCII?Q?Keith_Moore?= <moore@cs.utk.edu>"),
            "Keith Moore <moore@cs.utk.edu>"
        );
        assert_eq!(
            decode_header_words("=?ISO-8859-1?B?SWYgeW91IGNhbiByZWFkIHRoaXMgeW8=?=\r\n =?ISO-8859-2?B?dSB1bmRlcnN0YW5kIHRoZSBleGFtcGxlLg==?="),
            "If you can read this yo\r\n =?ISO-8859-2?B?dSB1bmRlcnN0YW5kIHRoZSBleGFtcGxlLg==?="
        );
        // RFC 2231 section 5: language in the charset.
        assert_eq!(decode_header_words("=?US-ASCII*EN?Q?Keith_Moore?="), "Keith Moore");
    }

    #[test]
    fn decodes_common_charsets() {
        assert_eq!(decode_header_words("=?utf-8?b?R3LDvMOfZQ==?= aus Köln"), "Grüße aus Köln");
        assert_eq!(decode_header_words("=?windows-1252?Q?=80_5?="), "€ 5");
        assert_eq!(decode_header_words("=?latin1?q?caf=E9?="), "café");
        // One character split over two words.
        assert_eq!(decode_header_words("=?utf-8?q?=C3?= =?UTF-8?q?=BC?="), "ü");
        assert_eq!(decode_header_words("x=?utf-8?q?a?=y"), "xay");
    }

    #[test]
    fn leaves_broken_and_unknown_words_alone() {
        assert_eq!(decode_header_words("=?utf-8?x?abc?= and =?"), "=?utf-8?x?abc?= and =?");
        assert_eq!(decode_header_words("=?koi8-r?q?abc?="), "=?koi8-r?q?abc?=");
        assert_eq!(decode_header_words("plain"), "plain");
        assert_eq!(decode_header_words("a =?utf-8?q?"), "a =?utf-8?q?");
        assert_eq!(decode_header_words("=? x =?utf-8?q?ok?="), "=? x ok");
        assert_eq!(decode_header_words("=?utf-8?q?a b?="), "=?utf-8?q?a b?=");
        assert_eq!(decode_header_words("€ =?utf-8?Q?=E2=82=AC?= €"), "€ € €");
    }

    #[test]
    fn many_starts_stay_fast() {
        let v = "=?".repeat(200_000);
        assert_eq!(decode_header_words(&v), v);
        let v = "=?utf-8?q?".repeat(50_000);
        assert_eq!(decode_header_words(&v), v);
    }

    #[test]
    fn encodes_only_when_needed_and_round_trips() {
        assert_eq!(encode_header_word("Hello"), "Hello");
        let long = "Grüße aus Köln, ".repeat(10) + "😀";
        let enc = encode_header_word(&long);
        assert!(enc.split("\r\n ").all(|w| w.len() <= MAX_WORD && w.is_ascii()));
        assert_eq!(decode_header_words(&enc), long);
        assert_eq!(decode_header_words(&encode_header_word("a =?x?=")), "a =?x?=");
        assert_eq!(decode_header_words(&encode_header_word("tab\there")), "tab\there");
    }
}
