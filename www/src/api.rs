//! Routing and the handlers of the client API (see `www/API.md`), and the static web client.

use std::io::Read;

use serde::Deserialize;
use serde_json::{json, Value};
use tiny_http::{Header, Method, Request, Response};

use crate::mail;
use crate::maildir::{valid_folder, valid_id, Store};

/// The largest request body accepted: 50 MiB.
pub const MAX_BODY: usize = 50 * 1024 * 1024;

/// The server's state.
pub struct State {
    pub store: Store,
    pub users: Vec<String>,
    pub max_body: usize,
    /// The certificate directory served at `/directory?email=` (www/DIRECTORY.md): one file per address,
    /// named by it, holding that person's certificates (PEM, DER or PKCS#7). `None`: no directory.
    pub directory: Option<std::path::PathBuf>,
}

/// The Content-Security-Policy of the web client: nothing from elsewhere; frames only from here, from
/// `blob:` and from extensions (an extension may put its own iframe into `#siegel-slot`).
const CSP: &str = "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data: blob:; \
                   frame-src 'self' blob: chrome-extension:; object-src 'none'; base-uri 'none'; form-action 'self'; \
                   frame-ancestors 'none'";

/// The CSP of an HTML mail body: a sandbox with nothing allowed but inline styles and `data:` images.
const HTML_MAIL_CSP: &str = "sandbox; default-src 'none'; style-src 'unsafe-inline'; img-src data:; \
                             form-action 'none'; base-uri 'none'; frame-ancestors 'self'";

const INDEX_HTML: &str = include_str!("../static/index.html");
const APP_JS: &str = include_str!("../static/app.js");
const STYLE_CSS: &str = include_str!("../static/style.css");

/// Whether `u` can be a demo user (and so a directory name): `local@domain` of letters, digits and
/// `. _ + -`, not starting with a dot.
pub fn valid_user_name(u: &str) -> bool {
    let ok = |s: &str| {
        !s.is_empty() && !s.starts_with('.') && s.bytes().all(|b| b.is_ascii_alphanumeric() || b"._+-".contains(&b))
    };
    u.len() <= 200 && u.split_once('@').is_some_and(|(l, d)| ok(l) && ok(d) && !d.contains('@'))
}

/// A response under construction.
struct Reply {
    status: u16,
    content_type: &'static str,
    body: Vec<u8>,
    headers: Vec<(&'static str, String)>,
}

impl Reply {
    fn json(status: u16, v: &Value) -> Reply {
        Reply { status, content_type: "application/json", body: v.to_string().into_bytes(), headers: Vec::new() }
    }
    fn bytes(content_type: &'static str, body: Vec<u8>) -> Reply {
        Reply { status: 200, content_type, body, headers: Vec::new() }
    }
    fn header(mut self, name: &'static str, value: String) -> Reply {
        self.headers.push((name, value));
        self
    }
}

/// An error answered as `{error}` with a 4xx or 5xx status.
struct ApiError(u16, String);

fn err<T>(status: u16, msg: impl Into<String>) -> Result<T> {
    Err(ApiError(status, msg.into()))
}

type Result<T> = std::result::Result<T, ApiError>;

/// Answers one request; never panics on what the request holds.
pub fn handle(state: &State, mut req: Request) {
    let reply =
        route(state, &mut req).unwrap_or_else(|ApiError(status, msg)| Reply::json(status, &json!({"error": msg})));
    let mut resp = Response::from_data(reply.body).with_status_code(reply.status);
    let mut headers = vec![
        ("Content-Type", reply.content_type.to_string()),
        ("X-Content-Type-Options", "nosniff".to_string()),
        ("Cache-Control", "no-store".to_string()),
        ("Referrer-Policy", "no-referrer".to_string()),
    ];
    if !reply.headers.iter().any(|(n, _)| *n == "Content-Security-Policy") {
        headers.push(("Content-Security-Policy", CSP.to_string()));
    }
    headers.extend(reply.headers);
    for (name, value) in headers {
        if let Ok(h) = Header::from_bytes(name.as_bytes(), value.as_bytes()) {
            resp.add_header(h);
        }
    }
    if let Err(e) = req.respond(resp) {
        eprintln!("siegel-webmail: respond: {e}");
    }
}

fn header<'r>(req: &'r Request, name: &str) -> Option<&'r str> {
    req.headers().iter().find(|h| h.field.as_str().as_str().eq_ignore_ascii_case(name)).map(|h| h.value.as_str())
}

/// The signed-in user: the `user` cookie, when it names a demo user.
fn session_user(state: &State, req: &Request) -> Option<String> {
    let cookies = req.headers().iter().filter(|h| h.field.equiv("Cookie")).flat_map(|h| h.value.as_str().split(';'));
    cookies
        .filter_map(|c| c.trim().strip_prefix("user="))
        .map(|v| v.trim_matches('"').to_ascii_lowercase())
        .find(|u| state.users.contains(u))
}

fn read_body(state: &State, req: &mut Request) -> Result<Vec<u8>> {
    if req.body_length().is_some_and(|n| n > state.max_body) {
        return err(413, format!("request body larger than {} bytes", state.max_body));
    }
    let mut body = Vec::new();
    let limit = u64::try_from(state.max_body).unwrap_or(u64::MAX).saturating_add(1);
    req.as_reader().take(limit).read_to_end(&mut body).map_err(|e| ApiError(400, format!("reading body: {e}")))?;
    if body.len() > state.max_body {
        return err(413, format!("request body larger than {} bytes", state.max_body));
    }
    Ok(body)
}

fn read_json<T: for<'de> Deserialize<'de>>(state: &State, req: &mut Request) -> Result<T> {
    let ct = header(req, "Content-Type").unwrap_or("");
    if !ct.trim().to_ascii_lowercase().starts_with("application/json") {
        return err(415, "expected Content-Type: application/json");
    }
    let body = read_body(state, req)?;
    serde_json::from_slice(&body).map_err(|e| ApiError(400, format!("malformed JSON: {e}")))
}

fn route(state: &State, req: &mut Request) -> Result<Reply> {
    let url = req.url().to_string();
    let path = url.split(['?', '#']).next().unwrap_or("");
    let method = req.method().clone();
    let seg: Vec<&str> = path.trim_start_matches('/').split('/').collect();
    let rest: &[&str] = seg.get(1..).unwrap_or(&[]);
    let get = method == Method::Get || method == Method::Head;

    if seg.first() != Some(&"api") {
        if !get {
            return err(405, "method not allowed");
        }
        return match path {
            "/" | "/index.html" => Ok(Reply::bytes("text/html; charset=utf-8", INDEX_HTML.into())),
            "/app.js" => Ok(Reply::bytes("text/javascript; charset=utf-8", APP_JS.into())),
            "/style.css" => Ok(Reply::bytes("text/css; charset=utf-8", STYLE_CSS.into())),
            "/favicon.ico" => Ok(Reply { status: 204, ..Reply::bytes("image/x-icon", Vec::new()) }),
            "/directory" => directory_lookup(state, &url),
            _ => err(404, "not found"),
        };
    }

    // Routes that need no session.
    match (&method, rest) {
        (Method::Get, ["users"]) => return Ok(Reply::json(200, &json!(state.users))),
        (Method::Post, ["session"]) => {
            #[derive(Deserialize)]
            #[serde(deny_unknown_fields)]
            struct SignIn {
                user: String,
            }
            let s: SignIn = read_json(state, req)?;
            let user = s.user.trim().to_ascii_lowercase();
            if !state.users.contains(&user) {
                return err(403, format!("{user:?} is not a user of this webmail"));
            }
            return Ok(Reply::json(200, &json!({"user": user}))
                .header("Set-Cookie", format!("user={user}; Path=/; HttpOnly; SameSite=Strict")));
        }
        (Method::Delete, ["session"]) => {
            return Ok(Reply::json(200, &json!({}))
                .header("Set-Cookie", "user=; Path=/; HttpOnly; SameSite=Strict; Max-Age=0".to_string()));
        }
        _ => {}
    }

    let Some(user) = session_user(state, req) else {
        return err(401, "not signed in (POST /api/session first)");
    };
    let store = &state.store;
    let io = |e: std::io::Error| ApiError(500, format!("storage: {e}"));
    let folder_ok = |f: &str| if valid_folder(f) { Ok(()) } else { err(404, format!("no folder {f:?}")) };
    let id_ok = |id: &str| if valid_id(id) { Ok(()) } else { err(400, "malformed message id") };
    let load = |folder: &str, id: &str| -> Result<Vec<u8>> {
        folder_ok(folder)?;
        id_ok(id)?;
        let path = store.find(&user, folder, id).ok_or_else(|| ApiError(404, "no such message".into()))?;
        std::fs::read(path).map_err(io)
    };

    match (&method, rest) {
        (Method::Get, ["session"]) => Ok(Reply::json(200, &json!({"user": user}))),
        (Method::Get, ["folders"]) => Ok(Reply::json(200, &json!(crate::maildir::FOLDERS))),
        (Method::Get, ["folders", folder]) => {
            folder_ok(folder)?;
            let mut rows = Vec::new();
            for e in store.list(&user, folder).map_err(io)? {
                // A message removed meanwhile is skipped.
                if let Ok(raw) = read_prefix(&e.path) {
                    rows.push(mail::summary(&e.id, &raw, e.size));
                }
            }
            Ok(Reply::json(200, &Value::Array(rows)))
        }
        (Method::Get, ["messages", folder, id]) => {
            let raw = load(folder, id)?;
            let p = mail::parse_message(&raw);
            let attachments: Vec<Value> = p
                .attachments
                .iter()
                .enumerate()
                .map(|(i, (name, ct, data))| json!({"index": i, "filename": name, "contentType": ct, "size": data.len()}))
                .collect();
            let smime = mail::smime_kind(&mail::headers_of(&raw));
            Ok(Reply::json(
                200,
                &json!({"id": id, "folder": folder, "headers": p.headers, "text": p.text, "html": p.html,
                        "attachments": attachments, "smime": smime, "size": raw.len()}),
            ))
        }
        (Method::Get, ["messages", folder, id, "raw"]) => {
            let raw = load(folder, id)?;
            Ok(Reply::bytes("message/rfc822", raw)
                .header("Content-Disposition", format!("inline; filename=\"{id}.eml\""))
                .header("Content-Security-Policy", "sandbox; default-src 'none'".into()))
        }
        (Method::Get, ["messages", folder, id, "html"]) => {
            // The HTML body as a document of its own, for a sandboxed iframe: the CSP header applies
            // before a byte is parsed (no scripts, no remote images, fonts or styles, no forms).
            let raw = load(folder, id)?;
            let html = mail::parse_message(&raw).html.ok_or_else(|| ApiError(404, "no HTML part".into()))?;
            Ok(Reply::bytes("text/html; charset=utf-8", html.into_bytes())
                .header("Content-Security-Policy", HTML_MAIL_CSP.into()))
        }
        (Method::Get, ["messages", folder, id, "attachments", index]) => {
            let raw = load(folder, id)?;
            let index: usize = index.parse().map_err(|_| ApiError(400, "malformed attachment index".into()))?;
            let mut p = mail::parse_message(&raw);
            if index >= p.attachments.len() {
                return err(404, "no such attachment");
            }
            let (name, ct, data) = p.attachments.swap_remove(index);
            let ascii: String =
                name.chars().map(|c| if c.is_ascii_alphanumeric() || ".-_ ".contains(c) { c } else { '_' }).collect();
            Ok(Reply::bytes("application/octet-stream", data)
                .header("X-Content-Type", ct)
                .header(
                    "Content-Disposition",
                    format!("attachment; filename=\"{ascii}\"; filename*=UTF-8''{}", percent_encode(&name)),
                )
                .header("Content-Security-Policy", "sandbox; default-src 'none'".into()))
        }
        (Method::Delete, ["messages", folder, id]) => {
            folder_ok(folder)?;
            id_ok(id)?;
            if store.remove(&user, folder, id).map_err(io)? {
                Ok(Reply::json(200, &json!({})))
            } else {
                err(404, "no such message")
            }
        }
        (Method::Post, ["send"]) => {
            let c: mail::Compose = read_json(state, req)?;
            let envelope = recipients(state, &[&c.to, &c.cc, &c.bcc].map(|l| mail::addresses(l)).concat())?;
            let raw = mail::build(&user, &c, false).map_err(|e| ApiError(400, e))?;
            let ids = deliver(state, &user, &envelope, &raw)?;
            if let Some(d) = c.draft_id.as_deref().filter(|d| valid_id(d)) {
                let _ = store.remove(&user, "Drafts", d);
            }
            Ok(Reply::json(200, &json!({"id": ids.last(), "delivered": envelope})))
        }
        (Method::Post, ["send-raw"]) => {
            let ct = header(req, "Content-Type").unwrap_or("").trim().to_ascii_lowercase();
            if !ct.starts_with("message/rfc822") {
                return err(415, "expected Content-Type: message/rfc822");
            }
            let to: Vec<String> = req
                .headers()
                .iter()
                .filter(|h| h.field.equiv("X-Envelope-To"))
                .map(|h| h.value.as_str().to_string())
                .collect();
            let envelope = recipients(state, &mail::addresses(&to))?;
            let raw = read_body(state, req)?;
            check_message(&raw)?;
            let ids = deliver(state, &user, &envelope, &raw)?;
            let draft = header(req, "X-Draft-Id").filter(|d| valid_id(d)).map(str::to_string);
            if let Some(d) = draft {
                let _ = store.remove(&user, "Drafts", &d);
            }
            Ok(Reply::json(200, &json!({"id": ids.last(), "delivered": envelope})))
        }
        (Method::Post, ["drafts"]) => {
            let c: mail::Compose = read_json(state, req)?;
            let raw = mail::build(&user, &c, true).map_err(|e| ApiError(400, e))?;
            let ids = store.deliver(&[(&user, "Drafts")], &raw).map_err(io)?;
            if let Some(old) = c.id.as_deref().filter(|d| valid_id(d)) {
                let _ = store.remove(&user, "Drafts", old);
            }
            Ok(Reply::json(200, &json!({"id": ids.first()})))
        }
        (Method::Post, ["drafts", "raw"]) => {
            // A draft the client built (an S/MIME message encrypted to the sender): stored byte for byte,
            // never looked into. X-Draft-Id names the draft it replaces; an unknown one is ignored.
            let ct = header(req, "Content-Type").unwrap_or("").trim().to_ascii_lowercase();
            if !ct.starts_with("message/rfc822") {
                return err(415, "expected Content-Type: message/rfc822");
            }
            let old = match header(req, "X-Draft-Id").map(str::trim) {
                None | Some("") => None,
                Some(d) if valid_id(d) => Some(d.to_string()),
                Some(_) => return err(400, "malformed X-Draft-Id"),
            };
            let raw = read_body(state, req)?;
            check_message(&raw)?;
            let ids = store.deliver(&[(&user, "Drafts")], &raw).map_err(io)?;
            if let Some(old) = old {
                let _ = store.remove(&user, "Drafts", &old);
            }
            Ok(Reply::json(200, &json!({"id": ids.first()})))
        }
        (Method::Get, ["drafts", id]) => {
            let raw = load("Drafts", id)?;
            Ok(Reply::json(200, &mail::draft_json(id, &raw)))
        }
        (Method::Delete, ["drafts", id]) => {
            id_ok(id)?;
            if store.remove(&user, "Drafts", id).map_err(io)? {
                Ok(Reply::json(200, &json!({})))
            } else {
                err(404, "no such draft")
            }
        }
        _ => err(404, format!("no API route {} {path}", method.as_str())),
    }
}

/// The first 256 KiB of a file (enough for the header block).
fn read_prefix(path: &std::path::Path) -> std::io::Result<Vec<u8>> {
    let mut buf = Vec::new();
    std::fs::File::open(path)?.take(256 * 1024).read_to_end(&mut buf)?;
    Ok(buf)
}

/// The deduplicated recipients, when all are local users: else 422 naming the unknown ones.
fn recipients(state: &State, list: &[String]) -> Result<Vec<String>> {
    if list.is_empty() {
        return err(400, "no recipients");
    }
    let unknown: Vec<&String> = list.iter().filter(|r| !state.users.contains(r)).collect();
    if !unknown.is_empty() {
        let names: Vec<&str> = unknown.iter().map(|s| s.as_str()).collect();
        return err(422, format!("unknown recipients (only local demo users): {}", names.join(", ")));
    }
    let mut out: Vec<String> = Vec::new();
    for r in list {
        if !out.contains(r) {
            out.push(r.clone());
        }
    }
    Ok(out)
}

/// A submitted message must at least start with a header block.
fn check_message(raw: &[u8]) -> Result<()> {
    if raw.is_empty() {
        return err(400, "empty message");
    }
    let h = mail::headers_of(raw);
    if h.0.is_empty() || siegel::mime::parse(raw).is_err() {
        return err(400, "not an RFC 5322 message (no header fields, or unparseable MIME)");
    }
    Ok(())
}

/// Delivers to each recipient's INBOX and the sender's Sent, all or nothing. Returns the ids; the
/// last is the Sent copy.
fn deliver(state: &State, from: &str, envelope: &[String], raw: &[u8]) -> Result<Vec<String>> {
    let mut targets: Vec<(&str, &str)> = envelope.iter().map(|r| (r.as_str(), "INBOX")).collect();
    targets.push((from, "Sent"));
    state.store.deliver(&targets, raw).map_err(|e| ApiError(500, format!("storage: {e}")))
}

/// `GET /directory?email=ADDRESS` (www/DIRECTORY.md): the certificates the directory holds for the address,
/// with the media type of their format, or 404. Needs no session: certificates are public.
fn directory_lookup(state: &State, url: &str) -> Result<Reply> {
    let Some(dir) = &state.directory else { return err(404, "this webmail has no certificate directory") };
    let query = url.split_once('?').map(|(_, q)| q).unwrap_or("");
    let email = query
        .split('&')
        .find_map(|kv| kv.strip_prefix("email="))
        .map(percent_decode)
        .ok_or_else(|| ApiError(400, "expected ?email=ADDRESS".into()))?
        .trim()
        .to_ascii_lowercase();
    if !valid_user_name(&email) {
        return err(400, format!("{email:?} is not an address this directory can hold"));
    }
    let data = match std::fs::read(dir.join(&email)) {
        Ok(d) => d,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return err(404, format!("no certificate for {email}")),
        Err(e) => return err(500, format!("directory: {e}")),
    };
    // PKCS#7 SignedData's OID (1.2.840.113549.1.7.2) near the start: a certs-only collection.
    const SIGNED_DATA: &[u8] = &[0x06, 0x09, 0x2a, 0x86, 0x48, 0x86, 0xf7, 0x0d, 0x01, 0x07, 0x02];
    let content_type = if data.starts_with(b"-----BEGIN") {
        "application/pem-certificate-chain"
    } else if data[..data.len().min(24)].windows(SIGNED_DATA.len()).any(|w| w == SIGNED_DATA) {
        "application/pkcs7-mime; smime-type=certs-only"
    } else {
        "application/pkix-cert"
    };
    Ok(Reply::bytes(content_type, data))
}

/// `%XX` decoded (and `+` as space), for a query parameter; bytes that are not UTF-8 become U+FFFD.
fn percent_decode(s: &str) -> String {
    let b = s.as_bytes();
    let hex = |i: usize| b.get(i).and_then(|&c| (c as char).to_digit(16));
    let mut out = Vec::with_capacity(b.len());
    let mut i = 0;
    while i < b.len() {
        match (b[i], hex(i + 1), hex(i + 2)) {
            (b'%', Some(h), Some(l)) => {
                out.push((h * 16 + l) as u8);
                i += 3;
                continue;
            }
            (b'+', _, _) => out.push(b' '),
            (c, _, _) => out.push(c),
        }
        i += 1;
    }
    String::from_utf8_lossy(&out).into_owned()
}

fn percent_encode(s: &str) -> String {
    s.bytes()
        .map(|b| {
            if b.is_ascii_alphanumeric() || b"-._~".contains(&b) {
                (b as char).to_string()
            } else {
                format!("%{b:02X}")
            }
        })
        .collect()
}
