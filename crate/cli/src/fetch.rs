//! `--fetch-crls`: fetching CRLs from http:// distribution points and asking OCSP responders, with the
//! standard library only.
//!
//! CRL distribution points and OCSP responders are plain HTTP by convention (what they serve is signed;
//! RFC 5280 section 4.2.1.13, RFC 6960 appendix A), so HTTP/1.0 GET and POST are all that is needed.
//! Bounded in time and size; anything else (https, ldap, redirects, errors) is "not fetched", and the
//! status stays unknown.

use std::io::{Read, Write};
use std::net::{TcpStream, ToSocketAddrs};
use std::time::Duration;

/// The largest CRL accepted.
const MAX_BYTES: u64 = 16 * 1024 * 1024;

/// Fetches what `source` names: a CRL by GET, an OCSP response by POSTing its request.
pub fn fetch(source: &siegel::verify::RevocationSource, timeout: Duration) -> Option<Vec<u8>> {
    match &source.request {
        Some(body) => http(&source.url, Some((body, "application/ocsp-request")), timeout),
        None => http(&source.url, None, timeout),
    }
}

/// GET, or POST of `body` with its content type, to an http:// URL within `timeout`; the body of a
/// 200 response, or None.
fn http(url: &str, body: Option<(&[u8], &str)>, timeout: Duration) -> Option<Vec<u8>> {
    let rest = url.strip_prefix("http://")?;
    let (authority, path) = match rest.find('/') {
        Some(i) => (&rest[..i], &rest[i..]),
        None => (rest, "/"),
    };
    let (host, port) = match authority.rsplit_once(':') {
        Some((h, p)) => (h, p.parse().ok()?),
        None => (authority, 80u16),
    };
    if host.is_empty() || host.contains(|c: char| c.is_whitespace() || c == '@') {
        return None;
    }
    let addr = (host, port).to_socket_addrs().ok()?.next()?;
    let mut stream = TcpStream::connect_timeout(&addr, timeout).ok()?;
    stream.set_read_timeout(Some(timeout)).ok()?;
    stream.set_write_timeout(Some(timeout)).ok()?;
    let head = "User-Agent: siegel\r\nConnection: close\r\n";
    let mut request = match body {
        Some((data, content_type)) => format!(
            "POST {path} HTTP/1.0\r\nHost: {authority}\r\n{head}Content-Type: {content_type}\r\nContent-Length: {}\r\n\r\n",
            data.len()
        ),
        None => format!("GET {path} HTTP/1.0\r\nHost: {authority}\r\n{head}\r\n"),
    }
    .into_bytes();
    if let Some((data, _)) = body {
        request.extend_from_slice(data);
    }
    stream.write_all(&request).ok()?;
    // Read until the body is complete: Content-Length when the server gives one (some keep the
    // connection open after answering), else until it closes.
    let mut response = Vec::new();
    let mut chunk = [0u8; 16 * 1024];
    let limit = (MAX_BYTES + 64 * 1024) as usize;
    loop {
        if let Some(split) = response.windows(4).position(|w| w == b"\r\n\r\n") {
            if content_length(&response[..split]).is_some_and(|len| response.len() >= split + 4 + len) {
                break;
            }
        }
        match stream.read(&mut chunk) {
            Ok(0) => break,
            Ok(n) if response.len() + n <= limit => response.extend_from_slice(&chunk[..n]),
            _ => return None,
        }
    }
    let split = response.windows(4).position(|w| w == b"\r\n\r\n")?;
    let head = std::str::from_utf8(&response[..split]).ok()?;
    let status = head.lines().next()?.split_whitespace().nth(1)?;
    if status != "200" || head.to_ascii_lowercase().contains("transfer-encoding: chunked") {
        return None;
    }
    let body = &response[split + 4..];
    let len = content_length(&response[..split]).unwrap_or(body.len());
    body.get(..len).map(<[u8]>::to_vec)
}

/// The Content-Length of a response head, if it has one.
fn content_length(head: &[u8]) -> Option<usize> {
    std::str::from_utf8(head).ok()?.lines().find_map(|l| {
        let (name, value) = l.split_once(':')?;
        name.trim().eq_ignore_ascii_case("content-length").then(|| value.trim().parse().ok()).flatten()
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::net::TcpListener;

    fn serve_once(response: &'static [u8]) -> String {
        let listener = TcpListener::bind("127.0.0.1:0").unwrap();
        let port = listener.local_addr().unwrap().port();
        std::thread::spawn(move || {
            if let Ok((mut s, _)) = listener.accept() {
                let mut buf = [0u8; 1024];
                let _ = s.read(&mut buf);
                let _ = s.write_all(response);
            }
        });
        format!("http://127.0.0.1:{port}/ca.crl")
    }

    #[test]
    fn fetches_the_body_of_a_200() {
        let url = serve_once(b"HTTP/1.0 200 OK\r\nContent-Type: application/pkix-crl\r\n\r\nCRLDATA");
        assert_eq!(fetch(&source(url.clone(), None), Duration::from_secs(5)).as_deref(), Some(&b"CRLDATA"[..]));
    }

    fn source(url: String, request: Option<&[u8]>) -> siegel::verify::RevocationSource {
        siegel::verify::RevocationSource {
            kind: if request.is_some() { "ocsp" } else { "crl" },
            url,
            certificate: "CN=x".into(),
            request_base64: None,
            request: request.map(<[u8]>::to_vec),
        }
    }

    #[test]
    fn ocsp_requests_are_posted() {
        let listener = TcpListener::bind("127.0.0.1:0").unwrap();
        let url = format!("http://127.0.0.1:{}/ocsp", listener.local_addr().unwrap().port());
        let server = std::thread::spawn(move || {
            let (mut s, _) = listener.accept().unwrap();
            let mut buf = vec![0u8; 4096];
            let n = s.read(&mut buf).unwrap();
            s.write_all(b"HTTP/1.0 200 OK\r\n\r\nRESPONSE").unwrap();
            String::from_utf8_lossy(&buf[..n]).into_owned()
        });
        assert_eq!(fetch(&source(url, Some(b"REQ")), Duration::from_secs(5)).as_deref(), Some(&b"RESPONSE"[..]));
        let request = server.join().unwrap();
        assert!(request.starts_with("POST /ocsp HTTP/1.0\r\n"), "{request}");
        assert!(request.contains("Content-Type: application/ocsp-request\r\n"), "{request}");
        assert!(request.ends_with("\r\n\r\nREQ"), "{request}");
    }

    #[test]
    fn anything_else_is_not_fetched() {
        let url = serve_once(b"HTTP/1.0 404 Not Found\r\n\r\nnope");
        assert_eq!(fetch(&source(url.clone(), None), Duration::from_secs(5)), None);
        assert_eq!(fetch(&source("https://example.invalid/ca.crl".into(), None), Duration::from_secs(1)), None);
        assert_eq!(fetch(&source("ldap://example.invalid/cn=ca".into(), None), Duration::from_secs(1)), None);
    }
}
