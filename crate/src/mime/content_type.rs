//! Content-Type and Content-Disposition (RFC 2045 section 5, RFC 2183).

use super::params::{parse_params, split_value, strip_comments};

/// The main value of a structured field: comments and whitespace removed, lower case.
fn main_value(main: &str) -> String {
    strip_comments(main).split_whitespace().collect::<String>().to_ascii_lowercase()
}

/// A parsed Content-Type field.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ContentType {
    /// `type/subtype`, lower case; `text/plain` when absent or unreadable (RFC 2045 section 5.2).
    pub mime_type: String,
    /// The parameters, names in lower case, values decoded (RFC 2231).
    pub params: Vec<(String, String)>,
}

impl Default for ContentType {
    fn default() -> ContentType {
        ContentType { mime_type: "text/plain".into(), params: vec![("charset".into(), "us-ascii".into())] }
    }
}

impl ContentType {
    /// Parses a Content-Type value, leniently.
    pub fn parse(value: &str) -> ContentType {
        let (main, params) = split_value(value);
        let main = main_value(main);
        let valid = main
            .split_once('/')
            .is_some_and(|(t, s)| !t.is_empty() && !s.is_empty() && !s.contains('/') && !main.contains(['"', '=']));
        if !valid {
            return ContentType::default();
        }
        ContentType { mime_type: main, params: parse_params(params) }
    }

    /// A parameter's value (name case-insensitive).
    pub fn param(&self, name: &str) -> Option<&str> {
        self.params.iter().find(|(n, _)| n.eq_ignore_ascii_case(name)).map(|(_, v)| v.as_str())
    }

    /// Whether this is `type/subtype` (case-insensitive).
    pub fn is(&self, mime_type: &str) -> bool {
        self.mime_type.eq_ignore_ascii_case(mime_type)
    }

    /// Whether this is `multipart/*`.
    pub fn is_multipart(&self) -> bool {
        self.mime_type.starts_with("multipart/")
    }
}

/// A parsed Content-Disposition field.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ContentDisposition {
    /// `inline`, `attachment`, ..., lower case.
    pub disposition: String,
    /// The parameters, names in lower case, values decoded.
    pub params: Vec<(String, String)>,
}

impl ContentDisposition {
    /// Parses a Content-Disposition value, leniently.
    pub fn parse(value: &str) -> ContentDisposition {
        let (main, params) = split_value(value);
        ContentDisposition { disposition: main_value(main), params: parse_params(params) }
    }

    /// A parameter's value (name case-insensitive).
    pub fn param(&self, name: &str) -> Option<&str> {
        self.params.iter().find(|(n, _)| n.eq_ignore_ascii_case(name)).map(|(_, v)| v.as_str())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_types() {
        let ct = ContentType::parse(
            "Multipart/Signed; protocol=\"application/pkcs7-signature\"; micalg=sha-256;\r\n boundary=\"b=1\"",
        );
        assert!(ct.is("multipart/signed") && ct.is_multipart());
        assert_eq!(ct.param("boundary"), Some("b=1"));
        assert_eq!(ct.param("PROTOCOL"), Some("application/pkcs7-signature"));
        assert_eq!(ContentType::parse("garbage").mime_type, "text/plain");
        assert_eq!(ContentType::parse("").mime_type, "text/plain");
        assert_eq!(ContentType::parse(" Text / HTML (comment) ;charset=x").mime_type, "text/html");
        assert_eq!(ContentType::parse("a/b/c").mime_type, "text/plain");
        assert!(!ContentType::parse("text/plain").is_multipart());
        assert!(ContentType::parse("text/plain; charset=\"utf-8\"").is("TEXT/Plain"));
    }

    #[test]
    fn parses_dispositions() {
        let cd = ContentDisposition::parse("attachment; filename*=utf-8''%C3%A4.pdf");
        assert_eq!(cd.disposition, "attachment");
        assert_eq!(cd.param("filename"), Some("ä.pdf"));
    }
}
