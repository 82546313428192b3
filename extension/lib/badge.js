// The toolbar badge of a tab says what the S/MIME mail on screen in it amounts to. The badge is browser
// chrome: neither the webmail nor mail content can draw it (unsigned HTML imitating Siegel's banner cannot
// imitate the badge too), and the page cannot read it. It belongs to one message, by the token the reader
// frame of that message holds: cleared as soon as another message is staged in the tab (so a failing next
// message never keeps the previous mail's ✓), and when that message's frame goes.

import { sessionMap } from "./serial.js";

const OWNERS = "badgeOwners";

export const BADGES = Object.freeze({
  trusted: ["\u2713", "#1e7b34"],
  invalid: ["\u2717", "#b3261e"],
  mismatch: ["!", "#b3261e"],
  wrapped: ["!", "#b3261e"],
  untrusted: ["?", "#8a5a00"],
  unknown: ["?", "#8a5a00"],
  unsigned: ["", "#777777"],
});

/** Which message (by token) is on screen in each tab. */
const owners = sessionMap(OWNERS);

/** Makes `token` the message on screen in the tab (null: none). */
function setOwner(tabId, token) {
  return owners.change((all) => {
    if (token === null) delete all[tabId];
    else all[tabId] = token;
  });
}

async function paint(tabId, verdict) {
  const [text, color] = BADGES[verdict] || BADGES.unsigned;
  try {
    await chrome.action.setBadgeText({ tabId, text });
    await chrome.action.setBadgeBackgroundColor({ tabId, color });
  } catch {
    // The tab is gone.
  }
}

/** A new message is on screen in the tab: whatever the badge said goes, until `show` for `token`. */
export async function claim(tabId, token) {
  await setOwner(tabId, token);
  await paint(tabId, "unsigned");
}

/**
 * The verdict of `token`'s message, if it is still the one in the tab: shown only while its reader frame is
 * seen (lib/reading.js `seen`), so a reader the page hides cannot lend its ✓ to what the page shows.
 */
export async function show(tabId, token, verdict) {
  if ((await owners.all())[tabId] !== token) return;
  await paint(tabId, verdict);
}

/** `token`'s reader is not seen now (covered, transparent, off screen): no verdict meanwhile. */
export async function hide(tabId, token) {
  if ((await owners.all())[tabId] !== token) return;
  await paint(tabId, "unsigned");
}

/** `token`'s message left the screen: its verdict goes (not a newer message's). */
export async function release(tabId, token) {
  if ((await owners.all())[tabId] !== token) return;
  await setOwner(tabId, null);
  await paint(tabId, "unsigned");
}

chrome.tabs.onRemoved.addListener((tabId) => {
  setOwner(tabId, null).catch(() => {});
});
// A page load in the tab (not a change of its fragment, as a single-page webmail's views are) ends
// whatever message was on screen.
chrome.tabs.onUpdated.addListener((tabId, change) => {
  if (change.status !== "loading") return;
  owners
    .all()
    .then((all) => (all[tabId] ? setOwner(tabId, null).then(() => paint(tabId, "unsigned")) : undefined))
    .catch(() => {});
});
