//! A message as a reader shows it: its text, its HTML and its attachments, found in the MIME tree.

use super::entity::Entity;
use crate::Result;

/// An attachment, decoded.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ReadableAttachment {
    /// The file name (`attachment-N` when the part names none).
    pub filename: String,
    /// The Content-Type (type/subtype).
    pub content_type: String,
    /// The decoded bytes.
    pub data: Vec<u8>,
}

/// What a reader shows of a message.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Readable {
    /// Header fields, RFC 2047 decoded, in order (MIME-Version and Content-* left out).
    pub headers: Vec<(String, String)>,
    /// The first text/plain body that is not an attachment.
    pub text: Option<String>,
    /// The first text/html body that is not an attachment.
    pub html: Option<String>,
    /// The attachments, in order.
    pub attachments: Vec<ReadableAttachment>,
}

/// Walks the tree of `entity`: in a multipart/alternative both the plain and the HTML body are kept.
pub fn readable(entity: &Entity<'_>) -> Result<Readable> {
    let mut out = Readable::default();
    for h in &entity.headers.0 {
        let lower = h.name.to_ascii_lowercase();
        if lower.starts_with("content-") || lower == "mime-version" {
            continue;
        }
        let value = entity.headers.get_decoded(&h.name).unwrap_or_else(|| h.value.clone());
        out.headers.push((h.name.clone(), value));
    }
    walk(entity, &mut out)?;
    Ok(out)
}

fn walk(e: &Entity<'_>, out: &mut Readable) -> Result<()> {
    if e.content_type.is_multipart() {
        for child in &e.children {
            walk(child, out)?;
        }
        return Ok(());
    }
    if e.is_attachment() {
        let n = out.attachments.len() + 1;
        out.attachments.push(ReadableAttachment {
            filename: e.filename().unwrap_or_else(|| format!("attachment-{n}")),
            content_type: e.content_type.mime_type.clone(),
            data: e.decoded_body()?,
        });
    } else if e.content_type.is("text/html") && out.html.is_none() {
        out.html = Some(e.text()?);
    } else if e.content_type.mime_type.starts_with("text/") && out.text.is_none() {
        out.text = Some(e.text()?);
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::mime::{build_entity, build_message, parse, Attachment, Body};

    #[test]
    fn text_html_and_attachments_come_out_decoded() {
        let body = Body {
            text: Some("Grüße\n".into()),
            html: Some("<p>Grüße</p>".into()),
            attachments: vec![Attachment {
                filename: "zahlen.bin".into(),
                content_type: "application/octet-stream".into(),
                data: vec![0, 1, 2, 255],
            }],
        };
        let mail = build_message(&[("From", "Alice <alice@example.com>"), ("Subject", "Grüße")], &build_entity(&body));
        let r = readable(&parse(&mail).unwrap()).unwrap();
        assert_eq!(r.text.as_deref(), Some("Grüße\r\n"));
        assert_eq!(r.html.as_deref(), Some("<p>Grüße</p>"));
        assert_eq!(r.attachments.len(), 1);
        assert_eq!(r.attachments[0].filename, "zahlen.bin");
        assert_eq!(r.attachments[0].data, vec![0, 1, 2, 255]);
        assert!(r.headers.contains(&("Subject".to_string(), "Grüße".to_string())), "{:?}", r.headers);
    }
}
