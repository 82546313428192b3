#!/usr/bin/env python3
"""The wasm benchmark: builds the core for the web, runs wasm-bench.html in headless Chromium
(Debian's chromium and chromedriver, driven over the WebDriver protocol with the standard library
only), and prints the .wasm size (raw and gzipped) and the timings. A benchmark, not a test: it
prints figures and fails only if the page itself fails.

    tests/bench/wasm-bench.py [--sizes 1024,102400,1048576] [--runs 5] [--no-build]
"""
import argparse
import functools
import gzip
import http.server
import json
import os
import socket
import subprocess
import sys
import threading
import time
import urllib.request

ROOT = os.path.abspath(os.path.join(os.path.dirname(__file__), "..", ".."))
PKG = os.path.join(ROOT, "target", "wasm-bench")
CHROME_ARGS = ["--headless=new", "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage",
               "--disable-background-networking", "--disable-component-update", "--disable-sync",
               "--no-first-run", "--disable-quic"]


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def webdriver(base, method, path, body=None):
    data = None if body is None else json.dumps(body).encode()
    req = urllib.request.Request(base + path, data=data, method=method,
                                 headers={"Content-Type": "application/json"})
    with urllib.request.urlopen(req, timeout=600) as r:
        return json.load(r)["value"]


class QuietHandler(http.server.SimpleHTTPRequestHandler):
    extensions_map = {**http.server.SimpleHTTPRequestHandler.extensions_map,
                      ".js": "text/javascript", ".wasm": "application/wasm"}

    def log_message(self, *args):
        pass


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--sizes", default="1024,102400,1048576")
    ap.add_argument("--runs", type=int, default=5)
    ap.add_argument("--no-build", action="store_true", help="reuse target/wasm-bench")
    args = ap.parse_args()

    if not args.no_build:
        subprocess.run(["wasm-pack", "build", "--release", "--target", "web", "--no-pack",
                        "--out-dir", PKG, os.path.join(ROOT, "crate")], check=True)
    wasm = os.path.join(PKG, "siegel_bg.wasm")
    raw = open(wasm, "rb").read()
    print(f"siegel_bg.wasm: {len(raw):,} bytes raw, {len(gzip.compress(raw, 9)):,} bytes gzipped")

    port = free_port()
    httpd = http.server.ThreadingHTTPServer(("127.0.0.1", port), functools.partial(QuietHandler, directory=ROOT))
    threading.Thread(target=httpd.serve_forever, daemon=True).start()

    wd_port = free_port()
    driver = subprocess.Popen(["chromedriver", f"--port={wd_port}"], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    base = f"http://127.0.0.1:{wd_port}"
    session = None
    try:
        for _ in range(100):
            try:
                webdriver(base, "GET", "/status")
                break
            except OSError:
                time.sleep(0.1)
        caps = {"capabilities": {"alwaysMatch": {"goog:chromeOptions": {"binary": "/usr/bin/chromium", "args": CHROME_ARGS}}}}
        session = webdriver(base, "POST", "/session", caps)["sessionId"]
        url = f"http://127.0.0.1:{port}/tests/bench/wasm-bench.html?sizes={args.sizes}&runs={args.runs}"
        webdriver(base, "POST", f"/session/{session}/url", {"url": url})
        result = None
        deadline = time.time() + 900
        while result is None and time.time() < deadline:
            result = webdriver(base, "POST", f"/session/{session}/execute/sync",
                               {"script": "return window.__bench || null", "args": []})
            if result is None:
                time.sleep(0.5)
        if result is None or "error" in result:
            print("the benchmark page failed:", (result or {}).get("error", "timeout"), file=sys.stderr)
            return 1
    finally:
        if session:
            try:
                webdriver(base, "DELETE", f"/session/{session}")
            except OSError:
                pass
        driver.terminate()
        httpd.shutdown()

    print(f"siegel bench (wasm in {result['userAgent'].split(') ')[-1]}; RSA-2048, SHA-256, AES-256-GCM, "
          f"2 recipients; median of {result['runs']} runs, ms)")
    cols = ["size", "sign", "encrypt", "signEncrypt", "decrypt", "verify", "decryptVerify"]
    heads = ["size", "sign", "encrypt", "sign+encrypt", "decrypt", "verify", "decrypt+verify"]
    widths = [10, 9, 9, 13, 9, 9, 14]
    print(" ".join(h.rjust(w) for h, w in zip(heads, widths)))
    for row in result["rows"]:
        cells = [str(row["size"]).rjust(widths[0])]
        cells += [f"{row[c]:.2f}".rjust(w) for c, w in zip(cols[1:], widths[1:])]
        print(" ".join(cells))
    return 0


if __name__ == "__main__":
    sys.exit(main())
