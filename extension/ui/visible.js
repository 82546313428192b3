// Is this control of Siegel's, in a frame inside the webmail, really seen by the user? The page cannot read
// or script Siegel's frames, but it decides how they look from outside: it may make a frame transparent,
// put something over it, move it under the pointer just before a click, or shrink it. A click that the
// user did not see coming must not sign or send anything (clickjacking), so before an action Siegel asks
// the browser itself, through IntersectionObserver v2 (`trackVisibility`): the control must be wholly
// inside the viewport, with nothing drawn over it and no opacity, filter or transform on any frame or
// element around it, and must have been so for a moment; a keyboard "click" (Enter or Space) counts only
// when the user has been in this frame for a moment, not when the page moved focus here just as the user
// typed. When the browser says no, the action is not taken, and the caller may ask in a window of Siegel's
// own instead (confirm/), which no page can cover.

/** How long a control must have been fully visible before a click on it counts. */
export const SEEN_FOR = 500;
/** How long the frame and the control must have had focus before a keyboard click counts. */
const FOCUSED_FOR = 1000;

/**
 * Observes `target` with IntersectionObserver v2 at `thresholds`; `since()` is when `counts(entry)` last
 * became true and has stayed so (null when it is false now), `entry()` the latest report, and `onChange(fn)`
 * calls `fn()` after each report.
 */
function watch(target, thresholds, counts) {
  let latest = null;
  let since = null;
  const listeners = [];
  const observer = new IntersectionObserver(
    (entries) => {
      for (const e of entries) {
        latest = e;
        since = counts(e) ? (since ?? performance.now()) : null;
      }
      for (const fn of listeners) fn();
    },
    { trackVisibility: true, delay: 100, threshold: thresholds },
  );
  observer.observe(target);
  return { entry: () => latest, since: () => since, onChange: (fn) => listeners.push(fn) };
}

/**
 * Watches this whole frame as the user sees it: covered anywhere, transparent, or (partly) off screen. The
 * frame's root element is observed (its own content does not count as covering it; anything the page draws
 * over the frame does). `visibleFor(share)` says for how long (ms) the frame has been unobscured with at
 * least `share` of its own viewport's height in view (0: any of it); `onChange(fn)` calls `fn()` whenever
 * that may have changed.
 */
export function frameVisibility() {
  const seen = watch(document.documentElement, Array.from({ length: 21 }, (_, i) => i / 20), (e) => e.isVisible);
  return {
    visibleFor(share = 0) {
      const entry = seen.entry();
      if (!entry || seen.since() === null) return 0;
      const shown = entry.intersectionRect.height;
      if (shown <= 0 || shown < share * window.innerHeight) return 0;
      return performance.now() - seen.since();
    },
    onChange: seen.onChange,
  };
}

/**
 * Watches `control` and the `area` around it that must be seen with it (the bar with Send and what Send
 * sends: to whom, and how protected); `allows(event)` is true for a trusted click on `control` that the user
 * could see, with all of `area` fully visible (for SEEN_FOR at least).
 */
export function clickGuard(control, area = control) {
  const seen = watch(area, [0, 0.5, 0.999, 1], (e) => e.isVisible && e.intersectionRatio >= 0.999);
  let focusedAt = null;
  control.addEventListener("focus", () => (focusedAt = performance.now()));
  control.addEventListener("blur", () => (focusedAt = null));
  let windowFocusedAt = document.hasFocus() ? performance.now() : null;
  window.addEventListener("focus", () => (windowFocusedAt = performance.now()));
  window.addEventListener("blur", () => (windowFocusedAt = null));

  const visibleFor = () => (seen.since() === null ? 0 : performance.now() - seen.since());
  return {
    allows(event) {
      if (!event || !event.isTrusted) return false;
      if (visibleFor() < SEEN_FOR) return false;
      if (event.detail === 0) {
        const now = performance.now();
        if (!document.hasFocus() || windowFocusedAt === null || focusedAt === null) return false;
        if (now - windowFocusedAt < FOCUSED_FOR || now - focusedAt < FOCUSED_FOR) return false;
      }
      return true;
    },
  };
}
