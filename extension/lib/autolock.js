// Auto-lock: Siegel locks `autoLockMinutes` after the user last did something in Siegel's own UI (the
// options page, the popup, the reader or the editor frame: a click, a key, unlocking, sending). Nothing the
// webmail page does moves the deadline: a page that opens mail or asks for compose state every few
// seconds must not keep Siegel unlocked (SECURITY.md). The deadline is a chrome.alarms alarm, which
// survives the worker being stopped and wakes it, and is kept beside the key (lib/unlocked.js), so that a
// worker that wakes after it knows the state has ended.

import * as keyring from "./keyring.js";
import * as unlocked from "./unlocked.js";
import { effectiveSettings } from "./settings.js";

export const ALARM = "siegel-autolock";
/** Activity closer together than this re-arms the alarm once (a typing user sends many events). */
const THROTTLE = 15_000;
let last = 0;

/** Sets the deadline `autoLockMinutes` from now. */
export async function arm(now = Date.now()) {
  if (!keyring.isUnlocked()) return;
  const { settings } = await effectiveSettings();
  const until = now + Math.max(1, settings.autoLockMinutes) * 60_000;
  await chrome.alarms.create(ALARM, { when: until });
  await unlocked.extend(until);
  last = now;
}

/** The user did something in Siegel's UI: the deadline moves (at most once per THROTTLE). */
export async function activity(now = Date.now()) {
  if (!keyring.isUnlocked() || now - last < THROTTLE) return;
  await arm(now);
}

/** When the unlocked state ends (ms since the epoch), or null when locked or not armed. */
export async function deadline() {
  const alarm = await chrome.alarms.get(ALARM);
  return alarm ? alarm.scheduledTime : null;
}

export async function disarm() {
  last = 0;
  await chrome.alarms.clear(ALARM);
}

chrome.alarms.onAlarm.addListener((alarm) => {
  if (alarm.name === ALARM) keyring.lock("timeout");
});
keyring.onLock(disarm);
