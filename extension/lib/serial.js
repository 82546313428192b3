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
