//! One MIME entity of a parsed message, and what can be read from it.

use super::charset::decode_charset;
use super::content_type::{ContentDisposition, ContentType};
use super::header::Headers;
use super::transfer::{decode_base64_lenient, quoted_printable_decode};
use crate::Result;

/// A MIME entity: header fields and a body, and for multiparts the parts.
#[derive(Debug, Clone)]
pub struct Entity<'a> {
    /// The exact bytes of this entity as in the input: header block, empty line, body. For a part
    /// of a multipart, the bytes between the boundary line and the line break before the next
    /// boundary (which belongs to the boundary, RFC 2046 section 5.1.1): what a detached signature covers.
    pub raw: &'a [u8],
    /// The header fields.
    pub headers: Headers,
    /// The Content-Type (the default `text/plain` when absent).
    pub content_type: ContentType,
    /// The body as in the input, still transfer-encoded.
    pub body: &'a [u8],
    /// The parts of a multipart; empty for any other entity (message/rfc822 is not descended into).
    pub children: Vec<Entity<'a>>,
}

impl<'a> Entity<'a> {
    /// The body with its Content-Transfer-Encoding undone: base64 (leniently, see
    /// [`decode_base64_lenient`]) and quoted-printable are decoded; 7bit, 8bit, binary, an absent
    /// or an unknown encoding leave the body as it is.
    pub fn decoded_body(&self) -> Result<Vec<u8>> {
        let cte = self.headers.get("content-transfer-encoding").map(|v| v.trim().to_ascii_lowercase());
        match cte.as_deref() {
            Some("base64") => decode_base64_lenient(self.body),
            Some("quoted-printable") => Ok(quoted_printable_decode(self.body)),
            _ => Ok(self.body.to_vec()),
        }
    }

    /// The decoded body as text, converted from its `charset` parameter (US-ASCII when absent;
    /// unknown charsets and invalid bytes are converted lossily).
    pub fn text(&self) -> Result<String> {
        let charset = self.content_type.param("charset").unwrap_or("us-ascii");
        Ok(decode_charset(&self.decoded_body()?, charset))
    }

    /// The Content-Disposition, if any.
    pub fn disposition(&self) -> Option<ContentDisposition> {
        self.headers.get("content-disposition").map(ContentDisposition::parse)
    }

    /// The file name: Content-Disposition's `filename`, else Content-Type's `name`, decoded.
    pub fn filename(&self) -> Option<String> {
        self.disposition()
            .and_then(|d| d.param("filename").map(str::to_string))
            .or_else(|| self.content_type.param("name").map(str::to_string))
            .filter(|n| !n.is_empty())
    }

    /// Whether a reader would show this as an attachment rather than as part of the message text:
    /// `Content-Disposition: attachment`; or, without a disposition, a part with a file name or a
    /// part that is neither text nor multipart nor an embedded message. An `inline` part counts
    /// only when it has a file name and is not text.
    pub fn is_attachment(&self) -> bool {
        let ct = &self.content_type;
        let text = ct.mime_type.starts_with("text/");
        match self.disposition().map(|d| d.disposition) {
            Some(d) if d == "attachment" => true,
            Some(d) if d == "inline" => !text && !ct.is_multipart() && self.filename().is_some(),
            _ => !ct.is_multipart() && (self.filename().is_some() || (!text && !ct.is("message/rfc822"))),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::super::parse;

    fn part(headers: &str) -> bool {
        let m = format!("{headers}\n\nbody");
        parse(m.as_bytes()).unwrap().is_attachment()
    }

    #[test]
    fn attachment_heuristics() {
        assert!(part("Content-Disposition: attachment"));
        assert!(part("Content-Type: text/plain\nContent-Disposition: ATTACHMENT; filename=a.txt"));
        assert!(!part("Content-Type: text/plain"));
        assert!(!part(""));
        assert!(part("Content-Type: application/pdf"));
        assert!(part("Content-Type: text/plain; name=a.txt"));
        assert!(!part("Content-Type: image/png\nContent-Disposition: inline"));
        assert!(part("Content-Type: image/png\nContent-Disposition: inline; filename=a.png"));
        assert!(!part("Content-Type: message/rfc822"));
        assert!(!part("Content-Type: multipart/mixed; boundary=x"));
    }

    #[test]
    fn bodies_and_names() {
        let m = "Content-Type: text/plain; charset=iso-8859-1; name=\"a.txt\"\nContent-Transfer-Encoding: Quoted-Printable\nContent-Disposition: attachment; filename*=utf-8''%C3%A4.txt\n\nK=F6ln=\n!\n";
        let e = parse(m.as_bytes()).unwrap();
        assert_eq!(e.text().unwrap(), "Köln!\n");
        assert_eq!(e.filename().as_deref(), Some("ä.txt"));
        let e = parse(b"Content-Type: application/octet-stream; name=\"=?utf-8?q?=C3=A4?=.bin\"\nContent-Transfer-Encoding: base64\n\naGVs\nbG8\n").unwrap();
        assert_eq!(e.filename().as_deref(), Some("ä.bin"));
        assert_eq!(e.decoded_body().unwrap(), b"hello");
        let e = parse(b"Content-Transfer-Encoding: 8bit\n\n\xe4").unwrap();
        assert_eq!(e.decoded_body().unwrap(), b"\xe4");
        assert_eq!(e.text().unwrap(), "ä");
        assert_eq!(e.filename(), None);
    }
}
