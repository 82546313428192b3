//! Montgomery arithmetic for RSA: fixed-width multi-precision integers modulo an odd number.
//!
//! The RSA private-key operation is the one hot path left in WebAssembly once WebCrypto does the
//! bulk AES and SHA-2 (BENCHMARKS.md), and the `rsa` crate's general-purpose big integers spend
//! twice the time needed on it and vary their running time with the secret exponent (RUSTSEC-2023-0071,
//! "Marvin"). This crate holds what Siegel's `pubkey::rsa` and `pubkey::ec` modules needs instead:
//!
//! - numbers are little-endian vectors of [`Limb`]s, all of one width per [`Modulus`]: 32-bit limbs on
//!   32-bit targets (wasm32 has a 32×32→64 multiply but no 64×64→128), 64-bit limbs elsewhere;
//! - multiplication is Montgomery's CIOS with a constant-time final subtraction;
//! - [`Modulus::pow_secret`] is a fixed 5-bit-window exponentiation whose sequence of operations and
//!   memory accesses does not depend on the exponent (every table entry is read for every window);
//! - [`Modulus::pow_public`] is plain square-and-multiply for public exponents.
//!
//! Secret-dependent choices are made with masks, never branches, the set-up of a modulus (R² mod m,
//! by doublings and Montgomery squarings) and [`rem`] (the remainder modulo any number, for checking
//! and deriving key parts) included: their time depends on the widths of the numbers only.
#![forbid(unsafe_code)]
#![warn(missing_docs, rust_2018_idioms)]

use zeroize::Zeroize;

mod lazy;

// `--cfg siegel_limb32` forces the 32-bit limbs of wasm32 on a 64-bit host, for their tests (.ci/test).
#[cfg(all(target_pointer_width = "64", not(siegel_limb32)))]
mod width {
    /// One limb of a number.
    pub type Limb = u64;
    /// A double-width limb, for products.
    pub type Wide = u128;
}
#[cfg(any(not(target_pointer_width = "64"), siegel_limb32))]
mod width {
    /// One limb of a number.
    pub type Limb = u32;
    /// A double-width limb, for products.
    pub type Wide = u64;
}
pub use width::{Limb, Wide};

/// Wipes `x` (a vector: its elements and its spare capacity). Out of line: `zeroize`'s volatile
/// writes, unrolled at opt-level 3 at each of the many places that wipe, cost size for no speed.
#[inline(never)]
pub(crate) fn wipe<T: Zeroize + ?Sized>(x: &mut T) {
    x.zeroize();
}

/// Bits per limb.
pub const LIMB_BITS: u32 = Limb::BITS;
const LIMB_BYTES: usize = (LIMB_BITS / 8) as usize;
/// The window of [`Modulus::pow_secret`], in bits.
const WINDOW: usize = 5;

/// The number of limbs `bytes` (big-endian) needs, ignoring leading zero bytes.
pub fn limbs_for(bytes: &[u8]) -> usize {
    let significant = bytes.iter().position(|&b| b != 0).map_or(0, |i| bytes.len() - i);
    significant.div_ceil(LIMB_BYTES)
}

/// `bytes` (big-endian) as `n` limbs, or `None` if the value does not fit.
pub fn from_be(bytes: &[u8], n: usize) -> Option<Vec<Limb>> {
    if limbs_for(bytes) > n {
        return None;
    }
    let mut out = vec![0; n];
    for (i, chunk) in bytes.rchunks(LIMB_BYTES).enumerate() {
        let mut limb: Limb = 0;
        for &b in chunk {
            limb = (limb << 8) | Limb::from(b);
        }
        if i < n {
            out[i] = limb;
        }
    }
    Some(out)
}

/// `limbs` as exactly `len` big-endian bytes, or `None` if the value needs more.
pub fn to_be(limbs: &[Limb], len: usize) -> Option<Vec<u8>> {
    let mut out = vec![0u8; len];
    let mut pos = len;
    for &limb in limbs {
        for k in 0..LIMB_BYTES {
            let byte = (limb >> (8 * k)) as u8;
            if pos == 0 {
                if byte != 0 {
                    return None;
                }
            } else {
                pos -= 1;
                out[pos] = byte;
            }
        }
    }
    Some(out)
}

/// All ones when `bit` is 1, zero when it is 0, without a branch.
fn mask(bit: Limb) -> Limb {
    core::hint::black_box(bit & 1).wrapping_neg()
}

/// `a - b` into `out`, returning the borrow (0 or 1).
fn sub_into(a: &[Limb], b: &[Limb], out: &mut [Limb]) -> Limb {
    let mut borrow: Limb = 0;
    for ((o, &x), &y) in out.iter_mut().zip(a).zip(b) {
        let (d, b1) = x.overflowing_sub(y);
        let (d, b2) = d.overflowing_sub(borrow);
        *o = d;
        borrow = Limb::from(b1 | b2);
    }
    borrow
}

/// `a + b` into `out`, returning the carry (0 or 1).
fn add_into(a: &[Limb], b: &[Limb], out: &mut [Limb]) -> Limb {
    let mut carry: Limb = 0;
    for ((o, &x), &y) in out.iter_mut().zip(a).zip(b) {
        let (s, c1) = x.overflowing_add(y);
        let (s, c2) = s.overflowing_add(carry);
        *o = s;
        carry = Limb::from(c1 | c2);
    }
    carry
}

/// `out = if choose_a { a } else { b }`, by mask.
fn select(choose_a: Limb, a: &[Limb], b: &[Limb], out: &mut [Limb]) {
    let m = mask(choose_a);
    for ((o, &x), &y) in out.iter_mut().zip(a).zip(b) {
        *o = (x & m) | (y & !m);
    }
}

/// The schoolbook product of `a` and `b` (`a.len() + b.len()` limbs).
pub fn mul_wide(a: &[Limb], b: &[Limb]) -> Vec<Limb> {
    let mut out = vec![0; a.len() + b.len()];
    for (i, &bi) in b.iter().enumerate() {
        let mut carry: Wide = 0;
        for (j, &aj) in a.iter().enumerate() {
            let s = Wide::from(out[i + j]) + Wide::from(aj) * Wide::from(bi) + carry;
            out[i + j] = s as Limb;
            carry = s >> LIMB_BITS;
        }
        out[i + a.len()] = carry as Limb;
    }
    out
}

/// x mod m for any `m` other than zero (even ones too), as `m.len()` limbs, in constant time: one
/// shift and one masked subtraction per bit of `x`. `None` when m is zero.
pub fn rem(x: &[Limb], m: &[Limb]) -> Option<Vec<Limb>> {
    if m.iter().all(|&l| l == 0) {
        return None;
    }
    let n = m.len();
    // r < m throughout; 2r + 1 < 2m needs one limb more than m.
    let mut m_ext = m.to_vec();
    m_ext.push(0);
    let (mut r, mut shifted, mut reduced) = (vec![0 as Limb; n + 1], vec![0 as Limb; n + 1], vec![0 as Limb; n + 1]);
    for i in (0..x.len() * LIMB_BITS as usize).rev() {
        let bit = (x[i / LIMB_BITS as usize] >> (i % LIMB_BITS as usize)) & 1;
        let mut carry = bit;
        for (s, &limb) in shifted.iter_mut().zip(&r) {
            *s = (limb << 1) | carry;
            carry = limb >> (LIMB_BITS - 1);
        }
        let borrow = sub_into(&shifted, &m_ext, &mut reduced);
        select(borrow, &shifted, &reduced, &mut r);
    }
    wipe(&mut shifted);
    wipe(&mut reduced);
    r.truncate(n);
    Some(r)
}

/// An odd modulus `m` with what Montgomery multiplication needs; numbers modulo it are `limbs()`
/// limbs wide, and R = 2^(LIMB_BITS·limbs()).
#[derive(Clone)]
pub struct Modulus {
    m: Vec<Limb>,
    /// −m⁻¹ mod 2^LIMB_BITS.
    m_inv: Limb,
    /// R² mod m: multiplying by it enters Montgomery form.
    r2: Vec<Limb>,
    /// R³ mod m: after a reduction of a double-width number, multiplying by it enters Montgomery form.
    r3: Vec<Limb>,
    /// The modulus in [`lazy::Lazy`]'s radix 2^28, with R'² mod m (R' = 2^(28·digits)); `None` when
    /// it is too wide for the lazy columns.
    lazy: Option<Box<(lazy::Lazy, Vec<u64>)>>,
}

impl Drop for Modulus {
    fn drop(&mut self) {
        // Moduli of the CRT halves are the secret primes.
        wipe(&mut self.m);
        wipe(&mut self.r2);
        wipe(&mut self.r3);
        if let Some((_, rr)) = self.lazy.as_deref_mut() {
            wipe(rr);
        }
    }
}

impl Modulus {
    /// The modulus `m` (big-endian), at least `min_limbs` limbs wide; `None` unless `m` is odd and
    /// greater than 1.
    pub fn new(m_be: &[u8], min_limbs: usize) -> Option<Modulus> {
        let n = limbs_for(m_be).max(min_limbs).max(1);
        let m = from_be(m_be, n)?;
        if m[0] & 1 == 0 || (m[0] == 1 && m[1..].iter().all(|&x| x == 0)) {
            return None;
        }
        // Newton's iteration for m⁻¹ mod 2^LIMB_BITS: each step doubles the correct low bits.
        let mut inv: Limb = 1;
        for _ in 0..7 {
            inv = inv.wrapping_mul((2 as Limb).wrapping_sub(m[0].wrapping_mul(inv)));
        }
        let mut modulus = Modulus { m_inv: inv.wrapping_neg(), r2: Vec::new(), r3: Vec::new(), lazy: None, m };
        modulus.r2 = modulus.r_squared();
        // Montgomery's product of R² with itself is R⁴·R⁻¹ = R³.
        modulus.r3 = modulus.mul(&modulus.r2, &modulus.r2);
        modulus.lazy = modulus.lazy_form().map(Box::new);
        Some(modulus)
    }

    /// The modulus in radix 2^28 and R'² mod m (R' = 2^(28·digits)). R'² = 2^E with E = 56·digits;
    /// write E = r·a + j with R = 2^r and j < r. 2^j is below R, which CIOS accepts as a factor, and
    /// each product with R² multiplies by R: a products give 2^j·R^a = 2^E mod m. For the usual
    /// widths a is 1 or 2; when the modulus was given extra limbs, a may be 0, and a round trip
    /// through Montgomery form reduces 2^j.
    fn lazy_form(&self) -> Option<(lazy::Lazy, Vec<u64>)> {
        let lz = lazy::Lazy::new(&self.m, self.m_inv)?;
        let (n, r) = (self.limbs(), LIMB_BITS as usize * self.limbs());
        let e = 2 * lazy::BITS as usize * lz.digits();
        // For the CRT halves these values give the secret prime away: every one is wiped.
        let mut x = vec![0 as Limb; n];
        x[(e % r) / LIMB_BITS as usize] = 1 << (e % LIMB_BITS as usize);
        let mut next = vec![0 as Limb; n];
        let mut step = |x: &mut Vec<Limb>, by: &[Limb]| {
            self.mul_into(x, by, &mut next);
            core::mem::swap(x, &mut next);
        };
        match e / r {
            0 => {
                step(&mut x, &self.r2);
                let mut one = vec![0 as Limb; n];
                one[0] = 1;
                step(&mut x, &one);
            }
            a => (0..a).for_each(|_| step(&mut x, &self.r2)),
        }
        let rr = lazy::to_digits(&x, lz.digits());
        wipe(&mut x);
        wipe(&mut next);
        Some((lz, rr))
    }

    /// R² mod m, without a division. A number x in Montgomery form is x·R; write M(t) for the
    /// Montgomery form of 2^t, the value 2^(r+t) mod m (R = 2^r). Doubling 2^(bits(m)−1), which is
    /// below m, gives M(t₀) for t₀ = r/32, and five Montgomery squarings (each M(t)·M(t)·R⁻¹ =
    /// M(2t)) then give M(r) = 2^(2r) = R² mod m. r is a multiple of 32, so t₀ is whole.
    fn r_squared(&self) -> Vec<Limb> {
        let n = self.limbs();
        let r = LIMB_BITS as usize * n;
        let top = self.m.iter().rposition(|&l| l != 0).unwrap_or(0);
        let bits = top * LIMB_BITS as usize + (LIMB_BITS - self.m[top].leading_zeros()) as usize;
        let mut x = vec![0 as Limb; n];
        x[(bits - 1) / LIMB_BITS as usize] = 1 << ((bits - 1) % LIMB_BITS as usize);
        let (mut doubled, mut reduced) = (vec![0 as Limb; n], vec![0 as Limb; n]);
        for _ in 0..(r + r / 32 + 1 - bits) {
            let carry = add_into(&x, &x, &mut doubled);
            // 2x < 2m: subtract m when 2x ≥ m, i.e. when the doubling carried or the subtraction
            // does not borrow.
            let borrow = sub_into(&doubled, &self.m, &mut reduced);
            select(carry | (borrow ^ 1), &reduced, &doubled, &mut x);
        }
        for _ in 0..5 {
            // The old values of a CRT half's set-up give its secret prime away: wiped as they go.
            self.mul_into(&x, &x, &mut doubled);
            core::mem::swap(&mut x, &mut doubled);
        }
        wipe(&mut doubled);
        wipe(&mut reduced);
        x
    }

    /// The width of numbers modulo this one, in limbs.
    pub fn limbs(&self) -> usize {
        self.m.len()
    }

    /// The modulus.
    pub fn value(&self) -> &[Limb] {
        &self.m
    }

    /// m − 2 (the exponent of an inverse by Fermat's little theorem, for a prime m).
    pub fn minus_two(&self) -> Vec<Limb> {
        let mut two = vec![0; self.limbs()];
        two[0] = 2;
        let mut out = vec![0; self.limbs()];
        sub_into(&self.m, &two, &mut out);
        out
    }

    /// True when `a < m` (constant time).
    pub fn is_reduced(&self, a: &[Limb]) -> bool {
        let mut scratch = vec![0; self.limbs()];
        sub_into(a, &self.m, &mut scratch) == 1
    }

    /// The Montgomery product a·b·R⁻¹ mod m of `a, b < m`, into `out` (CIOS, constant time).
    pub fn mul_into(&self, a: &[Limb], b: &[Limb], out: &mut [Limb]) {
        let mut t = vec![0 as Limb; self.limbs() + 1];
        self.mul_scratch(a, b, out, &mut t);
        wipe(&mut t);
    }

    /// [`Modulus::mul_into`] with the caller's scratch space (`limbs() + 1` limbs), which is left
    /// holding an intermediate value for the caller to wipe.
    fn mul_scratch(&self, a: &[Limb], b: &[Limb], out: &mut [Limb], t: &mut [Limb]) {
        let n = self.limbs();
        let (m, a, b, out, t) = (&self.m[..n], &a[..n], &b[..n], &mut out[..n], &mut t[..n + 1]);
        // The product and the reduction run in one pass over t.
        t.iter_mut().for_each(|x| *x = 0);
        for &bi in b {
            let bi = Wide::from(bi);
            let s0 = Wide::from(t[0]) + Wide::from(a[0]) * bi;
            let q = Wide::from((s0 as Limb).wrapping_mul(self.m_inv));
            let s = Wide::from(s0 as Limb) + q * Wide::from(m[0]);
            let (mut c1, mut c2) = (s0 >> LIMB_BITS, s >> LIMB_BITS);
            for j in 1..n {
                let s = Wide::from(t[j]) + Wide::from(a[j]) * bi + c1;
                c1 = s >> LIMB_BITS;
                let s2 = Wide::from(s as Limb) + q * Wide::from(m[j]) + c2;
                c2 = s2 >> LIMB_BITS;
                t[j - 1] = s2 as Limb;
            }
            let s = Wide::from(t[n]) + c1 + c2;
            t[n - 1] = s as Limb;
            t[n] = (s >> LIMB_BITS) as Limb;
        }
        // t < 2m: subtract m unless that borrows.
        let borrow = sub_into(&t[..n], m, out);
        let (_, top_borrow) = t[n].overflowing_sub(borrow);
        let keep_t = mask(Limb::from(top_borrow));
        for (o, &x) in out.iter_mut().zip(t.iter()) {
            *o = (x & keep_t) | (*o & !keep_t);
        }
    }

    /// The Montgomery product a·b·R⁻¹ mod m.
    pub fn mul(&self, a: &[Limb], b: &[Limb]) -> Vec<Limb> {
        let mut out = vec![0; self.limbs()];
        self.mul_into(a, b, &mut out);
        out
    }

    /// `a < m` into Montgomery form, a·R mod m.
    pub fn to_mont(&self, a: &[Limb]) -> Vec<Limb> {
        self.mul(a, &self.r2)
    }

    /// `a` (Montgomery form) back to normal form.
    pub fn from_mont(&self, a: &[Limb]) -> Vec<Limb> {
        let mut one = vec![0; self.limbs()];
        one[0] = 1;
        self.mul(a, &one)
    }

    /// Any `x < m·R` of up to twice the width, reduced modulo m and put in Montgomery form
    /// (x·R mod m), in constant time: one Montgomery reduction (x·R⁻¹), then a product with R³.
    pub fn reduce_wide(&self, x: &[Limb]) -> Vec<Limb> {
        let n = self.limbs();
        let mut t = vec![0 as Limb; 2 * n + 1];
        t[..x.len().min(2 * n)].copy_from_slice(&x[..x.len().min(2 * n)]);
        for i in 0..n {
            let q = Wide::from(t[i].wrapping_mul(self.m_inv));
            let mut carry: Wide = 0;
            for j in 0..n {
                let s = Wide::from(t[i + j]) + q * Wide::from(self.m[j]) + carry;
                t[i + j] = s as Limb;
                carry = s >> LIMB_BITS;
            }
            // Propagate the carry through the rest (fixed length: constant time).
            for limb in &mut t[i + n..] {
                let s = Wide::from(*limb) + carry;
                *limb = s as Limb;
                carry = s >> LIMB_BITS;
            }
        }
        // t[n..] < 2m (as x < m·R): one conditional subtraction.
        let mut reduced = vec![0; n];
        let borrow = sub_into(&t[n..2 * n], &self.m, &mut reduced);
        let (_, top_borrow) = t[2 * n].overflowing_sub(borrow);
        let mut r = vec![0; n];
        select(Limb::from(top_borrow), &t[n..2 * n], &reduced, &mut r);
        wipe(&mut t);
        wipe(&mut reduced);
        let out = self.mul(&r, &self.r3);
        wipe(&mut r);
        out
    }

    /// (a − b) mod m for `a, b < m`, in constant time.
    pub fn sub(&self, a: &[Limb], b: &[Limb]) -> Vec<Limb> {
        let n = self.limbs();
        let mut diff = vec![0; n];
        let borrow = sub_into(a, b, &mut diff);
        let mut wrapped = vec![0; n];
        add_into(&diff, &self.m, &mut wrapped);
        let mut out = vec![0; n];
        select(borrow, &wrapped, &diff, &mut out);
        wipe(&mut diff);
        wipe(&mut wrapped);
        out
    }

    /// base^exp mod m, in Montgomery form in and out, for a secret `exp` (little-endian limbs):
    /// a fixed-window exponentiation over all `exp.len() · LIMB_BITS` bits, reading every table
    /// entry in every window.
    pub fn pow_secret(&self, base: &[Limb], exp: &[Limb]) -> Vec<Limb> {
        // 32-bit limbs: the radix-2^28 product with lazy carries is faster (BENCHMARKS.md).
        if LIMB_BITS == 32 {
            if let Some(out) = self.pow_secret_lazy(base, exp) {
                return out;
            }
        }
        self.pow_secret_cios(base, exp)
    }

    /// The bit of `exp` (little-endian limbs) at `i`, 0 beyond its end.
    fn exp_bit(exp: &[Limb], i: usize) -> usize {
        match exp.get(i / LIMB_BITS as usize) {
            Some(&limb) => ((limb >> (i % LIMB_BITS as usize)) & 1) as usize,
            None => 0,
        }
    }

    /// [`Modulus::pow_secret`] on [`lazy::Lazy`]'s radix-2^28 product; `None` for moduli wider than
    /// it takes. The base leaves Montgomery form (R = 2^(LIMB_BITS·limbs)) for R' = 2^(28·digits) by a
    /// product with R'² mod m (set up with the modulus); the result comes back the same way, with the
    /// one conditional subtraction the lazy products leave out.
    fn pow_secret_lazy(&self, base: &[Limb], exp: &[Limb]) -> Option<Vec<Limb>> {
        let (lz, rr) = self.lazy.as_deref()?;
        let d = lz.digits();
        let (mut t, mut t2) = (vec![0u64; d], vec![0u64; 2 * d]);
        let mut one = vec![0u64; d];
        one[0] = 1;
        let mut table = vec![vec![0u64; d]; 1 << WINDOW];
        let mut b = self.from_mont(base);
        let b_digits = lazy::to_digits(&b, d);
        wipe(&mut b);
        lz.mul(&one, rr, &mut table[0], &mut t);
        lz.mul(&b_digits, rr, &mut table[1], &mut t);
        for i in 2..table.len() {
            let (done, rest) = table.split_at_mut(i);
            lz.mul(&done[i - 1], &done[1], &mut rest[0], &mut t);
        }
        let bits = exp.len() * LIMB_BITS as usize;
        let mut acc = table[0].clone();
        let (mut tmp, mut chosen) = (vec![0u64; d], vec![0u64; d]);
        for w in (0..bits.div_ceil(WINDOW)).rev() {
            for _ in 0..WINDOW {
                lz.square(&acc, &mut tmp, &mut t2);
                core::mem::swap(&mut acc, &mut tmp);
            }
            let index = (0..WINDOW).fold(0, |idx, k| idx | (Self::exp_bit(exp, w * WINDOW + k) << k));
            chosen.iter_mut().for_each(|x| *x = 0);
            for (k, entry) in table.iter().enumerate() {
                let m = core::hint::black_box(u64::from((k ^ index) == 0)).wrapping_neg();
                for (c, &e) in chosen.iter_mut().zip(entry) {
                    *c |= e & m;
                }
            }
            lz.mul(&acc, &chosen, &mut tmp, &mut t);
            core::mem::swap(&mut acc, &mut tmp);
        }
        let mut out = self.leave_lazy(lz, &acc, &mut tmp, &mut t);
        let result = self.to_mont(&out);
        for x in [&mut t, &mut t2, &mut acc, &mut tmp, &mut chosen] {
            wipe(x);
        }
        for entry in &mut table {
            wipe(entry);
        }
        let mut b_digits = b_digits;
        wipe(&mut b_digits);
        wipe(&mut out);
        Some(result)
    }

    /// `acc` (R' form, below 2m) out of R' form, as limbs below m: a product with 1 gives a value
    /// ≤ m, and one conditional subtraction reduces it. `tmp` and `t` are scratch of `digits()`
    /// columns, left for the caller to wipe.
    fn leave_lazy(&self, lz: &lazy::Lazy, acc: &[u64], tmp: &mut [u64], t: &mut [u64]) -> Vec<Limb> {
        let n = self.limbs();
        let mut one = vec![0u64; lz.digits()];
        one[0] = 1;
        lz.mul(acc, &one, tmp, t);
        let mut limbs = lazy::from_digits(tmp, n);
        let mut reduced = vec![0 as Limb; n];
        let borrow = sub_into(&limbs, &self.m, &mut reduced);
        let mut out = vec![0 as Limb; n];
        select(borrow, &limbs, &reduced, &mut out);
        wipe(&mut limbs);
        wipe(&mut reduced);
        out
    }

    /// Normalised digits of a value below 2m as limbs below m: one conditional subtraction, on
    /// one limb more than m has (2m may not fit in m's width).
    fn reduce_below_2m(&self, digits: &[u64]) -> Vec<Limb> {
        let n = self.limbs();
        let mut limbs = lazy::from_digits(digits, n + 1);
        let mut m = self.m.clone();
        m.push(0);
        let mut reduced = vec![0 as Limb; n + 1];
        let borrow = sub_into(&limbs, &m, &mut reduced);
        let mut out = vec![0 as Limb; n + 1];
        select(borrow, &limbs, &reduced, &mut out);
        out.truncate(n);
        // m may be a secret prime (a CRT half), as `Modulus`'s `Drop` assumes.
        for v in [&mut limbs, &mut reduced, &mut m] {
            wipe(v);
        }
        out
    }

    /// [`Modulus::pow_secret`] on the CIOS product.
    fn pow_secret_cios(&self, base: &[Limb], exp: &[Limb]) -> Vec<Limb> {
        let n = self.limbs();
        let mut table = vec![vec![0 as Limb; n]; 1 << WINDOW];
        table[0] = self.to_mont(&{
            let mut one = vec![0; n];
            one[0] = 1;
            one
        });
        table[1] = base[..n].to_vec();
        for i in 2..table.len() {
            let (done, rest) = table.split_at_mut(i);
            self.mul_into(&done[i - 1], base, &mut rest[0]);
        }
        let bits = exp.len() * LIMB_BITS as usize;
        let bit = |i: usize| -> usize {
            if i >= bits {
                0
            } else {
                ((exp[i / LIMB_BITS as usize] >> (i % LIMB_BITS as usize)) & 1) as usize
            }
        };
        let mut acc = table[0].clone();
        let mut tmp = vec![0; n];
        let mut chosen = vec![0; n];
        let mut t = vec![0; n + 1];
        for w in (0..bits.div_ceil(WINDOW)).rev() {
            for _ in 0..WINDOW {
                self.mul_scratch(&acc, &acc, &mut tmp, &mut t);
                core::mem::swap(&mut acc, &mut tmp);
            }
            let index = (0..WINDOW).fold(0, |idx, k| idx | (bit(w * WINDOW + k) << k));
            chosen.iter_mut().for_each(|x| *x = 0);
            for (k, entry) in table.iter().enumerate() {
                let m = mask(Limb::from((k ^ index) == 0));
                for (c, &e) in chosen.iter_mut().zip(entry) {
                    *c |= e & m;
                }
            }
            self.mul_scratch(&acc, &chosen, &mut tmp, &mut t);
            core::mem::swap(&mut acc, &mut tmp);
        }
        wipe(&mut t);
        for entry in &mut table {
            wipe(entry);
        }
        wipe(&mut tmp);
        wipe(&mut chosen);
        acc
    }

    /// x^exp mod m, in normal form in and out (`x < m`), for a public `exp` (big-endian bytes): the
    /// RSA public-key operation. On 32-bit targets it runs on the radix-2^28 lazy product, which
    /// needs no conversion to and from R-form Montgomery numbers; elsewhere it is
    /// [`Modulus::pow_public`] between the two conversions.
    pub fn pow_public_plain(&self, x: &[Limb], exp_be: &[u8]) -> Vec<Limb> {
        if LIMB_BITS == 32 {
            if let Some(out) = self.pow_public_lazy(x, exp_be) {
                return out;
            }
        }
        self.pow_public_cios_plain(x, exp_be)
    }

    /// [`Modulus::pow_public_plain`] on the CIOS product.
    fn pow_public_cios_plain(&self, x: &[Limb], exp_be: &[u8]) -> Vec<Limb> {
        let mut x_mont = self.to_mont(x);
        let mut y_mont = self.pow_public(&x_mont, exp_be);
        let out = self.from_mont(&y_mont);
        wipe(&mut x_mont);
        wipe(&mut y_mont);
        out
    }

    /// [`Modulus::pow_public_plain`] on [`lazy::Lazy`]'s product; `None` for moduli wider than it
    /// takes. Square-and-multiply as in [`Modulus::pow_public`], on numbers below 2m in R' form.
    fn pow_public_lazy(&self, x: &[Limb], exp_be: &[u8]) -> Option<Vec<Limb>> {
        let (lz, rr) = self.lazy.as_deref()?;
        let d = lz.digits();
        let (mut t, mut t2) = (vec![0u64; d], vec![0u64; 2 * d]);
        let mut one = vec![0u64; d];
        one[0] = 1;
        let mut x_digits = lazy::to_digits(x, d);
        let mut base = vec![0u64; d];
        lz.mul(&x_digits, rr, &mut base, &mut t);
        let mut acc: Option<Vec<u64>> = None;
        let mut tmp = vec![0u64; d];
        // An odd exponent's last multiplication is by x itself, not by x in R' form: the product
        // x^(e−1)·R' · x · R'⁻¹ is x^e in normal form, so no product with 1 is needed to leave R'
        // form (one Montgomery product of the 19 that e = 65537 takes).
        let last_byte = exp_be.len().wrapping_sub(1);
        let mut normal = None;
        for (i, &byte) in exp_be.iter().enumerate() {
            for k in (0..8).rev() {
                if let Some(a) = acc.as_mut() {
                    lz.square(a, &mut tmp, &mut t2);
                    core::mem::swap(a, &mut tmp);
                }
                if (byte >> k) & 1 == 1 {
                    match acc.as_mut() {
                        Some(a) if i == last_byte && k == 0 => {
                            lz.mul(a, &x_digits, &mut tmp, &mut t);
                            normal = Some(self.reduce_below_2m(&tmp));
                        }
                        Some(a) => {
                            lz.mul(a, &base, &mut tmp, &mut t);
                            core::mem::swap(a, &mut tmp);
                        }
                        None => acc = Some(base.clone()),
                    }
                }
            }
        }
        if let Some(out) = normal {
            for v in [&mut t, &mut t2, &mut x_digits, &mut base, &mut tmp] {
                wipe(v);
            }
            if let Some(a) = acc.as_mut() {
                wipe(a);
            }
            return Some(out);
        }
        let mut acc = match acc {
            Some(acc) => acc,
            None => {
                // x⁰ = 1, in R' form R' mod m: the product of 1 with R'².
                let mut r = vec![0u64; d];
                lz.mul(&one, rr, &mut r, &mut t);
                r
            }
        };
        let out = self.leave_lazy(lz, &acc, &mut tmp, &mut t);
        // The base may be secret (a blinded value, a padded key): wipe the scratch.
        for v in [&mut t, &mut t2, &mut x_digits, &mut base, &mut acc, &mut tmp] {
            wipe(v);
        }
        Some(out)
    }

    /// base^exp mod m, in Montgomery form in and out, for a public `exp` (big-endian bytes):
    /// left-to-right square-and-multiply, its time depending on the exponent.
    pub fn pow_public(&self, base: &[Limb], exp_be: &[u8]) -> Vec<Limb> {
        let mut acc: Option<Vec<Limb>> = None;
        let mut tmp = vec![0; self.limbs()];
        let mut t = vec![0; self.limbs() + 1];
        for &byte in exp_be {
            for k in (0..8).rev() {
                if let Some(a) = acc.as_mut() {
                    self.mul_scratch(a, a, &mut tmp, &mut t);
                    core::mem::swap(a, &mut tmp);
                }
                if (byte >> k) & 1 == 1 {
                    match acc.as_mut() {
                        Some(a) => {
                            self.mul_scratch(a, base, &mut tmp, &mut t);
                            core::mem::swap(a, &mut tmp);
                        }
                        None => acc = Some(base[..self.limbs()].to_vec()),
                    }
                }
            }
        }
        // The base may be secret (a blinded value, a padded key): wipe the scratch.
        wipe(&mut tmp);
        wipe(&mut t);
        acc.unwrap_or_else(|| {
            let mut one = vec![0; self.limbs()];
            one[0] = 1;
            self.to_mont(&one)
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use num_bigint_dig::BigUint;

    /// A small deterministic generator (xorshift), for reproducible random numbers.
    struct Xorshift(u64);
    impl Xorshift {
        fn bytes(&mut self, len: usize) -> Vec<u8> {
            (0..len)
                .map(|_| {
                    self.0 ^= self.0 << 13;
                    self.0 ^= self.0 >> 7;
                    self.0 ^= self.0 << 17;
                    self.0 as u8
                })
                .collect()
        }
        fn odd(&mut self, len: usize) -> Vec<u8> {
            let mut m = self.bytes(len);
            m[0] |= 0x80;
            m[len - 1] |= 1;
            m
        }
    }

    fn big(limbs: &[Limb]) -> BigUint {
        let bytes: Vec<u8> = limbs.iter().flat_map(|l| l.to_le_bytes()).collect();
        BigUint::from_bytes_le(&bytes)
    }

    fn from_biguint(x: &BigUint, n: usize) -> Option<Vec<Limb>> {
        from_be(&x.to_bytes_be(), n)
    }

    #[test]
    fn lazy_powers_agree_with_cios_and_biguint() {
        // Both exponentiations on every host: the lazy one is what 32-bit targets use.
        let mut rng = Xorshift(0x1a2b_3c4d_5e6f_7081);
        for len in [1usize, 3, 4, 5, 7, 8, 31, 64, 65, 128, 129, 256, 384] {
            let m_be = rng.odd(len);
            let m = Modulus::new(&m_be, 0).unwrap();
            let mb = BigUint::from_bytes_be(&m_be);
            let a = BigUint::from_bytes_be(&rng.bytes(len)) % &mb;
            let al = from_biguint(&a, m.limbs()).unwrap();
            let am = m.to_mont(&al);
            let e = rng.bytes(len.min(64));
            let el = from_be(&e, limbs_for(&e).max(1)).unwrap();
            let expect = a.modpow(&BigUint::from_bytes_be(&e), &mb);
            let lazy = m.pow_secret_lazy(&am, &el).expect("within the lazy columns");
            assert_eq!(big(&m.from_mont(&lazy)), expect, "{len} bytes");
            assert_eq!(lazy, m.pow_secret_cios(&am, &el));
            // The edges: 0, 1, m − 1, and the exponent 0.
            let top = m.to_mont(&from_biguint(&(&mb - 1u32), m.limbs()).unwrap());
            let zero = vec![0 as Limb; m.limbs()];
            assert_eq!(m.pow_secret_lazy(&zero, &el).unwrap(), zero, "0^e");
            assert_eq!(m.pow_secret_lazy(&top, &[2]).unwrap(), m.pow_secret_cios(&top, &[2]), "(−1)² = 1");
            assert_eq!(m.pow_secret_lazy(&am, &[0]).unwrap(), m.pow_secret_cios(&am, &[0]), "x⁰ = 1");
        }
        // Too wide for the lazy columns: the CIOS product takes it.
        let wide = Modulus::new(&rng.odd(lazy::MAX_DIGITS * 28 / 8 + 8), 0).unwrap();
        assert!(wide.pow_secret_lazy(&vec![0; wide.limbs()], &[1]).is_none());
    }

    #[test]
    fn lazy_public_powers_agree_with_cios_and_biguint() {
        // Both on every host, as above; with extra limbs too (the CRT halves of an RSA key are given
        // the width of half the modulus), which moves R'² = 2^(56·digits) relative to R.
        let mut rng = Xorshift(0x0dd5_eed5_0f7e_a1c3);
        for len in [1usize, 2, 3, 4, 5, 7, 8, 31, 64, 65, 128, 129, 256, 384] {
            for extra in [0usize, 1, 3] {
                let m_be = rng.odd(len);
                let m = Modulus::new(&m_be, limbs_for(&m_be) + extra).unwrap();
                let mb = BigUint::from_bytes_be(&m_be);
                let a = BigUint::from_bytes_be(&rng.bytes(len)) % &mb;
                let al = from_biguint(&a, m.limbs()).unwrap();
                let top = from_biguint(&(&mb - 1u32), m.limbs()).unwrap();
                let zero = vec![0 as Limb; m.limbs()];
                let mut one = zero.clone();
                one[0] = 1;
                for e in [vec![1, 0, 1], vec![3], vec![0], vec![], vec![1], rng.bytes(len.min(32))] {
                    let expect = a.modpow(&BigUint::from_bytes_be(&e), &mb);
                    let lazy = m.pow_public_lazy(&al, &e).expect("within the lazy columns");
                    assert_eq!(big(&lazy), expect, "{len} bytes, {extra} extra limbs, exponent {e:02x?}");
                    assert_eq!(lazy, m.pow_public_cios_plain(&al, &e));
                    let (t_lazy, t_cios) = (m.pow_public_lazy(&top, &e).unwrap(), m.pow_public_cios_plain(&top, &e));
                    assert_eq!(t_lazy, t_cios, "(m − 1)^e, {len} bytes");
                    assert!(m.is_reduced(&t_lazy));
                    let z = m.pow_public_lazy(&zero, &e).unwrap();
                    assert_eq!(z, if e.iter().all(|&b| b == 0) { one.clone() } else { zero.clone() }, "0^e");
                }
            }
        }
        let wide = Modulus::new(&rng.odd(lazy::MAX_DIGITS * 28 / 8 + 8), 0).unwrap();
        assert!(wide.pow_public_lazy(&vec![0; wide.limbs()], &[1]).is_none());
        let mut one = vec![0; wide.limbs()];
        one[0] = 1;
        assert_eq!(wide.pow_public_plain(&one, &[1, 0, 1]), one, "the CIOS product takes it");
    }

    #[test]
    fn digits_round_trip() {
        let mut rng = Xorshift(99);
        for len in [1usize, 4, 7, 28, 100, 129] {
            let x = from_be(&rng.bytes(len), limbs_for(&[1; 200][..len]).max(1)).unwrap();
            let d = lazy::to_digits(&x, (len * 8).div_ceil(28) + 1);
            assert!(d.iter().all(|&v| v < 1 << 28));
            assert_eq!(lazy::from_digits(&d, x.len()), x, "{len} bytes");
        }
    }

    #[test]
    fn remainder_agrees_with_biguint() {
        let mut rng = Xorshift(0xfeed_0123_4567_89ab);
        for (x_len, m_len) in [(1usize, 1usize), (8, 8), (9, 3), (64, 32), (256, 128), (261, 128), (20, 40)] {
            for _ in 0..4 {
                let (x_be, mut m_be) = (rng.bytes(x_len), rng.bytes(m_len));
                m_be[0] |= 1;
                let (x, m) = (BigUint::from_bytes_be(&x_be), BigUint::from_bytes_be(&m_be));
                let (xl, ml) =
                    (from_be(&x_be, limbs_for(&x_be).max(1)).unwrap(), from_be(&m_be, limbs_for(&m_be)).unwrap());
                assert_eq!(big(&rem(&xl, &ml).unwrap()), &x % &m, "{x_len} mod {m_len} bytes");
                // Even moduli too (p − 1 for a prime p).
                let even = &m - (&m % 2u32);
                let el = from_biguint(&even, ml.len()).unwrap();
                if even > BigUint::from(0u32) {
                    assert_eq!(big(&rem(&xl, &el).unwrap()), &x % &even);
                }
            }
        }
        assert!(rem(&[5], &[0, 0]).is_none(), "no remainder modulo zero");
        assert_eq!(rem(&[], &[7]).unwrap(), vec![0]);
    }

    #[test]
    fn r_squared_for_every_width() {
        // Moduli from one bit under to many limbs under their width: every doubling count.
        let mut rng = Xorshift(7);
        for len in 1..=40usize {
            for extra in [0usize, 2] {
                let mut m_be = rng.odd(len);
                m_be[0] >>= (len % 8) as u32;
                m_be[len - 1] |= 1;
                let Some(m) = Modulus::new(&m_be, limbs_for(&m_be) + extra) else { continue };
                let mb = BigUint::from_bytes_be(&m_be);
                let r = BigUint::from(1u32) << (LIMB_BITS as usize * m.limbs());
                assert_eq!(big(&m.r2), (&r * &r) % &mb, "{len} bytes, {extra} limbs more");
                assert_eq!(big(&m.r3), (&r * &r * &r) % &mb);
            }
        }
        for m_be in [&[3u8][..], &[0x80, 0, 0, 0, 0, 0, 0, 1], &[0xff; 8], &[1, 0, 0, 0, 0, 0, 0, 0, 1]] {
            let m = Modulus::new(m_be, 0).unwrap();
            let mb = BigUint::from_bytes_be(m_be);
            let r = BigUint::from(1u32) << (LIMB_BITS as usize * m.limbs());
            assert_eq!(big(&m.r2), (&r * &r) % &mb);
        }
    }

    #[test]
    fn bytes_round_trip() {
        let bytes = [0, 0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11];
        let limbs = from_be(&bytes, 4).unwrap();
        assert_eq!(to_be(&limbs, 13).unwrap(), bytes);
        assert_eq!(to_be(&limbs, 11).unwrap(), &bytes[2..]);
        assert!(to_be(&limbs, 10).is_none(), "a value too big for the length is refused");
        assert!(from_be(&[1; 9], 1).is_none() || LIMB_BYTES >= 9);
        assert_eq!(limbs_for(&[0, 0, 0]), 0);
    }

    #[test]
    fn rejects_even_and_trivial_moduli() {
        assert!(Modulus::new(&[0x10, 0x00], 0).is_none());
        assert!(Modulus::new(&[1], 0).is_none());
        assert!(Modulus::new(&[], 0).is_none());
        assert!(Modulus::new(&[3], 0).is_some());
    }

    #[test]
    fn arithmetic_agrees_with_biguint() {
        let mut rng = Xorshift(0x5eed_1234_abcd_ef01);
        for len in [1usize, 7, 8, 9, 64, 128, 131, 256] {
            for extra in [0usize, 1] {
                let m_be = rng.odd(len);
                let m = Modulus::new(&m_be, limbs_for(&m_be) + extra).unwrap();
                let mb = BigUint::from_bytes_be(&m_be);
                let n = m.limbs();
                let a = BigUint::from_bytes_be(&rng.bytes(len)) % &mb;
                let b = BigUint::from_bytes_be(&rng.bytes(len)) % &mb;
                let e = rng.bytes(len);
                let (al, bl) = (from_biguint(&a, n).unwrap(), from_biguint(&b, n).unwrap());
                let (am, bm) = (m.to_mont(&al), m.to_mont(&bl));
                assert_eq!(big(&m.from_mont(&m.mul(&am, &bm))), (&a * &b) % &mb, "product, {len} bytes");
                assert_eq!(big(&m.from_mont(&am)), a);
                let diff = (&a + &mb - &b) % &mb;
                assert_eq!(big(&m.from_mont(&m.sub(&am, &bm))), diff, "difference");
                assert_eq!(big(&m.sub(&al, &bl)), diff);
                let expect = a.modpow(&BigUint::from_bytes_be(&e), &mb);
                assert_eq!(big(&m.from_mont(&m.pow_public(&am, &e))), expect, "public power, {len} bytes");
                assert_eq!(big(&m.pow_public_plain(&al, &e)), expect, "plain public power, {len} bytes");
                let el = from_be(&e, limbs_for(&e).max(1)).unwrap();
                assert_eq!(big(&m.from_mont(&m.pow_secret(&am, &el))), expect, "secret power, {len} bytes");
                // A double-width number below m·R.
                let x = BigUint::from_bytes_be(&rng.bytes(2 * len)) % (&mb << (LIMB_BITS as usize * n));
                let xl = from_biguint(&x, 2 * n).unwrap();
                assert_eq!(big(&m.from_mont(&m.reduce_wide(&xl))), &x % &mb, "wide reduction, {len} bytes");
                assert!(m.is_reduced(&al) && !m.is_reduced(m.value()));
            }
        }
    }

    #[test]
    fn edge_values() {
        let mut rng = Xorshift(42);
        let m_be = rng.odd(128);
        let m = Modulus::new(&m_be, 0).unwrap();
        let mb = BigUint::from_bytes_be(&m_be);
        let n = m.limbs();
        let top = from_biguint(&(&mb - 1u32), n).unwrap();
        let zero = vec![0; n];
        let tm = m.to_mont(&top);
        assert_eq!(big(&m.from_mont(&m.mul(&tm, &tm))), BigUint::from(1u32), "(−1)² = 1");
        assert_eq!(big(&m.from_mont(&m.pow_secret(&m.to_mont(&zero), &[3]))), BigUint::from(0u32));
        assert_eq!(big(&m.from_mont(&m.pow_secret(&tm, &[0]))), BigUint::from(1u32), "x⁰ = 1");
        assert_eq!(big(&m.from_mont(&m.pow_public(&tm, &[]))), BigUint::from(1u32));
        assert_eq!(big(&m.from_mont(&m.pow_public(&tm, &[0, 0]))), BigUint::from(1u32));
        assert_eq!(big(&mul_wide(&top, &top)), (&mb - 1u32) * (&mb - 1u32));
    }
}
