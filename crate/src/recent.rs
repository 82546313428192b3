//! A bounded list of recently seen things, shared behind a lock: the caches of public data that
//! spare a mail reader repeated work (certificate signatures, summaries, parsed files, public
//! keys). Lookups are exact matches chosen by the caller; when full, the oldest entry leaves.

use std::collections::VecDeque;
use std::sync::Mutex;

/// At most `capacity` entries, oldest out first.
pub(crate) struct Recent<T> {
    entries: Mutex<VecDeque<T>>,
    capacity: usize,
}

impl<T> Recent<T> {
    /// An empty list (usable in a `static`).
    pub(crate) const fn new(capacity: usize) -> Recent<T> {
        Recent { entries: Mutex::new(VecDeque::new()), capacity }
    }

    /// The first `Some` that `f` gives for an entry.
    pub(crate) fn find_map<R>(&self, f: impl FnMut(&T) -> Option<R>) -> Option<R> {
        self.entries.lock().ok()?.iter().find_map(f)
    }

    /// True when `f` holds for some entry.
    pub(crate) fn any(&self, mut f: impl FnMut(&T) -> bool) -> bool {
        self.find_map(|t| f(t).then_some(())).is_some()
    }

    /// Adds `item`, dropping the oldest entry when full.
    pub(crate) fn insert(&self, item: T) {
        if let Ok(mut entries) = self.entries.lock() {
            if entries.len() >= self.capacity {
                entries.pop_front();
            }
            entries.push_back(item);
        }
    }

    /// Forgets everything.
    pub(crate) fn clear(&self) {
        if let Ok(mut entries) = self.entries.lock() {
            entries.clear();
        }
    }
}

impl<V: Clone> Recent<(Vec<u8>, V)> {
    /// The value remembered for exactly these bytes.
    pub(crate) fn get(&self, bytes: &[u8]) -> Option<V> {
        self.find_map(|(b, v)| (b == bytes).then(|| v.clone()))
    }

    /// Remembers `value` for these bytes.
    pub(crate) fn remember(&self, bytes: &[u8], value: V) {
        self.insert((bytes.to_vec(), value));
    }
}

#[cfg(test)]
mod tests {
    use super::Recent;

    #[test]
    fn keeps_the_newest_up_to_capacity() {
        let recent = Recent::new(3);
        for i in 0..5 {
            recent.insert(i);
        }
        assert!(!recent.any(|&x| x < 2), "the oldest left");
        assert!(recent.any(|&x| x == 4));
        assert_eq!(recent.find_map(|&x| (x > 2).then_some(x * 10)), Some(30));
        recent.clear();
        assert!(!recent.any(|_| true));
    }

    #[test]
    fn finds_values_by_exact_bytes() {
        let recent = Recent::new(2);
        recent.remember(b"ab", 1);
        recent.remember(b"abc", 2);
        assert_eq!((recent.get(b"ab"), recent.get(b"abc"), recent.get(b"a")), (Some(1), Some(2), None));
        recent.remember(b"x", 3);
        assert_eq!(recent.get(b"ab"), None, "the oldest left");
    }
}
