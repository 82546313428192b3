//! EC private keys on P-256 and P-384: ECDSA signing (FIPS 186-4 section 6.4, with the nonce of
//! RFC 6979 section 3.2, hedged with fresh randomness as its section 3.6 allows), ECDH
//! (SEC 1 section 3.3.1, the shared x-coordinate), key generation, and the ECPrivateKey of
//! RFC 5915 inside PKCS#8 (RFC 5208, RFC 5480).
//!
//! On the Montgomery arithmetic of `siegel-bignum`, as the verifier ([`crate::pubkey::ecdsa`]) is:
//! the RustCrypto curve crates would add about 36 KB to the gzipped .wasm (BENCHMARKS.md), which
//! has less room than that. Everything that touches a secret runs in constant time:
//!
//! - points are projective (X : Y : Z) with the complete addition and doubling formulas of
//!   Renes, Costello and Batina (eprint 2015/1060, algorithms 4 and 6, for a = −3), which have no
//!   exceptional cases, so no branch on a point's value;
//! - k·P is a fixed 4-bit window: four doublings and one addition per window for every window,
//!   the addend read from a table of 0·P … 15·P by scanning every entry with masks;
//! - field and scalar products are `siegel-bignum`'s constant-time Montgomery products; inverses
//!   are powers by the public exponents p − 2 and n − 2, whose sequence of operations depends on
//!   the exponent only.
//!
//! Public inputs are checked before use: a peer's key must be a point of the curve (which excludes
//! the point at infinity and invalid-curve points; both curves have cofactor 1), scalars must be
//! in [1, n − 1]. Each signature is verified before it is returned, against faults.

use der::asn1::{BitStringRef, OctetStringRef, UintRef};
use der::{Decode, Encode, Sequence};
use hmac::{Hmac, Mac};
use rand_core::CryptoRngCore;
use siegel_bignum::{self as bignum, Limb, Modulus};
use zeroize::{Zeroize, Zeroizing};

use crate::alg::Digest;
use crate::pubkey::ecdsa::{Curve, Field, PublicKey};

/// Why an EC key operation failed.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub enum EcKeyError {
    /// The private key is malformed, out of range, or not on a curve Siegel knows.
    #[error("invalid EC private key: {0}")]
    PrivateKey(&'static str),
    /// The other party's public key is not a point of the curve.
    #[error("the other party's key is not a point on {0}")]
    PeerKey(&'static str),
    /// A computation gave an impossible result (a fault, or a bug): nothing is returned.
    #[error("the EC computation failed its own check")]
    Fault,
}

/// ECPrivateKey (RFC 5915 section 3).
#[derive(Sequence)]
struct EcPrivateKeyDer<'a> {
    version: u8,
    private_key: OctetStringRef<'a>,
    #[asn1(context_specific = "0", tag_mode = "EXPLICIT", optional = "true")]
    parameters: Option<const_oid::ObjectIdentifier>,
    #[asn1(context_specific = "1", tag_mode = "EXPLICIT", optional = "true")]
    public_key: Option<BitStringRef<'a>>,
}

/// ECDSA-Sig-Value (RFC 3279 section 2.2.3).
#[derive(Sequence)]
struct SignatureDer<'a> {
    r: UintRef<'a>,
    s: UintRef<'a>,
}

/// A point in projective coordinates (x = X/Z, y = Y/Z), Montgomery form; (0 : 1 : 0) is infinity.
#[derive(Clone)]
struct Projective {
    x: Vec<Limb>,
    y: Vec<Limb>,
    z: Vec<Limb>,
}

impl Drop for Projective {
    fn drop(&mut self) {
        self.x.zeroize();
        self.y.zeroize();
        self.z.zeroize();
    }
}

/// Affine x and y, big-endian.
type Affine = (Zeroizing<Vec<u8>>, Zeroizing<Vec<u8>>);

/// The curve arithmetic for secret scalars.
struct Arith<'c> {
    curve: &'c Curve,
    f: Field,
}

impl<'c> Arith<'c> {
    fn new(curve: &'c Curve) -> Option<Arith<'c>> {
        Some(Arith { curve, f: Field::new(curve)? })
    }

    fn infinity(&self) -> Projective {
        Projective { x: self.f.zero.clone(), y: self.f.one.clone(), z: self.f.zero.clone() }
    }

    fn generator(&self) -> Option<Projective> {
        Some(Projective { x: self.f.element(self.curve.gx)?, y: self.f.element(self.curve.gy)?, z: self.f.one.clone() })
    }

    fn dbl(&self, a: &[Limb]) -> Vec<Limb> {
        self.f.add(a, a)
    }

    fn triple(&self, a: &[Limb]) -> Vec<Limb> {
        self.f.add(&self.dbl(a), a)
    }

    /// P + Q, complete (RCB16 algorithm 4): right for P = Q, P = −Q and infinity too.
    fn add(&self, p: &Projective, q: &Projective) -> Projective {
        let f = &self.f;
        let xx = f.mul(&p.x, &q.x);
        let yy = f.mul(&p.y, &q.y);
        let zz = f.mul(&p.z, &q.z);
        let xy = f.sub(&f.mul(&f.add(&p.x, &p.y), &f.add(&q.x, &q.y)), &f.add(&xx, &yy));
        let yz = f.sub(&f.mul(&f.add(&p.y, &p.z), &f.add(&q.y, &q.z)), &f.add(&yy, &zz));
        let xz = f.sub(&f.mul(&f.add(&p.x, &p.z), &f.add(&q.x, &q.z)), &f.add(&xx, &zz));
        let bzz3 = self.triple(&f.sub(&xz, &f.mul(&f.b, &zz)));
        let yy_m = f.sub(&yy, &bzz3);
        let yy_p = f.add(&yy, &bzz3);
        let zz3 = self.triple(&zz);
        let bxz3 = self.triple(&f.sub(&f.mul(&f.b, &xz), &f.add(&zz3, &xx)));
        let xx3_m_zz3 = f.sub(&self.triple(&xx), &zz3);
        Projective {
            x: f.sub(&f.mul(&yy_p, &xy), &f.mul(&yz, &bxz3)),
            y: f.add(&f.mul(&yy_p, &yy_m), &f.mul(&xx3_m_zz3, &bxz3)),
            z: f.add(&f.mul(&yy_m, &yz), &f.mul(&xy, &xx3_m_zz3)),
        }
    }

    /// 2P, complete (RCB16 algorithm 6).
    fn double(&self, p: &Projective) -> Projective {
        let f = &self.f;
        let xx = f.square(&p.x);
        let yy = f.square(&p.y);
        let zz = f.square(&p.z);
        let xy2 = self.dbl(&f.mul(&p.x, &p.y));
        let xz2 = self.dbl(&f.mul(&p.x, &p.z));
        let bzz3 = self.triple(&f.sub(&f.mul(&f.b, &zz), &xz2));
        let yy_m = f.sub(&yy, &bzz3);
        let yy_p = f.add(&yy, &bzz3);
        let y_frag = f.mul(&yy_p, &yy_m);
        let x_frag = f.mul(&yy_m, &xy2);
        let zz3 = self.triple(&zz);
        let bxz6 = self.triple(&f.sub(&f.mul(&f.b, &xz2), &f.add(&zz3, &xx)));
        let xx3_m_zz3 = f.sub(&self.triple(&xx), &zz3);
        let yz2 = self.dbl(&f.mul(&p.y, &p.z));
        Projective {
            x: f.sub(&x_frag, &f.mul(&bxz6, &yz2)),
            y: f.add(&y_frag, &f.mul(&xx3_m_zz3, &bxz6)),
            z: self.dbl(&self.dbl(&f.mul(&yz2, &yy))),
        }
    }

    /// k·P for a big-endian scalar `k` (any value of its length), in constant time.
    fn mul(&self, k: &[u8], p: &Projective) -> Projective {
        let mut table = Vec::with_capacity(16);
        table.push(self.infinity());
        for i in 1..16 {
            let next = if i % 2 == 0 { self.double(&table[i / 2]) } else { self.add(&table[i - 1], p) };
            table.push(next);
        }
        let mut acc = self.infinity();
        for &byte in k {
            for nibble in [byte >> 4, byte & 15] {
                for _ in 0..4 {
                    acc = self.double(&acc);
                }
                acc = self.add(&acc, &select(&table, nibble));
            }
        }
        acc
    }

    /// The affine coordinates in normal form, big-endian; `None` at infinity.
    fn to_affine(&self, pt: &Projective) -> Option<Affine> {
        let z_inv = Zeroizing::new(self.f.invert(&pt.z)?);
        let x = Zeroizing::new(self.f.p.from_mont(&self.f.mul(&pt.x, &z_inv)));
        let y = Zeroizing::new(self.f.p.from_mont(&self.f.mul(&pt.y, &z_inv)));
        // Z = 0 (infinity) inverts to 0 (0^(p−2) = 0), and so does x: seen on the result only.
        if pt.z.iter().all(|&l| l == 0) {
            return None;
        }
        let len = self.curve.element_len();
        Some((Zeroizing::new(bignum::to_be(&x, len)?), Zeroizing::new(bignum::to_be(&y, len)?)))
    }
}

/// `table[index]`, reading every entry (masks, no secret-dependent branch or address).
fn select(table: &[Projective], index: u8) -> Projective {
    let width = table.first().map_or(0, |p| p.x.len());
    let mut out = Projective { x: vec![0; width], y: vec![0; width], z: vec![0; width] };
    for (i, entry) in table.iter().enumerate() {
        let diff = u32::from(i as u8 ^ index);
        // 1 when diff = 0: (diff − 1) has its top bit set only then.
        let equal = (diff.wrapping_sub(1) >> 31) & 1;
        let mask = core::hint::black_box(Limb::from(equal)).wrapping_neg();
        for (o, e) in [(&mut out.x, &entry.x), (&mut out.y, &entry.y), (&mut out.z, &entry.z)] {
            for (o, e) in o.iter_mut().zip(e) {
                *o |= e & mask;
            }
        }
    }
    out
}

/// An EC private key: a scalar d in [1, n − 1] on a known curve, with its public point.
pub struct PrivateKey {
    curve: &'static Curve,
    /// d, big-endian, exactly the curve's length.
    d: Zeroizing<Vec<u8>>,
    /// The public point, SEC 1 uncompressed (04 || X || Y).
    public: Vec<u8>,
}

impl core::fmt::Debug for PrivateKey {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        f.debug_struct("PrivateKey").field("curve", &self.curve.name).finish_non_exhaustive()
    }
}

/// `bytes` as a scalar in [1, n − 1] of the curve's length (leading zero bytes may be missing or
/// extra), in constant time for values of one length.
fn scalar(curve: &Curve, bytes: &[u8]) -> Option<Zeroizing<Vec<u8>>> {
    let n = Modulus::new(curve.n, 0)?;
    let x = Zeroizing::new(bignum::from_be(bytes, n.limbs())?);
    let nonzero = x.iter().fold(0, |acc, &l| acc | l) != 0;
    (n.is_reduced(&x) && nonzero).then(|| bignum::to_be(&x, curve.element_len()).map(Zeroizing::new))?
}

impl PrivateKey {
    /// The key with scalar `d` (big-endian) on `curve`.
    pub fn from_scalar(curve: &'static Curve, d: &[u8]) -> Result<PrivateKey, EcKeyError> {
        let d = scalar(curve, d).ok_or(EcKeyError::PrivateKey("the scalar is not in [1, n − 1]"))?;
        let arith = Arith::new(curve).ok_or(EcKeyError::Fault)?;
        let g = arith.generator().ok_or(EcKeyError::Fault)?;
        let (x, y) = arith.to_affine(&arith.mul(&d, &g)).ok_or(EcKeyError::Fault)?;
        let mut public = Vec::with_capacity(1 + 2 * curve.element_len());
        public.push(4);
        public.extend_from_slice(&x);
        public.extend_from_slice(&y);
        Ok(PrivateKey { curve, d, public })
    }

    /// A fresh random key (for ECDH's ephemeral keys): d uniform in [1, n − 1] by rejection.
    pub fn generate(curve: &'static Curve, rng: &mut impl CryptoRngCore) -> Result<PrivateKey, EcKeyError> {
        let mut candidate = Zeroizing::new(vec![0u8; curve.element_len()]);
        // n is within 2^-32 of 2^bits for both curves: a retry is all but never needed.
        for _ in 0..64 {
            rng.fill_bytes(&mut candidate);
            if scalar(curve, &candidate).is_some() {
                return PrivateKey::from_scalar(curve, &candidate);
            }
        }
        Err(EcKeyError::Fault)
    }

    /// The key from a PKCS#8 PrivateKeyInfo's algorithm parameters (the namedCurve) and its
    /// privateKey (an ECPrivateKey). The curve may be named in either place; if both, they must
    /// agree. A public key inside must be d·G.
    pub fn from_pkcs8_parts(
        parameters: Option<&der::AnyRef<'_>>,
        private_key: &[u8],
    ) -> Result<PrivateKey, EcKeyError> {
        let ec =
            EcPrivateKeyDer::from_der(private_key).map_err(|_| EcKeyError::PrivateKey("malformed ECPrivateKey"))?;
        if ec.version != 1 {
            return Err(EcKeyError::PrivateKey("ECPrivateKey version is not 1"));
        }
        let outer = match parameters {
            Some(p) if der::Tagged::tag(p) == der::Tag::Null => None,
            Some(p) => Some(
                p.decode_as::<const_oid::ObjectIdentifier>()
                    .map_err(|_| EcKeyError::PrivateKey("the curve is given by explicit parameters, not by name"))?,
            ),
            None => None,
        };
        let oid = match (outer, ec.parameters) {
            (Some(a), Some(b)) if a != b => return Err(EcKeyError::PrivateKey("two different curves named")),
            (Some(a), _) | (None, Some(a)) => a,
            (None, None) => return Err(EcKeyError::PrivateKey("no curve named")),
        };
        let curve = Curve::from_oid(&oid).ok_or(EcKeyError::PrivateKey(unsupported_curve(&oid)))?;
        let key = PrivateKey::from_scalar(curve, ec.private_key.as_bytes())?;
        if let Some(public) = ec.public_key {
            if public.raw_bytes() != key.public.as_slice() && !same_point(curve, public.raw_bytes(), &key.public) {
                return Err(EcKeyError::PrivateKey("its public key is not the private key's"));
            }
        }
        Ok(key)
    }

    /// The key from PKCS#8 DER (a PrivateKeyInfo of id-ecPublicKey); see
    /// [`PrivateKey::from_pkcs8_parts`].
    pub fn from_pkcs8_der(der: &[u8]) -> Result<PrivateKey, EcKeyError> {
        let info = pkcs8::PrivateKeyInfo::from_der(der).map_err(|_| EcKeyError::PrivateKey("malformed PKCS#8"))?;
        if info.algorithm.oid != crate::oids::EC_PUBLIC_KEY {
            return Err(EcKeyError::PrivateKey("not an EC key"));
        }
        PrivateKey::from_pkcs8_parts(info.algorithm.parameters.as_ref(), info.private_key)
    }

    /// The key as PKCS#8 DER (PrivateKeyInfo, id-ecPublicKey with the namedCurve, an ECPrivateKey
    /// with the public key), for storage encrypted at rest by the caller.
    pub fn to_pkcs8_der(&self) -> Result<Zeroizing<Vec<u8>>, der::Error> {
        let public = BitStringRef::from_bytes(&self.public)?;
        let ec = EcPrivateKeyDer {
            version: 1,
            private_key: OctetStringRef::new(&self.d)?,
            parameters: None,
            public_key: Some(public),
        };
        let ec_der = Zeroizing::new(ec.to_der()?);
        let oid = self.curve.oid();
        let info = pkcs8::PrivateKeyInfo {
            algorithm: spki::AlgorithmIdentifierRef {
                oid: crate::oids::EC_PUBLIC_KEY,
                parameters: Some(der::AnyRef::from(&oid)),
            },
            private_key: &ec_der,
            public_key: None,
        };
        Ok(Zeroizing::new(info.to_der()?))
    }

    /// The curve.
    pub fn curve(&self) -> &'static Curve {
        self.curve
    }

    /// The public point, SEC 1 uncompressed.
    pub fn public_sec1(&self) -> &[u8] {
        &self.public
    }

    /// The scalar, big-endian (for deriving secrets from it; never leaves the crate).
    pub(crate) fn scalar_bytes(&self) -> &[u8] {
        &self.d
    }

    /// ECDH (SEC 1 section 3.3.1): the x-coordinate of d·Q for the other party's public key `peer`
    /// (SEC 1, compressed or not), which must be a point of this key's curve.
    pub fn diffie_hellman(&self, peer: &[u8]) -> Result<Zeroizing<Vec<u8>>, EcKeyError> {
        let bad = || EcKeyError::PeerKey(self.curve.name);
        let q = PublicKey::from_sec1(self.curve, peer).map_err(|_| bad())?;
        let arith = Arith::new(self.curve).ok_or(EcKeyError::Fault)?;
        let (_, _, x, y) = q.affine();
        let q = Projective { x: x.to_vec(), y: y.to_vec(), z: arith.f.one.clone() };
        // Cofactor 1 and Q on the curve: d·Q is never infinity for d in [1, n − 1].
        let (x, _) = arith.to_affine(&arith.mul(&self.d, &q)).ok_or(EcKeyError::Fault)?;
        Ok(x)
    }

    /// The ECDSA signature (DER ECDSA-Sig-Value) of `hash`, made with `digest` (which also drives
    /// the nonce's HMAC-DRBG), the nonce hedged with `extra` (RFC 6979 section 3.6; empty: the
    /// deterministic nonce of section 3.2).
    pub fn sign_prehash_with(&self, digest: Digest, hash: &[u8], extra: &[u8]) -> Result<Vec<u8>, EcKeyError> {
        let curve = self.curve;
        let len = curve.element_len();
        let n = Modulus::new(curve.n, 0).ok_or(EcKeyError::Fault)?;
        let width = n.limbs();
        // bits2int: the leftmost bits of the hash, as many as n has (a whole number of bytes).
        let h = &hash[..hash.len().min(len)];
        let h_limbs = bignum::from_be(h, width).ok_or(EcKeyError::Fault)?;
        // h < 2^bits(n) < 2n: h mod n is h or h − n (constant time).
        let e = Zeroizing::new(bignum::rem(&h_limbs, n.value()).ok_or(EcKeyError::Fault)?);
        let e_bytes = Zeroizing::new(bignum::to_be(&e, len).ok_or(EcKeyError::Fault)?);
        let mut nonces = Rfc6979::new(digest, &self.d, &e_bytes, extra).ok_or(EcKeyError::Fault)?;
        let arith = Arith::new(curve).ok_or(EcKeyError::Fault)?;
        let g = arith.generator().ok_or(EcKeyError::Fault)?;
        let n_minus_2 = bignum::to_be(&n.minus_two(), width * (Limb::BITS as usize / 8)).ok_or(EcKeyError::Fault)?;
        let d_mont = Zeroizing::new(n.to_mont(&bignum::from_be(&self.d, width).ok_or(EcKeyError::Fault)?));
        let e_mont = Zeroizing::new(n.to_mont(&e));
        for _ in 0..16 {
            let k = nonces.next(len).ok_or(EcKeyError::Fault)?;
            let Some(k) = scalar(curve, &k) else { continue };
            let (x, _) = arith.to_affine(&arith.mul(&k, &g)).ok_or(EcKeyError::Fault)?;
            // x < p < 2n: r = x mod n is x or x − n.
            let r = bignum::rem(&bignum::from_be(&x, width).ok_or(EcKeyError::Fault)?, n.value())
                .ok_or(EcKeyError::Fault)?;
            let k_mont = Zeroizing::new(n.to_mont(&bignum::from_be(&k, width).ok_or(EcKeyError::Fault)?));
            let k_inv = Zeroizing::new(n.pow_public(&k_mont, &n_minus_2));
            let rd = Zeroizing::new(n.mul(&n.to_mont(&r), &d_mont));
            let sum = Zeroizing::new(n.sub(&e_mont, &n.sub(&vec![0; width], &rd)));
            let s = n.from_mont(&n.mul(&k_inv, &sum));
            if r.iter().all(|&l| l == 0) || s.iter().all(|&l| l == 0) {
                continue;
            }
            let (r, s) =
                (bignum::to_be(&r, len).ok_or(EcKeyError::Fault)?, bignum::to_be(&s, len).ok_or(EcKeyError::Fault)?);
            let sig = SignatureDer {
                r: UintRef::new(&r).map_err(|_| EcKeyError::Fault)?,
                s: UintRef::new(&s).map_err(|_| EcKeyError::Fault)?,
            }
            .to_der()
            .map_err(|_| EcKeyError::Fault)?;
            // Against faults: a signature that does not verify would leak the key.
            let public = PublicKey::from_sec1(curve, &self.public).map_err(|_| EcKeyError::Fault)?;
            public.verify_prehash(hash, &sig).map_err(|_| EcKeyError::Fault)?;
            return Ok(sig);
        }
        Err(EcKeyError::Fault)
    }

    /// [`PrivateKey::sign_prehash_with`] hedged with 32 fresh random bytes.
    pub fn sign_prehash(&self, digest: Digest, hash: &[u8]) -> Result<Vec<u8>, EcKeyError> {
        let mut extra = Zeroizing::new([0u8; 32]);
        rand_core::RngCore::fill_bytes(&mut rand_core::OsRng, extra.as_mut());
        self.sign_prehash_with(digest, hash, extra.as_ref())
    }
}

/// True when two SEC 1 encodings are the same point (one of them compressed, say).
fn same_point(curve: &'static Curve, a: &[u8], b: &[u8]) -> bool {
    match (PublicKey::from_sec1(curve, a), PublicKey::from_sec1(curve, b)) {
        (Ok(a), Ok(b)) => {
            let ((_, _, ax, ay), (_, _, bx, by)) = (a.affine(), b.affine());
            ax == bx && ay == by
        }
        _ => false,
    }
}

/// The message for a curve Siegel does not have.
pub(crate) fn unsupported_curve(oid: &const_oid::ObjectIdentifier) -> &'static str {
    match *oid {
        crate::oids::SECP521R1 => "P-521 keys are not supported (Siegel has P-256 and P-384)",
        _ => "the curve is not P-256 or P-384",
    }
}

/// The nonce generator of RFC 6979 section 3.2 (HMAC-DRBG), with section 3.6's extra data.
struct Rfc6979 {
    digest: Digest,
    k: Zeroizing<Vec<u8>>,
    v: Zeroizing<Vec<u8>>,
    first: bool,
}

impl Rfc6979 {
    /// From the private key and the reduced hash (both as long as the curve), and extra data.
    fn new(digest: Digest, x: &[u8], h: &[u8], extra: &[u8]) -> Option<Rfc6979> {
        let hlen = digest.output_len();
        let mut g = Rfc6979 { digest, k: Zeroizing::new(vec![0; hlen]), v: Zeroizing::new(vec![1; hlen]), first: true };
        for sep in [0u8, 1] {
            g.k = g.hmac(&[&g.v.clone(), &[sep], x, h, extra])?;
            g.v = g.hmac(&[&g.v.clone()])?;
        }
        Some(g)
    }

    fn hmac(&self, parts: &[&[u8]]) -> Option<Zeroizing<Vec<u8>>> {
        macro_rules! run {
            ($h:ty) => {{
                let mut mac = Hmac::<$h>::new_from_slice(&self.k).ok()?;
                parts.iter().for_each(|p| mac.update(p));
                Zeroizing::new(mac.finalize().into_bytes().to_vec())
            }};
        }
        Some(match self.digest {
            Digest::Sha1 => run!(sha1::Sha1),
            Digest::Sha256 => run!(sha2::Sha256),
            Digest::Sha384 => run!(sha2::Sha384),
            Digest::Sha512 => run!(sha2::Sha512),
        })
    }

    /// The next candidate, `len` bytes (bits2int of T, for an n of whole bytes).
    fn next(&mut self, len: usize) -> Option<Zeroizing<Vec<u8>>> {
        if !self.first {
            self.k = self.hmac(&[&self.v.clone(), &[0]])?;
            self.v = self.hmac(&[&self.v.clone()])?;
        }
        self.first = false;
        let mut t = Zeroizing::new(Vec::with_capacity(len + 64));
        while t.len() < len {
            self.v = self.hmac(&[&self.v.clone()])?;
            t.extend_from_slice(&self.v);
        }
        t.truncate(len);
        Some(t)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::pubkey::ecdsa::{P256, P384};

    fn hex(s: &str) -> Vec<u8> {
        let s: String = s.split_whitespace().collect();
        (0..s.len()).step_by(2).map(|i| u8::from_str_radix(&s[i..i + 2], 16).unwrap()).collect()
    }

    fn rs(sig: &[u8], len: usize) -> Vec<u8> {
        let (r, s) = crate::pubkey::dsa::r_and_s(sig).unwrap();
        let pad = |x: &[u8]| [vec![0; len - x.len()], x.to_vec()].concat();
        [pad(r.as_bytes()), pad(s.as_bytes())].concat()
    }

    #[test]
    fn rfc6979_vectors() {
        // RFC 6979 appendix A.2.5 (P-256, SHA-256) and A.2.6 (P-384, SHA-384), "sample" and "test".
        let cases = [
            (
                &P256,
                Digest::Sha256,
                "c9afa9d845ba75166b5c215767b1d6934e50c3db36e89b127b8a622b120f6721",
                "60fed4ba255a9d31c961eb74c6356d68c049b8923b61fa6ce669622e60f29fb6
                 7903fe1008b8bc99a41ae9e95628bc64f2f1b20c2d7e9f5177a3c294d4462299",
                [
                    ("sample", "efd48b2aacb6a8fd1140dd9cd45e81d69d2c877b56aaf991c34d0ea84eaf3716
                                f7cb1c942d657c41d436c7a1b6e29f65f3e900dbb9aff4064dc4ab2f843acda8"),
                    ("test", "f1abb023518351cd71d881567b1ea663ed3efcf6c5132b354f28d3b0b7d38367
                              019f4113742a2b14bd25926b49c649155f267e60d3814b4c0cc84250e46f0083"),
                ],
            ),
            (
                &P384,
                Digest::Sha384,
                "6b9d3dad2e1b8c1c05b19875b6659f4de23c3b667bf297ba9aa47740787137d896d5724e4c70a825f872c9ea60d2edf5",
                "ec3a4e415b4e19a4568618029f427fa5da9a8bc4ae92e02e06aae5286b300c64def8f0ea9055866064a254515480bc13
                 8015d9b72d7d57244ea8ef9ac0c621896708a59367f9dfb9f54ca84b3f1c9db1288b231c3ae0d4fe7344fd2533264720",
                [
                    ("sample", "94edbb92a5ecb8aad4736e56c691916b3f88140666ce9fa73d64c4ea95ad133c81a648152e44acf96e36dd1e80fabe46
                                99ef4aeb15f178cea1fe40db2603138f130e740a19624526203b6351d0a3a94fa329c145786e679e7b82c71a38628ac8"),
                    ("test", "8203b63d3c853e8d77227fb377bcf7b7b772e97892a80f36ab775d509d7a5feb0542a7f0812998da8f1dd3ca3cf023db
                              ddd0760448d42d8a43af45af836fce4de8be06b485e9b61b827c2f13173923e06a739f040649a667bf3b828246baa5a5"),
                ],
            ),
        ];
        for (curve, digest, x, public_xy, sigs) in cases {
            let key = PrivateKey::from_scalar(curve, &hex(x)).unwrap();
            assert_eq!(key.public_sec1(), [vec![4], hex(public_xy)].concat(), "{} public key", curve.name);
            for (msg, want) in sigs {
                let sig = key.sign_prehash_with(digest, &digest.hash(msg.as_bytes()), &[]).unwrap();
                assert_eq!(rs(&sig, curve.element_len()), hex(want), "{} {msg}", curve.name);
            }
            // Hedged signatures differ each time and still verify.
            let hash = digest.hash(b"sample");
            let (a, b) = (key.sign_prehash(digest, &hash).unwrap(), key.sign_prehash(digest, &hash).unwrap());
            assert_ne!(a, b);
            for sig in [a, b] {
                PublicKey::from_sec1(curve, key.public_sec1()).unwrap().verify_prehash(&hash, &sig).unwrap();
            }
        }
    }

    #[test]
    fn signatures_agree_with_the_rustcrypto_curves() {
        use signature::hazmat::PrehashVerifier;
        let mut stream = crate::test_rng::bytes(0x5eed_ec01);
        for i in 0..8 {
            let d = stream(48);
            for digest in [Digest::Sha256, Digest::Sha384, Digest::Sha512] {
                let hash = digest.hash(&stream(40));
                let key = PrivateKey::from_scalar(&P256, &d[..32]).unwrap();
                let sig = key.sign_prehash(digest, &hash).unwrap();
                let theirs = p256::ecdsa::VerifyingKey::from_sec1_bytes(key.public_sec1()).unwrap();
                let sig = p256::ecdsa::Signature::from_der(&sig).unwrap();
                theirs.verify_prehash(&hash, &sig).unwrap_or_else(|e| panic!("P-256 {i} {digest:?}: {e}"));
                let key = PrivateKey::from_scalar(&P384, &d).unwrap();
                let sig = key.sign_prehash(digest, &hash).unwrap();
                let theirs = p384::ecdsa::VerifyingKey::from_sec1_bytes(key.public_sec1()).unwrap();
                let sig = p384::ecdsa::Signature::from_der(&sig).unwrap();
                theirs.verify_prehash(&hash, &sig).unwrap_or_else(|e| panic!("P-384 {i} {digest:?}: {e}"));
            }
        }
    }

    #[test]
    fn ecdh_agrees_with_the_rustcrypto_curves_and_both_ways() {
        let mut stream = crate::test_rng::bytes(0xec_d4);
        for _ in 0..6 {
            let (a, b) = (stream(48), stream(48));
            let (ka, kb) =
                (PrivateKey::from_scalar(&P256, &a[..32]).unwrap(), PrivateKey::from_scalar(&P256, &b[..32]).unwrap());
            let z = ka.diffie_hellman(kb.public_sec1()).unwrap();
            assert_eq!(z, kb.diffie_hellman(ka.public_sec1()).unwrap());
            let theirs = p256::SecretKey::from_slice(&a[..32]).unwrap();
            let peer = p256::PublicKey::from_sec1_bytes(kb.public_sec1()).unwrap();
            let shared = p256::ecdh::diffie_hellman(theirs.to_nonzero_scalar(), peer.as_affine());
            assert_eq!(z.as_slice(), shared.raw_secret_bytes().as_slice());
            let (ka, kb) = (PrivateKey::from_scalar(&P384, &a).unwrap(), PrivateKey::from_scalar(&P384, &b).unwrap());
            let z = ka.diffie_hellman(kb.public_sec1()).unwrap();
            let theirs = p384::SecretKey::from_slice(&a).unwrap();
            let peer = p384::PublicKey::from_sec1_bytes(kb.public_sec1()).unwrap();
            let shared = p384::ecdh::diffie_hellman(theirs.to_nonzero_scalar(), peer.as_affine());
            assert_eq!(z.as_slice(), shared.raw_secret_bytes().as_slice());
            // A compressed peer key gives the same secret.
            let compressed = p384::PublicKey::from_sec1_bytes(kb.public_sec1()).unwrap().to_sec1_bytes();
            let compressed = p384::elliptic_curve::sec1::ToEncodedPoint::to_encoded_point(
                &p384::PublicKey::from_sec1_bytes(&compressed).unwrap(),
                true,
            );
            assert_eq!(ka.diffie_hellman(compressed.as_bytes()).unwrap(), z);
        }
    }

    #[test]
    fn rfc5903_ecdh_vectors() {
        // RFC 5903 sections 8.1 (256-bit random ECP group) and 8.2 (384-bit): i, g^r, g^ir.
        let cases = [
            (
                &P256,
                "c88f01f510d9ac3f70a292daa2316de544e9aab8afe84049c62a9c57862d1433",
                "d12dfb5289c8d4f81208b70270398c342296970a0bccb74c736fc7554494bf63
                 56fbf3ca366cc23e8157854c13c58d6aac23f046ada30f8353e74f33039872ab",
                "d6840f6b42f6edafd13116e0e12565202fef8e9ece7dce03812464d04b9442de",
            ),
            (
                &P384,
                "099f3c7034d4a2c699884d73a375a67f7624ef7c6b3c0f160647b67414dce655e35b538041e649ee3faef896783ab194",
                "e558dbef53eecde3d3fccfc1aea08a89a987475d12fd950d83cfa41732bc509d0d1ac43a0336def96fda41d0774a3571
                 dcfbec7aacf3196472169e838430367f66eebe3c6e70c416dd5f0c68759dd1fff83fa40142209dff5eaad96db9e6386c",
                "11187331c279962d93d604243fd592cb9d0a926f422e47187521287e7156c5c4d603135569b9e9d09cf5d4a270f59746",
            ),
        ];
        for (curve, i, g_r, g_ir) in cases {
            let key = PrivateKey::from_scalar(curve, &hex(i)).unwrap();
            let peer = [vec![4], hex(g_r)].concat();
            assert_eq!(key.diffie_hellman(&peer).unwrap().as_slice(), hex(g_ir), "{}", curve.name);
        }
    }

    #[test]
    fn bad_peer_keys_and_scalars_are_refused() {
        let key = PrivateKey::from_scalar(&P256, &[7; 32]).unwrap();
        let good = key.public_sec1().to_vec();
        let mut off_curve = good.clone();
        off_curve[64] ^= 1;
        let other_curve = PrivateKey::from_scalar(&P384, &[7; 48]).unwrap().public_sec1().to_vec();
        // x = p (not a field element), the point at infinity's one-byte encoding, nothing, a
        // point with the wrong prefix, a point of an invalid curve y² = x³ − 3x + b' (x = 0, y = 1).
        let mut x_is_p = vec![4];
        x_is_p.extend_from_slice(P256.p);
        x_is_p.extend_from_slice(&good[33..]);
        let mut invalid_curve = vec![4];
        invalid_curve.extend_from_slice(&[0; 32]);
        invalid_curve.extend_from_slice(&[[0; 31].as_slice(), &[1]].concat());
        let mut wrong_prefix = good.clone();
        wrong_prefix[0] = 6;
        for bad in [off_curve, other_curve, x_is_p, vec![0], vec![], wrong_prefix, invalid_curve] {
            assert_eq!(key.diffie_hellman(&bad).unwrap_err(), EcKeyError::PeerKey("P-256"), "{bad:02x?}");
        }
        for d in [vec![0; 32], P256.n.to_vec(), vec![0xff; 32], vec![1; 33]] {
            assert!(PrivateKey::from_scalar(&P256, &d).is_err(), "{d:02x?}");
        }
        // n − 1 is a key, and its public point is −G.
        let mut n_minus_1 = P256.n.to_vec();
        n_minus_1[31] -= 1;
        let minus_g = PrivateKey::from_scalar(&P256, &n_minus_1).unwrap();
        assert_eq!(&minus_g.public_sec1()[1..33], P256.gx);
    }

    #[test]
    fn pkcs8_round_trip_and_openssl_keys() {
        for (curve, len) in [(&P256, 32), (&P384, 48)] {
            let key = PrivateKey::generate(curve, &mut rand_core::OsRng).unwrap();
            let der = key.to_pkcs8_der().unwrap();
            let info = pkcs8::PrivateKeyInfo::from_der(&der).unwrap();
            let back = PrivateKey::from_pkcs8_parts(info.algorithm.parameters.as_ref(), info.private_key).unwrap();
            assert_eq!(back.public_sec1(), key.public_sec1());
            assert_eq!(back.scalar_bytes().len(), len);
        }
        // A key OpenSSL wrote (`openssl genpkey -algorithm EC -pkeyopt ec_paramgen_curve:P-256`).
        let pem = std::fs::read_to_string(format!("{}/tests/data/pki/erin.key", env!("CARGO_MANIFEST_DIR"))).unwrap();
        let (_, der) = der::Document::from_pem(&pem).unwrap();
        let info = pkcs8::PrivateKeyInfo::from_der(der.as_bytes()).unwrap();
        let key = PrivateKey::from_pkcs8_parts(info.algorithm.parameters.as_ref(), info.private_key).unwrap();
        assert_eq!(key.curve().name, "P-256");
        // Tampered: another public key inside.
        let other = PrivateKey::from_scalar(&P256, &[9; 32]).unwrap();
        let ec = EcPrivateKeyDer {
            version: 1,
            private_key: OctetStringRef::new(key.scalar_bytes()).unwrap(),
            parameters: Some(crate::oids::SECP256R1),
            public_key: Some(BitStringRef::from_bytes(other.public_sec1()).unwrap()),
        }
        .to_der()
        .unwrap();
        assert_eq!(
            PrivateKey::from_pkcs8_parts(None, &ec).unwrap_err(),
            EcKeyError::PrivateKey("its public key is not the private key's")
        );
        let p521 = der::Any::from(&crate::oids::SECP521R1);
        assert!(matches!(
            PrivateKey::from_pkcs8_parts(Some(&(&p521).into()), &ec),
            Err(EcKeyError::PrivateKey(m)) if m.contains("two different curves")
        ));
    }

    #[test]
    fn scalar_multiples_of_g_match_the_published_ones() {
        // k·G for k = 1, 2, 3 and n − 1 on P-256 (the NIST test vectors of point-at-infinity.org,
        // as the `p256` crate carries them) through the constant-time ladder.
        let arith = Arith::new(&P256).unwrap();
        let g = arith.generator().unwrap();
        let mut two = vec![0u8; 32];
        two[31] = 2;
        let (x, y) = arith.to_affine(&arith.mul(&two, &g)).unwrap();
        assert_eq!(x.as_slice(), hex("7cf27b188d034f7e8a52380304b51ac3c08969e277f21b35a60b48fc47669978"));
        assert_eq!(y.as_slice(), hex("07775510db8ed040293d9ac69f7430dbba7dade63ce982299e04b79d227873d1"));
        let mut three = vec![0u8; 32];
        three[31] = 3;
        let (x, _) = arith.to_affine(&arith.mul(&three, &g)).unwrap();
        assert_eq!(x.as_slice(), hex("5ecbe4d1a6330a44c8f7ef951d4bf165e6c6b721efada985fb41661bc6e7fd6c"));
        // n·G is infinity.
        assert!(arith.to_affine(&arith.mul(P256.n, &g)).is_none());
        // P + (−P) and infinity + P through the complete formulas.
        let g_key = PublicKey::from_sec1(&P256, &[vec![4], P256.gx.to_vec(), P256.gy.to_vec()].concat()).unwrap();
        let (_, _, gx, gy) = g_key.affine();
        let minus_g = Projective { x: gx.to_vec(), y: arith.f.sub(&arith.f.zero, gy), z: arith.f.one.clone() };
        assert!(arith.to_affine(&arith.add(&g, &minus_g)).is_none());
        let (x, _) = arith.to_affine(&arith.add(&arith.infinity(), &g)).unwrap();
        assert_eq!(x.as_slice(), P256.gx);
        let (x, _) = arith.to_affine(&arith.add(&g, &g)).unwrap();
        assert_eq!(x.as_slice(), hex("7cf27b188d034f7e8a52380304b51ac3c08969e277f21b35a60b48fc47669978"));
    }
}
