// The options page: identities (import, details, export, remove), lock state, trusted CAs, contacts,
// settings (with what policy locks) and the passphrase. Every operation goes through the service worker.
import { call, errorText, fileToBase64, localize, show, t } from "../ui/rpc.js";

const $ = (id) => document.getElementById(id);
let status = null;

function el(tag, props = {}, ...children) {
  const e = document.createElement(tag);
  for (const [k, v] of Object.entries(props)) {
    if (k === "dataset") Object.assign(e.dataset, v);
    else if (k in e) e[k] = v;
    else e.setAttribute(k, v);
  }
  for (const c of children) if (c !== null && c !== undefined) e.append(c);
  return e;
}

function details(pairs) {
  const dl = el("dl");
  for (const [label, value] of pairs) {
    if (value === undefined || value === null || value === "") continue;
    dl.append(el("dt", { textContent: label }), el("dd", { textContent: Array.isArray(value) ? value.join(", ") : value }));
  }
  return dl;
}

function certificateDetails(c, tags) {
  const box = el("div", { className: "cert", dataset: { fingerprint: c.sha256_fingerprint } });
  const head = el("div", {}, el("strong", { textContent: c.subject }));
  for (const tag of tags) head.append(el("span", { className: "tag", textContent: tag }));
  box.append(
    head,
    details([
      [t("fieldIssuer", undefined, "Issuer"), c.issuer],
      [t("fieldSerial", undefined, "Serial number"), c.serial],
      [t("fieldValidFrom", undefined, "Valid from"), c.not_before],
      [t("fieldValidTo", undefined, "Valid until"), c.not_after],
      [t("fieldEmails", undefined, "Email addresses"), c.emails],
      [t("fieldKeyType", undefined, "Key type"), c.key_type],
      [t("fieldKeyUsage", undefined, "Key usage"), c.key_usage],
      [t("fieldExtendedKeyUsage", undefined, "Extended key usage"), c.extended_key_usage],
      [t("fieldFingerprint", undefined, "SHA-256 fingerprint"), c.sha256_fingerprint],
    ]),
  );
  return box;
}

function download(base64, filename) {
  const bytes = Uint8Array.from(atob(base64), (ch) => ch.charCodeAt(0));
  const url = URL.createObjectURL(new Blob([bytes], { type: "application/pkix-cert" }));
  const a = el("a", { href: url, download: filename });
  document.body.append(a);
  a.click();
  a.remove();
  setTimeout(() => URL.revokeObjectURL(url), 10_000);
}

function renderIdentities() {
  const list = $("identity-list");
  list.replaceChildren();
  $("identities-empty").hidden = status.identities.length > 0;
  const now = Date.now();
  for (const identity of status.identities) {
    const certs = [...identity.certificates].sort((a, b) => Date.parse(b.not_before) - Date.parse(a.not_before));
    const current = certs.find((c) => Date.parse(c.not_before) <= now && now <= Date.parse(c.not_after));
    const item = el("li", { dataset: { id: identity.id } }, el("h3", { textContent: identity.label }));
    item.append(details([[t("fieldEmails", undefined, "Email addresses"), identity.emails]]));
    for (const c of certs) {
      const tags = [];
      if (c === current) tags.push(t("tagCurrent", undefined, "current"));
      else tags.push(t("tagHistory", undefined, "encryption history"));
      if (Date.parse(c.not_after) < now) tags.push(t("tagExpired", undefined, "expired"));
      item.append(certificateDetails(c, tags));
    }
    const exportButton = el("button", { type: "button", textContent: t("exportCertificate", undefined, "Export certificate") });
    exportButton.addEventListener("click", async () => {
      try {
        const { der, filename } = await call("exportCertificate", { id: identity.id });
        download(der, filename);
      } catch (e) {
        show($("import-message"), errorText(e));
      }
    });
    const removeButton = el("button", { type: "button", textContent: t("removeIdentity", undefined, "Remove") });
    removeButton.addEventListener("click", async () => {
      if (!confirm(t("confirmRemove", [identity.label], `Remove ${identity.label} and its keys from this computer?`))) return;
      status = await call("removeIdentity", { id: identity.id });
      render();
    });
    item.append(el("div", { className: "actions" }, exportButton, " ", removeButton));
    list.append(item);
  }
}

function renderLock() {
  const badge = $("lock-state");
  badge.dataset.state = status.unlocked ? "unlocked" : "locked";
  badge.textContent = status.unlocked ? t("stateUnlocked", undefined, "Unlocked") : t("stateLocked", undefined, "Locked");
  $("unlock-form").hidden = status.unlocked || !status.initialized;
  $("lock-button").hidden = !status.unlocked;
  // Why Siegel locked itself, when it did (lib/reading.js: a burst of decryption failures).
  if (!status.unlocked && status.lockReason === "probing" && !$("unlock-message").textContent) {
    show($("unlock-message"), t("lockedProbing", undefined, "Siegel locked itself: several messages failed to decrypt within minutes, which is how an attack on your key through the webmail looks. If you were not opening damaged mail, tell your administrator."));
  }
  $("new-passphrase").hidden = status.initialized;
  $("passphrase").hidden = !status.initialized;
}

function render() {
  renderLock();
  renderIdentities();
}

async function refresh() {
  status = await call("status");
  render();
}

async function renderCertificates(kind) {
  const isTrust = kind === "trust";
  const list = $(isTrust ? "trust-list" : "contact-list");
  const rows = isTrust ? await call("trustList") : await call("contactsList");
  const entries = isTrust ? rows.entries : rows.map((r) => ({ ...r.summary, fingerprint: r.fingerprint }));
  if (isTrust) {
    $("trust-policy").hidden = rows.source !== "policy";
    $("trust-file").disabled = rows.source === "policy";
  }
  list.replaceChildren();
  for (const c of entries) {
    const fingerprint = c.fingerprint ?? c.sha256_fingerprint;
    const label = isTrust ? `${c.subject}${c.role ? ` (${c.role})` : ""}` : `${c.emails.join(", ")} — ${c.subject}`;
    const row = el("li", { dataset: { fingerprint } }, el("span", { textContent: `${label} · ${t("fieldValidTo", undefined, "Valid until")} ${c.not_after}` }));
    if (!(isTrust && rows.source === "policy")) {
      const remove = el("button", { type: "button", textContent: t("removeIdentity", undefined, "Remove") });
      remove.addEventListener("click", async () => {
        await call(isTrust ? "trustRemove" : "contactsRemove", { fingerprint });
        renderCertificates(kind);
      });
      row.append(remove);
    }
    list.append(row);
  }
}

async function renderSettings() {
  const { settings, locked } = await call("settings");
  const form = $("settings-form");
  for (const label of form.querySelectorAll("label[data-key]")) {
    const key = label.dataset.key;
    const input = label.querySelector("input, select, textarea");
    if (input.type === "checkbox") input.checked = Boolean(settings[key]);
    else if (key === "encryptionAlgorithms") input.value = settings[key][0];
    else if (key === "webmails") input.value = settings[key].join("\n");
    else input.value = settings[key];
    const isLocked = locked.includes(key);
    input.disabled = isLocked;
    if (isLocked) label.dataset.locked = t("lockedByPolicy", undefined, "set by your administrator");
    else delete label.dataset.locked;
  }
  // Entries of the webmails setting that were not registered, with the reason (lib/webmails.js).
  const { webmailErrors = [] } = await call("status");
  show($("webmail-errors"), webmailErrors.length ? t("webmailsRefused", [webmailErrors.join("; ")], `Not used: ${webmailErrors.join("; ")}`) : "");
}

function wire() {
  $("unlock-form").addEventListener("submit", async (ev) => {
    ev.preventDefault();
    const input = $("unlock-passphrase");
    show($("unlock-message"), t("unlocking", undefined, "Unlocking…"), "ok");
    try {
      status = await call("unlock", { passphrase: input.value });
      input.value = "";
      show($("unlock-message"), "");
      render();
    } catch (e) {
      input.value = "";
      show($("unlock-message"), errorText(e));
    }
  });
  $("lock-button").addEventListener("click", async () => {
    status = await call("lock");
    render();
  });

  const fileInput = $("import-file");
  let chosen = null;
  const choose = (file) => {
    chosen = file ?? null;
    $("import-file-name").textContent = chosen ? chosen.name : "";
  };
  fileInput.addEventListener("change", () => choose(fileInput.files[0]));
  const drop = $("drop-zone");
  drop.addEventListener("dragover", (ev) => { ev.preventDefault(); drop.classList.add("over"); });
  drop.addEventListener("dragleave", () => drop.classList.remove("over"));
  drop.addEventListener("drop", (ev) => {
    ev.preventDefault();
    drop.classList.remove("over");
    choose(ev.dataTransfer.files[0]);
  });

  $("import-form").addEventListener("submit", async (ev) => {
    ev.preventDefault();
    const form = $("import-form");
    form.dataset.busy = "1";
    try {
      await importChosen();
    } finally {
      delete form.dataset.busy;
    }
  });

  async function importChosen() {
    const message = $("import-message");
    if (!chosen) return show(message, t("chooseFile", undefined, "Choose a .p12 or .pfx file first."));
    const args = { p12: await fileToBase64(chosen), password: $("import-password").value };
    if (!status.initialized) {
      const a = $("import-passphrase").value;
      if (a !== $("import-passphrase2").value) return show(message, t("passphraseMismatch", undefined, "The two passphrases differ."));
      args.passphrase = a;
    } else if (!status.unlocked) {
      return show(message, t("error_locked", undefined, "Siegel is locked. Unlock it with your passphrase first."));
    }
    show(message, t("importing", undefined, "Importing…"), "ok");
    $("import-button").disabled = true;
    try {
      const identity = await call("importIdentity", args);
      show(message, t("imported", [identity.label], `Imported ${identity.label}.`), "ok");
      $("import-password").value = "";
      $("import-passphrase").value = "";
      $("import-passphrase2").value = "";
      fileInput.value = "";
      choose(null);
      await refresh();
    } catch (e) {
      show(message, errorText(e));
    } finally {
      $("import-button").disabled = false;
    }
  }

  for (const [kind, inputId, messageId, op] of [
    ["trust", "trust-file", "trust-message", "trustImport"],
    ["contacts", "contact-file", "contact-message", "contactsImport"],
  ]) {
    $(inputId).addEventListener("change", async () => {
      const input = $(inputId);
      const file = input.files[0];
      if (!file) return;
      try {
        const r = await call(op, { data: await fileToBase64(file) });
        show($(messageId), t("addedCertificates", [String(r.added), String(r.duplicates)], `${r.added} added, ${r.duplicates} already present.`), "ok");
      } catch (e) {
        show($(messageId), errorText(e));
      }
      input.value = "";
      renderCertificates(kind);
    });
  }

  $("settings-form").addEventListener("change", async (ev) => {
    const input = ev.target;
    const key = input.name;
    let value;
    if (input.type === "checkbox") value = input.checked;
    else if (input.type === "number") value = Number(input.value);
    else if (key === "encryptionAlgorithms") {
      const { settings } = await call("settings");
      value = [input.value, ...settings.encryptionAlgorithms.filter((a) => a !== input.value)];
    } else if (key === "webmails") value = input.value.split("\n").map((line) => line.trim()).filter(Boolean);
    else value = input.value;
    try {
      await call("setSetting", { key, value });
      show($("settings-message"), t("saved", undefined, "Saved."), "ok");
    } catch (e) {
      show($("settings-message"), errorText(e));
    }
    renderSettings();
  });

  $("passphrase-form").addEventListener("submit", async (ev) => {
    ev.preventDefault();
    const message = $("passphrase-message");
    if ($("pp-new").value !== $("pp-new2").value) return show(message, t("passphraseMismatch", undefined, "The two passphrases differ."));
    try {
      status = await call("changePassphrase", { current: $("pp-current").value, next: $("pp-new").value });
      show(message, t("passphraseChanged", undefined, "The passphrase was changed."), "ok");
      for (const id of ["pp-current", "pp-new", "pp-new2"]) $(id).value = "";
      render();
    } catch (e) {
      show(message, errorText(e));
    }
  });
}

localize();
wire();
refresh()
  .then(() => Promise.all([renderCertificates("trust"), renderCertificates("contacts"), renderSettings()]))
  .finally(() => { document.body.dataset.ready = "1"; });
