//! What the webmail reads from and writes into RFC 5322 messages, using `siegel::mime`. Nothing
//! here knows S/MIME beyond sniffing the top-level Content-Type for the list view.

use base64::Engine as _;
use serde::{Deserialize, Serialize};
use serde_json::{json, Map, Value};
use siegel::mime::{self, ContentType, Entity, Headers};

/// How much of a file the list view reads to find the header block.
const HEADER_PEEK: usize = 256 * 1024;

/// The header block at the start of `raw` (the bytes up to the empty line), parsed.
pub fn headers_of(raw: &[u8]) -> Headers {
    let peek = raw.get(..HEADER_PEEK).unwrap_or(raw);
    let end =
        find(peek, b"\r\n\r\n").map(|i| i + 2).or_else(|| find(peek, b"\n\n").map(|i| i + 1)).unwrap_or(peek.len());
    let block = peek.get(..end).unwrap_or(peek);
    mime::parse(block).map(|e| e.headers).unwrap_or_default()
}

fn find(hay: &[u8], needle: &[u8]) -> Option<usize> {
    hay.windows(needle.len()).position(|w| w == needle)
}

/// `"signed"`, `"encrypted"` or `None`, from the top-level Content-Type only.
pub fn smime_kind(headers: &Headers) -> Option<&'static str> {
    let ct = ContentType::parse(headers.get("content-type")?);
    if ct.is("multipart/signed") {
        return Some("signed");
    }
    if ct.is("application/pkcs7-mime") || ct.is("application/x-pkcs7-mime") {
        return match ct.param("smime-type").map(str::to_ascii_lowercase).as_deref() {
            Some("signed-data") => Some("signed"),
            Some("certs-only") => None,
            _ => Some("encrypted"),
        };
    }
    // Some agents send S/MIME as application/octet-stream named smime.p7m (RFC 8551 section 3.2.2).
    let named_p7m = |v: Option<&str>| v.is_some_and(|n| n.trim_matches('"').to_ascii_lowercase().ends_with(".p7m"));
    let disposition = headers.get("content-disposition").map(siegel::mime::ContentDisposition::parse);
    if ct.is("application/octet-stream")
        && (named_p7m(ct.param("name")) || named_p7m(disposition.as_ref().and_then(|d| d.param("filename"))))
    {
        return Some("encrypted");
    }
    None
}

fn decoded(headers: &Headers, name: &str) -> String {
    headers.get_decoded(name).map(|v| v.trim().to_string()).unwrap_or_default()
}

/// One row of a folder listing.
pub fn summary(id: &str, raw: &[u8], size: u64) -> Value {
    let h = headers_of(raw);
    json!({
        "id": id,
        "from": decoded(&h, "from"),
        "to": decoded(&h, "to"),
        "subject": decoded(&h, "subject"),
        "date": decoded(&h, "date"),
        "size": size,
        "smime": smime_kind(&h),
    })
}

/// The leaf entities of `e`, depth first.
fn leaves<'e, 'a>(e: &'e Entity<'a>, out: &mut Vec<&'e Entity<'a>>) {
    if e.children.is_empty() {
        out.push(e);
    } else {
        for c in &e.children {
            leaves(c, out);
        }
    }
}

/// What the reading view shows of a message: decoded headers, the first text/plain and text/html
/// parts that are not attachments, and the attachments.
pub struct Parsed {
    pub headers: Map<String, Value>,
    pub text: Option<String>,
    pub html: Option<String>,
    pub attachments: Vec<(String, String, Vec<u8>)>,
}

/// Reads `raw` as well as it can; a message that does not parse at all gives its headers only.
pub fn parse_message(raw: &[u8]) -> Parsed {
    let mut out = Parsed { headers: Map::new(), text: None, html: None, attachments: Vec::new() };
    let Ok(root) = mime::parse(raw) else {
        let h = headers_of(raw);
        for f in &h.0 {
            out.headers
                .entry(f.name.to_ascii_lowercase())
                .or_insert_with(|| mime::decode_header_words(&f.value).into());
        }
        return out;
    };
    for f in &root.headers.0 {
        let value = mime::decode_header_words(&f.value).trim().to_string();
        out.headers.entry(f.name.to_ascii_lowercase()).or_insert(Value::String(value));
    }
    let mut parts = Vec::new();
    leaves(&root, &mut parts);
    for p in parts {
        if p.is_attachment() {
            let name = p.filename().unwrap_or_else(|| "attachment".to_string());
            let data = p.decoded_body().unwrap_or_else(|_| p.body.to_vec());
            out.attachments.push((name, p.content_type.mime_type.clone(), data));
        } else if p.content_type.is("text/plain") && out.text.is_none() {
            out.text = p.text().ok();
        } else if p.content_type.is("text/html") && out.html.is_none() {
            out.html = p.text().ok();
        }
    }
    out
}

/// An attachment as the JSON API carries it.
#[derive(Debug, Clone, Deserialize, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct JsonAttachment {
    pub filename: String,
    #[serde(default)]
    pub content_type: String,
    pub data_base64: String,
}

/// A mail to send or a draft to save, as the JSON API carries it.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
pub struct Compose {
    /// For drafts: the draft this one replaces. For sends: a draft to remove once sent.
    #[serde(default)]
    pub id: Option<String>,
    #[serde(default)]
    pub draft_id: Option<String>,
    #[serde(default)]
    pub to: Vec<String>,
    #[serde(default)]
    pub cc: Vec<String>,
    #[serde(default)]
    pub bcc: Vec<String>,
    #[serde(default)]
    pub subject: String,
    #[serde(default)]
    pub text: String,
    #[serde(default)]
    pub html: Option<String>,
    #[serde(default)]
    pub attachments: Vec<JsonAttachment>,
}

/// The email addresses in `list` (each entry may itself be `Name <addr>` or a comma list).
pub fn addresses(list: &[String]) -> Vec<String> {
    list.iter().flat_map(|s| mime::parse_address_list(s)).map(|a| a.email.trim().to_ascii_lowercase()).collect()
}

/// Builds the message for `c` from `from`. `with_bcc` puts Bcc in the headers (drafts only).
pub fn build(from: &str, c: &Compose, with_bcc: bool) -> Result<Vec<u8>, String> {
    let mut attachments = Vec::with_capacity(c.attachments.len());
    for a in &c.attachments {
        let data = base64::engine::general_purpose::STANDARD
            .decode(a.data_base64.as_bytes())
            .map_err(|e| format!("attachment {:?}: dataBase64 is not base64: {e}", a.filename))?;
        attachments.push(mime::Attachment { filename: a.filename.clone(), content_type: a.content_type.clone(), data });
    }
    let body = mime::Body { text: Some(c.text.clone()), html: c.html.clone().filter(|h| !h.is_empty()), attachments };
    let entity = mime::build_entity(&body);
    let date = rfc5322_date(std::time::SystemTime::now());
    let domain = from.rsplit('@').next().unwrap_or("localhost");
    let message_id = format!("<{}@{}>", random_hex(16), domain);
    let (to, cc, bcc) = (c.to.join(", "), c.cc.join(", "), c.bcc.join(", "));
    let mut headers: Vec<(&str, &str)> = vec![("Date", &date), ("From", from)];
    if !to.trim().is_empty() {
        headers.push(("To", &to));
    }
    if !cc.trim().is_empty() {
        headers.push(("Cc", &cc));
    }
    if with_bcc && !bcc.trim().is_empty() {
        headers.push(("Bcc", &bcc));
    }
    headers.push(("Subject", &c.subject));
    headers.push(("Message-ID", &message_id));
    Ok(mime::build_message(&headers, &entity))
}

/// A draft read back for the compose view. An S/MIME draft (sniffed as in the folder listing) gives
/// its outer header fields only: its body is the extension's, the webmail has no plaintext of it.
pub fn draft_json(id: &str, raw: &[u8]) -> Value {
    let h = headers_of(raw);
    let smime = smime_kind(&h);
    let p = if smime.is_some() {
        Parsed { headers: Map::new(), text: None, html: None, attachments: Vec::new() }
    } else {
        parse_message(raw)
    };
    let list = |name: &str| -> Vec<String> {
        h.get_all(name)
            .flat_map(mime::parse_address_list)
            .map(|a| match a.display_name {
                Some(n) if !n.is_empty() => format!("{} <{}>", display_name(&n), a.email),
                _ => a.email,
            })
            .collect()
    };
    let attachments: Vec<Value> = p
        .attachments
        .iter()
        .map(|(name, ct, data)| {
            json!({"filename": name, "contentType": ct, "dataBase64": base64::engine::general_purpose::STANDARD.encode(data)})
        })
        .collect();
    json!({
        "id": id,
        "to": list("to"),
        "cc": list("cc"),
        "bcc": list("bcc"),
        "subject": decoded(&h, "subject"),
        "text": p.text.unwrap_or_default(),
        "html": p.html,
        "attachments": attachments,
        "smime": smime,
    })
}

/// A display name as it can stand before `<address>`: quoted when it holds a special character (a comma
/// would otherwise split `"Doe, J" <j@x>` in two when the compose view reads the list back).
fn display_name(n: &str) -> String {
    if n.chars().any(|c| "()<>[]:;@\\,.\"".contains(c)) {
        format!("\"{}\"", n.replace('\\', "\\\\").replace('"', "\\\""))
    } else {
        n.to_string()
    }
}

/// `n` random bytes as hex (falls back to the clock if the OS has no randomness to give).
pub fn random_hex(n: usize) -> String {
    let mut b = vec![0u8; n];
    if getrandom::getrandom(&mut b).is_err() {
        let t = std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).unwrap_or_default().as_nanos();
        for (i, x) in b.iter_mut().enumerate() {
            *x = (t >> ((i % 16) * 8)) as u8 ^ (i as u8);
        }
    }
    b.iter().map(|x| format!("{x:02x}")).collect()
}

/// An RFC 5322 date in UTC, e.g. `Tue, 14 Nov 2023 22:13:20 +0000`.
pub fn rfc5322_date(t: std::time::SystemTime) -> String {
    let secs = t.duration_since(std::time::UNIX_EPOCH).unwrap_or_default().as_secs();
    let days = (secs / 86_400) as i64;
    let rem = secs % 86_400;
    // Howard Hinnant's civil_from_days.
    let z = days + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z - era * 146_097;
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let d = doy - (153 * mp + 2) / 5 + 1;
    let m = if mp < 10 { mp + 3 } else { mp - 9 };
    let y = yoe + era * 400 + i64::from(m <= 2);
    const WD: [&str; 7] = ["Thu", "Fri", "Sat", "Sun", "Mon", "Tue", "Wed"];
    const MON: [&str; 12] = ["Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"];
    let wd = WD.get(days.rem_euclid(7) as usize).copied().unwrap_or("Thu");
    let mon = MON.get((m - 1).clamp(0, 11) as usize).copied().unwrap_or("Jan");
    format!("{wd}, {d:02} {mon} {y} {:02}:{:02}:{:02} +0000", rem / 3600, rem % 3600 / 60, rem % 60)
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::time::{Duration, UNIX_EPOCH};

    #[test]
    fn dates() {
        assert_eq!(rfc5322_date(UNIX_EPOCH), "Thu, 01 Jan 1970 00:00:00 +0000");
        assert_eq!(rfc5322_date(UNIX_EPOCH + Duration::from_secs(1_700_000_000)), "Tue, 14 Nov 2023 22:13:20 +0000");
        assert_eq!(rfc5322_date(UNIX_EPOCH + Duration::from_secs(951_782_400)), "Tue, 29 Feb 2000 00:00:00 +0000");
    }

    #[test]
    fn sniffing() {
        let kind = |ct: &str| smime_kind(&headers_of(format!("Content-Type: {ct}\r\n\r\nx").as_bytes()));
        assert_eq!(kind("multipart/signed; protocol=\"application/pkcs7-signature\""), Some("signed"));
        assert_eq!(kind("application/pkcs7-mime; smime-type=enveloped-data"), Some("encrypted"));
        assert_eq!(kind("application/x-pkcs7-mime; smime-type=signed-data"), Some("signed"));
        assert_eq!(kind("application/pkcs7-mime; smime-type=authEnveloped-data"), Some("encrypted"));
        assert_eq!(kind("application/octet-stream; name=\"smime.p7m\""), Some("encrypted"));
        assert_eq!(kind("application/octet-stream; name=\"report.pdf\""), None);
        assert_eq!(kind("text/plain"), None);
    }

    #[test]
    fn builds_and_reads_back() {
        let c = Compose {
            to: vec!["Bob <bob@example.com>".into()],
            bcc: vec!["carol@example.com".into()],
            subject: "Grüße".into(),
            text: "Hallo".into(),
            attachments: vec![JsonAttachment {
                filename: "a.txt".into(),
                content_type: "text/plain".into(),
                data_base64: "aGk=".into(),
            }],
            ..Default::default()
        };
        let raw = build("alice@example.com", &c, false).unwrap();
        assert!(!String::from_utf8_lossy(&raw).to_ascii_lowercase().contains("carol"));
        let p = parse_message(&raw);
        assert_eq!(p.text.as_deref(), Some("Hallo"));
        assert_eq!(p.headers.get("subject").and_then(Value::as_str), Some("Grüße"));
        assert_eq!(p.attachments.len(), 1);
        let d = draft_json("x", &build("alice@example.com", &c, true).unwrap());
        assert_eq!(d["bcc"][0], "carol@example.com");
        assert_eq!(d["attachments"][0]["dataBase64"], "aGk=");
        assert_eq!(d["smime"], Value::Null);
    }

    #[test]
    fn smime_draft_gives_its_envelope_only() {
        let raw = b"From: alice@example.com\r\nTo: \"Doe, John\" <j@x.org>, Bob <bob@example.com>\r\n\
Bcc: \"A \\\"quoted\\\" name\" <q@x.org>\r\nSubject: s\r\n\
Content-Type: application/pkcs7-mime; smime-type=enveloped-data\r\n\r\nMIAGCSqGSIb3DQEHA6CAMIACAQIxggE=\r\n";
        let d = draft_json("x", raw);
        assert_eq!(d["smime"], "encrypted");
        assert_eq!(d["to"], json!(["\"Doe, John\" <j@x.org>", "Bob <bob@example.com>"]));
        assert_eq!(d["bcc"], json!(["\"A \\\"quoted\\\" name\" <q@x.org>"]));
        assert_eq!((&d["text"], &d["html"], &d["attachments"]), (&json!(""), &Value::Null, &json!([])));
    }
}
