// Private keys never reach a web page or a content script. With Alice's key store unlocked, a signed and
// encrypted mail sent and one read in the demo webmail, everything the page can reach and everything the
// extension's content scripts can reach is searched for Alice's private key (the PKCS#8 DER, its private
// exponent and primes, as bytes, hex, base64 at every alignment, base64url and binary strings), her .p12 file
// and the passphrase:
//   - the page's JavaScript world: every object reachable from globalThis (own properties, getters of the
//     global, prototypes, Map/Set entries, typed arrays and ArrayBuffers as bytes, function sources), which
//     includes every postMessage the page saw (recorded by a listener installed before the extension ran);
//   - the page origin's storage: localStorage, sessionStorage, every IndexedDB database, CacheStorage, cookies;
//   - the DOM with attributes and form values, through CDP with closed shadow roots pierced;
//   - the content script's isolated world: the same walk from its globalThis (found through CDP);
//   - the renderer's whole JavaScript heap (a CDP heap snapshot: every string of both worlds, closures
//     included, as V8 records them, the first 1,024 characters of each).
// The search must be able to fail: the same collection finds the key once a test plants it in a page global,
// in the content script's world, and in a closure. And the extension's own IndexedDB and chrome.storage hold
// no plaintext key (options.test.mjs checks the identities store after an import; this checks every store).
import assert from "node:assert/strict";
import { execFileSync } from "node:child_process";
import { readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { after, before, describe, test } from "node:test";
import {
  PASSPHRASE, PKI, ROOT, buildExtension, compose, contentScriptWorld, launchWithExtension, send, setUp, signIn, startWebmail,
} from "./harness.mjs";

const P12_FILE = join(PKI, "alice.p12");

/** Alice's secrets: the PKCS#8 DER of her key, its private exponent and primes, the .p12 bytes. */
function secrets() {
  const pem = execFileSync("openssl", ["pkcs12", "-in", P12_FILE, "-nocerts", "-nodes", "-passin", "pass:secret"]);
  const pkcs8 = execFileSync("openssl", ["pkcs8", "-topk8", "-nocrypt", "-outform", "DER"], { input: pem });
  const text = execFileSync("openssl", ["pkey", "-text", "-noout"], { input: pem, encoding: "utf8" });
  const integer = (name) => {
    const m = new RegExp(`^${name}:\\n((?:\\s+[0-9a-f:]+\\n)+)`, "m").exec(text);
    const bytes = Buffer.from(m[1].replace(/[\s:]/g, ""), "hex");
    return bytes[0] === 0 ? bytes.subarray(1) : bytes;
  };
  const parts = { d: integer("privateExponent"), p: integer("prime1"), q: integer("prime2") };
  for (const [name, bytes] of Object.entries(parts)) assert.ok(pkcs8.includes(bytes), `${name} is inside the PKCS#8 key`);
  return { pkcs8, ...parts, p12: readFileSync(P12_FILE) };
}

/**
 * The strings that would betray `bytes` in any common form, from 30-byte slices at `positions`: hex (lower,
 * upper, colon-separated), base64 and base64url at each of the three alignments a slice can have inside a
 * longer encoded buffer, and the "binary string" (one char per byte) that btoa() takes.
 */
function forms(bytes, positions) {
  const out = [];
  for (const at of positions) {
    const slice = bytes.subarray(at, at + 30);
    const hex = slice.toString("hex");
    out.push(hex, hex.toUpperCase(), hex.match(/../g).join(":"), slice.toString("latin1"));
    for (const shift of [0, 1, 2]) {
      const aligned = bytes.subarray(at + shift, at + shift + 30);
      out.push(aligned.toString("base64"), aligned.toString("base64url"));
    }
  }
  return out;
}

function needles() {
  const s = secrets();
  const middle = (b) => [4, b.length >> 1, b.length - 40];
  return [
    // The PKCS#8 key past its public part (version, algorithm, modulus, public exponent: ~300 bytes).
    { name: "Alice's private key (PKCS#8)", forms: forms(s.pkcs8, [420, 700, 1000, s.pkcs8.length - 40]) },
    { name: "the private exponent", forms: forms(s.d, middle(s.d)) },
    { name: "the first prime", forms: forms(s.p, middle(s.p)) },
    { name: "the second prime", forms: forms(s.q, middle(s.q)) },
    { name: "the .p12 file", forms: forms(s.p12, [120, s.p12.length >> 1, s.p12.length - 40]) },
    { name: "the passphrase", forms: [PASSPHRASE] },
  ];
}

/** Which needles occur in `haystack` (an array of strings). */
function found(haystack, list) {
  const text = haystack.join("\u0000");
  return list.filter((n) => n.forms.some((f) => text.includes(f))).map((n) => n.name);
}

/**
 * Runs in a JavaScript world (the page's, or the content script's): every string reachable from globalThis,
 * with byte containers as hex. With `page: true` also the origin's storage and the form fields' values.
 */
async function collect({ page }) {
  const strings = new Set();
  const seen = new Set();
  const queue = [globalThis];
  const hex = (u8) => {
    let s = "";
    for (let i = 0; i < u8.length; i++) s += (u8[i] < 16 ? "0" : "") + u8[i].toString(16);
    return s;
  };
  const add = (v) => {
    if (typeof v === "string") strings.add(v);
    else if (v !== null && (typeof v === "object" || typeof v === "function")) queue.push(v);
  };
  if (page) {
    const roots = [];
    for (const storage of [localStorage, sessionStorage]) {
      for (let i = 0; i < storage.length; i++) roots.push(storage.key(i), storage.getItem(storage.key(i)));
    }
    roots.push(document.cookie);
    for (const info of await indexedDB.databases()) {
      const db = await new Promise((resolve, reject) => {
        const req = indexedDB.open(info.name);
        req.onsuccess = () => resolve(req.result);
        req.onerror = () => reject(req.error);
      });
      for (const name of db.objectStoreNames) {
        const store = db.transaction(name).objectStore(name);
        roots.push(name, await new Promise((ok) => (store.getAll().onsuccess = (e) => ok(e.target.result))));
        roots.push(await new Promise((ok) => (store.getAllKeys().onsuccess = (e) => ok(e.target.result))));
      }
      db.close();
    }
    if (globalThis.caches) {
      for (const key of await caches.keys()) {
        const cache = await caches.open(key);
        for (const request of await cache.keys()) roots.push(request.url, new Uint8Array(await (await cache.match(request)).arrayBuffer()));
      }
    }
    for (const el of document.querySelectorAll("input, textarea, select")) roots.push(el.value);
    queue.push(roots);
  }
  let visited = 0;
  while (queue.length && visited < 500_000) {
    const o = queue.pop();
    if (seen.has(o)) continue;
    seen.add(o);
    visited++;
    try {
      if (o instanceof ArrayBuffer) {
        strings.add(hex(new Uint8Array(o)));
        continue;
      }
      if (ArrayBuffer.isView(o)) {
        strings.add(hex(new Uint8Array(o.buffer, o.byteOffset, o.byteLength)));
        add(o.buffer);
        continue;
      }
      if (typeof o === "function") strings.add(Function.prototype.toString.call(o));
      if (o instanceof Map) for (const [k, v] of o) add(k), add(v);
      if (o instanceof Set) for (const v of o) add(v);
      if (Array.isArray(o) && o.length > 0 && o.length < 1 << 24 && o.every((x) => Number.isInteger(x) && x >= 0 && x < 256)) {
        strings.add(hex(Uint8Array.from(o)));
      }
      for (const key of Reflect.ownKeys(o)) {
        if (typeof key === "string") strings.add(key);
        const d = Reflect.getOwnPropertyDescriptor(o, key);
        if (!d) continue;
        if ("value" in d) add(d.value);
        else if (d.get && o === globalThis) {
          try {
            add(d.get.call(o));
          } catch {
            // a getter that throws here (e.g. a blocked API) holds nothing to read
          }
        }
      }
      add(Reflect.getPrototypeOf(o));
    } catch {
      // an object that refuses reflection (e.g. a cross-origin window) exposes nothing to this world either
    }
  }
  return { strings: [...strings], visited };
}

/** Every node of the page's DOM (attributes, text, closed shadow roots too) through CDP, as strings. */
async function domStrings(cdp) {
  const { root } = await cdp.send("DOM.getDocument", { depth: -1, pierce: true });
  const out = [];
  const walk = (n) => {
    out.push(n.nodeName, n.nodeValue ?? "", ...(n.attributes ?? []));
    for (const c of [...(n.children ?? []), ...(n.shadowRoots ?? []), ...(n.contentDocument ? [n.contentDocument] : [])]) walk(c);
  };
  walk(root);
  return out;
}

/** Every string in the renderer's JavaScript heap (both worlds), from a CDP heap snapshot. */
async function heapStrings(cdp) {
  const chunks = [];
  const onChunk = ({ chunk }) => chunks.push(chunk);
  cdp.on("HeapProfiler.addHeapSnapshotChunk", onChunk);
  await cdp.send("HeapProfiler.takeHeapSnapshot", { reportProgress: false });
  cdp.off("HeapProfiler.addHeapSnapshotChunk", onChunk);
  return JSON.parse(chunks.join("")).strings;
}

describe("private keys stay in the service worker", () => {
  let mail;
  let b;
  let options;
  let page;
  let world;
  let list;

  before(async () => {
    list = needles();
    mail = await startWebmail();
    b = await launchWithExtension(buildExtension(join(ROOT, "target", "e2e-keys")));
    options = await setUp(b, {
      p12: P12_FILE,
      trust: [join(PKI, "chain.pem")],
      contacts: [{ file: join(PKI, "bob.crt"), email: "bob@example.com" }],
    });
    // Record every postMessage the page sees, from before the extension's content scripts start.
    await b.context.addInitScript(() => {
      window.__traffic = [];
      window.addEventListener("message", (e) => window.__traffic.push({ origin: e.origin, data: e.data }));
    });
    page = await signIn(b, mail.base, "alice@example.com");
  });

  after(async () => {
    await b?.close();
    mail?.stop();
  });

  test("after sending and reading mail, neither the page nor the content script can reach the key", { timeout: 120_000 }, async (t) => {
    // Send Bob a signed and encrypted mail, written in Siegel's editor frame: the worker seals it and the
    // content script hands it to the page to deliver.
    await compose(page, mail.base, {
      to: "bob@example.com",
      subject: "Keys stay home",
      body: "Signed and sealed.",
      files: [{ name: "note.txt", mimeType: "text/plain", buffer: Buffer.from("attached") }],
      sign: true,
      encrypt: true,
    });
    assert.deepEqual(await send(page), { status: "sent" });

    // Read one from Bob, signed by him and encrypted to Alice (written by openssl): the worker decrypts it
    // with Alice's key and the reader frame shows it.
    const work = mail.data;
    writeFileSync(join(work, "entity.txt"), "Content-Type: text/plain; charset=utf-8\r\n\r\nThe key stays with you, Alice.\r\n");
    const signed = execFileSync("openssl", ["cms", "-sign", "-in", join(work, "entity.txt"), "-signer", join(PKI, "bob.crt"), "-inkey", join(PKI, "bob.key"), "-certfile", join(PKI, "intermediate.crt")]);
    writeFileSync(join(work, "signed.eml"), signed);
    const encrypted = execFileSync("openssl", ["cms", "-encrypt", "-aes-256-cbc", "-in", join(work, "signed.eml"), join(PKI, "alice.crt")]);
    const name = `${Date.now()}.keys.e2e`;
    writeFileSync(join(work, "alice@example.com", "INBOX", "new", name), Buffer.concat([Buffer.from("From: Bob <bob@example.com>\r\nTo: alice@example.com\r\nSubject: Read me\r\n"), encrypted]));
    await page.goto(`${mail.base}/#/folder/INBOX`);
    await page.locator("#message-list .message-row", { hasText: "Read me" }).click();
    const reader = page.frameLocator("iframe[data-siegel-reader]");
    await reader.locator("body[data-ready]").waitFor({ timeout: 30_000 });
    assert.match(await reader.locator("#text").textContent(), /The key stays with you, Alice\./);
    assert.ok((await page.evaluate(() => window.__traffic.length)) > 4, "the page saw the extension's requests and its own answers");

    // Search.
    world = await contentScriptWorld(page, b.extensionId);
    const pageWorld = await page.evaluate(collect, { page: true });
    const contentWorld = await world.evaluate(collect, { page: false });
    assert.ok(pageWorld.visited > 1000 && contentWorld.visited > 500, `walked ${pageWorld.visited} and ${contentWorld.visited} objects`);
    assert.ok(contentWorld.strings.includes("siegelContent"), "the walk was in the content script's world");
    // Every content script file left what it defines there: bridge.js (call), contract.js (pageContract),
    // reading.js (attachMessage), compose.js (attachCompose) in siegelParts, siegel-content.js siegelContent.
    for (const name of ["siegelParts", "call", "pageContract", "attachMessage", "attachCompose", "register"]) {
      assert.ok(contentWorld.strings.includes(name), `${name} was reached in the content script's world`);
    }
    assert.ok(!pageWorld.strings.includes("siegelContent"), "which the page's world does not see");
    assert.ok(pageWorld.strings.some((s) => s.includes("Keys stay home")), "the page's state is in the page world");
    const dom = await domStrings(world.cdp);
    assert.ok(dom.some((s) => s.includes("siegel-reader")), "the DOM was read");
    const heap = await heapStrings(world.cdp);
    assert.ok(heap.length > 10_000, `${heap.length} strings in the heap`);
    assert.ok(heap.some((s) => s.includes(":host { all: initial;")), "including the content script's closures (its note's CSS, content/bridge.js)");
    t.diagnostic(`searched ${pageWorld.visited} page objects (${pageWorld.strings.length} strings), ${contentWorld.visited} content-script objects, ${dom.length} DOM strings, ${heap.length} heap strings`);
    assert.deepEqual(found(pageWorld.strings, list), [], "in the page's world, storage and postMessage traffic");
    assert.deepEqual(found(contentWorld.strings, list), [], "in the content script's world");
    assert.deepEqual(found(dom, list), [], "in the DOM");
    assert.deepEqual(found(heap, list), [], "in the renderer's heap");
  });

  test("the search finds the key where it is planted (it can fail)", { timeout: 60_000 }, async () => {
    const s = secrets();
    await page.evaluate((der) => {
      window.__planted = new Map([["k", { deep: [Uint8Array.from(atob(der), (c) => c.charCodeAt(0))] }]]);
    }, s.pkcs8.toString("base64"));
    await world.evaluate((hex) => {
      globalThis.__planted = { prime: hex };
    }, s.p.toString("hex"));
    await world.evaluate((b64) => {
      const held = atob(b64); // only in a closure: unreachable by walking, present in the heap
      globalThis.__closure = () => held.length;
    }, s.d.toString("base64"));
    const pageWorld = await page.evaluate(collect, { page: true });
    const contentWorld = await world.evaluate(collect, { page: false });
    assert.deepEqual(found(pageWorld.strings, list), ["Alice's private key (PKCS#8)", "the private exponent", "the first prime", "the second prime"]);
    assert.deepEqual(found(contentWorld.strings, list), ["the first prime"]);
    assert.ok(found(await heapStrings(world.cdp), list).includes("the private exponent"), "the closure's binary string is found in the heap");
    await page.evaluate(() => delete window.__planted);
    await world.evaluate(() => (delete globalThis.__planted, delete globalThis.__closure));
  });

  test("the extension's own storage holds no plaintext key, .p12 or passphrase", async () => {
    const dump = await options.evaluate(async () => {
      const db = await new Promise((resolve, reject) => {
        const req = indexedDB.open("siegel");
        req.onsuccess = () => resolve(req.result);
        req.onerror = () => reject(req.error);
      });
      const out = {};
      for (const name of db.objectStoreNames) {
        const store = db.transaction(name).objectStore(name);
        out[name] = await new Promise((ok) => (store.getAll().onsuccess = (e) => ok(e.target.result)));
      }
      db.close();
      out.local = await chrome.storage.local.get(null);
      out.session = await chrome.storage.session.get(null);
      return JSON.stringify(out);
    });
    assert.match(dump, /"secrets":\[\{"iv":/, "the key store is there, its secrets encrypted");
    assert.deepEqual(found([dump], list), []);
  });
});
