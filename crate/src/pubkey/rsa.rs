//! RSA keys and operations, on the constant-time Montgomery arithmetic of the `siegel-bignum`
//! crate; no other big-integer code is involved.
//! - [`PrivateKey::from_pkcs1`]: reads and checks a private key (the primes multiply to n, and
//!   e·d ≡ 1 modulo each prime minus one), deriving its CRT parts itself;
//! - [`PrivateKey::decrypt_raw`]: m = c^d mod n by the Chinese remainder theorem over p and q, with
//!   the exponentiations in constant time, the input blinded by r^e (r random, reused squared for
//!   32 operations, its inverse computed in constant time), and the result checked
//!   (m^e = c) before it leaves, so that a fault in one half cannot reveal a prime. Keys of more
//!   than two primes take one exponentiation modulo n instead, blinded and checked the same way;
//! - [`PublicKey`]: (n, e) with bounded sizes, [`verify_pkcs1v15`] (by encoding the expected block
//!   and comparing, never by parsing the decrypted one) and [`verify_pss`] (RFC 8017 section 9.1.2);
//! - [`emsa_pkcs1v15`] and [`emsa_pss_encode`]: the blocks to sign with the private-key operation;
//! - the key-transport paddings of [`crate::pubkey::rsa_padding`] work on [`PrivateKey::decrypt_raw`]'s output.

use der::asn1::UintRef;
use der::Encode;
use rand_core::CryptoRngCore;
use zeroize::{Zeroize, Zeroizing};

use crate::alg::Digest;
use siegel_bignum::{self as bignum, Limb, Modulus};

/// Why an RSA operation gave no result.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum RsaError {
    /// The input is not a number below the modulus of the key's length.
    BadInput,
    /// The result did not check out (m^e ≠ c): a fault, or a key whose parts don't fit together.
    Fault,
}

/// Why an RSA key was refused.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub enum KeyError {
    /// The DER structure is not an RSA key.
    #[error("not an RSA key: {0}")]
    Structure(String),
    /// The modulus is unusable.
    #[error("the modulus must be odd and at most {} bits", PublicKey::MAX_LEN * 8)]
    Modulus,
    /// The public exponent is out of bounds.
    #[error("the public exponent must be odd, at least 3, at most 2^33 − 1, and below the modulus")]
    Exponent,
    /// The primes are not the modulus' factors (or a prime is even or 1).
    #[error("the primes do not multiply to the modulus")]
    Primes,
    /// e·d ≢ 1 modulo some prime minus one: the key cannot decrypt what its public half encrypts.
    #[error("the private exponent does not belong to the public exponent")]
    PrivateExponent,
    /// The exponent or the coefficient of a third or later prime is wrong.
    #[error("the CRT parts of the additional primes are wrong")]
    OtherPrimes,
}

/// A prime in at most this many primes: more is no real key (RFC 8017 allows any number; OpenSSL
/// makes at most 5 for 8192 bits).
const MAX_PRIMES: usize = 16;

/// An RSA private key, ready for the private-key operation.
pub struct PrivateKey {
    public: PublicKey,
    secret: Secret,
    /// The private exponent, big-endian without leading zeros.
    d: Zeroizing<Vec<u8>>,
    /// The key as PKCS#1 RSAPrivateKey DER, with the CRT parts derived here.
    pkcs1: Zeroizing<Vec<u8>>,
    /// The blinding pair for the next operation (see [`Blinding`]).
    blinding: std::sync::Mutex<Option<Blinding>>,
}

/// The private part in the form the private-key operation uses.
#[derive(Clone)]
enum Secret {
    /// Two primes: CRT exponentiation.
    Crt {
        p: Modulus,
        q: Modulus,
        dp: Zeroizing<Vec<Limb>>,
        dq: Zeroizing<Vec<Limb>>,
        /// q⁻¹ mod p, in normal form.
        q_inv: Zeroizing<Vec<Limb>>,
    },
    /// More primes: one exponentiation modulo n.
    Plain {
        d: Zeroizing<Vec<Limb>>,
        /// φ(n) − 1: r^(φ(n)−1) = r⁻¹ for the blinding.
        phi_minus_1: Zeroizing<Vec<Limb>>,
    },
}

impl core::fmt::Debug for PrivateKey {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        // Never print key material.
        f.debug_struct("PrivateKey").field("public", &self.public).finish_non_exhaustive()
    }
}

impl Clone for PrivateKey {
    fn clone(&self) -> PrivateKey {
        PrivateKey {
            public: self.public.clone(),
            secret: self.secret.clone(),
            d: self.d.clone(),
            pkcs1: self.pkcs1.clone(),
            blinding: Default::default(),
        }
    }
}

/// A blinding pair r^e and r⁻¹ mod n (both in Montgomery form). A new r costs an exponentiation and
/// an inverse (9 % of a decryption in wasm); as in OpenSSL, a pair is used, then both are squared
/// (r² is as unknown to an observer as r), and a fresh r is drawn every [`Blinding::USES`] operations.
struct Blinding {
    r_e: Zeroizing<Vec<Limb>>,
    r_inv: Zeroizing<Vec<Limb>>,
    uses: u32,
}

impl Blinding {
    const USES: u32 = 32;
}

/// `x` as `n` limbs; a value too wide for them is refused with `err`.
fn limbs(x: &[u8], n: usize, err: KeyError) -> Result<Zeroizing<Vec<Limb>>, KeyError> {
    bignum::from_be(x, n).map(Zeroizing::new).ok_or(err)
}

/// True when the limbs `x` hold the number 1.
fn is_one(x: &[Limb]) -> bool {
    x.first() == Some(&1) && x[1..].iter().all(|&l| l == 0)
}

/// `x` (limbs) as big-endian bytes without leading zeros (one zero byte for 0).
fn minimal_be(x: &[Limb]) -> Zeroizing<Vec<u8>> {
    let mut bytes = Zeroizing::new(bignum::to_be(x, x.len() * (Limb::BITS as usize / 8)).unwrap_or_default());
    let start = bytes.iter().position(|&b| b != 0).unwrap_or(bytes.len().saturating_sub(1));
    bytes.drain(..start);
    bytes
}

/// One prime of a key, checked against d and e: d mod (prime − 1), or `KeyError::PrivateExponent`
/// when e·d ≢ 1 modulo prime − 1.
fn exponent_for(prime: &[Limb], d: &[Limb], e: &[Limb]) -> Result<Zeroizing<Vec<Limb>>, KeyError> {
    // The prime is odd: prime − 1 only clears the lowest bit.
    let mut prime_minus_1 = Zeroizing::new(prime.to_vec());
    prime_minus_1[0] &= !1;
    let d_i = Zeroizing::new(bignum::rem(d, &prime_minus_1).ok_or(KeyError::Primes)?);
    let check = Zeroizing::new(bignum::rem(&bignum::mul_wide(&d_i, e), &prime_minus_1).ok_or(KeyError::Primes)?);
    if !is_one(&check) {
        return Err(KeyError::PrivateExponent);
    }
    Ok(d_i)
}

impl PrivateKey {
    /// Reads a PKCS#1 RSAPrivateKey and checks it as the `rsa` crate and OpenSSL do: the primes are
    /// odd and multiply to n, and e·d ≡ 1 modulo each prime minus one. The CRT exponents are
    /// derived from d (those in the structure are not trusted), and so is the coefficient unless
    /// the structure's one is right; the parts of a third or later prime must be right.
    pub fn from_pkcs1(key: &pkcs1::RsaPrivateKey<'_>) -> Result<PrivateKey, KeyError> {
        let public = PublicKey::new(key.modulus.as_bytes(), key.public_exponent.as_bytes())?;
        let width = public.n.limbs();
        let mut primes = vec![key.prime1.as_bytes(), key.prime2.as_bytes()];
        let others = key.other_prime_infos.as_deref().unwrap_or_default();
        primes.extend(others.iter().map(|info| info.prime.as_bytes()));
        if primes.len() > MAX_PRIMES {
            return Err(KeyError::Primes);
        }
        // Distinct primes: with p = q there is no CRT and no inverse of a blinding factor.
        let strip = |x: &'_ [u8]| -> Vec<u8> { x.iter().copied().skip_while(|&b| b == 0).collect() };
        for (i, a) in primes.iter().enumerate() {
            if primes[i + 1..].iter().any(|b| strip(a) == strip(b)) {
                return Err(KeyError::Primes);
            }
        }
        // Every prime odd and above 1, and their product n.
        let mut product: Zeroizing<Vec<Limb>> = Zeroizing::new(vec![1]);
        for prime in &primes {
            let p = limbs(prime, bignum::limbs_for(prime).max(1), KeyError::Primes)?;
            if p[0] & 1 == 0 || is_one(&p) {
                return Err(KeyError::Primes);
            }
            product = Zeroizing::new(bignum::mul_wide(&product, &p));
        }
        let fits = product.len() >= width && product[width..].iter().all(|&l| l == 0);
        if !fits || product[..width] != *public.n.value() {
            return Err(KeyError::Primes);
        }
        let d = limbs(key.private_exponent.as_bytes(), width, KeyError::PrivateExponent)?;
        let e = limbs(&public.e, width, KeyError::Exponent)?;
        let d_be = Zeroizing::new(key.private_exponent.as_bytes().to_vec());

        // The two-prime part: p and q of one width, wide enough for either (the reductions of a
        // number below n modulo either prime then stay within Modulus::reduce_wide's bound).
        let (p_be, q_be) = (primes[0], primes[1]);
        let half = bignum::limbs_for(p_be).max(bignum::limbs_for(q_be));
        let pm = Modulus::new(p_be, half).ok_or(KeyError::Primes)?;
        let qm = Modulus::new(q_be, half).ok_or(KeyError::Primes)?;
        let dp = exponent_for(pm.value(), &d, &e)?;
        let dq = exponent_for(qm.value(), &d, &e)?;
        let q_inv = match limbs(key.coefficient.as_bytes(), half, KeyError::Primes) {
            Ok(c)
                if pm.is_reduced(&c)
                    && is_one(&bignum::rem(&bignum::mul_wide(&c, qm.value()), pm.value()).unwrap_or_default()) =>
            {
                c
            }
            // q⁻¹ mod p = q^(p−2) mod p (p is prime), in constant time.
            _ => {
                let q_mont = Zeroizing::new(pm.reduce_wide(qm.value()));
                Zeroizing::new(pm.from_mont(&Zeroizing::new(pm.pow_secret(&q_mont, &pm.minus_two()))))
            }
        };

        // Further primes: d_i = d mod (r_i − 1) and t_i = (r_1·…·r_(i−1))⁻¹ mod r_i must be right.
        let mut product = Zeroizing::new(bignum::mul_wide(pm.value(), qm.value()));
        let mut phi = {
            let (mut p1, mut q1) = (Zeroizing::new(pm.value().to_vec()), Zeroizing::new(qm.value().to_vec()));
            p1[0] &= !1;
            q1[0] &= !1;
            Zeroizing::new(bignum::mul_wide(&p1, &q1))
        };
        for info in others {
            let r = limbs(info.prime.as_bytes(), bignum::limbs_for(info.prime.as_bytes()), KeyError::Primes)?;
            let d_i = exponent_for(&r, &d, &e)?;
            let given = limbs(info.exponent.as_bytes(), r.len(), KeyError::OtherPrimes)?;
            let t = limbs(info.coefficient.as_bytes(), r.len(), KeyError::OtherPrimes)?;
            let t_check = bignum::rem(&bignum::mul_wide(&t, &product), &r).unwrap_or_default();
            let t_reduced = bignum::rem(&t, &r).unwrap_or_default() == *t;
            if *given != *d_i || !t_reduced || !is_one(&t_check) {
                return Err(KeyError::OtherPrimes);
            }
            product = Zeroizing::new(bignum::mul_wide(&product, &r));
            let mut r1 = Zeroizing::new(r.to_vec());
            r1[0] &= !1;
            phi = Zeroizing::new(bignum::mul_wide(&phi, &r1));
        }

        let secret = if others.is_empty() {
            Secret::Crt { dp: dp.clone(), dq: dq.clone(), q_inv: q_inv.clone(), p: pm.clone(), q: qm.clone() }
        } else {
            // φ(n) < n fits n's width; subtract 1 with the borrow carried.
            let mut phi_minus_1 = limbs(&minimal_be(&phi), width, KeyError::Primes)?;
            for limb in phi_minus_1.iter_mut() {
                let (v, borrow) = limb.overflowing_sub(1);
                *limb = v;
                if !borrow {
                    break;
                }
            }
            Secret::Plain { d: d.clone(), phi_minus_1 }
        };

        // The structure as it will be handed on (PKCS#8 export): the CRT parts derived here.
        let (dp_be, dq_be, q_inv_be) = (minimal_be(&dp), minimal_be(&dq), minimal_be(&q_inv));
        let encoded = pkcs1::RsaPrivateKey {
            modulus: key.modulus,
            public_exponent: key.public_exponent,
            private_exponent: key.private_exponent,
            prime1: key.prime1,
            prime2: key.prime2,
            exponent1: UintRef::new(&dp_be).map_err(|e| KeyError::Structure(e.to_string()))?,
            exponent2: UintRef::new(&dq_be).map_err(|e| KeyError::Structure(e.to_string()))?,
            coefficient: UintRef::new(&q_inv_be).map_err(|e| KeyError::Structure(e.to_string()))?,
            other_prime_infos: key.other_prime_infos.clone(),
        };
        let pkcs1 = Zeroizing::new(encoded.to_der().map_err(|e| KeyError::Structure(e.to_string()))?);
        Ok(PrivateKey { public, secret, d: d_be, pkcs1, blinding: Default::default() })
    }

    /// Reads a PKCS#1 RSAPrivateKey from DER ([`PrivateKey::from_pkcs1`]).
    pub fn from_pkcs1_der(der: &[u8]) -> Result<PrivateKey, KeyError> {
        use der::Decode;
        let key = pkcs1::RsaPrivateKey::from_der(der).map_err(|e| KeyError::Structure(e.to_string()))?;
        PrivateKey::from_pkcs1(&key)
    }

    /// The public half.
    pub fn public(&self) -> &PublicKey {
        &self.public
    }

    /// The private exponent d, big-endian without leading zeros.
    pub fn private_exponent(&self) -> &[u8] {
        &self.d
    }

    /// The key as PKCS#1 RSAPrivateKey DER (with CRT parts derived from d).
    pub fn to_pkcs1_der(&self) -> &[u8] {
        &self.pkcs1
    }

    /// The key as PKCS#8 PrivateKeyInfo DER (version 1, rsaEncryption with NULL parameters).
    pub fn to_pkcs8_der(&self) -> Result<Zeroizing<Vec<u8>>, KeyError> {
        let info = pkcs8::PrivateKeyInfo {
            algorithm: pkcs8::AlgorithmIdentifierRef {
                oid: crate::oids::RSA_ENCRYPTION,
                parameters: Some(der::asn1::AnyRef::NULL),
            },
            private_key: &self.pkcs1,
            public_key: None,
        };
        info.to_der().map(Zeroizing::new).map_err(|e| KeyError::Structure(e.to_string()))
    }

    /// c^d mod n for the big-endian `c` of the modulus' length, as bytes of that length.
    pub fn decrypt_raw(&self, c: &[u8]) -> Result<Zeroizing<Vec<u8>>, RsaError> {
        self.decrypt_raw_with(&mut rand_core::OsRng, c)
    }

    /// [`PrivateKey::decrypt_raw`] with the caller's random generator (for the blinding).
    pub fn decrypt_raw_with(&self, rng: &mut impl CryptoRngCore, c: &[u8]) -> Result<Zeroizing<Vec<u8>>, RsaError> {
        let n = &self.public.n;
        let c = self.public.number(c)?;
        // Blinding: work on c·r^e, whose e-th root is m·r.
        let blinding = self.take_blinding(rng).ok_or(RsaError::Fault)?;
        let c_mont = n.to_mont(&c);
        let blinded_mont = Zeroizing::new(n.mul(&c_mont, &blinding.r_e));
        let blinded = Zeroizing::new(n.from_mont(&blinded_mont));

        let m = match &self.secret {
            Secret::Crt { p, q, dp, dq, .. } => {
                // CRT: m1 = c^dp mod p, m2 = c^dq mod q. Every intermediate is wiped: the blinded
                // value modulo one prime, with the blinded value itself, gives the prime away by a gcd.
                let (in_p, in_q) = (Zeroizing::new(p.reduce_wide(&blinded)), Zeroizing::new(q.reduce_wide(&blinded)));
                let m1 = Zeroizing::new(p.pow_secret(&in_p, dp));
                let m2_mont = Zeroizing::new(q.pow_secret(&in_q, dq));
                let m2 = Zeroizing::new(q.from_mont(&m2_mont));
                self.crt_combine(&m1, &m2)?
            }
            Secret::Plain { d, .. } => Zeroizing::new(n.from_mont(&Zeroizing::new(n.pow_secret(&blinded_mont, d)))),
        };
        let m_blinded = &m[..n.limbs()];

        // The check: (m·r)^e must give back c·r^e.
        let check = Zeroizing::new(n.pow_public_plain(m_blinded, &self.public.e));
        if *check != *blinded {
            return Err(RsaError::Fault);
        }
        // Unblind: (m·r)·r⁻¹.
        let mut plain = n.mul(m_blinded, &blinding.r_inv);
        self.put_back(blinding);
        let out = bignum::to_be(&plain, self.public.len).ok_or(RsaError::Fault).map(Zeroizing::new);
        plain.zeroize();
        out
    }

    /// The blinding pair for this operation: the stored one, or a new one (`None`: the key's parts
    /// give no inverse, which a checked key never does).
    fn take_blinding(&self, rng: &mut impl CryptoRngCore) -> Option<Blinding> {
        let stored = self.blinding.lock().ok().and_then(|mut b| b.take());
        match stored {
            Some(b) if b.uses < Blinding::USES => Some(b),
            _ => self.new_blinding(rng),
        }
    }

    /// Stores the pair squared, for the next operation.
    fn put_back(&self, b: Blinding) {
        let n = &self.public.n;
        let next = Blinding {
            r_e: Zeroizing::new(n.mul(&b.r_e, &b.r_e)),
            r_inv: Zeroizing::new(n.mul(&b.r_inv, &b.r_inv)),
            uses: b.uses + 1,
        };
        if let Ok(mut slot) = self.blinding.lock() {
            *slot = Some(next);
        }
    }

    /// x mod n from x mod p (`x1`, Montgomery form modulo p) and x mod q (`x2`, normal form):
    /// h = (x1 − x2)·q⁻¹ mod p, x = x2 + h·q, as n's width (a fault if it does not fit).
    fn crt_combine(&self, x1: &[Limb], x2: &[Limb]) -> Result<Zeroizing<Vec<Limb>>, RsaError> {
        let Secret::Crt { p, q, q_inv, .. } = &self.secret else { return Err(RsaError::Fault) };
        let x2_p = Zeroizing::new(p.reduce_wide(x2));
        let diff = Zeroizing::new(p.sub(x1, &x2_p));
        let h = Zeroizing::new(p.mul(&diff, q_inv));
        let mut x = Zeroizing::new(bignum::mul_wide(&h, q.value()));
        let mut carry: Limb = 0;
        for (i, limb) in x.iter_mut().enumerate() {
            let (s, c1) = limb.overflowing_add(x2.get(i).copied().unwrap_or(0));
            let (s, c2) = s.overflowing_add(carry);
            *limb = s;
            carry = Limb::from(c1 | c2);
        }
        // x < n: the limbs beyond n's width are zero.
        let width = self.public.n.limbs();
        if x[width..].iter().any(|&l| l != 0) || carry != 0 {
            return Err(RsaError::Fault);
        }
        x.truncate(width);
        Ok(x)
    }

    /// r⁻¹ mod n for `r` below n, in normal form: by the CRT from r^(p−2) mod p and r^(q−2) mod q
    /// (Fermat), or as r^(φ(n)−1) for more primes; in constant time like the private-key
    /// operation itself. Wrong (and caught by the caller) when r shares a prime with n.
    fn inverse(&self, r: &[Limb]) -> Option<Zeroizing<Vec<Limb>>> {
        let n = &self.public.n;
        match &self.secret {
            Secret::Crt { p, q, .. } => {
                let (r_p, r_q) = (Zeroizing::new(p.reduce_wide(r)), Zeroizing::new(q.reduce_wide(r)));
                let inv_p = Zeroizing::new(p.pow_secret(&r_p, &p.minus_two()));
                let inv_q_mont = Zeroizing::new(q.pow_secret(&r_q, &q.minus_two()));
                let inv_q = Zeroizing::new(q.from_mont(&inv_q_mont));
                self.crt_combine(&inv_p, &inv_q).ok()
            }
            Secret::Plain { phi_minus_1, .. } => {
                let r_mont = Zeroizing::new(n.to_mont(r));
                Some(Zeroizing::new(n.from_mont(&Zeroizing::new(n.pow_secret(&r_mont, phi_minus_1)))))
            }
        }
    }

    /// A new random r: r^e and r⁻¹ mod n. A random r shares a prime with n (and has no inverse)
    /// with a chance of about 2^-1000; after 16 failures the key itself is wrong.
    fn new_blinding(&self, rng: &mut impl CryptoRngCore) -> Option<Blinding> {
        let n = &self.public.n;
        for _ in 0..16 {
            // A random number of one byte less than n: below n, and random enough to blind.
            let mut bytes = Zeroizing::new(vec![0u8; self.public.len]);
            rng.fill_bytes(&mut bytes[1..]);
            let Some(r) = bignum::from_be(&bytes, n.limbs()).map(Zeroizing::new) else { continue };
            let Some(inv) = self.inverse(&r) else { continue };
            let r_mont = Zeroizing::new(n.to_mont(&r));
            let inv_mont = Zeroizing::new(n.to_mont(&inv));
            // r·r⁻¹ = 1 unless r shares a prime with n (or is 0), which a random r all but never does.
            if !is_one(&n.mul(&r_mont, &inv)) {
                continue;
            }
            let r_e = Zeroizing::new(n.pow_public(&r_mont, &self.public.e));
            return Some(Blinding { r_e, r_inv: inv_mont, uses: 0 });
        }
        None
    }
}

/// An RSA public key: the modulus and the exponent.
#[derive(Clone)]
pub struct PublicKey {
    n: Modulus,
    e: Vec<u8>,
    /// The modulus' length in bytes.
    len: usize,
    /// The modulus' length in bits.
    bits: usize,
}

impl PartialEq for PublicKey {
    fn eq(&self, other: &PublicKey) -> bool {
        self.len == other.len && self.e == other.e && self.n.value() == other.n.value()
    }
}

impl core::fmt::Debug for PublicKey {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        f.debug_struct("PublicKey").field("bits", &self.bits).field("e", &self.e).finish_non_exhaustive()
    }
}

impl PublicKey {
    /// The largest modulus accepted, in bytes (8192 bits; OpenSSL's default limit is 16384, the
    /// `rsa` crate's 4096, and no CA issues keys above 8192).
    pub const MAX_LEN: usize = 1024;
    /// The largest public exponent accepted, 2^33 − 1 (as the `rsa` crate; OpenSSL allows 64 bits
    /// only for small moduli), which bounds the time a verification takes.
    const MAX_E_BITS: usize = 33;

    /// The key (n, e), both big-endian; refused unless n is odd, greater than 1 and at most
    /// [`PublicKey::MAX_LEN`] bytes, and e is odd, at least 3, at most 2^33 − 1, and below n.
    pub fn new(n_be: &[u8], e_be: &[u8]) -> Result<PublicKey, KeyError> {
        let start = n_be.iter().position(|&b| b != 0).ok_or(KeyError::Modulus)?;
        let n_be = &n_be[start..];
        let e_start = e_be.iter().position(|&b| b != 0).ok_or(KeyError::Exponent)?;
        let e = e_be[e_start..].to_vec();
        let e_bits = 8 * e.len() - e[0].leading_zeros() as usize;
        let e_small = e.len() == 1 && e[0] < 3;
        let e_below_n = e.len() < n_be.len() || (e.len() == n_be.len() && e.as_slice() < n_be);
        if n_be.len() > Self::MAX_LEN {
            return Err(KeyError::Modulus);
        }
        if e.last().is_some_and(|b| b & 1 == 0) || e_small || !e_below_n || e_bits > Self::MAX_E_BITS {
            return Err(KeyError::Exponent);
        }
        if let Some(key) = recent::find(n_be, &e) {
            return Ok(key);
        }
        let bits = 8 * n_be.len() - n_be[0].leading_zeros() as usize;
        let key = PublicKey { n: Modulus::new(n_be, 0).ok_or(KeyError::Modulus)?, len: n_be.len(), bits, e };
        recent::insert(n_be, &key);
        Ok(key)
    }

    /// A PKCS#1 RSAPublicKey (the bits of a certificate's subjectPublicKey).
    pub fn from_pkcs1_der(der: &[u8]) -> Result<PublicKey, KeyError> {
        use der::Decode;
        let key = pkcs1::RsaPublicKey::from_der(der).map_err(|e| KeyError::Structure(e.to_string()))?;
        PublicKey::new(key.modulus.as_bytes(), key.public_exponent.as_bytes())
    }

    /// The modulus' length in bytes.
    pub fn size(&self) -> usize {
        self.len
    }

    /// The modulus' length in bits.
    pub fn bits(&self) -> usize {
        self.bits
    }

    /// `x` (big-endian, exactly the modulus' length) as limbs, if it is below n.
    fn number(&self, x: &[u8]) -> Result<Vec<Limb>, RsaError> {
        if x.len() != self.len {
            return Err(RsaError::BadInput);
        }
        let limbs = bignum::from_be(x, self.n.limbs()).ok_or(RsaError::BadInput)?;
        if !self.n.is_reduced(&limbs) {
            return Err(RsaError::BadInput);
        }
        Ok(limbs)
    }

    /// s^e mod n, as bytes of the modulus' length.
    pub fn encrypt_raw(&self, s: &[u8]) -> Result<Vec<u8>, RsaError> {
        // The input may be a padded content-encryption key: wipe its traces.
        let s = Zeroizing::new(self.number(s)?);
        let out = self.n.pow_public_plain(&s, &self.e);
        bignum::to_be(&out, self.len).ok_or(RsaError::Fault)
    }
}

/// The public keys set up most recently: a correspondent's key, a CA's, a recipient's come back with
/// every mail, and their Montgomery set-up (R² mod n) costs a tenth of a verification in wasm.
/// Public values only; at most [`recent::CAPACITY`], the oldest leaving first.
mod recent {
    use super::PublicKey;
    use crate::recent::Recent;

    pub(super) const CAPACITY: usize = 64;

    static KEYS: Recent<(Vec<u8>, PublicKey)> = Recent::new(CAPACITY);

    pub(super) fn find(n_be: &[u8], e: &[u8]) -> Option<PublicKey> {
        KEYS.find_map(|(n, key)| (n == n_be && key.e == e).then(|| key.clone()))
    }

    pub(super) fn insert(n_be: &[u8], key: &PublicKey) {
        KEYS.insert((n_be.to_vec(), key.clone()));
    }
}

/// True when `signature` is `key`'s RSASSA-PKCS1-v1_5 signature of `hash` (made with `digest`).
pub fn verify_pkcs1v15(key: &PublicKey, digest: Digest, hash: &[u8], signature: &[u8]) -> bool {
    let Some(expected) = emsa_pkcs1v15(digest, hash, key.len) else { return false };
    match key.encrypt_raw(signature) {
        Ok(em) => em == expected,
        Err(_) => false,
    }
}

/// True when `signature` is `key`'s RSASSA-PSS signature of `m_hash` (RFC 8017 sections 8.1.2 and
/// 9.1.2), made with `digest` for the message and MGF1 and exactly `salt_len` bytes of salt.
pub fn verify_pss(key: &PublicKey, digest: Digest, m_hash: &[u8], salt_len: usize, signature: &[u8]) -> bool {
    let Ok(block) = key.encrypt_raw(signature) else { return false };
    let (em_bits, h_len) = (key.bits - 1, digest.output_len());
    let em_len = em_bits.div_ceil(8);
    // EM is the block without its leading byte when em_bits is a multiple of 8; that byte is 0.
    let (lead, em) = block.split_at(block.len() - em_len);
    if lead.iter().any(|&b| b != 0) || m_hash.len() != h_len || em_len < h_len + salt_len + 2 {
        return false;
    }
    if em[em_len - 1] != 0xbc {
        return false;
    }
    let (masked_db, h) = em.split_at(em_len - h_len - 1);
    let h = &h[..h_len];
    let unused = 8 * em_len - em_bits;
    if masked_db[0] & !(0xff >> unused) != 0 {
        return false;
    }
    let mut db = masked_db.to_vec();
    crate::pubkey::rsa_padding::mgf1_xor(digest, h, &mut db);
    db[0] &= 0xff >> unused;
    // DB = PS (zeros) || 01 || salt.
    let ps_len = em_len - h_len - salt_len - 2;
    if db[..ps_len].iter().any(|&b| b != 0) || db[ps_len] != 1 {
        return false;
    }
    let salt = &db[db.len() - salt_len..];
    let m_prime = [&[0u8; 8][..], m_hash, salt].concat();
    digest.hash(&m_prime) == h
}

/// EMSA-PKCS1-v1_5 (RFC 8017 section 9.2): 00 01 FF…FF 00 DigestInfo, `len` bytes; `None` when
/// the hash has the wrong length or the block doesn't fit.
pub fn emsa_pkcs1v15(digest: Digest, hash: &[u8], len: usize) -> Option<Vec<u8>> {
    // The DER DigestInfo prefixes of RFC 8017 section 9.2, note 1.
    let prefix: &[u8] = match digest {
        Digest::Sha1 => &[0x30, 0x21, 0x30, 0x09, 0x06, 0x05, 0x2b, 0x0e, 0x03, 0x02, 0x1a, 0x05, 0x00, 0x04, 0x14],
        Digest::Sha256 => &[
            0x30, 0x31, 0x30, 0x0d, 0x06, 0x09, 0x60, 0x86, 0x48, 0x01, 0x65, 0x03, 0x04, 0x02, 0x01, 0x05, 0x00, 0x04,
            0x20,
        ],
        Digest::Sha384 => &[
            0x30, 0x41, 0x30, 0x0d, 0x06, 0x09, 0x60, 0x86, 0x48, 0x01, 0x65, 0x03, 0x04, 0x02, 0x02, 0x05, 0x00, 0x04,
            0x30,
        ],
        Digest::Sha512 => &[
            0x30, 0x51, 0x30, 0x0d, 0x06, 0x09, 0x60, 0x86, 0x48, 0x01, 0x65, 0x03, 0x04, 0x02, 0x03, 0x05, 0x00, 0x04,
            0x40,
        ],
    };
    let t_len = prefix.len() + hash.len();
    if hash.len() != digest.output_len() || len < t_len + 11 {
        return None;
    }
    let mut em = vec![0xff; len];
    em[0] = 0;
    em[1] = 1;
    em[len - t_len - 1] = 0;
    em[len - t_len..len - hash.len()].copy_from_slice(prefix);
    em[len - hash.len()..].copy_from_slice(hash);
    Some(em)
}

/// EMSA-PSS-ENCODE (RFC 8017 section 9.1.1) of `m_hash` (made with `digest`, which MGF1 uses too)
/// with `salt_len` random bytes of salt, for a modulus of `em_bits + 1` bits: ceil(em_bits / 8)
/// bytes, or `None` when the hash has the wrong length or the block does not fit.
pub fn emsa_pss_encode(
    rng: &mut impl CryptoRngCore,
    digest: Digest,
    m_hash: &[u8],
    salt_len: usize,
    em_bits: usize,
) -> Option<Vec<u8>> {
    let (h_len, em_len) = (digest.output_len(), em_bits.div_ceil(8));
    if m_hash.len() != h_len || em_len < h_len + salt_len + 2 {
        return None;
    }
    let mut salt = vec![0u8; salt_len];
    rng.fill_bytes(&mut salt);
    let m_prime = [&[0u8; 8][..], m_hash, &salt].concat();
    let h = digest.hash(&m_prime);
    let db_len = em_len - h_len - 1;
    let mut em = vec![0u8; em_len];
    // DB = PS (zeros) || 01 || salt, masked with MGF1(H).
    em[db_len - salt_len - 1] = 1;
    em[db_len - salt_len..db_len].copy_from_slice(&salt);
    crate::pubkey::rsa_padding::mgf1_xor(digest, &h, &mut em[..db_len]);
    em[0] &= 0xff >> (8 * em_len - em_bits);
    em[db_len..em_len - 1].copy_from_slice(&h);
    em[em_len - 1] = 0xbc;
    Some(em)
}

/// A test key (tests/data/pki/NAME.key) as the `rsa` crate reads it, and as Siegel does: from the
/// PKCS#8 file through [`PrivateKey::from_pkcs1_der`].
#[cfg(test)]
pub(crate) fn test_key(name: &str) -> (rsa::RsaPrivateKey, PrivateKey) {
    use der::Decode;
    use rsa::pkcs8::DecodePrivateKey;
    let pem = std::fs::read_to_string(format!("{}/tests/data/pki/{name}.key", env!("CARGO_MANIFEST_DIR"))).unwrap();
    let (_, doc) = der::Document::from_pem(&pem).unwrap();
    let info = pkcs8::PrivateKeyInfo::from_der(doc.as_bytes()).unwrap();
    (rsa::RsaPrivateKey::from_pkcs8_pem(&pem).unwrap(), PrivateKey::from_pkcs1_der(info.private_key).unwrap())
}

#[cfg(test)]
mod tests {
    use super::*;
    use rand_core::RngCore;
    use rsa::pkcs1::EncodeRsaPrivateKey;
    use rsa::traits::{PrivateKeyParts, PublicKeyParts};
    use rsa::{Oaep, Pkcs1v15Encrypt, Pkcs1v15Sign, RsaPrivateKey, RsaPublicKey};

    fn key(name: &str) -> RsaPrivateKey {
        test_key(name).0
    }

    /// The `rsa` crate's reading of a key, to compare with, and ours.
    fn from_rsa(key: &RsaPrivateKey) -> PrivateKey {
        PrivateKey::from_pkcs1_der(key.to_pkcs1_der().unwrap().as_bytes()).unwrap()
    }

    fn public_of(key: &RsaPublicKey) -> PublicKey {
        PublicKey::new(&key.n().to_bytes_be(), &key.e().to_bytes_be()).unwrap()
    }

    #[test]
    fn decrypts_what_the_rsa_crate_encrypts() {
        let mut rng = rand_core::OsRng;
        for name in ["bob", "alice", "root"] {
            let rsa_key = key(name);
            let ours = from_rsa(&rsa_key);
            let public = RsaPublicKey::from(&rsa_key);
            for len in [1usize, 16, 32, 100] {
                let mut msg = vec![0u8; len];
                rng.fill_bytes(&mut msg);
                let c = public.encrypt(&mut rng, Pkcs1v15Encrypt, &msg).unwrap();
                let em = ours.decrypt_raw(&c).unwrap();
                // A type-2 block: 00 02, at least 8 non-zero bytes, 00, the message.
                assert_eq!(&em[..2], &[0, 2]);
                assert_eq!(&em[em.len() - len..], &msg[..], "{name}, {len} bytes");
                assert_eq!(em[em.len() - len - 1], 0);
                let c = public.encrypt(&mut rng, Oaep::new::<sha2::Sha256>(), &msg).unwrap();
                assert_eq!(ours.decrypt_raw(&c).unwrap().len(), public.size());
            }
        }
    }

    #[test]
    fn signatures_match_the_rsa_crate_both_ways() {
        for name in ["alice", "intermediate"] {
            let rsa_key = key(name);
            let ours = from_rsa(&rsa_key);
            let public = RsaPublicKey::from(&rsa_key);
            let hash = Digest::Sha256.hash(b"siegel");
            let reference = rsa_key.sign(Pkcs1v15Sign::new::<sha2::Sha256>(), &hash).unwrap();
            let sig = ours.decrypt_raw(&emsa_pkcs1v15(Digest::Sha256, &hash, public.size()).unwrap()).unwrap().to_vec();
            assert_eq!(sig, reference, "PKCS#1 v1.5 signatures are deterministic");
            assert!(verify_pkcs1v15(ours.public(), Digest::Sha256, &hash, &sig));
            let h512 = Digest::Sha512.hash(b"siegel");
            let sig512 = rsa_key.sign(Pkcs1v15Sign::new::<sha2::Sha512>(), &h512).unwrap();
            assert!(verify_pkcs1v15(&public_of(&public), Digest::Sha512, &h512, &sig512));
            // Wrong hash, wrong digest, altered signature, wrong length, s ≥ n.
            assert!(!verify_pkcs1v15(ours.public(), Digest::Sha256, &Digest::Sha256.hash(b"other"), &sig));
            assert!(!verify_pkcs1v15(ours.public(), Digest::Sha512, &h512, &sig));
            let mut bad = sig.clone();
            bad[10] ^= 1;
            assert!(!verify_pkcs1v15(ours.public(), Digest::Sha256, &hash, &bad));
            assert!(!verify_pkcs1v15(ours.public(), Digest::Sha256, &hash, &sig[1..]));
            assert!(!verify_pkcs1v15(ours.public(), Digest::Sha256, &hash, &vec![0xff; sig.len()]));
        }
    }

    #[test]
    fn blinding_pairs_stay_right_over_many_operations() {
        let rsa_key = key("bob");
        let ours = from_rsa(&rsa_key);
        let public = RsaPublicKey::from(&rsa_key);
        // More than Blinding::USES operations: the squared pairs and a renewal.
        for i in 0..(Blinding::USES + 3) {
            let msg = [i as u8 + 1; 32];
            let c = public.encrypt(&mut rand_core::OsRng, Pkcs1v15Encrypt, &msg).unwrap();
            assert_eq!(&ours.decrypt_raw(&c).unwrap()[public.size() - 32..], &msg, "operation {i}");
        }
        assert_eq!(ours.blinding.lock().unwrap().as_ref().unwrap().uses, 3, "renewed after USES");
        assert!(ours.clone().blinding.lock().unwrap().is_none(), "a clone draws its own");
    }

    #[test]
    fn refuses_inputs_not_below_the_modulus() {
        let ours = from_rsa(&key("bob"));
        let len = ours.public().size();
        assert_eq!(ours.decrypt_raw(&vec![0xff; len]).unwrap_err(), RsaError::BadInput);
        assert_eq!(ours.decrypt_raw(&vec![1; len - 1]).unwrap_err(), RsaError::BadInput);
        assert_eq!(ours.decrypt_raw(&vec![1; len + 1]).unwrap_err(), RsaError::BadInput);
        let zero = ours.decrypt_raw(&vec![0; len]).unwrap();
        assert!(zero.iter().all(|&b| b == 0), "0^d = 0");
    }

    #[test]
    fn a_key_with_a_wrong_part_is_caught_by_the_check() {
        let rsa_key = key("bob");
        let mut ours = from_rsa(&rsa_key);
        let Secret::Crt { dp, .. } = &mut ours.secret else { panic!("a two-prime key") };
        dp[0] ^= 2; // a fault in the exponent of one CRT half
        let c = RsaPublicKey::from(&rsa_key).encrypt(&mut rand_core::OsRng, Pkcs1v15Encrypt, b"key").unwrap();
        assert_eq!(ours.decrypt_raw(&c).unwrap_err(), RsaError::Fault);
    }

    #[test]
    fn pss_signatures_verify_with_the_rsa_crate() {
        use rsa::Pss;
        let mut rng = rand_core::OsRng;
        // The test keys (2048 bits), and a 2049-bit key, whose encoded block is a byte shorter.
        let odd = RsaPrivateKey::new(&mut rng, 2049).unwrap();
        for rsa_key in [key("alice"), odd] {
            let public = RsaPublicKey::from(&rsa_key);
            let bits = public.n().bits();
            let ours = from_rsa(&rsa_key);
            for (digest, hash) in [
                (Digest::Sha256, Digest::Sha256.hash(b"siegel")),
                (Digest::Sha384, Digest::Sha384.hash(b"siegel")),
                (Digest::Sha512, Digest::Sha512.hash(b"siegel")),
            ] {
                let em = emsa_pss_encode(&mut rng, digest, &hash, hash.len(), bits - 1).unwrap();
                let mut block = vec![0u8; public.size()];
                block[public.size() - em.len()..].copy_from_slice(&em);
                let sig = ours.decrypt_raw(&block).unwrap();
                let ok = match digest {
                    Digest::Sha256 => public.verify(Pss::new_with_salt::<sha2::Sha256>(32), &hash, &sig),
                    Digest::Sha384 => public.verify(Pss::new_with_salt::<sha2::Sha384>(48), &hash, &sig),
                    _ => public.verify(Pss::new_with_salt::<sha2::Sha512>(64), &hash, &sig),
                };
                assert!(ok.is_ok(), "{bits} bits, {digest:?}");
            }
            assert!(emsa_pss_encode(&mut rng, Digest::Sha256, &[0; 31], 32, bits - 1).is_none());
            assert!(emsa_pss_encode(&mut rng, Digest::Sha512, &[0; 64], 64, 64 * 8 + 64 * 8 + 8).is_none());
        }
    }

    #[test]
    fn public_keys_need_a_sane_exponent_and_size() {
        let n = key("bob").n().to_bytes_be();
        assert!(PublicKey::new(&n, &[1, 0, 1]).is_ok());
        assert!(PublicKey::new(&n, &[3]).is_ok());
        assert_eq!(PublicKey::new(&n, &[1]).unwrap_err(), KeyError::Exponent, "e = 1: every block its own signature");
        assert_eq!(PublicKey::new(&n, &[0, 2]).unwrap_err(), KeyError::Exponent, "even e");
        assert_eq!(PublicKey::new(&n, &n).unwrap_err(), KeyError::Exponent, "e = n");
        assert!(PublicKey::new(&n, &[1, 0xff, 0xff, 0xff, 0xff]).is_ok(), "2^33 − 1");
        assert_eq!(PublicKey::new(&n, &[2, 0, 0, 0, 1]).unwrap_err(), KeyError::Exponent, "2^33 + 1");
        assert_eq!(PublicKey::new(&[0, 0], &[3]).unwrap_err(), KeyError::Modulus);
        assert_eq!(PublicKey::new(&[0x10, 0], &[3]).unwrap_err(), KeyError::Modulus, "even n");
        let mut big = vec![0xffu8; PublicKey::MAX_LEN + 1];
        big[PublicKey::MAX_LEN] = 0xfd;
        assert_eq!(PublicKey::new(&big, &[3]).unwrap_err(), KeyError::Modulus, "larger than 8192 bits");
        assert!(PublicKey::new(&big[1..], &[3]).is_ok());
        assert_eq!(PublicKey::new(&[&[0, 0][..], &n].concat(), &[3]).unwrap(), PublicKey::new(&n, &[3]).unwrap());
    }

    #[test]
    fn encoding_refuses_what_does_not_fit() {
        assert!(emsa_pkcs1v15(Digest::Sha256, &[0; 31], 256).is_none());
        assert!(emsa_pkcs1v15(Digest::Sha512, &[0; 64], 64 + 19 + 10).is_none());
        let em = emsa_pkcs1v15(Digest::Sha256, &[7; 32], 64).unwrap();
        assert_eq!(&em[..3], &[0, 1, 0xff]);
        assert_eq!(em[64 - 32 - 19 - 1], 0);
    }

    #[test]
    fn keys_are_read_as_the_rsa_crate_reads_them() {
        for name in ["alice", "bob", "root", "intermediate"] {
            let rsa_key = key(name);
            let (_, ours) = test_key(name);
            // The same structure back, with the CRT parts derived here.
            assert_eq!(ours.to_pkcs1_der(), rsa_key.to_pkcs1_der().unwrap().as_bytes(), "{name}");
            assert_eq!(ours.private_exponent(), rsa_key.d().to_bytes_be());
            assert_eq!(*ours.public(), public_of(&RsaPublicKey::from(&rsa_key)));
            // PKCS#8 as the rsa crate writes it.
            use rsa::pkcs8::EncodePrivateKey;
            assert_eq!(&ours.to_pkcs8_der().unwrap()[..], rsa_key.to_pkcs8_der().unwrap().as_bytes());
        }
    }

    /// A key's PKCS#1 structure with one field changed.
    fn altered<'a>(der: &'a [u8], change: impl FnOnce(&mut pkcs1::RsaPrivateKey<'a>)) -> Result<PrivateKey, KeyError> {
        use der::Decode;
        let mut parsed = pkcs1::RsaPrivateKey::from_der(der).unwrap();
        change(&mut parsed);
        PrivateKey::from_pkcs1(&parsed)
    }

    #[test]
    fn keys_whose_parts_do_not_fit_are_refused() {
        let bob = key("bob");
        let (alice_p, d_plus_2) = (key("alice").primes()[0].to_bytes_be(), (bob.d() + 2u32).to_bytes_be());
        let n = bob.n().to_bytes_be();
        let der = bob.to_pkcs1_der().unwrap();
        let der = der.as_bytes();
        let wrong_p = altered(der, |k| k.prime1 = UintRef::new(&alice_p).unwrap());
        assert_eq!(wrong_p.unwrap_err(), KeyError::Primes);
        let wrong_d = altered(der, |k| k.private_exponent = UintRef::new(&d_plus_2).unwrap());
        assert_eq!(wrong_d.unwrap_err(), KeyError::PrivateExponent);
        let one = altered(der, |k| k.prime2 = UintRef::new(&[1]).unwrap());
        assert_eq!(one.unwrap_err(), KeyError::Primes);
        let prime_n = altered(der, |k| {
            k.prime1 = UintRef::new(&n).unwrap();
            k.prime2 = UintRef::new(&[1]).unwrap();
        });
        assert_eq!(prime_n.unwrap_err(), KeyError::Primes, "n = n·1");
        // n = p² with p = q passes the product and exponent checks; it is refused for equal primes.
        let p = &bob.primes()[0];
        let (p_be, p2_be) = (p.to_bytes_be(), (p * p).to_bytes_be());
        let square = altered(der, |k| {
            k.modulus = UintRef::new(&p2_be).unwrap();
            k.prime1 = UintRef::new(&p_be).unwrap();
            k.prime2 = UintRef::new(&p_be).unwrap();
        });
        assert_eq!(square.unwrap_err(), KeyError::Primes, "p = q");
        let e3 = altered(der, |k| k.public_exponent = UintRef::new(&[3]).unwrap());
        assert_eq!(e3.unwrap_err(), KeyError::PrivateExponent);
        assert!(matches!(PrivateKey::from_pkcs1_der(&[0x30, 0]).unwrap_err(), KeyError::Structure(_)));
    }

    #[test]
    fn a_wrong_crt_part_is_replaced_not_trusted() {
        let rsa_key = key("bob");
        let public = RsaPublicKey::from(&rsa_key);
        let reference = rsa_key.to_pkcs1_der().unwrap();
        let der = reference.as_bytes();
        for ours in [
            altered(der, |k| k.exponent1 = UintRef::new(&[1]).unwrap()),
            altered(der, |k| k.exponent2 = UintRef::new(&[2]).unwrap()),
            altered(der, |k| k.coefficient = UintRef::new(&[2]).unwrap()),
        ] {
            let ours = ours.unwrap();
            assert_eq!(ours.to_pkcs1_der(), reference.as_bytes(), "rewritten with the right part");
            let c = public.encrypt(&mut rand_core::OsRng, Pkcs1v15Encrypt, b"key").unwrap();
            assert_eq!(&ours.decrypt_raw(&c).unwrap()[public.size() - 3..], b"key");
        }
    }

    #[test]
    fn three_prime_keys_decrypt_and_sign() {
        // The rsa crate reads no multi-prime PKCS#8 file, but takes the numbers.
        use der::Decode;
        use rsa::BigUint;
        let pem = std::fs::read_to_string(format!("{}/tests/data/pki/three-primes.key", env!("CARGO_MANIFEST_DIR")));
        let (_, doc) = der::Document::from_pem(&pem.unwrap()).unwrap();
        let info = pkcs8::PrivateKeyInfo::from_der(doc.as_bytes()).unwrap();
        let parsed = pkcs1::RsaPrivateKey::from_der(info.private_key).unwrap();
        let ours = PrivateKey::from_pkcs1(&parsed).unwrap();
        let big = |x: UintRef<'_>| BigUint::from_bytes_be(x.as_bytes());
        let primes =
            vec![big(parsed.prime1), big(parsed.prime2), big(parsed.other_prime_infos.as_ref().unwrap()[0].prime)];
        let n = big(parsed.modulus);
        let rsa_key =
            RsaPrivateKey::from_components(n, big(parsed.public_exponent), big(parsed.private_exponent), primes)
                .unwrap();
        assert!(matches!(ours.secret, Secret::Plain { .. }));
        let public = RsaPublicKey::from(&rsa_key);
        let mut rng = rand_core::OsRng;
        // Past a renewal of the blinding pair, whose inverse comes from φ(n) here.
        for i in 0..(Blinding::USES + 2) {
            let msg = [i as u8; 24];
            let c = public.encrypt(&mut rng, Pkcs1v15Encrypt, &msg).unwrap();
            assert_eq!(&ours.decrypt_raw(&c).unwrap()[public.size() - 24..], &msg, "operation {i}");
        }
        let hash = Digest::Sha256.hash(b"siegel");
        let reference = rsa_key.sign(Pkcs1v15Sign::new::<sha2::Sha256>(), &hash).unwrap();
        let sig = ours.decrypt_raw(&emsa_pkcs1v15(Digest::Sha256, &hash, public.size()).unwrap()).unwrap();
        assert_eq!(&sig[..], &reference[..]);
        // The third prime's parts are checked.
        let mut bad = parsed.clone();
        let mut others = bad.other_prime_infos.clone().unwrap();
        others[0].coefficient = UintRef::new(&[2]).unwrap();
        bad.other_prime_infos = Some(others);
        assert_eq!(PrivateKey::from_pkcs1(&bad).unwrap_err(), KeyError::OtherPrimes);
        assert_eq!(PrivateKey::from_pkcs1(&parsed).unwrap().to_pkcs1_der(), info.private_key);
    }

    #[test]
    fn pss_signatures_of_the_rsa_crate_verify() {
        use rsa::Pss;
        let mut rng = rand_core::OsRng;
        let odd = RsaPrivateKey::new(&mut rng, 2049).unwrap();
        let small = RsaPrivateKey::new(&mut rng, 1024).unwrap();
        for rsa_key in [key("alice"), odd, small] {
            let public = RsaPublicKey::from(&rsa_key);
            let ours = public_of(&public);
            for (digest, salt) in [(Digest::Sha256, 32), (Digest::Sha256, 0), (Digest::Sha1, 20), (Digest::Sha512, 64)]
            {
                let hash = digest.hash(b"siegel");
                if public.size() < hash.len() + salt + 2 {
                    continue; // SHA-512 with a 64-byte salt does not fit 1024 bits
                }
                let sig = match digest {
                    Digest::Sha1 => rsa_key.sign_with_rng(&mut rng, Pss::new_with_salt::<sha1::Sha1>(salt), &hash),
                    Digest::Sha256 => rsa_key.sign_with_rng(&mut rng, Pss::new_with_salt::<sha2::Sha256>(salt), &hash),
                    _ => rsa_key.sign_with_rng(&mut rng, Pss::new_with_salt::<sha2::Sha512>(salt), &hash),
                }
                .unwrap();
                let bits = public.n().bits();
                assert!(verify_pss(&ours, digest, &hash, salt, &sig), "{bits} bits, {digest:?}, salt {salt}");
                assert!(!verify_pss(&ours, digest, &hash, salt + 1, &sig), "another salt length");
                assert!(!verify_pss(&ours, digest, &digest.hash(b"other"), salt, &sig));
                let mut bad = sig.clone();
                bad[5] ^= 0x40;
                assert!(!verify_pss(&ours, digest, &hash, salt, &bad));
                assert!(!verify_pss(&ours, digest, &hash, salt, &sig[1..]));
                assert!(!verify_pkcs1v15(&ours, digest, &hash, &sig), "not a PKCS#1 v1.5 signature");
            }
            // Ours, the other way (emsa_pss_encode) is in pss_signatures_verify_with_the_rsa_crate.
        }
    }
}
