// Siegel's content scripts, part 1 of 5 (bridge, contract, reading, compose, siegel-content; then one
// adapter per webmail): asking the service worker, and the small helpers the others share. Everything here
// lives in the content scripts' isolated world, which the webmail page cannot reach; the parts meet in
// `siegelParts`, and siegel-content.js hands the adapters what they need.
(() => {
  "use strict";
  if (globalThis.siegelParts) return;

  const t = (key, subs, fallback) => chrome.i18n.getMessage(key, subs) || fallback;

  // The longest an operation may take before it counts as lost.
  const CALL_TIMEOUT = 5 * 60 * 1000;

  /**
   * Asks the service worker. The browser may stop the worker at any time; a call it never answers (the
   * channel closed, the extension reloaded, or no answer in CALL_TIMEOUT) is the error "worker-stopped",
   * never a hang and never a result.
   */
  async function call(op, args = {}) {
    let timer;
    let reply;
    try {
      reply = await Promise.race([
        chrome.runtime.sendMessage({ op, ...args }),
        new Promise((resolve) => (timer = setTimeout(() => resolve(undefined), CALL_TIMEOUT))),
      ]);
    } catch {
      reply = undefined; // "message channel closed", "Receiving end does not exist", "context invalidated"
    } finally {
      clearTimeout(timer);
    }
    if (!reply) throw Object.assign(new Error("Siegel's background worker stopped before it answered."), { code: "worker-stopped" });
    if (!reply.ok) throw Object.assign(new Error(reply.error.message), reply.error);
    return reply.result;
  }

  function errorText(e) {
    const code = e && e.code ? String(e.code).replace(/[^A-Za-z0-9]/g, "_") : "";
    return (code && chrome.i18n.getMessage(`error_${code}`)) || (e && e.message) || String(e);
  }

  function toBase64(buffer) {
    const u8 = buffer instanceof Uint8Array ? buffer : new Uint8Array(buffer);
    let s = "";
    for (let i = 0; i < u8.length; i += 0x8000) s += String.fromCharCode(...u8.subarray(i, i + 0x8000));
    return btoa(s);
  }

  function fromBase64(text) {
    const s = atob(text);
    const out = new Uint8Array(s.length);
    for (let i = 0; i < s.length; i++) out[i] = s.charCodeAt(i);
    return out;
  }

  /** Runs `callback` once when `element` has left the document, or the page is going away. */
  function whenRemoved(element, callback) {
    let done = false;
    const finish = () => {
      if (done) return;
      done = true;
      observer.disconnect();
      window.removeEventListener("pagehide", finish);
      callback();
    };
    const observer = new MutationObserver(() => {
      if (!element.isConnected) finish();
    });
    observer.observe(document, { childList: true, subtree: true });
    window.addEventListener("pagehide", finish);
  }

  /**
   * A frame of Siegel's own page `path` (web-accessible with a dynamic URL), with the given fixed size. Its
   * size and attributes never depend on what happens inside it.
   */
  function siegelFrame(path, marker, height) {
    const frame = document.createElement("iframe");
    frame.src = chrome.runtime.getURL(path);
    frame.title = "Siegel";
    frame.setAttribute(marker, "");
    // No rounded corners: a clip around the frame's content would keep the browser from vouching that a
    // control in a corner is seen (ui/visible.js).
    frame.style.cssText = `display:block;box-sizing:border-box;width:100%;height:${height};border:1px solid #8884;background:#fff;margin:.4rem 0`;
    return frame;
  }

  const NOTE_CSS = `
    :host { all: initial; display: block; font: 13px/1.4 system-ui, sans-serif; margin: .4rem 0; }
    .bar { display: flex; gap: .9rem; align-items: center; padding: .35rem .6rem; border: 1px solid #2f5f8f66;
           border-radius: .4rem; background: #2f5f8f10; color: #1b2b3a; }
    .brand { font-weight: 700; }
    .status.error { color: #b3261e; font-weight: 600; }
  `;

  /**
   * A one-line note of Siegel's in the page (for mail that needs no reader frame): a closed shadow root, so
   * that page scripts cannot change it, and no attributes saying what it says.
   */
  function note() {
    const host = document.createElement("siegel-note");
    const root = host.attachShadow({ mode: "closed" });
    root.innerHTML = `<style>${NOTE_CSS}</style><div class="bar"><span class="brand">Siegel</span><span class="status" role="status"></span></div>`;
    const status = root.querySelector(".status");
    return {
      host,
      say(text, kind = "") {
        status.textContent = text;
        status.className = `status ${kind}`;
      },
    };
  }

  globalThis.siegelParts = { t, call, errorText, toBase64, fromBase64, whenRemoved, siegelFrame, note };
})();
