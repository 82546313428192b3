//! BER to DER normalisation.
//!
//! Real S/MIME is BER: OpenSSL's streaming output, Outlook and NSS write indefinite lengths and split
//! OCTET STRINGs into constructed chunks. The `der` crate (rightly) accepts only DER, so every CMS and
//! PKCS#12 input goes through [`to_der`] first. The normaliser
//! - replaces indefinite lengths by definite, minimal ones, and re-encodes non-minimal lengths;
//! - turns constructed encodings of string types (OCTET STRING, UTF8String, ...) into primitive ones;
//! - turns a constructed `[0]` that is the third element of a `SEQUENCE { OID, SEQUENCE, [0] }` —
//!   CMS's `EncryptedContentInfo`, whose `encryptedContent` is `[0] IMPLICIT OCTET STRING` — into a
//!   primitive `[0]`. (The `[0] EXPLICIT` of `EncapsulatedContentInfo` and `ContentInfo` is the second
//!   element and stays constructed.)
//!
//! It does not reorder SET OF elements: a signature over signed attributes is computed over the bytes
//! as sent, and those are DER already in every implementation we know of.

use crate::{Error, Result};

/// Deepest nesting accepted. CMS inside PKCS#12 inside CMS stays far below this.
pub const MAX_DEPTH: usize = 64;
/// Most TLV elements accepted in one input (a 25 MB message in 1000-byte chunks has ~25 000).
pub const MAX_ELEMENTS: usize = 2_000_000;

const WHAT: &str = "BER/DER encoding";

/// Normalises BER (or DER) to DER. The input must be exactly one element, optionally followed by
/// zero bytes only (some encoders pad).
pub fn to_der(input: &[u8]) -> Result<Vec<u8>> {
    let mut parser = Parser { data: input, pos: 0, elements: 0 };
    let node = parser.element(0)?;
    if input[parser.pos..].iter().any(|&b| b != 0) {
        return Err(Error::bad(WHAT, format!("{} bytes of trailing data", input.len() - parser.pos)));
    }
    let mut node = node;
    node.finish();
    let mut out = Vec::with_capacity(node.encoded_len);
    node.write(&mut out);
    Ok(out)
}

/// True when the input is already one DER-looking element with definite, minimal lengths and no
/// constructed strings — then [`to_der`] would return it unchanged and callers may skip the copy.
pub fn looks_like_der(input: &[u8]) -> bool {
    // Cheap check: the outer element has a definite length that spans the input exactly.
    // A full check would cost the same as normalising; callers use this only as a fast path hint
    // and fall back to `to_der` when parsing fails.
    let mut p = Parser { data: input, pos: 0, elements: 0 };
    match p.header() {
        Ok((_, _, Some(len))) => p.pos + len == input.len(),
        _ => false,
    }
}

/// The raw child elements (whole TLVs) of one constructed DER element, in input order.
///
/// Used where exact bytes matter and typed decoding would re-sort them: signed attributes are
/// verified over the bytes the signer sent, not over a re-encoding.
pub fn der_children(element: &[u8]) -> Result<Vec<&[u8]>> {
    children(element)?.collect()
}

/// The fields of one DER element with tag `tag` that is exactly `element`: [`der_children`], and
/// also checked to be that tag, with its length in the fewest bytes, and with nothing after it.
pub fn der_fields(element: &[u8], tag: u8) -> Result<Vec<&[u8]>> {
    let fields = der_children(element)?;
    let content: usize = fields.iter().map(|f| f.len()).sum();
    if element.first() != Some(&tag) || element.len() != 1 + length_len(content) + content {
        return Err(Error::bad(WHAT, format!("expected one DER element with tag {tag:#04x}")));
    }
    Ok(fields)
}

/// The raw child elements of one constructed DER element, one at a time: [`der_children`] without
/// the vector. An error ends the iteration.
pub(crate) fn children(element: &[u8]) -> Result<Children<'_>> {
    let mut p = Parser { data: element, pos: 0, elements: 0 };
    let (_, constructed, len) = p.header()?;
    let (true, Some(len)) = (constructed, len) else {
        return Err(Error::bad(WHAT, "expected a constructed element with a definite length"));
    };
    Ok(Children { end: p.pos + len, p, failed: false })
}

pub(crate) struct Children<'a> {
    p: Parser<'a>,
    end: usize,
    failed: bool,
}

impl<'a> Iterator for Children<'a> {
    type Item = Result<&'a [u8]>;

    fn next(&mut self) -> Option<Result<&'a [u8]>> {
        if self.failed || self.p.pos >= self.end {
            return None;
        }
        let start = self.p.pos;
        let child = match self.p.header() {
            Ok((_, _, Some(clen))) if self.p.pos + clen <= self.end => {
                self.p.pos += clen;
                Ok(&self.p.data[start..self.p.pos])
            }
            Ok((_, _, Some(_))) => Err(Error::bad(WHAT, "element overruns its parent")),
            Ok((_, _, None)) => Err(Error::bad(WHAT, "indefinite length inside DER")),
            Err(e) => Err(e),
        };
        self.failed = child.is_err();
        Some(child)
    }
}

/// Most elements of one SET, or of one context-tagged constructed element (which may be an IMPLICIT
/// SET OF), that [`check_sets`] lets through.
pub const MAX_SET_ELEMENTS: usize = 1024;

/// Checks that no SET (universal tag 17) and no context-tagged constructed element in a DER element
/// has more than [`MAX_SET_ELEMENTS`] elements, at any depth, including the DER inside OCTET STRINGs
/// (certificate extensions). The `der` crate sorts every SET OF it decodes by insertion, in time
/// quadratic in its length (8000 small elements take seconds), so untrusted DER goes through this
/// first. Fails only with [`Error::LimitExceeded`]: what does not parse is left to the decoder.
pub fn check_sets(der: &[u8]) -> Result<()> {
    fn walk(element: &[u8], depth: usize) -> Result<()> {
        let Some(&tag) = element.first() else { return Ok(()) };
        // Every element takes at least 2 bytes (tag and length), so a SET of more than
        // MAX_SET_ELEMENTS needs more than twice that many, with its own header: nothing shorter
        // can hold one (most of a mail's elements, whole certificates included).
        if depth > MAX_DEPTH || element.len() < 2 * (MAX_SET_ELEMENTS + 1) {
            return Ok(());
        }
        if tag == 0x04 {
            // An OCTET STRING that holds DER (extension values): look inside.
            let mut p = Parser { data: element, pos: 0, elements: 0 };
            return match p.header() {
                Ok((_, false, Some(len))) if matches!(element.get(p.pos), Some(0x30 | 0x31)) => {
                    walk(element.get(p.pos..p.pos + len).unwrap_or_default(), depth + 1)
                }
                _ => Ok(()),
            };
        }
        if tag & 0x20 == 0 {
            return Ok(());
        }
        // Counted first, without collecting (this walk visits every element of a message), then
        // walked: a malformed element anywhere among the children is left to the decoder.
        let mut count = 0;
        for child in children(element).into_iter().flatten() {
            if child.is_err() {
                return Ok(());
            }
            count += 1;
        }
        if (tag == 0x31 || tag & 0xc0 == 0x80) && count > MAX_SET_ELEMENTS {
            return Err(Error::LimitExceeded(format!(
                "an ASN.1 SET with {count} elements (at most {MAX_SET_ELEMENTS})"
            )));
        }
        children(element).into_iter().flatten().flatten().try_for_each(|c| walk(c, depth + 1))
    }
    walk(der, 0)
}

/// The value bytes (after tag and length) of the DER element that starts `element`.
pub fn der_value(element: &[u8]) -> Result<&[u8]> {
    let mut p = Parser { data: element, pos: 0, elements: 0 };
    let (_, _, len) = p.header()?;
    let len = len.ok_or_else(|| Error::bad(WHAT, "indefinite length inside DER"))?;
    element.get(p.pos..p.pos + len).ok_or_else(|| Error::bad(WHAT, "element overruns its input"))
}

enum Content<'a> {
    Primitive(&'a [u8]),
    /// A primitive whose content is the concatenation of these chunks (a flattened constructed string).
    Chunks(Vec<&'a [u8]>),
    Constructed(Vec<Node<'a>>),
}

struct Node<'a> {
    tag: &'a [u8],
    content: Content<'a>,
    /// Length of the content once re-encoded; set by `finish`.
    content_len: usize,
    /// Length of the whole element once re-encoded; set by `finish`.
    encoded_len: usize,
}

struct Parser<'a> {
    data: &'a [u8],
    pos: usize,
    elements: usize,
}

impl<'a> Parser<'a> {
    fn byte(&mut self) -> Result<u8> {
        let b = *self
            .data
            .get(self.pos)
            .ok_or_else(|| Error::bad(WHAT, format!("input ends early at byte {}", self.pos)))?;
        self.pos += 1;
        Ok(b)
    }

    /// Reads tag and length; `None` length means indefinite.
    fn header(&mut self) -> Result<(&'a [u8], bool, Option<usize>)> {
        let start = self.pos;
        let first = self.byte()?;
        if first & 0x1f == 0x1f {
            // High tag number form: base-128 continuation bytes.
            loop {
                let b = self.byte()?;
                if self.pos - start > 6 {
                    return Err(Error::bad(WHAT, "tag number too large"));
                }
                if b & 0x80 == 0 {
                    break;
                }
            }
        }
        let tag = &self.data[start..self.pos];
        let constructed = first & 0x20 != 0;
        let l = self.byte()?;
        let len = if l < 0x80 {
            Some(l as usize)
        } else if l == 0x80 {
            if !constructed {
                return Err(Error::bad(WHAT, "indefinite length on a primitive element"));
            }
            None
        } else {
            let n = (l & 0x7f) as usize;
            if n > 4 {
                return Err(Error::bad(WHAT, "length field longer than 4 bytes"));
            }
            let mut len = 0usize;
            for _ in 0..n {
                len = (len << 8) | self.byte()? as usize;
            }
            Some(len)
        };
        if let Some(len) = len {
            if len > self.data.len() - self.pos {
                return Err(Error::bad(
                    WHAT,
                    format!(
                        "element at byte {} claims {} bytes, only {} remain",
                        self.pos,
                        len,
                        self.data.len() - self.pos
                    ),
                ));
            }
        }
        Ok((tag, constructed, len))
    }

    fn element(&mut self, depth: usize) -> Result<Node<'a>> {
        if depth > MAX_DEPTH {
            return Err(Error::LimitExceeded(format!("ASN.1 nesting deeper than {MAX_DEPTH}")));
        }
        self.elements += 1;
        if self.elements > MAX_ELEMENTS {
            return Err(Error::LimitExceeded(format!("more than {MAX_ELEMENTS} ASN.1 elements")));
        }
        let (tag, constructed, len) = self.header()?;
        let content = if !constructed {
            // `header` guarantees a definite length for primitives, within bounds.
            let len = len.unwrap_or(0);
            let c = &self.data[self.pos..self.pos + len];
            self.pos += len;
            Content::Primitive(c)
        } else {
            let mut children = Vec::new();
            match len {
                Some(len) => {
                    let end = self.pos + len;
                    while self.pos < end {
                        let child = self.element(depth + 1)?;
                        if self.pos > end {
                            return Err(Error::bad(WHAT, "element overruns its parent"));
                        }
                        children.push(child);
                    }
                }
                None => loop {
                    if self.data.get(self.pos) == Some(&0) && self.data.get(self.pos + 1) == Some(&0) {
                        self.pos += 2;
                        break;
                    }
                    if self.pos >= self.data.len() {
                        return Err(Error::bad(WHAT, "indefinite-length element has no end-of-contents"));
                    }
                    children.push(self.element(depth + 1)?);
                },
            }
            Content::Constructed(children)
        };
        Ok(Node { tag, content, content_len: 0, encoded_len: 0 })
    }
}

/// Universal string types whose constructed form becomes primitive.
fn is_string_tag(tag: &[u8]) -> bool {
    // Universal class, constructed bit set, low-tag-number form.
    matches!(tag, [t] if t & 0xe0 == 0x20 && matches!(t & 0x1f, 4 | 12 | 18..=22 | 25..=30))
}

fn all_leaves_are_octet_strings(node: &Node<'_>) -> bool {
    match &node.content {
        Content::Primitive(_) | Content::Chunks(_) => node.tag == [0x04],
        Content::Constructed(children) => {
            (node.tag == [0x24] || node.tag == [0xa0]) && children.iter().all(all_leaves_are_octet_strings)
        }
    }
}

fn collect_leaves<'a>(node: &Node<'a>, out: &mut Vec<&'a [u8]>) {
    match &node.content {
        Content::Primitive(c) => out.push(c),
        Content::Chunks(c) => out.extend_from_slice(c),
        Content::Constructed(children) => children.iter().for_each(|c| collect_leaves(c, out)),
    }
}

fn length_len(len: usize) -> usize {
    match len {
        0..=0x7f => 1,
        0x80..=0xff => 2,
        0x100..=0xffff => 3,
        0x1_0000..=0xff_ffff => 4,
        _ => 5,
    }
}

fn write_length(out: &mut Vec<u8>, len: usize) {
    let n = length_len(len);
    if n == 1 {
        out.push(len as u8);
    } else {
        out.push(0x80 | (n - 1) as u8);
        for i in (0..n - 1).rev() {
            out.push((len >> (8 * i)) as u8);
        }
    }
}

impl<'a> Node<'a> {
    /// Applies the flattening rules and computes encoded lengths, bottom-up: every rule looks at
    /// children already in their final form, so that what comes out is a fixed point (normalising
    /// it again changes nothing).
    fn finish(&mut self) {
        if let Content::Constructed(children) = &mut self.content {
            children.iter_mut().for_each(Node::finish);
            // EncryptedContentInfo: SEQUENCE { OID, AlgorithmIdentifier, [0] IMPLICIT OCTET STRING }.
            if self.tag == [0x30] && children.len() == 3 && children[0].tag == [0x06] && children[1].tag == [0x30] {
                let third = &mut children[2];
                if third.tag == [0xa0] && all_leaves_are_octet_strings(third) {
                    flatten(third, &[0x80]);
                    third.finish();
                }
            }
        }
        if is_string_tag(self.tag) {
            // A string tag is one byte (0x20 | 0..=0x1f, see `is_string_tag`); its primitive form, as
            // a slice that outlives the input.
            const PRIMITIVE: [u8; 32] = {
                let mut t = [0u8; 32];
                let mut i = 0;
                while i < 32 {
                    t[i] = i as u8;
                    i += 1;
                }
                t
            };
            let t = usize::from(self.tag[0] & 0x1f);
            flatten(self, &PRIMITIVE[t..t + 1]);
        }
        self.content_len = match &self.content {
            Content::Primitive(c) => c.len(),
            Content::Chunks(c) => c.iter().map(|c| c.len()).sum(),
            Content::Constructed(children) => children.iter().map(|c| c.encoded_len).sum(),
        };
        self.encoded_len = self.tag.len() + length_len(self.content_len) + self.content_len;
    }

    fn write(&self, out: &mut Vec<u8>) {
        out.extend_from_slice(self.tag);
        write_length(out, self.content_len);
        match &self.content {
            Content::Primitive(c) => out.extend_from_slice(c),
            Content::Chunks(chunks) => chunks.iter().for_each(|c| out.extend_from_slice(c)),
            Content::Constructed(children) => children.iter().for_each(|c| c.write(out)),
        }
    }
}

/// A constructed DER element: `tag`, the definite length, then `children` as they are.
pub(crate) fn constructed<C: AsRef<[u8]>>(tag: u8, children: &[C]) -> Vec<u8> {
    let len = children.iter().map(|c| c.as_ref().len()).sum();
    let mut out = Vec::with_capacity(1 + length_len(len) + len);
    out.push(tag);
    write_length(&mut out, len);
    for c in children {
        out.extend_from_slice(c.as_ref());
    }
    out
}

/// Puts the encodings of a SET OF's elements in DER order (X.690 11.6: ascending, compared as
/// octet strings; no DER encoding is a prefix of another, so this is plain byte order). Each element
/// is encoded once by the caller: the der crate's `SetOfVec` re-encodes both elements of every
/// comparison, and orders the cms crate's CHOICE types (`RecipientInfo`, `CertificateChoices`) as
/// SEQUENCE OF INTEGER, not by this rule. An insertion sort: sets are short, and it adds no sort
/// instantiation to the wasm (see `crate::sort`).
pub(crate) fn sort_set_of(encodings: &mut [Vec<u8>]) {
    for i in 1..encodings.len() {
        let mut j = i;
        while j > 0 && encodings[j - 1] > encodings[j] {
            encodings.swap(j - 1, j);
            j -= 1;
        }
    }
}

/// One DER element with a minimal definite length, for tests that build input by hand.
#[cfg(test)]
pub(crate) fn tlv(tag: u8, content: &[u8]) -> Vec<u8> {
    let mut out = vec![tag];
    write_length(&mut out, content.len());
    out.extend_from_slice(content);
    out
}

/// A DER ContentInfo with the fields of its content (SignedData, EnvelopedData, ...) changed by `edit`,
/// for tests that build hostile CMS by hand.
#[cfg(test)]
pub(crate) fn with_content_fields(content_info: &[u8], edit: impl FnOnce(&mut Vec<Vec<u8>>)) -> Vec<u8> {
    let ci = der_children(content_info).unwrap_or_default();
    let (Some(oid), Some(explicit)) = (ci.first(), ci.get(1)) else { return Vec::new() };
    let inner = der_children(explicit).unwrap_or_default().first().copied().unwrap_or_default();
    let mut fields: Vec<Vec<u8>> = der_children(inner).unwrap_or_default().into_iter().map(<[u8]>::to_vec).collect();
    edit(&mut fields);
    tlv(0x30, &[oid.to_vec(), tlv(0xa0, &tlv(0x30, &fields.concat()))].concat())
}

/// The first element of a constructed element, `n` times, under `tag` (for tests).
#[cfg(test)]
pub(crate) fn repeated(tag: u8, of: &[u8], n: usize) -> Vec<u8> {
    tlv(tag, &der_children(of).unwrap_or_default().first().copied().unwrap_or_default().repeat(n))
}

/// Turns a constructed string into a primitive one with `tag`, joining its chunks without copying.
fn flatten<'a>(node: &mut Node<'a>, tag: &'a [u8]) {
    let mut leaves = Vec::new();
    collect_leaves(node, &mut leaves);
    node.tag = tag;
    node.content = Content::Chunks(leaves);
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn der_passes_unchanged() {
        let der = [0x30, 0x06, 0x02, 0x01, 0x05, 0x04, 0x01, 0xaa];
        assert_eq!(to_der(&der).unwrap(), der);
    }

    #[test]
    fn indefinite_and_chunked_octet_string() {
        // SEQUENCE (indef) { OCTET STRING constructed (indef) { "ab", "c" } }
        let ber = [0x30, 0x80, 0x24, 0x80, 0x04, 0x02, b'a', b'b', 0x04, 0x01, b'c', 0, 0, 0, 0];
        assert_eq!(to_der(&ber).unwrap(), [0x30, 0x05, 0x04, 0x03, b'a', b'b', b'c']);
    }

    #[test]
    fn encrypted_content_info_implicit_zero_is_flattened_but_explicit_is_kept() {
        // SEQUENCE { OID 1.2, SEQUENCE {}, [0] (indef) { 04 01 'x', 04 01 'y' } }
        let eci =
            [0x30, 0x80, 0x06, 0x01, 0x2a, 0x30, 0x00, 0xa0, 0x80, 0x04, 0x01, b'x', 0x04, 0x01, b'y', 0, 0, 0, 0];
        assert_eq!(to_der(&eci).unwrap(), [0x30, 0x09, 0x06, 0x01, 0x2a, 0x30, 0x00, 0x80, 0x02, b'x', b'y']);
        // ContentInfo-like: SEQUENCE { OID, [0] EXPLICIT { OCTET STRING } } keeps the explicit tag.
        let ci = [0x30, 0x80, 0x06, 0x01, 0x2a, 0xa0, 0x80, 0x24, 0x80, 0x04, 0x01, b'z', 0, 0, 0, 0, 0, 0];
        assert_eq!(to_der(&ci).unwrap(), [0x30, 0x08, 0x06, 0x01, 0x2a, 0xa0, 0x03, 0x04, 0x01, b'z']);
    }

    #[test]
    fn output_is_a_fixed_point() {
        // An EncryptedContentInfo-shaped [0] whose leaves become OCTET STRINGs only once their own
        // constructed strings are flattened: decided on the flattened children, in one pass.
        let cases: &[&[u8]] = &[
            &[0x30, 0x80, 0x06, 0x01, 0x2a, 0x30, 0x00, 0xa0, 0x80, 0x24, 0x80, 0x0c, 0x01, b'x', 0, 0, 0, 0, 0, 0],
            &[0x30, 0x0d, 0x06, 0x01, 0x2a, 0x30, 0x00, 0xa0, 0x06, 0xa0, 0x04, 0x24, 0x02, 0x13, 0x00],
            &[
                0x30, 0x80, 0x06, 0x01, 0x2a, 0x30, 0x00, 0xa0, 0x80, 0x04, 0x01, b'x', 0x2c, 0x80, 0x04, 0x00, 0, 0,
                0, 0, 0, 0,
            ],
        ];
        for c in cases {
            let once = to_der(c).unwrap();
            assert_eq!(to_der(&once).unwrap(), once, "{c:02x?}");
        }
        assert_eq!(to_der(cases[0]).unwrap(), [0x30, 0x08, 0x06, 0x01, 0x2a, 0x30, 0x00, 0x80, 0x01, b'x']);
    }

    #[test]
    fn non_minimal_length_is_reencoded() {
        let ber = [0x04, 0x82, 0x00, 0x01, 0xff];
        assert_eq!(to_der(&ber).unwrap(), [0x04, 0x01, 0xff]);
    }

    #[test]
    fn long_content_gets_long_length() {
        let mut ber = vec![0x24, 0x80];
        for _ in 0..300 {
            ber.extend_from_slice(&[0x04, 0x01, 0x41]);
        }
        ber.extend_from_slice(&[0, 0]);
        let der = to_der(&ber).unwrap();
        assert_eq!(&der[..4], &[0x04, 0x82, 0x01, 0x2c]);
        assert_eq!(der.len(), 304);
    }

    #[test]
    fn malformed_inputs_are_errors_not_panics() {
        let cases: &[&[u8]] = &[
            &[],
            &[0x30],
            &[0x30, 0x80],
            &[0x30, 0x80, 0x04, 0x01],
            &[0x04, 0x80, 0x00, 0x00],
            &[0x30, 0x85, 1, 2, 3, 4, 5],
            &[0x30, 0x03, 0x04, 0x05, 0x00],
            &[0x1f, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0x7f, 0x00],
            &[0x04, 0x01, 0x00, 0x05],
        ];
        for c in cases {
            assert!(to_der(c).is_err(), "{c:?}");
        }
    }

    #[test]
    fn nesting_limit() {
        let mut ber = Vec::new();
        for _ in 0..(MAX_DEPTH + 2) {
            ber.extend_from_slice(&[0x30, 0x80]);
        }
        for _ in 0..(MAX_DEPTH + 2) {
            ber.extend_from_slice(&[0, 0]);
        }
        assert!(matches!(to_der(&ber), Err(Error::LimitExceeded(_))));
    }

    #[test]
    fn element_count_limit() {
        let nulls = |n: usize| tlv(0x30, &[0x05, 0x00].repeat(n));
        // The outer SEQUENCE counts too.
        assert!(to_der(&nulls(MAX_ELEMENTS - 1)).is_ok());
        assert!(matches!(to_der(&nulls(MAX_ELEMENTS)), Err(Error::LimitExceeded(_))));
    }

    #[test]
    fn set_size_limit() {
        let set = |tag: u8, n: usize| tlv(tag, &tlv(0x04, b"x").repeat(n));
        for tag in [0x31, 0xa0, 0xa3] {
            assert!(check_sets(&set(tag, MAX_SET_ELEMENTS)).is_ok());
            assert!(matches!(check_sets(&set(tag, MAX_SET_ELEMENTS + 1)), Err(Error::LimitExceeded(_))), "{tag:x}");
        }
        // SEQUENCE OF is not sorted when decoded: any length.
        assert!(check_sets(&set(0x30, MAX_SET_ELEMENTS + 1)).is_ok());
        // At any depth, and inside OCTET STRINGs that hold DER (certificate extensions).
        let deep =
            tlv(0x30, &[tlv(0x02, &[1]), tlv(0xa3, &tlv(0x30, &tlv(0x04, &set(0x31, MAX_SET_ELEMENTS + 1))))].concat());
        assert!(matches!(check_sets(&deep), Err(Error::LimitExceeded(_))));
        // What does not parse is left to the decoder.
        for junk in [&[][..], &[0x31], &[0x31, 0x05, 0x04], &[0x04, 0x02, 0x30, 0x80]] {
            assert!(check_sets(junk).is_ok());
        }
    }

    #[test]
    fn pseudo_random_garbage_never_panics() {
        let mut bytes = crate::test_rng::bytes(0x9e37_79b9_7f4a_7c15);
        for len in 0..2000usize {
            let mut buf = bytes(len % 64);
            if len % 3 == 0 && !buf.is_empty() {
                buf[0] = 0x30;
            }
            let _ = to_der(&buf);
        }
    }
}
