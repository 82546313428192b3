//! Building and parsing MIME mail (RFC 5322, RFC 2045–2049, RFC 2047, RFC 2231).
//!
//! # Parsing
//! [`parse`] turns a whole message (or any MIME entity) into an [`Entity`] tree that borrows from the
//! input: every entity keeps its exact raw bytes ([`Entity::raw`]), which is what a signature over a
//! `multipart/signed` part covers. Bodies are not copied or decoded until asked
//! ([`Entity::decoded_body`], [`Entity::text`]). Both CRLF and bare-LF line endings are accepted.
//! Parsing never panics; malformed input is read leniently where a mail reader would, and limits on
//! nesting depth ([`MAX_DEPTH`]), part count ([`MAX_PARTS`]) and header lines ([`MAX_HEADER_LINES`])
//! end in [`Error::LimitExceeded`](crate::Error::LimitExceeded).
//!
//! Header values come as written ([`Headers::get`]) or with RFC 2047 encoded-words decoded
//! ([`Headers::get_decoded`]); [`ContentType`] and [`ContentDisposition`] read parameters including
//! RFC 2231 continuations and charsets; [`parse_address_list`] reads address headers.
//!
//! # Building
//! [`build_entity`] makes a MIME entity from a [`Body`] (text, HTML, attachments) that is safe to sign:
//! CRLF line endings, no trailing whitespace, encoded lines of at most 76 characters, no `From ` at a
//! line start. [`build_message`] puts RFC 5322 header fields in front of such an entity.
//! The encoders are public too: [`base64_lines`], [`quoted_printable_encode`], [`encode_header_word`].
#![cfg_attr(not(test), deny(clippy::indexing_slicing, clippy::unwrap_used, clippy::expect_used, clippy::panic))]

mod address;
mod build;
mod charset;
mod content_type;
mod entity;
mod header;
mod lines;
mod message;
mod params;
mod parse;
mod readable;
mod rfc2047;
mod transfer;

#[cfg(test)]
mod roundtrip_tests;

pub use address::{parse_address_list, Address};
pub use build::{build_entity, Attachment, Body};
pub use charset::decode_charset;
pub use content_type::{ContentDisposition, ContentType};
pub use entity::Entity;
pub use header::{starts_with_header_section, Header, Headers, MAX_HEADER_LINES};
pub use lines::canonicalize_crlf;
pub(crate) use lines::find_bytes;
pub use message::build_message;
pub use parse::{parse, parse_levels, MAX_DEPTH, MAX_PARTS};
pub use readable::{readable, Readable, ReadableAttachment};
pub use rfc2047::{decode_header_words, encode_header_word};
pub use transfer::{
    base64_lines, base64_lines_len, base64_lines_to, decode_base64_lenient, decode_base64_lenient_in_place,
    decode_base64_strict, quoted_printable_decode, quoted_printable_encode,
};

/// The `what` of every [`Error::Malformed`](crate::Error::Malformed) raised by this module.
pub(crate) const WHAT: &str = "MIME message";
