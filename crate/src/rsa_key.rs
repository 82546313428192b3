//! The RSA operations, on the constant-time Montgomery arithmetic of the `siegel-bignum` crate.
//!
//! The `rsa` crate still parses and validates keys and verifies RSASSA-PSS; this module does the
//! hot and the secret part:
//! - [`PrivateKey::decrypt_raw`]: m = c^d mod n by the Chinese remainder theorem over p and q, with
//!   the exponentiations in constant time, the input blinded by r^e (r random, reused squared for
//!   32 operations, its inverse computed in constant time), and the result checked
//!   (m^e = c) before it leaves, so that a fault in one half cannot reveal a prime;
//! - [`emsa_pkcs1v15`] and [`verify_pkcs1v15`]: RSASSA-PKCS1-v1_5 (RFC 8017 section 8.2): the block
//!   to sign with the private-key operation, and verification by encoding the expected block and
//!   comparing, never by parsing the decrypted one;
//! - [`emsa_pss_encode`]: the RSASSA-PSS block (RFC 8017 section 9.1.1) for the same private-key
//!   operation;
//! - the key-transport paddings of [`crate::rsa_padding`] work on [`PrivateKey::decrypt_raw`]'s output.

use rand_core::CryptoRngCore;
use rsa::traits::{PrivateKeyParts, PublicKeyParts};
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

/// A two-prime RSA private key, ready for CRT exponentiation.
pub struct PrivateKey {
    public: PublicKey,
    p: Modulus,
    q: Modulus,
    dp: Zeroizing<Vec<Limb>>,
    dq: Zeroizing<Vec<Limb>>,
    /// q⁻¹ mod p, in normal form.
    q_inv: Zeroizing<Vec<Limb>>,
    /// The blinding pair for the next operation (see [`Blinding`]).
    blinding: std::sync::Mutex<Option<Blinding>>,
}

impl Clone for PrivateKey {
    fn clone(&self) -> PrivateKey {
        PrivateKey {
            public: self.public.clone(),
            p: self.p.clone(),
            q: self.q.clone(),
            dp: self.dp.clone(),
            dq: self.dq.clone(),
            q_inv: self.q_inv.clone(),
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

impl PrivateKey {
    /// The CRT form of a key the `rsa` crate has parsed and validated; `None` for keys of more than
    /// two primes (the caller keeps using the `rsa` crate for those).
    pub fn from_rsa(key: &rsa::RsaPrivateKey) -> Option<PrivateKey> {
        let [p, q] = key.primes() else { return None };
        let public = PublicKey::new(&key.n().to_bytes_be(), &key.e().to_bytes_be())?;
        // Both halves get the same width, wide enough for either prime: the reductions of a number
        // below n = p·q modulo either prime then stay within Modulus::reduce_wide's bound.
        let (p_be, q_be) = (Zeroizing::new(p.to_bytes_be()), Zeroizing::new(q.to_bytes_be()));
        let half = bignum::limbs_for(&p_be).max(bignum::limbs_for(&q_be));
        if 2 * half < public.n.limbs() {
            return None;
        }
        let (pm, qm) = (Modulus::new(&p_be, half)?, Modulus::new(&q_be, half)?);
        let limbs = |x: &rsa::BigUint| {
            let be = Zeroizing::new(x.to_bytes_be());
            bignum::from_be(&be, half).map(Zeroizing::new)
        };
        let one = rsa::BigUint::from(1u32);
        let dp = match key.dp() {
            Some(dp) => limbs(dp)?,
            None => limbs(&(key.d() % (p - &one)))?,
        };
        let dq = match key.dq() {
            Some(dq) => limbs(dq)?,
            None => limbs(&(key.d() % (q - &one)))?,
        };
        // q⁻¹ mod p = q^(p−2) mod p (p is prime), in constant time.
        let p_minus_2 = limbs(&(p - 2u32))?;
        let q_mont = pm.reduce_wide(qm.value());
        let q_inv = Zeroizing::new(pm.from_mont(&pm.pow_secret(&q_mont, &p_minus_2)));
        Some(PrivateKey { public, p: pm, q: qm, dp, dq, q_inv, blinding: Default::default() })
    }

    /// The public half.
    pub fn public(&self) -> &PublicKey {
        &self.public
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
        let blinding = self.take_blinding(rng);
        let c_mont = n.to_mont(&c);
        let blinded_mont = Zeroizing::new(n.mul(&c_mont, &blinding.r_e));
        let blinded = Zeroizing::new(n.from_mont(&blinded_mont));

        // CRT: m1 = c^dp mod p, m2 = c^dq mod q. Every intermediate is wiped: the blinded value
        // modulo one prime, with the blinded value itself, gives the prime away by a gcd.
        let (in_p, in_q) = (Zeroizing::new(self.p.reduce_wide(&blinded)), Zeroizing::new(self.q.reduce_wide(&blinded)));
        let m1 = Zeroizing::new(self.p.pow_secret(&in_p, &self.dp));
        let m2_mont = Zeroizing::new(self.q.pow_secret(&in_q, &self.dq));
        let m2 = Zeroizing::new(self.q.from_mont(&m2_mont));
        let m = self.crt_combine(&m1, &m2)?;
        let width = n.limbs();
        let m_blinded = &m[..width];

        // The check: (m·r)^e must give back c·r^e.
        let m_mont = Zeroizing::new(n.to_mont(m_blinded));
        let check = Zeroizing::new(n.from_mont(&Zeroizing::new(n.pow_public(&m_mont, &self.public.e))));
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

    /// The blinding pair for this operation: the stored one, or a new one.
    fn take_blinding(&self, rng: &mut impl CryptoRngCore) -> Blinding {
        let stored = self.blinding.lock().ok().and_then(|mut b| b.take());
        match stored {
            Some(b) if b.uses < Blinding::USES => b,
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
        let x2_p = Zeroizing::new(self.p.reduce_wide(x2));
        let diff = Zeroizing::new(self.p.sub(x1, &x2_p));
        let h = Zeroizing::new(self.p.mul(&diff, &self.q_inv));
        let mut x = Zeroizing::new(bignum::mul_wide(&h, self.q.value()));
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

    /// A new random r: r^e and r⁻¹ mod n. r⁻¹ comes by the CRT from r^(p−2) mod p and r^(q−2) mod q
    /// (Fermat), in constant time like the private-key operation itself.
    fn new_blinding(&self, rng: &mut impl CryptoRngCore) -> Blinding {
        let n = &self.public.n;
        let (p_minus_2, q_minus_2) = (self.p.minus_two(), self.q.minus_two());
        loop {
            // A random number of one byte less than n: below n, and random enough to blind.
            let mut bytes = Zeroizing::new(vec![0u8; self.public.len]);
            rng.fill_bytes(&mut bytes[1..]);
            let Some(r) = bignum::from_be(&bytes, n.limbs()).map(Zeroizing::new) else { continue };
            let (r_p, r_q) = (Zeroizing::new(self.p.reduce_wide(&r)), Zeroizing::new(self.q.reduce_wide(&r)));
            let inv_p = Zeroizing::new(self.p.pow_secret(&r_p, &p_minus_2));
            let inv_q_mont = Zeroizing::new(self.q.pow_secret(&r_q, &q_minus_2));
            let inv_q = Zeroizing::new(self.q.from_mont(&inv_q_mont));
            let Ok(inv) = self.crt_combine(&inv_p, &inv_q) else { continue };
            let r_mont = Zeroizing::new(n.to_mont(&r));
            let inv_mont = Zeroizing::new(n.to_mont(&inv));
            // r·r⁻¹ = 1 unless r shares a prime with n (or is 0), which a random r all but never does.
            let mut one = vec![0 as Limb; n.limbs()];
            one[0] = 1;
            if n.mul(&r_mont, &inv) != one {
                continue;
            }
            let r_e = Zeroizing::new(n.pow_public(&r_mont, &self.public.e));
            return Blinding { r_e, r_inv: inv_mont, uses: 0 };
        }
    }
}

/// An RSA public key: the modulus and the exponent.
#[derive(Clone)]
pub struct PublicKey {
    n: Modulus,
    e: Vec<u8>,
    /// The modulus' length in bytes.
    len: usize,
}

impl PublicKey {
    /// The largest modulus accepted, in bytes (16384 bits).
    pub const MAX_LEN: usize = 2048;

    /// The key (n, e), both big-endian; `None` unless n is odd, greater than 1 and at most
    /// [`PublicKey::MAX_LEN`] bytes, and e is odd, at least 3 and below n.
    pub fn new(n_be: &[u8], e_be: &[u8]) -> Option<PublicKey> {
        let start = n_be.iter().position(|&b| b != 0)?;
        let n_be = n_be[start..].to_vec();
        let e_start = e_be.iter().position(|&b| b != 0)?;
        let e = e_be[e_start..].to_vec();
        let e_small = e.len() == 1 && e[0] < 3;
        let e_below_n = e.len() < n_be.len() || (e.len() == n_be.len() && e < n_be);
        if n_be.len() > Self::MAX_LEN || e.last().is_some_and(|b| b & 1 == 0) || e_small || !e_below_n {
            return None;
        }
        Some(PublicKey { n: Modulus::new(&n_be, 0)?, len: n_be.len(), e })
    }

    /// The key of the `rsa` crate's type (which has checked its size).
    pub fn from_rsa(key: &rsa::RsaPublicKey) -> Option<PublicKey> {
        PublicKey::new(&key.n().to_bytes_be(), &key.e().to_bytes_be())
    }

    /// The modulus' length in bytes.
    pub fn size(&self) -> usize {
        self.len
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
        let s_mont = Zeroizing::new(self.n.to_mont(&s));
        let out = self.n.from_mont(&Zeroizing::new(self.n.pow_public(&s_mont, &self.e)));
        bignum::to_be(&out, self.len).ok_or(RsaError::Fault)
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
    crate::rsa_padding::mgf1_xor(digest, &h, &mut em[..db_len]);
    em[0] &= 0xff >> (8 * em_len - em_bits);
    em[db_len..em_len - 1].copy_from_slice(&h);
    em[em_len - 1] = 0xbc;
    Some(em)
}

#[cfg(test)]
mod tests {
    use super::*;
    use rand_core::RngCore;
    use rsa::pkcs8::DecodePrivateKey;
    use rsa::{Oaep, Pkcs1v15Encrypt, Pkcs1v15Sign, RsaPrivateKey, RsaPublicKey};

    fn key(name: &str) -> RsaPrivateKey {
        let pem = std::fs::read_to_string(format!("{}/tests/data/pki/{name}.key", env!("CARGO_MANIFEST_DIR"))).unwrap();
        RsaPrivateKey::from_pkcs8_pem(&pem).unwrap()
    }

    #[test]
    fn decrypts_what_the_rsa_crate_encrypts() {
        let mut rng = rand_core::OsRng;
        for name in ["bob", "alice", "root"] {
            let rsa_key = key(name);
            let ours = PrivateKey::from_rsa(&rsa_key).unwrap();
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
            let ours = PrivateKey::from_rsa(&rsa_key).unwrap();
            let public = RsaPublicKey::from(&rsa_key);
            let hash = Digest::Sha256.hash(b"siegel");
            let reference = rsa_key.sign(Pkcs1v15Sign::new::<sha2::Sha256>(), &hash).unwrap();
            let sig = ours.decrypt_raw(&emsa_pkcs1v15(Digest::Sha256, &hash, public.size()).unwrap()).unwrap().to_vec();
            assert_eq!(sig, reference, "PKCS#1 v1.5 signatures are deterministic");
            assert!(verify_pkcs1v15(ours.public(), Digest::Sha256, &hash, &sig));
            let h512 = Digest::Sha512.hash(b"siegel");
            let sig512 = rsa_key.sign(Pkcs1v15Sign::new::<sha2::Sha512>(), &h512).unwrap();
            assert!(verify_pkcs1v15(&PublicKey::from_rsa(&public).unwrap(), Digest::Sha512, &h512, &sig512));
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
        let ours = PrivateKey::from_rsa(&rsa_key).unwrap();
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
        let ours = PrivateKey::from_rsa(&key("bob")).unwrap();
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
        let mut ours = PrivateKey::from_rsa(&rsa_key).unwrap();
        ours.dp[0] ^= 2; // a fault in the exponent of one CRT half
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
            let ours = PrivateKey::from_rsa(&rsa_key).unwrap();
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
        assert!(PublicKey::new(&n, &[1, 0, 1]).is_some());
        assert!(PublicKey::new(&n, &[3]).is_some());
        assert!(PublicKey::new(&n, &[1]).is_none(), "e = 1 would make every block its own signature");
        assert!(PublicKey::new(&n, &[0, 2]).is_none(), "even e");
        assert!(PublicKey::new(&n, &n).is_none(), "e = n");
        let mut big = vec![0xffu8; PublicKey::MAX_LEN + 1];
        big[PublicKey::MAX_LEN] = 0xfd;
        assert!(PublicKey::new(&big, &[3]).is_none(), "larger than 16384 bits");
        assert!(PublicKey::new(&big[1..], &[3]).is_some());
    }

    #[test]
    fn encoding_refuses_what_does_not_fit() {
        assert!(emsa_pkcs1v15(Digest::Sha256, &[0; 31], 256).is_none());
        assert!(emsa_pkcs1v15(Digest::Sha512, &[0; 64], 64 + 19 + 10).is_none());
        let em = emsa_pkcs1v15(Digest::Sha256, &[7; 32], 64).unwrap();
        assert_eq!(&em[..3], &[0, 1, 0xff]);
        assert_eq!(em[64 - 32 - 19 - 1], 0);
    }
}
