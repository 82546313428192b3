//! Line handling shared by the parser and the encoders: splitting on CRLF or bare LF, finding bytes,
//! and turning any line endings into CRLF.

use std::borrow::Cow;

/// Position of the first `needle` byte in `hay`.
pub(crate) fn find_byte(hay: &[u8], needle: u8) -> Option<usize> {
    memchr::memchr(needle, hay)
}

/// Position of the first occurrence of `needle` in `hay` (`None` for an empty needle). Linear
/// (memchr's substring search).
pub(crate) fn find_bytes(hay: &[u8], needle: &[u8]) -> Option<usize> {
    if needle.is_empty() {
        return None;
    }
    memchr::memmem::find(hay, needle)
}

/// One line of input.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct Line<'a> {
    /// The line without its line ending.
    pub text: &'a [u8],
    /// The line ending: `b"\r\n"`, `b"\n"`, or empty for a last line without one.
    pub eol: &'a [u8],
}

/// Iterates over the lines of `input`, each ending in CRLF, a bare LF, or the end of input.
/// A bare CR inside a line is part of the line's text.
pub(crate) fn lines(input: &[u8]) -> Lines<'_> {
    Lines { rest: input }
}

/// Iterator returned by [`lines`].
#[derive(Debug, Clone)]
pub(crate) struct Lines<'a> {
    rest: &'a [u8],
}

impl<'a> Iterator for Lines<'a> {
    type Item = Line<'a>;

    fn next(&mut self) -> Option<Line<'a>> {
        if self.rest.is_empty() {
            return None;
        }
        let (full, rest) = match find_byte(self.rest, b'\n') {
            Some(nl) => self.rest.split_at(nl + 1),
            None => (self.rest, &[][..]),
        };
        self.rest = rest;
        let eol_len = if full.ends_with(b"\r\n") {
            2
        } else if full.ends_with(b"\n") {
            1
        } else {
            0
        };
        let (text, eol) = full.split_at(full.len().saturating_sub(eol_len));
        Some(Line { text, eol })
    }
}

/// Turns every bare LF into CRLF, as RFC 5322 and signing (RFC 8551 section 3.1.1) want.
/// Existing CRLF pairs are kept, and a bare CR (not followed by LF) is kept as it is.
///
/// Returns the input borrowed when it has no bare LF.
pub fn canonicalize_crlf(input: &[u8]) -> Cow<'_, [u8]> {
    let bare_lfs = count_bare_lf(input);
    if bare_lfs == 0 {
        return Cow::Borrowed(input);
    }
    let mut out = Vec::with_capacity(input.len() + bare_lfs);
    let mut rest = input;
    while let Some(nl) = find_byte(rest, b'\n') {
        let (line, tail) = rest.split_at(nl);
        out.extend_from_slice(line);
        if !line.ends_with(b"\r") {
            out.push(b'\r');
        }
        out.push(b'\n');
        rest = tail.get(1..).unwrap_or(&[]);
    }
    out.extend_from_slice(rest);
    Cow::Owned(out)
}

/// How many LF bytes in `input` are not preceded by CR.
fn count_bare_lf(input: &[u8]) -> usize {
    memchr::memchr_iter(b'\n', input).filter(|&i| i == 0 || input.get(i - 1) != Some(&b'\r')).count()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn canonicalize_borrows_canonical_input() {
        assert!(matches!(canonicalize_crlf(b"a\r\nb\r\n"), Cow::Borrowed(_)));
        assert!(matches!(canonicalize_crlf(b""), Cow::Borrowed(_)));
    }

    #[test]
    fn canonicalize_fixes_bare_lf_keeps_bare_cr() {
        assert_eq!(&*canonicalize_crlf(b"a\nb\rc\r\nd\n\n"), b"a\r\nb\rc\r\nd\r\n\r\n");
        assert!(matches!(canonicalize_crlf(b"\r"), Cow::Borrowed(b"\r")));
        assert_eq!(&*canonicalize_crlf(b"\n\r"), b"\r\n\r");
        assert!(matches!(canonicalize_crlf(b"x\r\r\n"), Cow::Borrowed(_)));
        assert_eq!(&*canonicalize_crlf(b"\n"), b"\r\n");
    }

    #[test]
    fn lines_split_on_both_endings() {
        let got: Vec<_> = lines(b"a\r\nb\nc\rd\n\ne").map(|l| (l.text, l.eol)).collect();
        let want: Vec<(&[u8], &[u8])> =
            vec![(b"a", b"\r\n"), (b"b", b"\n"), (b"c\rd", b"\n"), (b"", b"\n"), (b"e", b"")];
        assert_eq!(got, want);
        assert_eq!(lines(b"").count(), 0);
    }

    #[test]
    fn find_bytes_finds_first_occurrence() {
        assert_eq!(find_bytes(b"abcabc", b"ca"), Some(2));
        assert_eq!(find_bytes(b"aaab", b"aab"), Some(1));
        assert_eq!(find_bytes(b"abc", b"abcd"), None);
        assert_eq!(find_bytes(b"abc", b""), None);
        assert_eq!(find_bytes(b"", b"a"), None);
    }
}
