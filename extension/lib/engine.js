// The Siegel core, compiled to WebAssembly, loaded once per service-worker lifetime.
import init, * as siegel from "../wasm/siegel.js";

let ready = null;

/** The initialised wasm module (its exports: Identity, signMessage, openMessage, ...). */
export function engine() {
  ready ??= init({ module_or_path: chrome.runtime.getURL("wasm/siegel_bg.wasm") }).then(() => siegel);
  return ready;
}

/** Turns an exception thrown by the core (an Error whose name is a stable code) into `{code, message}`. */
export function describeError(e) {
  if (e && typeof e === "object" && typeof e.name === "string" && e.name !== "Error") {
    return { code: e.name, message: String(e.message || e.name) };
  }
  if (e && typeof e === "object" && typeof e.code === "string") return { code: e.code, message: String(e.message) };
  return { code: "internal", message: String(e && e.message ? e.message : e) };
}
