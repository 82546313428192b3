//! One stable sort for the few lists Siegel orders.
//!
//! The standard library's sort is generic: each element type it sorts gets its own copy, about 4 KB of
//! WebAssembly each. Here every list is ordered through one instantiation, on `(key, position)` pairs:
//! the position breaks ties, so the order is the stable one `sort_by_key` gives.

/// Sorts `list` by `key`, ascending, keeping the order of equal keys (as `slice::sort_by_key`).
pub(crate) fn by_key<T>(list: &mut Vec<T>, key: impl Fn(&T) -> u64) {
    let mut order: Vec<(u64, usize)> = list.iter().enumerate().map(|(i, item)| (key(item), i)).collect();
    if order.windows(2).all(|w| w[0] <= w[1]) {
        return;
    }
    order.sort_unstable();
    let mut slots: Vec<Option<T>> = list.drain(..).map(Some).collect();
    list.extend(order.into_iter().filter_map(|(_, i)| slots.get_mut(i).and_then(Option::take)));
}

#[cfg(test)]
mod tests {
    #[test]
    fn stable_like_sort_by_key() {
        let mut list: Vec<(u64, char)> =
            vec![(3, 'a'), (1, 'b'), (3, 'c'), (0, 'd'), (1, 'e'), (u64::MAX, 'f'), (0, 'g'), (3, 'h')];
        let mut expected = list.clone();
        expected.sort_by_key(|x| x.0);
        super::by_key(&mut list, |x| x.0);
        assert_eq!(list, expected);
        let mut empty: Vec<u8> = Vec::new();
        super::by_key(&mut empty, |x| u64::from(*x));
        assert!(empty.is_empty());
    }
}
