//! `siegel-webmail`: the demo webmail Siegel's extension integrates with.
//!
//! A small HTTP server (tiny_http, no TLS, loopback by default) that stores mail in Maildirs, offers
//! the JSON client API documented in `www/API.md`, and serves a plain-JS web client. It knows
//! nothing of S/MIME: signed and encrypted mail are bytes it stores and hands back unchanged.
#![forbid(unsafe_code)]

mod api;
mod mail;
mod maildir;

use std::net::SocketAddr;
use std::path::PathBuf;
use std::sync::Arc;

const USAGE: &str =
    "usage: siegel-webmail [--data DIR] [--listen 127.0.0.1:8025] [--users a@x,b@y] [--directory DIR] [--allow-remote]";

fn main() {
    if let Err(e) = run() {
        eprintln!("siegel-webmail: {e}");
        std::process::exit(2);
    }
}

fn run() -> Result<(), String> {
    let mut data = PathBuf::from("target/webmail-data");
    let mut listen = "127.0.0.1:8025".to_string();
    let mut users: Vec<String> =
        ["alice@example.com", "bob@example.com", "carol@example.com"].iter().map(|s| s.to_string()).collect();
    let mut allow_remote = false;
    let mut directory = None;
    let mut args = std::env::args().skip(1);
    while let Some(arg) = args.next() {
        let mut value = |name: &str| args.next().ok_or_else(|| format!("{name} needs a value\n{USAGE}"));
        match arg.as_str() {
            "--data" => data = PathBuf::from(value("--data")?),
            "--listen" => listen = value("--listen")?,
            "--users" => {
                users = value("--users")?
                    .split(',')
                    .map(|u| u.trim().to_ascii_lowercase())
                    .filter(|u| !u.is_empty())
                    .collect()
            }
            "--allow-remote" => allow_remote = true,
            "--directory" => directory = Some(PathBuf::from(value("--directory")?)),
            "-h" | "--help" => {
                println!("{USAGE}");
                return Ok(());
            }
            other => return Err(format!("unknown argument {other:?}\n{USAGE}")),
        }
    }
    if users.is_empty() {
        return Err("--users is empty".into());
    }
    for u in &users {
        if !api::valid_user_name(u) {
            return Err(format!("{u:?} is not a usable demo address (letters, digits, . _ + - and one @)"));
        }
    }
    let addr: SocketAddr = listen.parse().map_err(|e| format!("--listen {listen:?}: {e}"))?;
    if !addr.ip().is_loopback() && !allow_remote {
        return Err(format!("refusing to listen on non-loopback {addr} without --allow-remote (this is a demo)"));
    }
    let store = maildir::Store::open(&data, &users).map_err(|e| format!("data dir {}: {e}", data.display()))?;
    let server = tiny_http::Server::http(addr).map_err(|e| format!("listen on {addr}: {e}"))?;
    let bound = server.server_addr().to_ip().unwrap_or(addr);
    // Tests and scripts read this line to learn the port (with --listen 127.0.0.1:0).
    println!("siegel-webmail listening on http://{bound}/ (data in {})", data.display());
    let state = Arc::new(api::State { store, users, max_body: api::MAX_BODY, directory });
    let server = Arc::new(server);
    let workers: Vec<_> = (0..8)
        .map(|_| {
            let (server, state) = (Arc::clone(&server), Arc::clone(&state));
            std::thread::spawn(move || loop {
                match server.recv() {
                    Ok(req) => api::handle(&state, req),
                    Err(e) => eprintln!("siegel-webmail: accept: {e}"),
                }
            })
        })
        .collect();
    for w in workers {
        let _ = w.join();
    }
    Ok(())
}
