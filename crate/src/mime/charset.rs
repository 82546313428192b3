//! Conversion of the charsets mail uses to UTF-8.

/// windows-1252 characters for bytes 0x80..=0x9F (the WHATWG mapping: the five unassigned bytes
/// map to the C1 control of the same value).
const CP1252_HIGH: [char; 32] = [
    '\u{20AC}', '\u{0081}', '\u{201A}', '\u{0192}', '\u{201E}', '\u{2026}', '\u{2020}', '\u{2021}', '\u{02C6}',
    '\u{2030}', '\u{0160}', '\u{2039}', '\u{0152}', '\u{008D}', '\u{017D}', '\u{008F}', '\u{0090}', '\u{2018}',
    '\u{2019}', '\u{201C}', '\u{201D}', '\u{2022}', '\u{2013}', '\u{2014}', '\u{02DC}', '\u{2122}', '\u{0161}',
    '\u{203A}', '\u{0153}', '\u{009D}', '\u{017E}', '\u{0178}',
];

/// The charsets this module converts itself.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Charset {
    Utf8,
    Ascii,
    Windows1252,
    Latin9,
    Unknown,
}

fn lookup(label: &str) -> Charset {
    let label = label.trim().trim_matches('"').trim().to_ascii_lowercase();
    match label.as_str() {
        "" | "utf-8" | "utf8" | "unicode-1-1-utf-8" => Charset::Utf8,
        "us-ascii" | "ascii" | "ansi_x3.4-1968" | "iso646-us" | "us" | "cp367" => Charset::Ascii,
        "iso-8859-1" | "iso8859-1" | "iso_8859-1" | "iso_8859-1:1987" | "latin1" | "latin-1" | "l1" | "cp819"
        | "ibm819" | "iso-ir-100" | "windows-1252" | "cp1252" | "x-cp1252" => Charset::Windows1252,
        "iso-8859-15" | "iso8859-15" | "iso_8859-15" | "latin9" | "latin-9" | "l9" => Charset::Latin9,
        _ => Charset::Unknown,
    }
}

/// Converts `bytes` in the charset named `label` to UTF-8.
///
/// Knows UTF-8, US-ASCII, ISO-8859-1 (read as its superset windows-1252, as browsers do),
/// windows-1252 and ISO-8859-15. Text labelled US-ASCII that is not ASCII is read as UTF-8 when it
/// is valid UTF-8, else as windows-1252. Unknown charsets and invalid UTF-8 are converted lossily
/// (U+FFFD for what cannot be read). Never fails.
pub fn decode_charset(bytes: &[u8], label: &str) -> String {
    match lookup(label) {
        Charset::Utf8 | Charset::Unknown => String::from_utf8_lossy(bytes).into_owned(),
        Charset::Ascii => match std::str::from_utf8(bytes) {
            Ok(s) => s.to_owned(),
            Err(_) => bytes.iter().map(|&b| cp1252(b)).collect(),
        },
        Charset::Windows1252 => bytes.iter().map(|&b| cp1252(b)).collect(),
        Charset::Latin9 => bytes.iter().map(|&b| latin9(b)).collect(),
    }
}

/// Whether [`decode_charset`] knows the charset `label` (and so converts it faithfully).
pub(crate) fn is_known(label: &str) -> bool {
    lookup(label) != Charset::Unknown
}

fn cp1252(b: u8) -> char {
    match b {
        0x80..=0x9F => CP1252_HIGH.get(usize::from(b - 0x80)).copied().unwrap_or('\u{FFFD}'),
        _ => char::from(b),
    }
}

fn latin9(b: u8) -> char {
    match b {
        0xA4 => '\u{20AC}',
        0xA6 => '\u{0160}',
        0xA8 => '\u{0161}',
        0xB4 => '\u{017D}',
        0xB8 => '\u{017E}',
        0xBC => '\u{0152}',
        0xBD => '\u{0153}',
        0xBE => '\u{0178}',
        _ => char::from(b),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn utf8_and_unknown_are_lossy_utf8() {
        assert_eq!(decode_charset("grüß".as_bytes(), "UTF-8"), "grüß");
        assert_eq!(decode_charset(b"a\xffb", "utf-8"), "a\u{FFFD}b");
        assert_eq!(decode_charset("ü".as_bytes(), "x-unknown"), "ü");
    }

    #[test]
    fn latin1_and_windows_1252() {
        assert_eq!(decode_charset(b"caf\xe9", "ISO-8859-1"), "café");
        assert_eq!(decode_charset(b"caf\xe9", "latin1"), "café");
        assert_eq!(decode_charset(b"\x80 \x93q\x94 \x9f", "windows-1252"), "€ “q” Ÿ");
        assert_eq!(decode_charset(b"\xa4", "iso-8859-1"), "¤");
        assert_eq!(decode_charset(b"\xa4", "iso-8859-15"), "€");
    }

    #[test]
    fn ascii_falls_back_sensibly() {
        assert_eq!(decode_charset(b"plain", "us-ascii"), "plain");
        assert_eq!(decode_charset("ü".as_bytes(), "\"us-ascii\""), "ü");
        assert_eq!(decode_charset(b"\xfc", "us-ascii"), "ü");
    }

    #[test]
    fn knows_its_charsets() {
        assert!(is_known("UTF-8") && is_known("Latin1") && is_known("windows-1252") && is_known(""));
        assert!(!is_known("koi8-r") && !is_known("x-unknown"));
    }
}
