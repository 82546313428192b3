//! Reproducible pseudo-random inputs for tests: xorshift64 (Marsaglia). Never for keys.

/// The generator from `seed` (non-zero): each call gives the next state.
pub(crate) fn xorshift(mut x: u64) -> impl FnMut() -> u64 {
    move || {
        x ^= x << 13;
        x ^= x >> 7;
        x ^= x << 17;
        x
    }
}

/// `len` bytes at a time from one generator (the low byte of each state).
pub(crate) fn bytes(seed: u64) -> impl FnMut(usize) -> Vec<u8> {
    let mut next = xorshift(seed);
    move |len| (0..len).map(|_| next() as u8).collect()
}
