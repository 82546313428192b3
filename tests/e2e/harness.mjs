// Shared helpers of the end-to-end tests: the built extension, a Chromium with it loaded, the test PKI.
import { execFileSync } from "node:child_process";
import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import { chromium } from "playwright-core";

export const ROOT = join(dirname(fileURLToPath(import.meta.url)), "..", "..");
export const EXTENSION = join(ROOT, "extension");
export const PKI = join(ROOT, "crate", "tests", "data", "pki");
export const P12 = join(ROOT, "crate", "tests", "data", "pkcs12");
export const CHROMIUM = process.env.CHROMIUM || "/usr/bin/chromium";

/**
 * Builds the unpacked extension with extension/build.sh into a folder of its own, and returns its path.
 * SIEGEL_E2E_SKIP_WASM=1 reuses an existing extension/wasm/ (quicker reruns).
 */
export function buildExtension(out = join(ROOT, "target", "e2e-extension")) {
  const args = ["--out", out];
  if (process.env.SIEGEL_E2E_SKIP_WASM === "1") args.push("--skip-wasm");
  execFileSync(join(EXTENSION, "build.sh"), args, { cwd: ROOT, stdio: ["ignore", "ignore", "inherit"] });
  return join(out, "unpacked");
}

/** Launches Chromium with an unpacked extension; returns `{ context, worker, extensionId, close }`. */
export async function launchWithExtension(path, extraArgs = []) {
  const profile = mkdtempSync(join(tmpdir(), "siegel-e2e-"));
  const context = await chromium.launchPersistentContext(profile, {
    executablePath: CHROMIUM,
    headless: true,
    args: [
      "--no-sandbox",
      "--disable-gpu",
      "--disable-dev-shm-usage",
      "--no-first-run",
      `--disable-extensions-except=${path}`,
      `--load-extension=${path}`,
      ...extraArgs,
    ],
  });
  let [worker] = context.serviceWorkers();
  worker ??= await context.waitForEvent("serviceworker", { timeout: 30_000 });
  const extensionId = new URL(worker.url()).host;
  return {
    context,
    worker,
    extensionId,
    async close() {
      await context.close();
      rmSync(profile, { recursive: true, force: true });
    },
  };
}

/** The raw bytes of a PEM file's first block. */
export function pemBody(path) {
  const text = readFileSync(path, "utf8");
  const b64 = text.split(/-----[A-Z ]+-----/)[1].replace(/\s+/g, "");
  return Buffer.from(b64, "base64");
}
