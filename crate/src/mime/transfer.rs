//! Content-Transfer-Encodings (RFC 2045 section 6): base64 and quoted-printable.

use base64::engine::general_purpose::STANDARD;
use base64::Engine;

use super::WHAT;
use crate::{Error, Result};

/// The longest encoded line RFC 2045 allows, without its CRLF.
const LINE: usize = 76;

/// Base64 in lines of 76 characters, each ending in CRLF (the last one too).
pub fn base64_lines(data: &[u8]) -> Vec<u8> {
    let mut out = Vec::with_capacity(base64_lines_len(data.len()));
    base64_lines_to(&[data], &mut |chunk| out.extend_from_slice(chunk));
    out
}

/// The length of [`base64_lines`] of `len` bytes.
pub fn base64_lines_len(len: usize) -> usize {
    let chars = len.div_ceil(3) * 4;
    chars + chars.div_ceil(LINE) * 2
}

/// Bytes per encoded line (76 characters).
const LINE_BYTES: usize = LINE / 4 * 3;
/// Bytes encoded at a time: whole lines, small enough to stay in cache.
const BLOCK: usize = LINE_BYTES * 256;

/// Writes [`base64_lines`] of the concatenation of `parts` to `sink`, a few kilobytes at a time, so
/// that a large message is encoded from its pieces without being assembled or held encoded in one
/// buffer.
pub fn base64_lines_to(parts: &[&[u8]], sink: &mut dyn FnMut(&[u8])) {
    let mut staged: Vec<u8> = Vec::new();
    let mut out = Vec::with_capacity(base64_lines_len(BLOCK));
    let mut emit = |block: &[u8], out: &mut Vec<u8>| {
        out.clear();
        encode_lines(block, out);
        sink(out);
    };
    for part in parts {
        let mut data = *part;
        if !staged.is_empty() {
            let (head, rest) = data.split_at(data.len().min(BLOCK - staged.len()));
            staged.extend_from_slice(head);
            data = rest;
            if staged.len() < BLOCK {
                continue;
            }
            emit(&staged, &mut out);
            staged.clear();
        }
        let mut blocks = data.chunks_exact(BLOCK);
        for block in &mut blocks {
            emit(block, &mut out);
        }
        staged.extend_from_slice(blocks.remainder());
    }
    if !staged.is_empty() {
        emit(&staged, &mut out);
    }
}

/// Appends `data` as base64 lines; every line is full except, possibly, the last one.
fn encode_lines(data: &[u8], out: &mut Vec<u8>) {
    for line in data.chunks(LINE_BYTES) {
        let start = out.len();
        out.resize(start + line.len().div_ceil(3) * 4, 0);
        if let Some(dest) = out.get_mut(start..) {
            // The destination has exactly the encoded length, so this cannot fail.
            let written = STANDARD.encode_slice(line, dest).unwrap_or(0);
            out.truncate(start + written);
        }
        out.extend_from_slice(b"\r\n");
    }
}

/// Base64 characters decoded at a time (at least; a whole number of 4-character groups).
const DECODE_CHUNK: usize = 64 * 1024;

/// Decodes base64 as mail readers do: characters outside the alphabet (line breaks, spaces) are
/// ignored, and padding may be missing. Data after a padding `=` ends the decoding.
pub fn decode_base64_lenient(data: &[u8]) -> Result<Vec<u8>> {
    let mut buf = data.to_vec();
    let len = decode_base64_lenient_in_place(&mut buf)?;
    buf.truncate(len);
    Ok(buf)
}

/// True for a character of the base64 alphabet.
fn is_base64(b: u8) -> bool {
    sextet(b) != 0xff
}

/// The number of `=` that end `text`.
fn padding_len(text: &[u8]) -> usize {
    text.iter().rev().take_while(|&&b| b == b'=').count()
}

/// [`decode_base64_lenient`] in place: the decoded bytes are written over the front of `buf`
/// (decoding only shrinks, so they never overtake the text still to be read); returns their number.
///
/// Lines are gathered without their line breaks and decoded a chunk at a time; only a chunk that
/// does not decode as it is (spaces, stray characters, padding) is filtered character by character.
pub fn decode_base64_lenient_in_place(buf: &mut [u8]) -> Result<usize> {
    let mut clean: Vec<u8> = Vec::with_capacity((DECODE_CHUNK + 1024).min(buf.len()));
    let mut decoded = Vec::with_capacity(DECODE_CHUNK / 4 * 3 + 1024);
    let mut written = 0;
    let mut read = 0;
    while let Some(rest) = buf.get(read..).filter(|r| !r.is_empty()) {
        let line = match super::lines::find_byte(rest, b'\n') {
            Some(nl) => rest.get(..=nl).unwrap_or(rest),
            None => rest,
        };
        read += line.len();
        let mut text = line;
        while let [head @ .., b'\r' | b'\n'] = text {
            text = head;
        }
        clean.extend_from_slice(text);
        if clean.len() < DECODE_CHUNK {
            continue;
        }
        let whole = clean.len() / 4 * 4;
        if decode_into(clean.get(..whole).unwrap_or_default(), &mut decoded).is_ok() {
            written = put_at(&decoded, buf, written)?;
            clean.drain(..whole);
            decoded.clear();
            continue;
        }
        decoded.clear();
        if filter_base64(&mut clean) {
            // Padding: nothing after it counts.
            break;
        }
        let whole = clean.len() / 4 * 4;
        decode_into(clean.get(..whole).unwrap_or_default(), &mut decoded)?;
        written = put_at(&decoded, buf, written)?;
        clean.drain(..whole);
        decoded.clear();
    }
    // Padding at the very end (the usual case) needs no filtering: what precedes it is the same.
    let unpadded = clean.len() - padding_len(&clean);
    if decode_into(clean.get(..unpadded).unwrap_or_default(), &mut decoded).is_err() {
        decoded.clear();
        filter_base64(&mut clean);
        // A single leftover character carries no whole byte: drop it rather than fail.
        if clean.len() % 4 == 1 {
            clean.pop();
        }
        decode_into(&clean, &mut decoded)?;
    }
    put_at(&decoded, buf, written)
}

/// Decodes strict base64: the standard alphabet, canonical padding (a multiple of four characters,
/// at most two `=`, at the end), nothing else. For PEM bodies, whose line breaks the caller removes.
pub fn decode_base64_strict(text: &[u8]) -> Result<Vec<u8>> {
    let padding = padding_len(text);
    if text.len() % 4 != 0 || padding > 2 {
        return Err(Error::bad(WHAT, "bad base64: not a whole number of 4-character groups"));
    }
    let mut out = Vec::with_capacity(text.len() / 4 * 3);
    decode_into(text.get(..text.len() - padding).unwrap_or_default(), &mut out)?;
    Ok(out)
}

/// Keeps only base64 characters, up to a padding `=`; returns whether there was one.
fn filter_base64(text: &mut Vec<u8>) -> bool {
    let end = text.iter().position(|&b| b == b'=');
    if let Some(end) = end {
        text.truncate(end);
    }
    text.retain(|&b| is_base64(b));
    end.is_some()
}

/// Writes `bytes` at `at` in `buf`; returns where they end. They come from text read from before
/// that end, so nothing unread is overwritten.
fn put_at(bytes: &[u8], buf: &mut [u8], at: usize) -> Result<usize> {
    let end = at + bytes.len();
    buf.get_mut(at..end).ok_or_else(|| Error::bad(WHAT, "base64 overran its buffer"))?.copy_from_slice(bytes);
    Ok(end)
}

/// The value of each byte as a base64 character (standard alphabet); 0xff for any other byte.
// Indexing a 256-entry table with i < 256, at compile time.
#[allow(clippy::indexing_slicing)]
const BASE64_VALUES: [u8; 256] = {
    let mut table = [0xffu8; 256];
    let mut i = 0;
    while i < 256 {
        let b = i as u8;
        table[i] = match b {
            b'A'..=b'Z' => b - b'A',
            b'a'..=b'z' => b - b'a' + 26,
            b'0'..=b'9' => b - b'0' + 52,
            b'+' => 62,
            b'/' => 63,
            _ => 0xff,
        };
        i += 1;
    }
    table
};

/// The value of a base64 character (six bits); 0xff for any other byte.
fn sextet(b: u8) -> u32 {
    u32::from(BASE64_VALUES.get(usize::from(b)).copied().unwrap_or(0xff))
}

/// Decodes `clean`, base64 characters only and no padding, onto `out`; trailing bits of a final
/// group of 2 or 3 characters are ignored. An error for any other character or a single character
/// left over, and `out` then holds a partial result for the caller to clear. (A table and a loop:
/// the base64 crate's generic decoder, built for size with the rest of the wasm, took 4 % of a 1 KB
/// verification.)
fn decode_into(clean: &[u8], out: &mut Vec<u8>) -> Result<()> {
    let bad = || Error::bad(WHAT, "bad base64: a character outside the alphabet, or a lone last one");
    let start = out.len();
    out.resize(start + clean.len() / 4 * 3, 0);
    let mut quads = clean.chunks_exact(4);
    for (q, o) in (&mut quads).zip(out.get_mut(start..).unwrap_or_default().chunks_exact_mut(3)) {
        let (&[a, b, c, d], [o0, o1, o2]) = (q, o) else { return Err(bad()) };
        let (a, b, c, d) = (sextet(a), sextet(b), sextet(c), sextet(d));
        if (a | b | c | d) & 0x80 != 0 {
            return Err(bad());
        }
        let n = (a << 18) | (b << 12) | (c << 6) | d;
        (*o0, *o1, *o2) = ((n >> 16) as u8, (n >> 8) as u8, n as u8);
    }
    match *quads.remainder() {
        [] => Ok(()),
        [a, b] => match (sextet(a), sextet(b)) {
            (a, b) if (a | b) & 0x80 == 0 => {
                out.push(((a << 2) | (b >> 4)) as u8);
                Ok(())
            }
            _ => Err(bad()),
        },
        [a, b, c] => match (sextet(a), sextet(b), sextet(c)) {
            (a, b, c) if (a | b | c) & 0x80 == 0 => {
                let n = (a << 10) | (b << 4) | (c >> 2);
                out.extend_from_slice(&[(n >> 8) as u8, n as u8]);
                Ok(())
            }
            _ => Err(bad()),
        },
        _ => Err(bad()),
    }
}

/// The upper-case hex digit for a nibble (0..=15).
fn hex_upper(nibble: u8) -> u8 {
    match nibble {
        0..=9 => b'0' + nibble,
        _ => b'A' + (nibble & 15).saturating_sub(10),
    }
}

fn hex_digit(b: u8) -> Option<u8> {
    match b {
        b'0'..=b'9' => Some(b - b'0'),
        b'A'..=b'F' => Some(b - b'A' + 10),
        b'a'..=b'f' => Some(b - b'a' + 10),
        _ => None,
    }
}

/// Decodes quoted-printable leniently: an `=` not followed by two hex digits or a line break is
/// kept as it is; soft line breaks (`=` at the end of a line, CRLF or LF) are removed; whitespace
/// at the end of a line is dropped (RFC 2045 rule 3: it was added in transport).
pub fn quoted_printable_decode(data: &[u8]) -> Vec<u8> {
    let mut out = Vec::with_capacity(data.len());
    for line in super::lines::lines(data) {
        let mut text = line.text;
        while let [rest @ .., b' ' | b'\t'] = text {
            text = rest;
        }
        let (text, soft) = match text {
            [rest @ .., b'='] => (rest, true),
            _ => (text, false),
        };
        let mut i = 0;
        while let Some(&b) = text.get(i) {
            if b == b'=' {
                if let (Some(h), Some(l)) =
                    (text.get(i + 1).copied().and_then(hex_digit), text.get(i + 2).copied().and_then(hex_digit))
                {
                    out.push(h << 4 | l);
                    i += 3;
                    continue;
                }
            }
            out.push(b);
            i += 1;
        }
        if !soft {
            out.extend_from_slice(line.eol);
        }
    }
    out
}

/// Encodes text as quoted-printable (RFC 2045 section 6.7). The input's line breaks (CRLF or LF)
/// become CRLF hard breaks; `=`, control characters and 8-bit bytes are encoded, as is whitespace
/// before a line break; lines are soft-broken at 76 characters. For safety through mail gateways
/// a line starting with `From ` or consisting of a single `.` has its first character encoded.
pub fn quoted_printable_encode(data: &[u8]) -> Vec<u8> {
    let mut out = Vec::with_capacity(data.len() + data.len() / 8 + 4);
    for line in super::lines::lines(data) {
        let text = line.text;
        let mut col = 0;
        for (i, &b) in text.iter().enumerate() {
            let last = i + 1 == text.len();
            let plain = matches!(b, b'!'..=b'<' | b'>'..=b'~') || (matches!(b, b' ' | b'\t') && !last);
            let mut width = if plain { 1 } else { 3 };
            // Leave room for the soft break "=", and keep the final character on this line if it fits.
            let limit = if last { LINE } else { LINE - 1 };
            if col + width > limit {
                out.extend_from_slice(b"=\r\n");
                col = 0;
            }
            // A physical line must not start with "From " nor be a lone ".".
            let rest = text.get(i..).unwrap_or(&[]);
            if col == 0 && (rest.starts_with(b"From ") || (i == 0 && rest == b".")) {
                width = 3;
            }
            if width == 1 {
                out.push(b);
            } else {
                out.extend_from_slice(&[b'=', hex_upper(b >> 4), hex_upper(b & 15)]);
            }
            col += width;
        }
        if !line.eol.is_empty() {
            out.extend_from_slice(b"\r\n");
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use base64::engine::general_purpose::{GeneralPurpose, GeneralPurposeConfig};
    use base64::engine::DecodePaddingMode;

    /// The base64 crate's lenient decoding, the reference for [`decode_into`].
    const LENIENT: GeneralPurpose = GeneralPurpose::new(
        &base64::alphabet::STANDARD,
        GeneralPurposeConfig::new()
            .with_decode_padding_mode(DecodePaddingMode::RequireNone)
            .with_decode_allow_trailing_bits(true),
    );

    use crate::test_rng::xorshift;

    #[test]
    fn strict_decoding_matches_the_base64_crate() {
        let mut next = xorshift(0x9e37_79b9_7f4a_7c15);
        for _ in 0..20_000 {
            let data: Vec<u8> = (0..next() % 20).map(|_| next() as u8).collect();
            let mut text = STANDARD.encode(&data).into_bytes();
            if next() % 3 == 0 && !text.is_empty() {
                let at = (next() % text.len() as u64) as usize;
                text[at] = [b'=', b' ', b'-', b'A', b'/'][(next() % 5) as usize];
            }
            if next() % 7 == 0 {
                text.push(b'=');
            }
            match STANDARD.decode(&text) {
                // The base64 crate also refuses non-zero bits after the last byte; the strict reader
                // ignores them, as the lenient one does.
                Ok(theirs) => assert_eq!(decode_base64_strict(&text).unwrap(), theirs),
                Err(base64::DecodeError::InvalidLastSymbol(..)) => {}
                Err(_) => assert!(decode_base64_strict(&text).is_err(), "{:?}", String::from_utf8_lossy(&text)),
            }
        }
        assert_eq!(decode_base64_strict(b"").unwrap(), b"");
        assert!(decode_base64_strict(b"QQ===").is_err() && decode_base64_strict(b"Q===").is_err());
    }

    #[test]
    fn decoding_matches_the_base64_crate() {
        // Random base64 text of every length up to 13, some with one stray character.
        let mut next = xorshift(0x2545_f491_4f6c_dd1d);
        let alphabet = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
        for _ in 0..20_000 {
            let len = (next() % 14) as usize;
            let mut text: Vec<u8> = (0..len).map(|_| alphabet[(next() % 64) as usize]).collect();
            if next() % 4 == 0 && len > 0 {
                let at = (next() % len as u64) as usize;
                text[at] = [b'=', b' ', b'-', 0x80, b'\n'][(next() % 5) as usize];
            }
            let mut ours = vec![7u8];
            let result = decode_into(&text, &mut ours).map(|()| ours[1..].to_vec());
            match LENIENT.decode(&text) {
                Ok(theirs) => assert_eq!(result.ok(), Some(theirs), "{:?}", String::from_utf8_lossy(&text)),
                Err(_) => assert!(result.is_err(), "{:?}", String::from_utf8_lossy(&text)),
            }
        }
    }

    #[test]
    fn base64_wraps_at_76_with_crlf() {
        let data: Vec<u8> = (0..=255).collect();
        let enc = base64_lines(&data);
        let lines: Vec<&[u8]> = enc.split(|&b| b == b'\n').collect();
        assert!(lines.iter().all(|l| l.len() <= 77));
        assert!(enc.ends_with(b"\r\n"));
        assert_eq!(decode_base64_lenient(&enc).unwrap(), data);
        assert_eq!(base64_lines(b""), b"");
        // 57 bytes make exactly one full line; 58 spill into a second.
        assert_eq!(base64_lines(&[0u8; 57]).len(), 76 + 2);
        let two = base64_lines(&[0u8; 58]);
        assert_eq!(two.len(), 76 + 2 + 4 + 2);
        assert_eq!(&two[76..78], b"\r\n");
        assert_eq!(base64_lines(b"hi"), b"aGk=\r\n");
    }

    #[test]
    fn base64_in_pieces_is_base64_of_the_whole() {
        let data: Vec<u8> = (0..200_000u32).map(|i| (i * 7 + i / 13) as u8).collect();
        let whole = base64_lines(&data);
        assert_eq!(whole.len(), base64_lines_len(data.len()));
        for cuts in [[1usize, 2, 3], [57, 58, 100], [14592, 14593, 60000], [0, 0, 199_999]] {
            let parts = [&data[..cuts[0]], &data[cuts[0]..cuts[1]], &data[cuts[1]..cuts[2]], &data[cuts[2]..]];
            let mut out = Vec::new();
            base64_lines_to(&parts, &mut |c| out.extend_from_slice(c));
            assert_eq!(out, whole, "{cuts:?}");
        }
        assert_eq!(decode_base64_lenient(&whole).unwrap(), data);
        let mut in_place = whole.clone();
        let n = decode_base64_lenient_in_place(&mut in_place).unwrap();
        assert_eq!(&in_place[..n], &data[..]);
        for n in 0..8 {
            assert_eq!(base64_lines_len(n), base64_lines(&data[..n]).len());
        }
    }

    /// The definition of lenient decoding, character by character.
    fn reference_decode(data: &[u8]) -> Vec<u8> {
        let mut clean: Vec<u8> = Vec::new();
        for &b in data {
            if b == b'=' {
                break;
            }
            if is_base64(b) {
                clean.push(b);
            }
        }
        if clean.len() % 4 == 1 {
            clean.pop();
        }
        LENIENT.decode(&clean).unwrap()
    }

    #[test]
    fn chunked_decoding_matches_the_definition() {
        let data: Vec<u8> = (0..300_000u32).map(|i| (i * 31 + i / 7) as u8).collect();
        let text = base64_lines(&data);
        let mut cases = vec![text.clone()];
        // Junk (spaces, tabs, bare LF, stray bytes) around and across chunk boundaries.
        for at in [1usize, 77, DECODE_CHUNK - 3, DECODE_CHUNK + 5, 2 * DECODE_CHUNK + 100, text.len() - 3] {
            let mut t = text.clone();
            t.insert(at, b' ');
            t.insert(at / 2, b'\t');
            t.insert(at / 3, 0xff);
            cases.push(t);
            let mut cut = text.clone();
            cut.insert(at, b'=');
            cases.push(cut);
        }
        let mut lf = text.clone();
        lf.retain(|&b| b != b'\r');
        cases.push(lf);
        for (n, case) in cases.iter().enumerate() {
            let mut buf = case.clone();
            let len = decode_base64_lenient_in_place(&mut buf).unwrap();
            assert_eq!(&buf[..len], &reference_decode(case)[..], "case {n}");
        }
    }

    #[test]
    fn base64_decoding_is_lenient() {
        assert_eq!(decode_base64_lenient(b"aGVs\nbG8=\n").unwrap(), b"hello");
        assert_eq!(decode_base64_lenient(b"aGVsbG8").unwrap(), b"hello");
        assert_eq!(decode_base64_lenient(b" aGVs bG8=\r\n=junk").unwrap(), b"hello");
        assert_eq!(decode_base64_lenient(b"a").unwrap(), b"");
    }

    #[test]
    fn qp_round_trips() {
        let samples: [&[u8]; 6] = [
            b"plain text\r\nsecond line\r\n",
            "Grüße, 5 € = viel\r\n".as_bytes(),
            b"trailing space \r\ntrailing tab\t\r\n",
            b"From here\r\n.\r\n..\r\n",
            b"no final newline",
            &[0, 1, 2, 200, 255, b'=', b'\r', b'\n'],
        ];
        for s in samples {
            let enc = quoted_printable_encode(s);
            assert!(enc.split(|&b| b == b'\n').all(|l| l.len() <= 77), "{:?}", String::from_utf8_lossy(&enc));
            assert!(enc.iter().all(|&b| b.is_ascii() && (b >= b' ' || b == b'\r' || b == b'\n')));
            assert!(!enc.windows(6).any(|w| w == b"\nFrom "));
            assert_eq!(quoted_printable_decode(&enc), s, "{:?}", String::from_utf8_lossy(&enc));
        }
        let long = "x".repeat(300) + "\r\n" + &"ü".repeat(100);
        assert_eq!(quoted_printable_decode(&quoted_printable_encode(long.as_bytes())), long.as_bytes());
        // "From " right where a soft break falls.
        for pad in 70..80 {
            let s = "y".repeat(pad) + "From here and " + &" ".repeat(pad) + "\r\n";
            let enc = quoted_printable_encode(s.as_bytes());
            assert!(!enc.windows(6).any(|w| w == b"\nFrom "), "{}", String::from_utf8_lossy(&enc));
            assert!(enc.split(|&b| b == b'\n').all(|l| l.len() <= 77 && !l.ends_with(b" \r")));
            assert_eq!(quoted_printable_decode(&enc), s.as_bytes());
        }
        let binary: Vec<u8> = (0..=255u8).filter(|&b| b != b'\n').cycle().take(2000).collect();
        let enc = quoted_printable_encode(&binary);
        assert!(enc.split(|&b| b == b'\n').all(|l| l.len() <= 77));
        assert_eq!(quoted_printable_decode(&enc), binary);
    }

    #[test]
    fn qp_encodes_as_the_rfc_says() {
        assert_eq!(quoted_printable_encode(b"a=b \r\n"), b"a=3Db=20\r\n");
        assert_eq!(quoted_printable_encode(b"From me\n"), b"=46rom me\r\n");
        assert_eq!(quoted_printable_encode("é".as_bytes()), b"=C3=A9");
    }

    #[test]
    fn decoded_sizes_are_bounded_by_the_input() {
        // Neither decoder can be made to grow its input: base64 gives at most 3 bytes per 4, quoted-printable
        // at most one byte per input byte, whatever the input.
        let mut x: u64 = 0x2545_f491_4f6c_dd1d;
        let alphabet = b"=AZaz09+/ \t\r\n=3D=\n=\r\n";
        for len in 0..3000usize {
            let input: Vec<u8> = (0..len % 300)
                .map(|_| {
                    x ^= x << 13;
                    x ^= x >> 7;
                    x ^= x << 17;
                    if x % 3 == 0 {
                        x as u8
                    } else {
                        alphabet[(x >> 8) as usize % alphabet.len()]
                    }
                })
                .collect();
            assert!(decode_base64_lenient(&input).map_or(0, |d| d.len()) <= input.len() / 4 * 3 + 2, "{input:?}");
            assert!(quoted_printable_decode(&input).len() <= input.len(), "{input:?}");
        }
    }

    #[test]
    fn qp_decoding_is_lenient() {
        assert_eq!(quoted_printable_decode(b"a=3D=\r\nb =zz=4\n"), b"a=b =zz=4\n");
        assert_eq!(quoted_printable_decode(b"soft=\nbreak"), b"softbreak");
        assert_eq!(quoted_printable_decode(b"x  \r\n"), b"x\r\n");
        assert_eq!(quoted_printable_decode(b"=C3=a9"), "é".as_bytes());
    }
}
