//! `--fetch-crls`: fetching CRLs from http:// distribution points, with the standard library only.
//!
//! CRL distribution points are plain HTTP by convention (the CRL is signed; RFC 5280 section 4.2.1.13),
//! so an HTTP/1.0 GET is all that is needed. Bounded in time and size; anything else (https, ldap,
//! redirects, errors) is "not fetched", and the CRL counts as missing.

use std::io::{Read, Write};
use std::net::{TcpStream, ToSocketAddrs};
use std::time::Duration;

/// The largest CRL accepted.
const MAX_BYTES: u64 = 16 * 1024 * 1024;

/// Fetches `url` (http:// only) within `timeout`; the body of a 200 response, or None.
pub fn fetch_crl(url: &str, timeout: Duration) -> Option<Vec<u8>> {
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
    let request =
        format!("GET {path} HTTP/1.0\r\nHost: {authority}\r\nUser-Agent: siegel\r\nConnection: close\r\n\r\n");
    stream.write_all(request.as_bytes()).ok()?;
    let mut response = Vec::new();
    stream.take(MAX_BYTES + 64 * 1024).read_to_end(&mut response).ok()?;
    let split = response.windows(4).position(|w| w == b"\r\n\r\n")?;
    let head = std::str::from_utf8(&response[..split]).ok()?;
    let status = head.lines().next()?.split_whitespace().nth(1)?;
    if status != "200" || head.to_ascii_lowercase().contains("transfer-encoding: chunked") {
        return None;
    }
    Some(response[split + 4..].to_vec())
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
        assert_eq!(fetch_crl(&url, Duration::from_secs(5)).as_deref(), Some(&b"CRLDATA"[..]));
    }

    #[test]
    fn anything_else_is_not_fetched() {
        let url = serve_once(b"HTTP/1.0 404 Not Found\r\n\r\nnope");
        assert_eq!(fetch_crl(&url, Duration::from_secs(5)), None);
        assert_eq!(fetch_crl("https://example.invalid/ca.crl", Duration::from_secs(1)), None);
        assert_eq!(fetch_crl("ldap://example.invalid/cn=ca", Duration::from_secs(1)), None);
    }
}
