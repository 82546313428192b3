//! The client API, end to end: the real binary on a random port with a temporary data directory,
//! driven by a minimal HTTP/1.1 client over a TcpStream.

use std::io::{BufRead, BufReader, Read, Write};
use std::net::TcpStream;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::sync::atomic::{AtomicU32, Ordering};

use serde_json::{json, Value};

struct Server {
    child: Child,
    addr: String,
}

impl Server {
    fn start(data: &Path) -> Server {
        Server::start_with(data, &[])
    }

    fn start_with(data: &Path, extra: &[&std::ffi::OsStr]) -> Server {
        let mut child = Command::new(env!("CARGO_BIN_EXE_siegel-webmail"))
            .args(["--listen", "127.0.0.1:0", "--data"])
            .arg(data)
            .args(extra)
            .stdout(Stdio::piped())
            .spawn()
            .expect("start siegel-webmail");
        let mut line = String::new();
        BufReader::new(child.stdout.take().unwrap()).read_line(&mut line).unwrap();
        let addr = line.split("http://").nth(1).and_then(|r| r.split('/').next()).expect(&line).to_string();
        Server { child, addr }
    }
}

impl Drop for Server {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

struct TempDir(PathBuf);

impl TempDir {
    fn new() -> TempDir {
        static N: AtomicU32 = AtomicU32::new(0);
        let p = std::env::temp_dir().join(format!(
            "siegel-webmail-test-{}-{}",
            std::process::id(),
            N.fetch_add(1, Ordering::Relaxed)
        ));
        let _ = std::fs::remove_dir_all(&p);
        TempDir(p)
    }
}

impl Drop for TempDir {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.0);
    }
}

struct Resp {
    status: u16,
    headers: Vec<(String, String)>,
    body: Vec<u8>,
}

impl Resp {
    fn json(&self) -> Value {
        serde_json::from_slice(&self.body).unwrap_or_else(|e| panic!("{e}: {}", String::from_utf8_lossy(&self.body)))
    }
    fn header(&self, name: &str) -> Option<&str> {
        self.headers.iter().find(|(n, _)| n.eq_ignore_ascii_case(name)).map(|(_, v)| v.as_str())
    }
}

fn request(addr: &str, method: &str, path: &str, headers: &[(&str, &str)], body: &[u8]) -> Resp {
    let mut s = TcpStream::connect(addr).unwrap();
    let mut head = format!("{method} {path} HTTP/1.1\r\nHost: {addr}\r\nConnection: close\r\n");
    for (n, v) in headers {
        head.push_str(&format!("{n}: {v}\r\n"));
    }
    head.push_str(&format!("Content-Length: {}\r\n\r\n", body.len()));
    s.write_all(head.as_bytes()).unwrap();
    // The server may answer (413) and close before reading everything.
    let _ = s.write_all(body);
    let mut raw = Vec::new();
    let _ = s.read_to_end(&mut raw);
    let end = raw.windows(4).position(|w| w == b"\r\n\r\n").expect("response head");
    let head = String::from_utf8_lossy(&raw[..end]).to_string();
    let mut lines = head.split("\r\n");
    let status = lines.next().unwrap().split(' ').nth(1).unwrap().parse().unwrap();
    let headers: Vec<(String, String)> =
        lines.filter_map(|l| l.split_once(':')).map(|(n, v)| (n.trim().to_string(), v.trim().to_string())).collect();
    let mut body = raw[end + 4..].to_vec();
    if headers.iter().any(|(n, v)| n.eq_ignore_ascii_case("transfer-encoding") && v.contains("chunked")) {
        let mut out = Vec::new();
        let mut rest = &body[..];
        loop {
            let nl = rest.windows(2).position(|w| w == b"\r\n").unwrap();
            let size = usize::from_str_radix(std::str::from_utf8(&rest[..nl]).unwrap().trim(), 16).unwrap();
            if size == 0 {
                break;
            }
            out.extend_from_slice(&rest[nl + 2..nl + 2 + size]);
            rest = &rest[nl + 4 + size..];
        }
        body = out;
    }
    Resp { status, headers, body }
}

/// A signed-in client.
struct Client<'a> {
    addr: &'a str,
    cookie: String,
}

impl<'a> Client<'a> {
    fn sign_in(addr: &'a str, user: &str) -> Client<'a> {
        let r = request(
            addr,
            "POST",
            "/api/session",
            &[("Content-Type", "application/json")],
            json!({"user": user}).to_string().as_bytes(),
        );
        assert_eq!(r.status, 200, "{}", String::from_utf8_lossy(&r.body));
        let cookie = r.header("Set-Cookie").unwrap().split(';').next().unwrap().to_string();
        Client { addr, cookie }
    }
    fn get(&self, path: &str) -> Resp {
        request(self.addr, "GET", path, &[("Cookie", &self.cookie)], b"")
    }
    fn post_json(&self, path: &str, body: &Value) -> Resp {
        self.post(path, "application/json", &[], body.to_string().as_bytes())
    }
    fn post(&self, path: &str, content_type: &str, extra: &[(&str, &str)], body: &[u8]) -> Resp {
        let mut h = vec![("Cookie", self.cookie.as_str()), ("Content-Type", content_type)];
        h.extend_from_slice(extra);
        request(self.addr, "POST", path, &h, body)
    }
    fn folder(&self, f: &str) -> Vec<Value> {
        let r = self.get(&format!("/api/folders/{f}"));
        assert_eq!(r.status, 200);
        r.json().as_array().unwrap().clone()
    }
}

/// Every file under `dir`, recursively.
fn files(dir: &Path) -> Vec<PathBuf> {
    let mut out = Vec::new();
    if let Ok(rd) = std::fs::read_dir(dir) {
        for e in rd.flatten() {
            let p = e.path();
            if p.is_dir() {
                out.extend(files(&p));
            } else {
                out.push(p);
            }
        }
    }
    out.sort();
    out
}

#[test]
fn session() {
    let tmp = TempDir::new();
    let s = Server::start(&tmp.0);
    let a = s.addr.as_str();
    assert_eq!(request(a, "GET", "/api/session", &[], b"").status, 401);
    assert_eq!(request(a, "GET", "/api/folders/INBOX", &[], b"").status, 401);
    assert_eq!(request(a, "GET", "/api/folders/INBOX", &[("Cookie", "user=mallory@example.com")], b"").status, 401);
    assert_eq!(request(a, "GET", "/api/folders/INBOX", &[("Cookie", "user=../../etc")], b"").status, 401);
    let r = request(a, "POST", "/api/session", &[("Content-Type", "application/json")], br#"{"user":"mallory@x.org"}"#);
    assert_eq!(r.status, 403);
    assert!(r.json()["error"].as_str().unwrap().contains("mallory"));
    let users = request(a, "GET", "/api/users", &[], b"").json();
    assert_eq!(users, json!(["alice@example.com", "bob@example.com", "carol@example.com"]));
    let c = Client::sign_in(a, "Alice@Example.com");
    assert_eq!(c.cookie, "user=alice@example.com");
    assert_eq!(c.get("/api/session").json(), json!({"user": "alice@example.com"}));
    let out = request(a, "DELETE", "/api/session", &[("Cookie", &c.cookie)], b"");
    assert_eq!(out.status, 200);
    assert!(out.header("Set-Cookie").unwrap().contains("Max-Age=0"));
    // The web client is served, with a CSP.
    let index = request(a, "GET", "/", &[], b"");
    assert_eq!(index.status, 200);
    assert!(index.header("Content-Security-Policy").unwrap().contains("default-src 'self'"));
    assert_eq!(request(a, "GET", "/app.js", &[], b"").status, 200);
}

#[test]
fn send_plain_mail() {
    let tmp = TempDir::new();
    let s = Server::start(&tmp.0);
    let alice = Client::sign_in(&s.addr, "alice@example.com");
    let r = alice.post_json(
        "/api/send",
        &json!({"to": ["Bob <bob@example.com>"], "cc": [], "bcc": ["carol@example.com"], "subject": "Grüße aus Köln",
                "text": "Hallo Bob,\nwie geht's?", "attachments": [{"filename": "notes.txt", "contentType": "text/plain", "dataBase64": "aGVsbG8gYXR0YWNobWVudA=="}]}),
    );
    assert_eq!(r.status, 200, "{}", String::from_utf8_lossy(&r.body));
    let bob = Client::sign_in(&s.addr, "bob@example.com");
    let inbox = bob.folder("INBOX");
    assert_eq!(inbox.len(), 1);
    assert_eq!(inbox[0]["subject"], "Grüße aus Köln");
    assert_eq!(inbox[0]["from"], "alice@example.com");
    assert_eq!(inbox[0]["smime"], Value::Null);
    let id = inbox[0]["id"].as_str().unwrap();
    let m = bob.get(&format!("/api/messages/INBOX/{id}")).json();
    assert_eq!(m["text"], "Hallo Bob,\r\nwie geht's?");
    assert_eq!(m["headers"]["subject"], "Grüße aus Köln");
    assert_eq!(m["attachments"][0]["filename"], "notes.txt");
    assert_eq!(m["attachments"][0]["size"], 16);
    let att = bob.get(&format!("/api/messages/INBOX/{id}/attachments/0"));
    assert_eq!(att.body, b"hello attachment");
    assert_eq!(bob.get(&format!("/api/messages/INBOX/{id}/attachments/1")).status, 404);
    let raw = bob.get(&format!("/api/messages/INBOX/{id}/raw"));
    assert_eq!(raw.header("Content-Type"), Some("message/rfc822"));
    let text = String::from_utf8_lossy(&raw.body).to_ascii_lowercase();
    assert!(text.contains("message-id: <") && text.contains("date: ") && text.contains("from: alice@example.com"));
    assert!(!text.contains("bcc") && !text.contains("carol"), "Bcc leaked:\n{text}");
    // Bcc recipient got it too, and so did alice's Sent.
    assert_eq!(Client::sign_in(&s.addr, "carol@example.com").folder("INBOX").len(), 1);
    let sent = alice.folder("Sent");
    assert_eq!(sent.len(), 1);
    assert_eq!(sent[0]["to"], "Bob <bob@example.com>");
    assert!(alice.folder("INBOX").is_empty());
    // Mail lives in new/, nothing is left in tmp/.
    let all = files(&tmp.0);
    assert_eq!(all.len(), 3, "{all:?}"); // bob, carol (Bcc), alice's Sent
    assert!(all.iter().all(|p| p.parent().unwrap().ends_with("new")), "{all:?}");
}

#[test]
fn send_raw_delivers_exact_bytes() {
    let tmp = TempDir::new();
    let s = Server::start(&tmp.0);
    let alice = Client::sign_in(&s.addr, "alice@example.com");
    let mut raw =
        b"From: alice@example.com\r\nTo: bob@example.com, carol@example.com\r\nSubject: =?utf-8?q?geheim?=\r\n\
MIME-Version: 1.0\r\nContent-Type: application/pkcs7-mime; smime-type=enveloped-data; name=smime.p7m\r\n\
Content-Transfer-Encoding: base64\r\n\r\nMIAGCSqGSIb3DQEHA6CAMIACAQIxggE=\r\n"
            .to_vec();
    raw.extend_from_slice(b"trailing \t \r\n\xff\xfe odd bytes stay\n");
    let r = alice.post(
        "/api/send-raw",
        "message/rfc822",
        &[("X-Envelope-To", "bob@example.com, Carol <carol@example.com>")],
        &raw,
    );
    assert_eq!(r.status, 200, "{}", String::from_utf8_lossy(&r.body));
    for (who, folder) in [("bob@example.com", "INBOX"), ("carol@example.com", "INBOX"), ("alice@example.com", "Sent")] {
        let c = Client::sign_in(&s.addr, who);
        let list = c.folder(folder);
        assert_eq!(list.len(), 1, "{who}");
        assert_eq!(list[0]["smime"], "encrypted");
        assert_eq!(list[0]["subject"], "geheim");
        let got = c.get(&format!("/api/messages/{folder}/{}/raw", list[0]["id"].as_str().unwrap()));
        assert_eq!(got.body, raw, "{who}");
    }
    // No HTML part here; an HTML mail's body is served under a sandboxing CSP.
    let id = alice.folder("Sent")[0]["id"].as_str().unwrap().to_string();
    assert_eq!(alice.get(&format!("/api/messages/Sent/{id}/html")).status, 404);
    let html = b"From: alice@example.com\r\nContent-Type: text/html\r\n\r\n<p>hi<img src=http://x/t.gif></p>\r\n";
    assert_eq!(
        alice.post("/api/send-raw", "message/rfc822", &[("X-Envelope-To", "bob@example.com")], html).status,
        200
    );
    let id = alice.folder("Sent")[0]["id"].as_str().unwrap().to_string();
    let r = alice.get(&format!("/api/messages/Sent/{id}/html"));
    assert_eq!(r.body, b"<p>hi<img src=http://x/t.gif></p>\r\n");
    let csp = r.header("Content-Security-Policy").unwrap();
    assert!(
        csp.starts_with("sandbox;") && csp.contains("default-src 'none'") && csp.contains("img-src data:"),
        "{csp}"
    );
    // Not an RFC 5322 message, or no envelope: 400.
    assert_eq!(alice.post("/api/send-raw", "message/rfc822", &[("X-Envelope-To", "bob@example.com")], b"").status, 400);
    assert_eq!(alice.post("/api/send-raw", "message/rfc822", &[], &raw).status, 400);
    assert_eq!(alice.post("/api/send-raw", "text/plain", &[("X-Envelope-To", "bob@example.com")], &raw).status, 415);
}

#[test]
fn unknown_recipient_stores_nothing() {
    let tmp = TempDir::new();
    let s = Server::start(&tmp.0);
    let alice = Client::sign_in(&s.addr, "alice@example.com");
    let before = files(&tmp.0);
    let r = alice
        .post_json("/api/send", &json!({"to": ["bob@example.com", "eve@evil.example"], "subject": "x", "text": "y"}));
    assert_eq!(r.status, 422);
    assert!(r.json()["error"].as_str().unwrap().contains("eve@evil.example"));
    let r = alice.post(
        "/api/send-raw",
        "message/rfc822",
        &[("X-Envelope-To", "bob@example.com, eve@evil.example")],
        b"From: alice@example.com\r\nSubject: x\r\n\r\nbody\r\n",
    );
    assert_eq!(r.status, 422);
    assert_eq!(files(&tmp.0), before);
    assert!(before.is_empty());
}

#[test]
fn malformed_and_oversize_input() {
    let tmp = TempDir::new();
    let s = Server::start(&tmp.0);
    let alice = Client::sign_in(&s.addr, "alice@example.com");
    let r = alice.post("/api/send", "application/json", &[], b"{\"to\": [");
    assert_eq!(r.status, 400);
    assert!(r.json()["error"].as_str().unwrap().starts_with("malformed JSON"));
    assert_eq!(alice.post("/api/send", "application/json", &[], br#"{"to": "bob"}"#).status, 400);
    assert_eq!(alice.post("/api/send", "application/json", &[], br#"{"subject": "no recipients"}"#).status, 400);
    assert_eq!(alice.post("/api/send", "text/plain", &[], b"{}").status, 415);
    let bad_b64 = json!({"to": ["bob@example.com"], "attachments": [{"filename": "a", "dataBase64": "!!!"}]});
    assert_eq!(alice.post_json("/api/send", &bad_b64).status, 400);
    let r = alice.post_json("/api/nope", &json!({}));
    assert_eq!(r.status, 404);
    // 50 MiB is the limit; one byte more is 413.
    let mut big = b"From: alice@example.com\r\n\r\n".to_vec();
    big.resize(50 * 1024 * 1024 + 1, b'a');
    let r = alice.post("/api/send-raw", "message/rfc822", &[("X-Envelope-To", "bob@example.com")], &big);
    assert_eq!(r.status, 413);
    assert!(files(&tmp.0).is_empty());
}

#[test]
fn ids_cannot_traverse() {
    let tmp = TempDir::new();
    let s = Server::start(&tmp.0);
    let alice = Client::sign_in(&s.addr, "alice@example.com");
    for path in [
        "/api/messages/INBOX/..%2F..%2Fbob@example.com%2FINBOX",
        "/api/messages/INBOX/.hidden",
        "/api/messages/INBOX/..",
        "/api/messages/INBOX/a%00b/raw",
        "/api/drafts/..%2f..%2f..%2fetc%2fpasswd",
    ] {
        assert_eq!(alice.get(path).status, 400, "{path}");
    }
    for path in [
        "/api/messages/INBOX/../../../etc/passwd",
        "/api/folders/..",
        "/api/folders/%2e%2e",
        "/api/messages/..%2FSent/x",
        "/api/messages/INBOX/1700000000.M1P1Q1.host",
    ] {
        let r = alice.get(path);
        assert!(r.status == 404 || r.status == 400, "{path}: {}", r.status);
        assert!(r.json()["error"].is_string());
    }
}

#[test]
fn drafts_and_restart() {
    let tmp = TempDir::new();
    let draft_id;
    {
        let s = Server::start(&tmp.0);
        let alice = Client::sign_in(&s.addr, "alice@example.com");
        let r = alice.post_json(
            "/api/drafts",
            &json!({"to": ["bob@example.com"], "bcc": ["carol@example.com"], "subject": "later", "text": "draft text",
                    "attachments": [{"filename": "x.bin", "contentType": "application/octet-stream", "dataBase64": "AAEC"}]}),
        );
        assert_eq!(r.status, 200);
        let first = r.json()["id"].as_str().unwrap().to_string();
        // Saving again replaces it.
        let r = alice.post_json(
            "/api/drafts",
            &json!({"id": first, "to": ["bob@example.com"], "bcc": ["carol@example.com"], "subject": "later",
                    "text": "draft text v2", "attachments": [{"filename": "x.bin", "contentType": "application/octet-stream", "dataBase64": "AAEC"}]}),
        );
        draft_id = r.json()["id"].as_str().unwrap().to_string();
        assert_ne!(draft_id, first);
        assert_eq!(alice.folder("Drafts").len(), 1);
        let sent =
            alice.post_json("/api/send", &json!({"to": ["bob@example.com"], "subject": "kept", "text": "survives"}));
        assert_eq!(sent.status, 200);
    }
    let s = Server::start(&tmp.0);
    let alice = Client::sign_in(&s.addr, "alice@example.com");
    let d = alice.get(&format!("/api/drafts/{draft_id}")).json();
    assert_eq!(d["text"], "draft text v2");
    assert_eq!(d["smime"], Value::Null, "a plain draft");
    assert_eq!(d["bcc"], json!(["carol@example.com"]));
    assert_eq!(d["attachments"][0]["dataBase64"], "AAEC");
    let bob = Client::sign_in(&s.addr, "bob@example.com");
    let inbox = bob.folder("INBOX");
    assert_eq!(inbox.len(), 1);
    assert_eq!(inbox[0]["subject"], "kept");
    // Sending with draftId removes the draft.
    let r = alice.post_json(
        "/api/send",
        &json!({"to": ["bob@example.com"], "subject": "now", "text": "t", "draftId": draft_id}),
    );
    assert_eq!(r.status, 200);
    assert!(alice.folder("Drafts").is_empty());
    let inbox = bob.folder("INBOX");
    assert_eq!(inbox[0]["subject"], "now", "newest first");
    assert!(files(&tmp.0).iter().all(|p| p.parent().unwrap().ends_with("new")));
}

#[test]
fn certificate_directory() {
    let tmp = TempDir::new();
    let dir = tmp.0.join("directory");
    std::fs::create_dir_all(&dir).unwrap();
    let pki = Path::new(env!("CARGO_MANIFEST_DIR")).join("../crate/tests/data/pki");
    let pem = std::fs::read(pki.join("bob.crt")).unwrap();
    std::fs::write(dir.join("bob@example.com"), &pem).unwrap();
    std::fs::write(dir.join("carol@example.com"), [0x30, 0x03, 0x02, 0x01, 0x01]).unwrap();
    let srv = Server::start_with(&tmp.0.join("data"), &[std::ffi::OsStr::new("--directory"), dir.as_os_str()]);
    // Found, without a session, in its format's media type; the address is matched without case.
    let r = request(&srv.addr, "GET", "/directory?email=Bob%40example.com", &[], b"");
    assert_eq!(r.status, 200);
    assert_eq!(r.header("content-type"), Some("application/pem-certificate-chain"));
    assert_eq!(r.body, pem);
    let r = request(&srv.addr, "GET", "/directory?email=carol@example.com", &[], b"");
    assert_eq!(r.header("content-type"), Some("application/pkix-cert"));
    // Nobody there: 404. A name that is no address (or would leave the folder): 400.
    assert_eq!(request(&srv.addr, "GET", "/directory?email=dave@example.com", &[], b"").status, 404);
    for bad in
        ["/directory", "/directory?email=..%2Fdata", "/directory?email=a/b@example.com", "/directory?email=%2e%2e"]
    {
        assert_eq!(request(&srv.addr, "GET", bad, &[], b"").status, 400, "{bad}");
    }
    // A webmail started without --directory has none.
    let plain = Server::start(&tmp.0.join("data2"));
    assert_eq!(request(&plain.addr, "GET", "/directory?email=bob@example.com", &[], b"").status, 404);
}

#[test]
fn raw_drafts() {
    let tmp = TempDir::new();
    let s = Server::start(&tmp.0);
    let alice = Client::sign_in(&s.addr, "alice@example.com");
    // An encrypted draft as the extension builds it (Bcc kept, as in any draft); odd bytes stay.
    let mut raw = b"From: alice@example.com\r\nTo: Bob <bob@example.com>\r\nCc: carol@example.com\r\n\
Bcc: alice@example.com\r\nSubject: =?utf-8?q?Entwurf_f=C3=BCr_Bob?=\r\nMIME-Version: 1.0\r\n\
Content-Type: application/pkcs7-mime; smime-type=enveloped-data; name=smime.p7m\r\n\
Content-Transfer-Encoding: base64\r\n\r\nMIAGCSqGSIb3DQEHA6CAMIACAQIxggE=\r\n"
        .to_vec();
    raw.extend_from_slice(b"trailing \t \r\n\xff\xfe odd bytes stay\n");
    let r = alice.post("/api/drafts/raw", "message/rfc822", &[], &raw);
    assert_eq!(r.status, 200, "{}", String::from_utf8_lossy(&r.body));
    let first = r.json()["id"].as_str().unwrap().to_string();
    // Byte for byte: on disk, in the Drafts Maildir's new/, and through the raw route.
    let on_disk = tmp.0.join("alice@example.com").join("Drafts").join("new").join(&first);
    assert_eq!(std::fs::read(&on_disk).unwrap(), raw);
    let got = alice.get(&format!("/api/messages/Drafts/{first}/raw"));
    assert_eq!(got.status, 200);
    assert_eq!(got.header("Content-Type"), Some("message/rfc822"));
    assert_eq!(got.body, raw);
    let list = alice.folder("Drafts");
    assert_eq!(list.len(), 1);
    assert_eq!(list[0]["smime"], "encrypted");
    // The draft as the compose view reads it: the envelope from the outer header fields, no body.
    let d = alice.get(&format!("/api/drafts/{first}")).json();
    assert_eq!(
        d,
        json!({"id": first, "smime": "encrypted", "to": ["Bob <bob@example.com>"], "cc": ["carol@example.com"],
               "bcc": ["alice@example.com"], "subject": "Entwurf für Bob", "text": "", "html": null, "attachments": []})
    );

    // Saving again with X-Draft-Id replaces it.
    let raw2 = [&raw[..], b"v2\r\n"].concat();
    let r = alice.post("/api/drafts/raw", "message/rfc822", &[("X-Draft-Id", &first)], &raw2);
    assert_eq!(r.status, 200, "{}", String::from_utf8_lossy(&r.body));
    let second = r.json()["id"].as_str().unwrap().to_string();
    assert_ne!(second, first);
    assert_eq!(alice.get(&format!("/api/drafts/{first}")).status, 404);
    assert!(!on_disk.exists());
    let list = alice.folder("Drafts");
    assert_eq!(list.len(), 1);
    assert_eq!(list[0]["id"], second.as_str());
    assert_eq!(alice.get(&format!("/api/messages/Drafts/{second}/raw")).body, raw2);

    // A well-formed X-Draft-Id that names no draft is ignored: the new draft is stored all the same.
    let r = alice.post("/api/drafts/raw", "message/rfc822", &[("X-Draft-Id", "1700000000.M1P1Q1.nowhere")], &raw);
    assert_eq!(r.status, 200);
    let third = r.json()["id"].as_str().unwrap().to_string();
    assert_eq!(alice.folder("Drafts").len(), 2);

    // A signed draft is an S/MIME draft too: no body either.
    let signed = b"From: alice@example.com\r\nTo: bob@example.com\r\nSubject: signed\r\nMIME-Version: 1.0\r\n\
Content-Type: multipart/signed; protocol=\"application/pkcs7-signature\"; micalg=sha-256; boundary=\"b\"\r\n\r\n\
--b\r\nContent-Type: text/plain\r\n\r\nsecret words\r\n--b\r\nContent-Type: application/pkcs7-signature; name=smime.p7s\r\n\
Content-Disposition: attachment; filename=smime.p7s\r\n\r\nMIIB\r\n--b--\r\n";
    let r = alice.post("/api/drafts/raw", "message/rfc822", &[], signed);
    assert_eq!(r.status, 200);
    let signed_id = r.json()["id"].as_str().unwrap().to_string();
    let d = alice.get(&format!("/api/drafts/{signed_id}")).json();
    assert_eq!(d["smime"], "signed");
    assert_eq!(d["subject"], "signed");
    assert_eq!(d["to"], json!(["bob@example.com"]));
    assert_eq!((&d["text"], &d["html"], &d["attachments"]), (&json!(""), &Value::Null, &json!([])));
    assert_eq!(alice.post("/api/drafts/raw", "message/rfc822", &[("X-Draft-Id", &signed_id)], &raw).status, 200);

    // Refused, and nothing stored or removed: wrong Content-Type (415), malformed X-Draft-Id, empty body or
    // no header fields (400), no session (401), over 50 MiB (413).
    let before = files(&tmp.0);
    assert_eq!(before.len(), 3); // second, third, and the one that replaced the signed draft
    for ct in ["text/plain", "application/json", "application/pkcs7-mime", ""] {
        assert_eq!(alice.post("/api/drafts/raw", ct, &[], &raw).status, 415, "{ct:?}");
    }
    for bad in ["../INBOX/new/x", ".hidden", "a b", "a:2,S"] {
        let r = alice.post("/api/drafts/raw", "message/rfc822", &[("X-Draft-Id", bad)], &raw);
        assert_eq!(r.status, 400, "{bad}");
        assert!(r.json()["error"].as_str().unwrap().contains("X-Draft-Id"));
    }
    assert_eq!(alice.post("/api/drafts/raw", "message/rfc822", &[], b"").status, 400);
    assert_eq!(alice.post("/api/drafts/raw", "message/rfc822", &[], b"no header fields here\r\n").status, 400);
    let anonymous = request(&s.addr, "POST", "/api/drafts/raw", &[("Content-Type", "message/rfc822")], &raw);
    assert_eq!(anonymous.status, 401);
    let mut big = b"From: alice@example.com\r\n\r\n".to_vec();
    big.resize(50 * 1024 * 1024 + 1, b'a');
    assert_eq!(alice.post("/api/drafts/raw", "message/rfc822", &[], &big).status, 413);
    assert_eq!(files(&tmp.0), before);

    // Sending with X-Draft-Id removes the raw draft it came from.
    let r = alice.post(
        "/api/send-raw",
        "message/rfc822",
        &[("X-Envelope-To", "bob@example.com"), ("X-Draft-Id", &third)],
        &raw,
    );
    assert_eq!(r.status, 200);
    assert_eq!(alice.folder("Drafts").len(), 2);
    assert_eq!(alice.get(&format!("/api/drafts/{third}")).status, 404);
}
