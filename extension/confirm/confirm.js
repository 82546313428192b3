// The confirmation window (lib/confirm.js): what would be sent, and Send or not. Send is enabled only after
// a moment, so that a click aimed at something in the webmail cannot land on it when the window opens.
import { call, localize, t } from "../ui/rpc.js";

const $ = (id) => document.getElementById(id);
const id = decodeURIComponent(location.hash.slice(1));
const ARM_AFTER = 1200;
localize();

async function main() {
  const s = await call("confirmSummary", { id });
  $("from").textContent = s.from;
  $("to").textContent = s.to.join(", ");
  $("subject").textContent = s.subject;
  $("protection").textContent = [s.sign ? t("composeSigned", undefined, "signed") : "", s.encrypt ? t("composeEncrypted", undefined, "encrypted") : ""].filter(Boolean).join(", ");
  $("attachments").textContent = s.attachments.join(", ") || "—";
  $("excerpt").textContent = s.excerpt;
  setTimeout(() => ($("send").disabled = false), ARM_AFTER);
  $("send").addEventListener("click", (e) => e.isTrusted && call("confirmAnswer", { id, yes: true }));
  $("cancel").addEventListener("click", () => call("confirmAnswer", { id, yes: false }));
  document.body.dataset.ready = "1";
}

main().catch((e) => {
  document.body.textContent = e.message;
});
