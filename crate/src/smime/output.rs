//! A finished mail in pieces — a head, a body and a tail — written out without being assembled in
//! one buffer first: the wasm layer copies the pieces straight into the JavaScript result, so the
//! mail never exists twice in wasm memory. For an encrypted mail the body is the DER, written
//! as base64 a block at a time.

use core::ops::Range;

use crate::envelope::EnvelopeDer;
use crate::mime;

/// A signed or encrypted mail, in pieces; the mail is their concatenation.
#[derive(Debug)]
pub struct Output {
    head: Vec<u8>,
    body: Body,
    tail: Vec<u8>,
}

#[derive(Debug)]
enum Body {
    /// Nothing between head and tail.
    Empty,
    /// These bytes of a buffer (the signed entity, in the mail's own buffer).
    Slice { buf: Vec<u8>, range: Range<usize> },
    /// This DER as base64 lines (an encrypted mail).
    Base64(EnvelopeDer),
}

impl Output {
    /// A mail that is `head` and `tail` only.
    pub(super) fn plain(head: Vec<u8>, tail: Vec<u8>) -> Output {
        Output { head, body: Body::Empty, tail }
    }

    /// A mail with `buf[range]` between `head` and `tail`.
    pub(super) fn around(head: Vec<u8>, buf: Vec<u8>, range: Range<usize>, tail: Vec<u8>) -> Output {
        Output { head, body: Body::Slice { buf, range }, tail }
    }

    /// A mail whose body is `der` in base64 lines.
    pub(super) fn base64(head: Vec<u8>, der: EnvelopeDer) -> Output {
        Output { head, body: Body::Base64(der), tail: Vec::new() }
    }

    /// The mail's length in bytes.
    pub fn len(&self) -> usize {
        let body = match &self.body {
            Body::Empty => 0,
            Body::Slice { range, .. } => range.len(),
            Body::Base64(der) => mime::base64_lines_len(der.len()),
        };
        self.head.len() + body + self.tail.len()
    }

    /// True for an empty mail (never, for a signed or encrypted one).
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// Writes the mail to `sink`, piece by piece (the pieces' lengths add up to [`Output::len`]).
    pub fn write_to(&self, sink: &mut dyn FnMut(&[u8])) {
        sink(&self.head);
        match &self.body {
            Body::Empty => {}
            Body::Slice { buf, range } => sink(buf.get(range.clone()).unwrap_or_default()),
            Body::Base64(der) => mime::base64_lines_to(&[&der.header, &der.ciphertext, &der.trailer], sink),
        }
        sink(&self.tail);
    }

    /// The mail in one buffer.
    pub fn into_vec(self) -> Vec<u8> {
        let mut out = Vec::with_capacity(self.len());
        self.write_to(&mut |piece| out.extend_from_slice(piece));
        out
    }
}
