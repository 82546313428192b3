// The toolbar popup: lock state and the active identity, with Lock and a way to the options page.
import { call, localize, t } from "../ui/rpc.js";

const $ = (id) => document.getElementById(id);

function render(status) {
  const badge = $("lock-state");
  badge.dataset.state = status.unlocked ? "unlocked" : "locked";
  badge.textContent = status.unlocked ? t("stateUnlocked", undefined, "Unlocked") : t("stateLocked", undefined, "Locked");
  const active = status.identities[0];
  $("identity").textContent = active
    ? t("activeIdentity", [active.label], `Active identity: ${active.label}`)
    : t("identitiesEmpty", undefined, "No identity yet.");
  $("lock").hidden = !status.unlocked;
}

localize();
$("lock").addEventListener("click", async () => render(await call("lock")));
$("options").addEventListener("click", () => chrome.runtime.openOptionsPage());
call("status").then(render);
