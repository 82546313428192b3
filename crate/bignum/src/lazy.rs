//! Montgomery multiplication in radix 2^28 with lazy carries, for 32-bit targets (wasm32).
//!
//! wasm has a 32×32→64 multiply but no 64×64→128, so the CIOS product of the crate root runs on
//! 32-bit limbs and spends most of its time on carries: every step of its inner loop waits for the
//! carry of the one before. Here digits are 28 bits wide, kept in `u64`s: a product of two digits
//! takes 56 bits, and a column can add up 127 rounds of two such products before it could overflow.
//! So the inner loop is two multiplications and two additions with no carry at all, and its steps
//! are independent of one another; the one carry of each round goes from the lowest column, which
//! the round empties, to the next. Carries are propagated once per product, at the end.
//!
//! The numbers are kept below 2m, not m ("almost Montgomery"): with 4m < R' = 2^(28·n), the product
//! of two numbers below 2m is again below 2m, so no product needs a conditional subtraction. The
//! caller reduces once, at the very end. Everything runs in a time that depends on the widths only.
//!
//! With wasm SIMD on, LLVM vectorises the inner loop into `i64x2` multiplications and additions; that
//! is 16 % faster on a 2048-bit decryption than the CIOS product. Hand-written `u64x2.extmul_low_u32x4`
//! pairs over unshifted columns were slower (the pairing costs more than the cheaper multiply saves),
//! and so were 32-bit digit storage (BENCHMARKS.md).

// Limb is u32 on 32-bit targets and u64 elsewhere: its conversions to u64 are needed on one of them.
#![allow(clippy::useless_conversion)]

use crate::Limb;

/// Bits per digit.
pub(crate) const BITS: u32 = 28;
const MASK: u64 = (1 << BITS) - 1;
/// The most digits a modulus may have: every column stays below 2^64 (see the module docs).
pub(crate) const MAX_DIGITS: usize = 120;

/// An odd modulus in radix 2^28.
#[derive(Clone)]
pub(crate) struct Lazy {
    m: Vec<u64>,
    /// −m⁻¹ mod 2^28.
    m_inv: u64,
}

impl Drop for Lazy {
    fn drop(&mut self) {
        // Moduli of the CRT halves are the secret primes.
        crate::wipe(&mut self.m);
    }
}

impl Lazy {
    /// The modulus `m` (little-endian limbs; its lowest limb odd), with −m⁻¹ modulo 2^LIMB_BITS
    /// (`m_inv`, whose low 28 bits are −m⁻¹ mod 2^28). `None` when m is too wide for the lazy columns.
    pub(crate) fn new(m: &[Limb], m_inv: Limb) -> Option<Lazy> {
        let bits = bit_length(m);
        // 4m < R' = 2^(28·n): two bits of headroom.
        let n = (bits + 2).div_ceil(BITS as usize);
        if n > MAX_DIGITS {
            return None;
        }
        Some(Lazy { m: to_digits(m, n), m_inv: u64::from(m_inv) & MASK })
    }

    /// The number of digits.
    pub(crate) fn digits(&self) -> usize {
        self.m.len()
    }

    /// a·b·R'⁻¹ mod m, below 2m, into `out`, for `a, b < 2m` (normalised digits); `t` is scratch of
    /// `digits()` columns, left holding an intermediate value for the caller to wipe.
    #[inline(never)]
    pub(crate) fn mul(&self, a: &[u64], b: &[u64], out: &mut [u64], t: &mut [u64]) {
        let n = self.m.len();
        let (m, a, b, out, t) = (&self.m[..n], &a[..n], &b[..n], &mut out[..n], &mut t[..n]);
        t.iter_mut().for_each(|x| *x = 0);
        for &bi in b {
            let t0 = t[0] + a[0] * bi;
            let q = ((t0 & MASK) * self.m_inv) & MASK;
            let carry = (t0 + q * m[0]) >> BITS;
            for j in 1..n {
                t[j - 1] = t[j] + a[j] * bi + q * m[j];
            }
            t[n - 1] = 0;
            t[0] += carry;
        }
        let mut carry = 0;
        for (o, &x) in out.iter_mut().zip(t.iter()) {
            let v = x + carry;
            *o = v & MASK;
            carry = v >> BITS;
        }
    }
}

impl Lazy {
    /// a²·R'⁻¹ mod m, below 2m, into `out`, for `a < 2m` (normalised digits); `t` is scratch of
    /// 2·`digits()` columns, left holding an intermediate value for the caller to wipe. The square
    /// first (each cross product once, doubled: a column takes at most n/2 of them, below 2^57
    /// each), then the reduction, column by column: a quarter fewer multiplications than
    /// [`Lazy::mul`], and 14 % faster in wasm.
    // Not inlined: as a function of its own, its slices are known not to overlap, which its
    // vectorised loops need (inlined into the exponentiation it was 10 % slower than `mul`).
    #[inline(never)]
    pub(crate) fn square(&self, a: &[u64], out: &mut [u64], t: &mut [u64]) {
        let n = self.m.len();
        let (m, a, out, t) = (&self.m[..n], &a[..n], &mut out[..n], &mut t[..2 * n]);
        t.iter_mut().for_each(|x| *x = 0);
        for i in 0..n {
            let twice = a[i] << 1;
            for (c, &aj) in t[2 * i + 1..i + n].iter_mut().zip(&a[i + 1..]) {
                *c += twice * aj;
            }
            t[2 * i] += a[i] * a[i];
        }
        for i in 0..n {
            let q = ((t[i] & MASK) * self.m_inv) & MASK;
            for (c, &mj) in t[i..i + n].iter_mut().zip(m) {
                *c += q * mj;
            }
            // Column i is now a multiple of 2^28.
            t[i + 1] += t[i] >> BITS;
        }
        let mut carry = 0;
        for (o, &x) in out.iter_mut().zip(&t[n..]) {
            let v = x + carry;
            *o = v & MASK;
            carry = v >> BITS;
        }
    }
}

/// The number of significant bits of `x` (little-endian limbs). A modulus' length is public.
pub(crate) fn bit_length(x: &[Limb]) -> usize {
    match x.iter().rposition(|&l| l != 0) {
        Some(top) => top * Limb::BITS as usize + (Limb::BITS - x[top].leading_zeros()) as usize,
        None => 0,
    }
}

/// `x` (little-endian limbs) as `n` digits of 28 bits (the bits beyond are dropped).
pub(crate) fn to_digits(x: &[Limb], n: usize) -> Vec<u64> {
    let mut out = vec![0u64; n];
    for (i, d) in out.iter_mut().enumerate() {
        let bit = i * BITS as usize;
        let (limb, shift) = (bit / Limb::BITS as usize, bit % Limb::BITS as usize);
        let low = x.get(limb).map_or(0, |&l| u64::from(l) >> shift);
        let high = match shift {
            0 => 0,
            _ => x.get(limb + 1).map_or(0, |&l| u64::from(l) << (Limb::BITS as usize - shift)),
        };
        *d = (low | high) & MASK;
    }
    out
}

/// Normalised digits back to `n` limbs (the bits beyond are dropped).
pub(crate) fn from_digits(d: &[u64], n: usize) -> Vec<Limb> {
    let mut out = vec![0 as Limb; n];
    for (i, &digit) in d.iter().enumerate() {
        let bit = i * BITS as usize;
        let (limb, shift) = (bit / Limb::BITS as usize, bit % Limb::BITS as usize);
        if let Some(o) = out.get_mut(limb) {
            *o |= (digit << shift) as Limb;
        }
        if shift + BITS as usize > Limb::BITS as usize {
            if let Some(o) = out.get_mut(limb + 1) {
                *o |= (digit >> (Limb::BITS as usize - shift)) as Limb;
            }
        }
    }
    out
}
