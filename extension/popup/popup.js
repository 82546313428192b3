// The toolbar popup: lock state and the active identity, unlocking and locking, and a way to the options
// page. It is browser chrome, so it is where Siegel asks for the passphrase besides the options page: never
// in a frame inside a web page, which a page could imitate.
import { call, errorText, localize, show, t } from "../ui/rpc.js";

const $ = (id) => document.getElementById(id);

const REASONS = {
  probing: () => t("lockedProbing", undefined, "Siegel locked itself: several messages failed to decrypt within minutes, which is how an attack on your key through the webmail looks. If you were not opening damaged mail, tell your administrator."),
  timeout: () => t("lockedTimeout", undefined, "Siegel locked itself after a while without use."),
};

function render(status) {
  const badge = $("lock-state");
  badge.dataset.state = status.unlocked ? "unlocked" : "locked";
  badge.textContent = status.unlocked ? t("stateUnlocked", undefined, "Unlocked") : t("stateLocked", undefined, "Locked");
  const active = status.identities[0];
  $("identity").textContent = active
    ? t("activeIdentity", [active.label], `Active identity: ${active.label}`)
    : t("identitiesEmpty", undefined, "No identity yet.");
  $("lock").hidden = !status.unlocked;
  $("unlock-form").hidden = status.unlocked || !status.initialized;
  const reason = !status.unlocked && REASONS[status.lockReason];
  $("lock-reason").hidden = !reason;
  $("lock-reason").textContent = reason ? reason() : "";
}

localize();
for (const el of document.querySelectorAll("[data-i18n-placeholder]")) el.placeholder = t(el.dataset.i18nPlaceholder, undefined, el.placeholder);
$("lock").addEventListener("click", async () => render(await call("lock")));
$("options").addEventListener("click", () => chrome.runtime.openOptionsPage());
$("unlock-form").addEventListener("submit", async (e) => {
  e.preventDefault();
  try {
    render(await call("unlock", { passphrase: $("passphrase").value }));
    $("passphrase").value = "";
    show($("unlock-message"), "");
  } catch (err) {
    show($("unlock-message"), errorText(err));
  }
});
call("status").then(render);
