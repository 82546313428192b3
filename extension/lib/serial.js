// One thing at a time: a read-modify-write of chrome.storage.session (a counter, a map) done by two
// handlers at once loses one of the writes. Each module that keeps such state runs its updates through its
// own queue.

/** A queue: `run(fn)` runs `fn` after everything queued before it has settled, and returns its result. */
export function queue() {
  let last = Promise.resolve();
  return function run(fn) {
    const next = last.then(fn, fn);
    last = next.catch(() => {});
    return next;
  };
}

/**
 * A map kept in chrome.storage.session under `key` (it outlives the worker being stopped, not the
 * browser), changed one update at a time. `change(fn)` runs `fn(map)` on the map as stored, stores what
 * `fn` leaves in it (when that differs), and returns what `fn` returns; if `fn` throws, nothing is stored.
 */
export function sessionMap(key) {
  const run = queue();
  async function all() {
    const { [key]: value } = await chrome.storage.session.get(key);
    return value && typeof value === "object" ? value : {};
  }
  return {
    all,
    change(fn) {
      return run(async () => {
        const map = await all();
        const before = JSON.stringify(map);
        const result = await fn(map);
        if (JSON.stringify(map) !== before) await chrome.storage.session.set({ [key]: map });
        return result;
      });
    },
  };
}
