//! The key-transport paddings (RFC 8017 section 7): writing a content-encryption key into the
//! block to encrypt ([`pkcs1v15_encode`], [`oaep_encode`]), and reading it out of the decrypted
//! block, in constant time.
//!
//! Both decoders take the length the key must have (known from the content-encryption algorithm)
//! and a stand-in key of that length (a random or derived one, the caller's choice), and return one or the other without a branch on the block's
//! contents: a malformed block, a key of the wrong length and a good key take the same path and
//! the same time. A wrong key then fails where any wrong key fails, at the content's padding or
//! authentication tag, which is the defence against Bleichenbacher's and Manger's oracles that
//! RFC 8017 and RFC 5652 section 6.2.1 describe ("implicit rejection").

use zeroize::Zeroizing;

use crate::alg::Digest;

/// 0xFF when `a == b`, else 0, without a branch.
fn eq_mask(a: usize, b: usize) -> u8 {
    let diff = (a ^ b) as u64;
    // The top bit of (diff | −diff) is set exactly when diff ≠ 0.
    let nonzero = ((diff | diff.wrapping_neg()) >> 63) as u8;
    core::hint::black_box(nonzero).wrapping_sub(1)
}

/// 0xFF when `a >= b`, else 0 (both below 2^63), without a branch.
fn ge_mask(a: usize, b: usize) -> u8 {
    let borrow = ((a as u64).wrapping_sub(b as u64) >> 63) as u8;
    core::hint::black_box(borrow).wrapping_sub(1)
}

/// `if mask == 0xFF { tail of em } else { fallback }`, byte by byte.
fn choose(mask: u8, em_tail: &[u8], fallback: &[u8]) -> Zeroizing<Vec<u8>> {
    Zeroizing::new(em_tail.iter().zip(fallback).map(|(&x, &y)| (x & mask) | (y & !mask)).collect())
}

/// The key in an RSAES-PKCS1-v1_5 block `em` (00 02, at least 8 non-zero bytes, 00, the key) when
/// it is well formed and holds exactly `fallback.len()` bytes; otherwise `fallback`.
pub fn pkcs1v15_key(em: &[u8], fallback: &[u8]) -> Zeroizing<Vec<u8>> {
    let (k, key_len) = (em.len(), fallback.len());
    if k < key_len + 11 {
        // Public facts (the modulus length and the algorithm), not the block's contents.
        return Zeroizing::new(fallback.to_vec());
    }
    let mut good = eq_mask(em[0] as usize, 0) & eq_mask(em[1] as usize, 2);
    let mut looking: u8 = 0xff;
    let mut zero_at: usize = 0;
    for (i, &b) in em.iter().enumerate().skip(2) {
        let is_zero = eq_mask(b as usize, 0);
        let first = looking & is_zero;
        zero_at |= i & usize::from(first & 1).wrapping_neg();
        looking &= !is_zero;
    }
    good &= !looking;
    good &= ge_mask(zero_at, 10);
    good &= eq_mask(k - zero_at - 1, key_len);
    choose(good, &em[k - key_len..], fallback)
}

/// EME-PKCS1-v1_5 (RFC 8017 section 7.2.1): 00 02, at least 8 random non-zero bytes, 00, `msg`;
/// `k` bytes, or `None` when `msg` is longer than `k − 11`.
pub fn pkcs1v15_encode(rng: &mut impl rand_core::CryptoRngCore, msg: &[u8], k: usize) -> Option<Zeroizing<Vec<u8>>> {
    if msg.len() + 11 > k {
        return None;
    }
    let mut em = Zeroizing::new(vec![0u8; k]);
    em[1] = 2;
    let ps_end = k - msg.len() - 1;
    rng.fill_bytes(&mut em[2..ps_end]);
    // Redraw the zero bytes (about one in 256) from a spare draw, refilled when it runs out: one
    // call to the generator for most paddings (in wasm, each is a call out to JavaScript).
    let mut spare = Zeroizing::new([0u8; 16]);
    let mut next = spare.len();
    for b in &mut em[2..ps_end] {
        while *b == 0 {
            if next == spare.len() {
                rng.fill_bytes(&mut spare[..]);
                next = 0;
            }
            *b = spare[next];
            next += 1;
        }
    }
    em[ps_end + 1..].copy_from_slice(msg);
    Some(em)
}

/// EME-OAEP (RFC 8017 section 7.1.1) with `hash` for OAEP and MGF1 and an empty label: 00, the
/// masked seed, the masked DB; `k` bytes, or `None` when `msg` is longer than `k − 2·hLen − 2`.
pub fn oaep_encode(
    rng: &mut impl rand_core::CryptoRngCore,
    msg: &[u8],
    k: usize,
    hash: Digest,
) -> Option<Zeroizing<Vec<u8>>> {
    let h_len = hash.output_len();
    if msg.len() + 2 * h_len + 2 > k {
        return None;
    }
    let mut em = Zeroizing::new(vec![0u8; k]);
    let (_, rest) = em.split_at_mut(1);
    let (seed, db) = rest.split_at_mut(h_len);
    db[..h_len].copy_from_slice(&hash.hash(b""));
    let one_at = db.len() - msg.len() - 1;
    db[one_at] = 1;
    db[one_at + 1..].copy_from_slice(msg);
    rng.fill_bytes(seed);
    mgf1_xor(hash, seed, db);
    mgf1_xor(hash, db, seed);
    Some(em)
}

/// MGF1 (RFC 8017 appendix B.2.1): XORs the mask made from `seed` into `out`.
pub(crate) fn mgf1_xor(digest: Digest, seed: &[u8], out: &mut [u8]) {
    let mut input = Zeroizing::new(Vec::with_capacity(seed.len() + 4));
    for (counter, chunk) in out.chunks_mut(digest.output_len()).enumerate() {
        input.clear();
        input.extend_from_slice(seed);
        input.extend_from_slice(&(counter as u32).to_be_bytes());
        let mask = Zeroizing::new(digest.hash(&input));
        for (o, m) in chunk.iter_mut().zip(mask.iter()) {
            *o ^= m;
        }
    }
}

/// The key in an RSAES-OAEP block `em` (RFC 8017 section 7.1.2) with the given hash, MGF1 hash and
/// label, when it is well formed and holds exactly `fallback.len()` bytes; otherwise `fallback`.
pub fn oaep_key(em: &[u8], hash: Digest, mgf: Digest, label: &[u8], fallback: &[u8]) -> Zeroizing<Vec<u8>> {
    let (k, h_len, key_len) = (em.len(), hash.output_len(), fallback.len());
    if k < 2 * h_len + 2 || k < key_len + 2 * h_len + 2 {
        return Zeroizing::new(fallback.to_vec());
    }
    let mut block = Zeroizing::new(em.to_vec());
    let (y, rest) = block.split_at_mut(1);
    let (seed, db) = rest.split_at_mut(h_len);
    mgf1_xor(mgf, db, seed);
    mgf1_xor(mgf, seed, db);
    let l_hash = hash.hash(label);
    let mut good = eq_mask(y[0] as usize, 0);
    for (a, b) in db[..h_len].iter().zip(&l_hash) {
        good &= eq_mask(*a as usize, *b as usize);
    }
    // PS (zeros), then 01, then the key.
    let mut looking: u8 = 0xff;
    let mut one_at: usize = 0;
    for (i, &b) in db.iter().enumerate().skip(h_len) {
        let is_one = eq_mask(b as usize, 1);
        let is_zero = eq_mask(b as usize, 0);
        one_at |= i & usize::from(looking & is_one & 1).wrapping_neg();
        good &= !(looking & !is_one & !is_zero);
        looking &= !is_one;
    }
    good &= !looking;
    good &= eq_mask(db.len() - one_at - 1, key_len);
    choose(good, &db[db.len() - key_len..], fallback)
}

#[cfg(test)]
mod tests {
    use super::*;
    use rsa::traits::PublicKeyParts;
    use rsa::{Oaep, Pkcs1v15Encrypt, RsaPublicKey};

    use crate::pubkey::rsa::PrivateKey;

    fn bob() -> (RsaPublicKey, PrivateKey) {
        let (key, ours) = crate::pubkey::rsa::test_key("bob");
        (RsaPublicKey::from(&key), ours)
    }

    const FALLBACK: [u8; 32] = [0xaa; 32];

    #[test]
    fn pkcs1v15_reads_the_key_or_falls_back() {
        let (public, private) = bob();
        let mut rng = rand_core::OsRng;
        let key = [7u8; 32];
        let em = private.decrypt_raw(&public.encrypt(&mut rng, Pkcs1v15Encrypt, &key).unwrap()).unwrap();
        assert_eq!(&pkcs1v15_key(&em, &FALLBACK)[..], &key);
        // A key of another length, a bad header, a short padding string, no separator.
        assert_eq!(&pkcs1v15_key(&em, &[0xaa; 16])[..], &[0xaa; 16]);
        let em16 = private.decrypt_raw(&public.encrypt(&mut rng, Pkcs1v15Encrypt, &[7; 16]).unwrap()).unwrap();
        assert_eq!(&pkcs1v15_key(&em16, &FALLBACK)[..], &FALLBACK);
        let mut bad = em.to_vec();
        bad[1] = 1;
        assert_eq!(&pkcs1v15_key(&bad, &FALLBACK)[..], &FALLBACK);
        let mut bad = em.to_vec();
        bad[0] = 1;
        assert_eq!(&pkcs1v15_key(&bad, &FALLBACK)[..], &FALLBACK);
        let mut short_ps = vec![0u8; public.size()];
        short_ps[1] = 2;
        short_ps[2..9].fill(0x55);
        let keep = short_ps.len() - 32;
        short_ps[keep..].fill(7);
        // Zero at index 9 (seven padding bytes): refused; at index 10 (eight): accepted.
        let mut ok = short_ps.clone();
        ok[2..10].fill(0x55);
        ok[10..keep].fill(0x55);
        ok[keep - 1] = 0;
        assert_eq!(&pkcs1v15_key(&ok, &FALLBACK)[..], &[7; 32]);
        let mut early = ok.clone();
        early[9] = 0;
        assert_eq!(&pkcs1v15_key(&early, &FALLBACK)[..], &FALLBACK, "a zero before 8 padding bytes");
        let mut none = ok.clone();
        none[keep - 1] = 0x55;
        assert_eq!(&pkcs1v15_key(&none, &FALLBACK)[..], &FALLBACK, "no separator");
        assert_eq!(&pkcs1v15_key(&[0, 2, 1], &FALLBACK)[..], &FALLBACK, "too short a block");
    }

    #[test]
    fn oaep_reads_the_key_or_falls_back() {
        let (public, private) = bob();
        let mut rng = rand_core::OsRng;
        let key = [9u8; 32];
        for (hash, mgf) in
            [(Digest::Sha256, Digest::Sha256), (Digest::Sha1, Digest::Sha1), (Digest::Sha384, Digest::Sha1)]
        {
            let padding = match (hash, mgf) {
                (Digest::Sha256, _) => Oaep::new::<sha2::Sha256>(),
                (Digest::Sha1, _) => Oaep::new::<sha1::Sha1>(),
                _ => Oaep::new_with_mgf_hash::<sha2::Sha384, sha1::Sha1>(),
            };
            let em = private.decrypt_raw(&public.encrypt(&mut rng, padding, &key).unwrap()).unwrap();
            assert_eq!(&oaep_key(&em, hash, mgf, b"", &FALLBACK)[..], &key, "{hash:?}/{mgf:?}");
            assert_eq!(&oaep_key(&em, hash, mgf, b"label", &FALLBACK)[..], &FALLBACK, "another label");
            assert_eq!(&oaep_key(&em, hash, mgf, b"", &[0xaa; 16])[..], &[0xaa; 16], "another length");
            let other = if hash == Digest::Sha512 { Digest::Sha256 } else { Digest::Sha512 };
            assert_eq!(&oaep_key(&em, other, mgf, b"", &FALLBACK)[..], &FALLBACK, "another hash");
            let mut bad = em.to_vec();
            bad[0] = 1;
            assert_eq!(&oaep_key(&bad, hash, mgf, b"", &FALLBACK)[..], &FALLBACK, "Y ≠ 0");
            let mut bad = em.to_vec();
            bad[100] ^= 1;
            assert_eq!(&oaep_key(&bad, hash, mgf, b"", &FALLBACK)[..], &FALLBACK, "altered");
        }
        let mut labelled = Oaep::new::<sha2::Sha256>();
        labelled.label = Some("label".into());
        let em = private.decrypt_raw(&public.encrypt(&mut rng, labelled, &key).unwrap()).unwrap();
        assert_eq!(&oaep_key(&em, Digest::Sha256, Digest::Sha256, b"label", &FALLBACK)[..], &key);
        assert_eq!(&oaep_key(&[0; 40], Digest::Sha256, Digest::Sha256, b"", &FALLBACK)[..], &FALLBACK);
    }

    #[test]
    fn encodings_are_read_by_the_rsa_crate() {
        use rsa::{traits::PaddingScheme, Pkcs1v15Encrypt};
        let (public, private) = bob();
        let rsa_key = crate::pubkey::rsa::test_key("bob").0;
        let mut rng = rand_core::OsRng;
        let ours = private.public().clone();
        for len in [0usize, 16, 32, 245] {
            let msg = vec![0x5a; len];
            let em = pkcs1v15_encode(&mut rng, &msg, public.size()).unwrap();
            assert!(em[2..public.size() - len - 1].iter().all(|&b| b != 0), "no zero in the padding string");
            let c = ours.encrypt_raw(&em).unwrap();
            assert_eq!(Pkcs1v15Encrypt.decrypt(Some(&mut rng), &rsa_key, &c).unwrap(), msg, "PKCS#1 v1.5, {len} bytes");
            if len <= 190 {
                let em = oaep_encode(&mut rng, &msg, public.size(), Digest::Sha256).unwrap();
                let c = ours.encrypt_raw(&em).unwrap();
                let plain = Oaep::new::<sha2::Sha256>().decrypt(Some(&mut rng), &rsa_key, &c).unwrap();
                assert_eq!(plain, msg, "OAEP, {len} bytes");
                assert_eq!(
                    &oaep_key(&private.decrypt_raw(&c).unwrap(), Digest::Sha256, Digest::Sha256, b"", &[0; 0]).len(),
                    &0
                );
            }
        }
        assert!(pkcs1v15_encode(&mut rng, &[0; 246], public.size()).is_none());
        assert!(oaep_encode(&mut rng, &[0; 191], public.size(), Digest::Sha256).is_none());
        // Two encodings of one key differ (random padding).
        assert_ne!(pkcs1v15_encode(&mut rng, &[1; 32], 256), pkcs1v15_encode(&mut rng, &[1; 32], 256));
        assert_ne!(
            oaep_encode(&mut rng, &[1; 32], 256, Digest::Sha256),
            oaep_encode(&mut rng, &[1; 32], 256, Digest::Sha256)
        );
    }

    /// A generator whose output is mostly zeros (every `period`-th byte is its count), to exercise
    /// the redrawing of zero bytes in the PKCS#1 v1.5 padding.
    struct MostlyZeros {
        count: u32,
        period: u32,
        calls: usize,
    }
    impl rand_core::RngCore for MostlyZeros {
        fn next_u32(&mut self) -> u32 {
            rand_core::impls::next_u32_via_fill(self)
        }
        fn next_u64(&mut self) -> u64 {
            rand_core::impls::next_u64_via_fill(self)
        }
        fn fill_bytes(&mut self, dest: &mut [u8]) {
            self.calls += 1;
            for b in dest {
                self.count += 1;
                *b = if self.count % self.period == 0 { (self.count / self.period) as u8 | 1 } else { 0 };
            }
        }
        fn try_fill_bytes(&mut self, dest: &mut [u8]) -> Result<(), rand_core::Error> {
            self.fill_bytes(dest);
            Ok(())
        }
    }
    impl rand_core::CryptoRng for MostlyZeros {}

    #[test]
    fn pkcs1v15_padding_has_no_zero_bytes() {
        let msg = [0x5au8; 32];
        for period in [1, 2, 7, 40] {
            let mut rng = MostlyZeros { count: 0, period, calls: 0 };
            let em = pkcs1v15_encode(&mut rng, &msg, 256).unwrap();
            let ps_end = 256 - msg.len() - 1;
            assert_eq!(&em[..2], &[0, 2]);
            assert!(em[2..ps_end].iter().all(|&b| b != 0), "period {period}");
            assert_eq!(em[ps_end], 0);
            assert_eq!(&em[ps_end + 1..], &msg);
            if period == 1 {
                assert_eq!(rng.calls, 1, "no zero drawn, one call");
            }
        }
    }

    #[test]
    fn masks() {
        assert_eq!(eq_mask(3, 3), 0xff);
        assert_eq!(eq_mask(3, 4), 0);
        assert_eq!(eq_mask(0, usize::MAX >> 1), 0);
        assert_eq!(ge_mask(10, 10), 0xff);
        assert_eq!(ge_mask(11, 10), 0xff);
        assert_eq!(ge_mask(9, 10), 0);
    }
}
