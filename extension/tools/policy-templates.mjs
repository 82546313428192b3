#!/usr/bin/env node
// Writes Siegel's deployment templates from extension/schema.json (the storage.managed_schema), so the
// templates never drift from the settings the extension actually reads. No dependencies.
//
//   node policy-templates.mjs --id EXTENSION_ID --update-url URL [--version V] [--schema schema.json] --out DIR
//
// DIR/
//   linux/{chromium,chrome,edge}/siegel.json   → /etc/chromium/policies/managed/, /etc/opt/chrome/policies/managed/,
//                                                /etc/opt/edge/policies/managed/
//   windows/siegel-chrome.reg, siegel-edge.reg  force-install + example settings, for regedit / GPO preferences
//   windows/PolicyDefinitions/siegel-{chrome,edge}.admx, en-US/siegel-{chrome,edge}.adml
//                                               one Group Policy per schema property, written under
//                                               HKLM\Software\Policies\{Google\Chrome,Microsoft\Edge}\3rdparty\extensions\ID\policy
//   macos/siegel-chrome.mobileconfig, siegel-edge.mobileconfig   (com.google.Chrome / com.microsoft.Edge payloads)
//
// The force-install entry everywhere is "ID;UPDATE_URL" in ExtensionInstallForcelist (the same policy name
// in Chrome, Chromium and Edge). Settings go to the "3rdparty" policy domain, which Chrome maps through the
// schema onto chrome.storage.managed.
import { mkdirSync, readFileSync, writeFileSync } from "node:fs";
import { createHash } from "node:crypto";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";

// ---------------------------------------------------------------- arguments
const args = { schema: join(dirname(fileURLToPath(import.meta.url)), "..", "schema.json"), version: "" };
for (let i = 2; i < process.argv.length; i++) {
  const a = process.argv[i];
  const m = /^--(id|update-url|version|schema|out)(?:=(.*))?$/.exec(a);
  if (!m) die(`unknown argument: ${a}`);
  args[m[1]] = m[2] ?? process.argv[++i];
  if (args[m[1]] === undefined) die(`${a} needs a value`);
}
if (!/^[a-p]{32}$/.test(args.id ?? "")) die("--id must be a 32-letter extension ID (a-p)");
if (!/^https?:\/\/\S+$/.test(args["update-url"] ?? "")) die("--update-url must be an http(s) URL");
if (!args.out) die("--out is required");
const { id, out } = args;
const updateUrl = args["update-url"];
const schema = JSON.parse(readFileSync(args.schema, "utf8"));
const props = schema.properties ?? {};

function die(msg) {
  console.error(`policy-templates: ${msg}`);
  process.exit(2);
}

// ---------------------------------------------------------------- the example settings
// What the templates set, as an illustration: every key set by policy is locked for the user, so the
// example is a sensible minimum rather than every key. Checked against the schema on every run.
const EXAMPLE = {
  alwaysSign: true,
  encryptionAlgorithms: ["aes-256-gcm", "aes-128-gcm"],
  includeCertificateChain: "withoutRoot",
  crlRetrievalTimeout: 10000,
  directoryUrl: "https://directory.example.com/",
  autoLockMinutes: 15,
};

function check(value, s, path) {
  const bad = (why) => die(`example ${path}: ${why}`);
  switch (s.type) {
    case "boolean": if (typeof value !== "boolean") bad("not a boolean"); break;
    case "integer":
      if (!Number.isInteger(value)) bad("not an integer");
      if (s.minimum !== undefined && value < s.minimum) bad(`below ${s.minimum}`);
      if (s.maximum !== undefined && value > s.maximum) bad(`above ${s.maximum}`);
      break;
    case "string": if (typeof value !== "string") bad("not a string"); break;
    case "array":
      if (!Array.isArray(value)) bad("not an array");
      value.forEach((v, i) => check(v, s.items ?? {}, `${path}[${i}]`));
      break;
    default: die(`schema type "${s.type}" of ${path} is not supported by the template generator`);
  }
  if (s.enum && !s.enum.includes(value)) bad(`not one of ${s.enum.join(", ")}`);
}
for (const [k, v] of Object.entries(EXAMPLE)) {
  if (!props[k]) die(`example key "${k}" is not in ${args.schema}`);
  check(v, props[k], k);
}
for (const [k, s] of Object.entries(props)) {
  if (!["boolean", "integer", "string", "array"].includes(s.type)) die(`schema type "${s.type}" of ${k} is not supported`);
  if (s.type === "array" && s.items?.type !== "string") die(`array ${k}: only arrays of strings are supported`);
}

// ---------------------------------------------------------------- helpers
function write(rel, text) {
  const p = join(out, rel);
  mkdirSync(dirname(p), { recursive: true });
  writeFileSync(p, text);
}
const xml = (s) => String(s).replace(/&/g, "&amp;").replace(/</g, "&lt;").replace(/>/g, "&gt;").replace(/"/g, "&quot;").replace(/'/g, "&apos;");
/** A UUID derived from the inputs, so re-running gives byte-identical profiles (and profile updates replace, not add). */
function uuid(...parts) {
  const h = createHash("sha256").update(parts.join("\0")).digest("hex");
  return `${h.slice(0, 8)}-${h.slice(8, 12)}-5${h.slice(13, 16)}-${((parseInt(h[16], 16) & 3) | 8).toString(16)}${h.slice(17, 20)}-${h.slice(20, 32)}`.toUpperCase();
}
const forceEntry = `${id};${updateUrl}`;
const BROWSERS = {
  chrome: { name: "Google Chrome", regRoot: "Software\\Policies\\Google\\Chrome", plist: "com.google.Chrome" },
  edge: { name: "Microsoft Edge", regRoot: "Software\\Policies\\Microsoft\\Edge", plist: "com.microsoft.Edge" },
};

// ---------------------------------------------------------------- Linux JSON
const linuxPolicy = JSON.stringify({
  ExtensionInstallForcelist: [forceEntry],
  "3rdparty": { extensions: { [id]: EXAMPLE } },
}, null, 2) + "\n";
for (const b of ["chromium", "chrome", "edge"]) write(`linux/${b}/siegel.json`, linuxPolicy);

// ---------------------------------------------------------------- Windows .reg
function regString(s) {
  return `"${String(s).replace(/\\/g, "\\\\").replace(/"/g, '\\"')}"`;
}
function regFile(b) {
  const root = `HKEY_LOCAL_MACHINE\\${b.regRoot.replace(/^Software/, "SOFTWARE")}`;
  const pol = `${root}\\3rdparty\\extensions\\${id}\\policy`;
  const L = [
    "Windows Registry Editor Version 5.00",
    "",
    `; Siegel for ${b.name}: force-install from ${updateUrl} and example settings.`,
    `; Generated from extension/schema.json${args.version ? ` for Siegel ${args.version}` : ""}; extension ID ${id}.`,
    "; If ExtensionInstallForcelist already has an entry named \"1\", rename the value below to the next free number.",
    "; On Windows, extensions from outside the browser's store are only force-installed on machines joined to",
    "; Active Directory / Entra ID or enrolled in MDM.",
    "",
    `[${root}\\ExtensionInstallForcelist]`,
    `"1"=${regString(forceEntry)}`,
    "",
    "; Siegel's settings (chrome.storage.managed). Each value set here is locked in Siegel's options page.",
    `[${pol}]`,
  ];
  const lists = [];
  for (const [k, v] of Object.entries(EXAMPLE)) {
    const t = props[k].type;
    if (t === "boolean") L.push(`"${k}"=dword:${v ? "00000001" : "00000000"}`);
    else if (t === "integer") L.push(`"${k}"=dword:${(v >>> 0).toString(16).padStart(8, "0")}`);
    else if (t === "string") L.push(`"${k}"=${regString(v)}`);
    else lists.push([k, v]);
  }
  for (const [k, v] of lists) {
    // A list is a subkey with values "1", "2", ...; deleting it first keeps re-imports from leaving stale items.
    L.push("", `[-${pol}\\${k}]`, `[${pol}\\${k}]`, ...v.map((x, i) => `"${i + 1}"=${regString(x)}`));
  }
  return L.join("\r\n") + "\r\n";
}
for (const [k, b] of Object.entries(BROWSERS)) write(`windows/siegel-${k}.reg`, regFile(b));

// ---------------------------------------------------------------- ADMX / ADML
function admx(key, b) {
  const polKey = `${b.regRoot}\\3rdparty\\extensions\\${id}\\policy`;
  const policies = Object.entries(props).map(([k, s]) => {
    const head = `name="${k}" class="Machine" displayName="$(string.${k})" explainText="$(string.${k}_Explain)"`;
    const common = `      <parentCategory ref="Siegel" />\n      <supportedOn ref="SUPPORTED_SIEGEL" />\n`;
    if (s.type === "boolean") {
      return `    <policy ${head} key="${xml(polKey)}" valueName="${k}">\n${common}` +
        `      <enabledValue><decimal value="1" /></enabledValue>\n      <disabledValue><decimal value="0" /></disabledValue>\n    </policy>`;
    }
    let el;
    if (s.type === "integer") {
      el = `<decimal id="${k}" valueName="${k}" minValue="${s.minimum ?? 0}" maxValue="${s.maximum ?? 2000000000}" />`;
    } else if (s.type === "string" && s.enum) {
      el = `<enum id="${k}" valueName="${k}" required="true">\n` + s.enum.map((v) =>
        `          <item displayName="$(string.${k}_${ident(v)})"><value><string>${xml(v)}</string></value></item>`).join("\n") +
        "\n        </enum>";
    } else if (s.type === "string") {
      el = `<text id="${k}" valueName="${k}" maxLength="1000000" />`;
    } else {
      // A list policy owns its subkey: values "1", "2", ... (valuePrefix ""), the layout Chrome reads for lists.
      return `    <policy ${head} key="${xml(polKey)}\\${k}" presentation="$(presentation.${k})">\n${common}` +
        `      <elements>\n        <list id="${k}" valuePrefix="" />\n      </elements>\n    </policy>`;
    }
    return `    <policy ${head} key="${xml(polKey)}" presentation="$(presentation.${k})">\n${common}` +
      `      <elements>\n        ${el}\n      </elements>\n    </policy>`;
  });
  return `<?xml version="1.0" encoding="utf-8"?>
<!-- Siegel for ${b.name}: one policy per property of extension/schema.json (generated; do not edit).
     Values are written to HKLM\\${polKey}. -->
<policyDefinitions xmlns:xsd="http://www.w3.org/2001/XMLSchema" xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance" revision="1.0" schemaVersion="1.0" xmlns="http://schemas.microsoft.com/GroupPolicy/2006/07/PolicyDefinitions">
  <policyNamespaces>
    <target prefix="siegel" namespace="Siegel.Policies.${key === "chrome" ? "Chrome" : "Edge"}" />
    <using prefix="windows" namespace="Microsoft.Policies.Windows" />
  </policyNamespaces>
  <resources minRequiredRevision="1.0" />
  <supportedOn>
    <definitions>
      <definition name="SUPPORTED_SIEGEL" displayName="$(string.SUPPORTED_SIEGEL)" />
    </definitions>
  </supportedOn>
  <categories>
    <category name="Siegel" displayName="$(string.Siegel)" />
  </categories>
  <policies>
${policies.join("\n")}
  </policies>
</policyDefinitions>
`;
}
function ident(v) {
  return String(v).replace(/[^A-Za-z0-9]/g, "_");
}
function adml(key, b) {
  const strings = [
    ["Siegel", `Siegel (${b.name})`],
    ["SUPPORTED_SIEGEL", `${b.name} 116 or later with the Siegel extension (${id})`],
  ];
  const presentations = [];
  for (const [k, s] of Object.entries(props)) {
    const title = s.title ?? k;
    let explain = s.description ?? "";
    if (s.type === "array") explain += "\n\nOne value per line, in order.";
    if (s.type === "boolean") explain += "\n\nEnabled: on. Disabled: off. Not configured: the user's choice (or Siegel's default).";
    if (s.type === "array" && s.items?.enum) explain += `\n\nAllowed values: ${s.items.enum.join(", ")}.`;
    strings.push([k, title], [`${k}_Explain`, explain]);
    if (s.type === "string" && s.enum) for (const v of s.enum) strings.push([`${k}_${ident(v)}`, v]);
    if (s.type === "integer") presentations.push(`<presentation id="${k}"><decimalTextBox refId="${k}" defaultValue="${s.minimum ?? 0}">${xml(title)}</decimalTextBox></presentation>`);
    else if (s.type === "string" && s.enum) presentations.push(`<presentation id="${k}"><dropdownList refId="${k}">${xml(title)}</dropdownList></presentation>`);
    else if (s.type === "string") presentations.push(`<presentation id="${k}"><textBox refId="${k}"><label>${xml(title)}</label></textBox></presentation>`);
    else if (s.type === "array") presentations.push(`<presentation id="${k}"><listBox refId="${k}">${xml(title)}</listBox></presentation>`);
  }
  return `<?xml version="1.0" encoding="utf-8"?>
<policyDefinitionResources xmlns:xsd="http://www.w3.org/2001/XMLSchema" xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance" revision="1.0" schemaVersion="1.0" xmlns="http://schemas.microsoft.com/GroupPolicy/2006/07/PolicyDefinitions">
  <displayName>Siegel (${xml(b.name)})</displayName>
  <description>Settings of the Siegel S/MIME extension for ${xml(b.name)}</description>
  <resources>
    <stringTable>
${strings.map(([k, v]) => `      <string id="${k}">${xml(v)}</string>`).join("\n")}
    </stringTable>
    <presentationTable>
${presentations.map((p) => `      ${p}`).join("\n")}
    </presentationTable>
  </resources>
</policyDefinitionResources>
`;
}
for (const [k, b] of Object.entries(BROWSERS)) {
  write(`windows/PolicyDefinitions/siegel-${k}.admx`, admx(k, b));
  write(`windows/PolicyDefinitions/en-US/siegel-${k}.adml`, adml(k, b));
}

// ---------------------------------------------------------------- macOS .mobileconfig
function plistValue(v, ind) {
  if (typeof v === "boolean") return `${ind}<${v}/>`;
  if (Number.isInteger(v)) return `${ind}<integer>${v}</integer>`;
  if (typeof v === "string") return `${ind}<string>${xml(v)}</string>`;
  if (Array.isArray(v)) return `${ind}<array>\n${v.map((x) => plistValue(x, ind + "  ")).join("\n")}\n${ind}</array>`;
  return `${ind}<dict>\n${Object.entries(v).map(([k, x]) => `${ind}  <key>${xml(k)}</key>\n${plistValue(x, ind + "  ")}`).join("\n")}\n${ind}</dict>`;
}
function mobileconfig(key, b) {
  const payload = {
    PayloadType: b.plist,
    PayloadIdentifier: `org.siegel.policy.${key}.${b.plist}`,
    PayloadUUID: uuid(id, key, "payload"),
    PayloadVersion: 1,
    PayloadDisplayName: `Siegel for ${b.name}`,
    PayloadEnabled: true,
    ExtensionInstallForcelist: [forceEntry],
    "3rdparty": { extensions: { [id]: EXAMPLE } },
  };
  const profile = {
    PayloadContent: [payload],
    PayloadDisplayName: `Siegel S/MIME for ${b.name}`,
    PayloadDescription: `Force-installs the Siegel extension (${id}) from ${updateUrl} and sets its policy.`,
    PayloadIdentifier: `org.siegel.policy.${key}`,
    PayloadOrganization: "Siegel",
    PayloadScope: "System",
    PayloadType: "Configuration",
    PayloadUUID: uuid(id, key, "profile"),
    PayloadVersion: 1,
  };
  return `<?xml version="1.0" encoding="UTF-8"?>
<!DOCTYPE plist PUBLIC "-//Apple//DTD PLIST 1.0//EN" "http://www.apple.com/DTDs/PropertyList-1.0.dtd">
<plist version="1.0">
${plistValue(profile, "")}
</plist>
`;
}
for (const [k, b] of Object.entries(BROWSERS)) write(`macos/siegel-${k}.mobileconfig`, mobileconfig(k, b));
