//! DSA signature verification (FIPS 186-4 section 4.7), for the certificates and CRLs of CAs that
//! still sign with DSA (NIST's PKITS has one). On the Montgomery arithmetic of `siegel-bignum`;
//! everything here is public, so nothing needs constant time.

use der::asn1::UintRef;
use der::{Decode, Reader};
use siegel_bignum::{self as bignum, Limb, Modulus};

/// Why a DSA key or signature is refused.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub enum DsaError {
    /// The domain parameters (p, q, g) are malformed or out of bounds.
    #[error("bad DSA parameters: {0}")]
    Parameters(&'static str),
    /// The public key y is malformed or not in the group.
    #[error("invalid DSA public key")]
    PublicKey,
    /// The signature is malformed or does not verify.
    #[error("the signature does not verify")]
    Invalid,
}

/// The largest p accepted, in bytes (FIPS 186-4 goes to 3072 bits).
const MAX_P_LEN: usize = 512;
/// The largest q accepted, in bytes (FIPS 186-4 goes to 256 bits).
const MAX_Q_LEN: usize = 64;

/// A DSA public key: the domain parameters and y.
pub struct PublicKey {
    p: Modulus,
    q: Modulus,
    /// g and y in Montgomery form modulo p.
    g: Vec<Limb>,
    y: Vec<Limb>,
    /// q's length in bits.
    q_bits: usize,
}

/// `bytes` (big-endian, leading zeros stripped) as `n` limbs; `None` if it does not fit.
fn limbs(bytes: &[u8], n: usize) -> Option<Vec<Limb>> {
    bignum::from_be(bytes, n)
}

/// r and s of a DER `Dss-Sig-Value` or `ECDSA-Sig-Value` (both SEQUENCE { r INTEGER, s INTEGER },
/// RFC 3279 sections 2.2.2 and 2.2.3), non-negative, with nothing after; `None` otherwise.
pub(crate) fn r_and_s(signature: &[u8]) -> Option<(UintRef<'_>, UintRef<'_>)> {
    let mut reader = der::SliceReader::new(signature).ok()?;
    let rs = reader.sequence(|rd| Ok((rd.decode::<UintRef<'_>>()?, rd.decode::<UintRef<'_>>()?))).ok()?;
    reader.finish(rs).ok()
}

fn is_zero(x: &[Limb]) -> bool {
    x.iter().all(|&l| l == 0)
}

impl PublicKey {
    /// The key from the DER `Dss-Parms` (SEQUENCE { p, q, g }) and the DER INTEGER y (the bits of
    /// the subjectPublicKey). Checked as the `dsa` crate does, and a little more: p and q odd and
    /// within FIPS sizes, q < p, 1 < g < p, 1 < y < p, and y^q = 1 mod p (y is in the group).
    pub fn from_der(params: &[u8], y: &[u8]) -> Result<PublicKey, DsaError> {
        let bad = DsaError::Parameters;
        let mut reader = der::SliceReader::new(params).map_err(|_| bad("not DER"))?;
        let (p, q, g) = reader
            .sequence(|r| Ok((r.decode::<UintRef<'_>>()?, r.decode::<UintRef<'_>>()?, r.decode::<UintRef<'_>>()?)))
            .map_err(|_| bad("not a sequence of p, q and g"))?;
        reader.finish(()).map_err(|_| bad("trailing data"))?;
        let y = UintRef::from_der(y).map_err(|_| DsaError::PublicKey)?;
        let (p, q, g, y) = (p.as_bytes(), q.as_bytes(), g.as_bytes(), y.as_bytes());
        if p.len() > MAX_P_LEN || q.len() > MAX_Q_LEN || q.len() > p.len() {
            return Err(bad("p or q is too large"));
        }
        let pm = Modulus::new(p, 0).ok_or(bad("p is not an odd number above 1"))?;
        let qm = Modulus::new(q, 0).ok_or(bad("q is not an odd number above 1"))?;
        let width = pm.limbs();
        let q_wide = limbs(q, width).ok_or(bad("q is not below p"))?;
        let g = limbs(g, width).filter(|g| pm.is_reduced(g)).ok_or(bad("g is not below p"))?;
        let y = limbs(y, width).filter(|y| pm.is_reduced(y)).ok_or(DsaError::PublicKey)?;
        let one = {
            let mut one = vec![0; width];
            one[0] = 1;
            one
        };
        let at_most_one = |x: &[Limb]| is_zero(&x[1..]) && x[0] <= 1;
        if !pm.is_reduced(&q_wide) || at_most_one(&g) {
            return Err(bad("q is not below p, or g is 0 or 1"));
        }
        if at_most_one(&y) {
            return Err(DsaError::PublicKey);
        }
        let (g, y) = (pm.to_mont(&g), pm.to_mont(&y));
        if pm.from_mont(&pm.pow_public(&y, q)) != one {
            return Err(DsaError::PublicKey);
        }
        let q_bits = 8 * q.len() - q[0].leading_zeros() as usize;
        Ok(PublicKey { p: pm, q: qm, g, y, q_bits })
    }

    /// Checks the DER signature (SEQUENCE { r, s }) of `hash` (FIPS 186-4 section 4.7).
    pub fn verify_prehash(&self, hash: &[u8], signature: &[u8]) -> Result<(), DsaError> {
        let (r, s) = r_and_s(signature).ok_or(DsaError::Invalid)?;
        let (q, n) = (&self.q, self.q.limbs());
        let r = limbs(r.as_bytes(), n).filter(|r| q.is_reduced(r) && !is_zero(r)).ok_or(DsaError::Invalid)?;
        let s = limbs(s.as_bytes(), n).filter(|s| q.is_reduced(s) && !is_zero(s)).ok_or(DsaError::Invalid)?;
        // w = s⁻¹ mod q = s^(q−2) (q is prime; if it is not, nothing verifies).
        let q_minus_2 = bignum::to_be(&q.minus_two(), n * (Limb::BITS as usize / 8)).ok_or(DsaError::Invalid)?;
        let w = q.pow_public(&q.to_mont(&s), &q_minus_2);
        // z: the leftmost min(N, outlen) bits of the hash, as the `dsa` crate and OpenSSL take them
        // (whole bytes; every FIPS q is a whole number of bytes).
        let z = &hash[..hash.len().min(self.q_bits / 8)];
        // z < 2^N ≤ R, within reduce_wide's bound; it may be above q.
        let z = q.reduce_wide(&limbs(z, n).ok_or(DsaError::Invalid)?);
        let exp = |x: Vec<Limb>| bignum::to_be(&q.from_mont(&x), n * (Limb::BITS as usize / 8));
        let u1 = exp(q.mul(&z, &w)).ok_or(DsaError::Invalid)?;
        let u2 = exp(q.mul(&q.to_mont(&r), &w)).ok_or(DsaError::Invalid)?;
        // v = ((g^u1 · y^u2) mod p) mod q.
        let p = &self.p;
        let gy = p.from_mont(&p.mul(&p.pow_public(&self.g, &u1), &p.pow_public(&self.y, &u2)));
        let v = bignum::rem(&gy, q.value()).ok_or(DsaError::Invalid)?;
        match v == r {
            true => Ok(()),
            false => Err(DsaError::Invalid),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::alg::Digest;
    use der::Encode;
    use x509_cert::Certificate;

    const PKITS: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/../../shared/conformance/pkits/certs/");

    fn cert(name: &str) -> Certificate {
        Certificate::from_der(&std::fs::read(format!("{PKITS}{name}")).unwrap()).unwrap()
    }

    /// The DSA CA's key, its parameters' DER, and the signed part, hash and signature of a
    /// certificate it issued (dsaWithSHA1).
    fn signed(ee: &str) -> (PublicKey, Vec<u8>, Vec<u8>, Vec<u8>) {
        let ca = cert("DSACACert.crt");
        let spki = &ca.tbs_certificate.subject_public_key_info;
        let params = spki.algorithm.parameters.as_ref().unwrap().to_der().unwrap();
        let y = spki.subject_public_key.as_bytes().unwrap();
        let key = PublicKey::from_der(&params, y).unwrap();
        let ee = cert(ee);
        let hash = Digest::Sha1.hash(&ee.tbs_certificate.to_der().unwrap());
        (key, params, hash, ee.signature.raw_bytes().to_vec())
    }

    #[test]
    fn verifies_the_pkits_dsa_certificates() {
        let (key, _, hash, sig) = signed("ValidDSASignaturesTest4EE.crt");
        assert_eq!(key.verify_prehash(&hash, &sig), Ok(()));
        let mut other = hash.clone();
        other[0] ^= 1;
        assert_eq!(key.verify_prehash(&other, &sig), Err(DsaError::Invalid));
        // NIST's certificate with a bad signature.
        let (key, _, hash, sig) = signed("InvalidDSASignatureTest6EE.crt");
        assert_eq!(key.verify_prehash(&hash, &sig), Err(DsaError::Invalid));
    }

    #[test]
    fn refuses_malformed_signatures_and_keys() {
        let (key, params, hash, sig) = signed("ValidDSASignaturesTest4EE.crt");
        // r and s: zero, not below q, missing, trailing data.
        let der_sig = |r: &[u8], s: &[u8]| {
            let (r, s) = (UintRef::new(r).unwrap(), UintRef::new(s).unwrap());
            let body = [r.to_der().unwrap(), s.to_der().unwrap()].concat();
            [&[0x30, body.len() as u8][..], &body].concat()
        };
        let q = bignum::to_be(key.q.value(), key.q.limbs() * (Limb::BITS as usize / 8)).unwrap();
        for bad in [der_sig(&[0], &[1]), der_sig(&[1], &[0]), der_sig(&q, &[1]), der_sig(&[1], &q)] {
            assert_eq!(key.verify_prehash(&hash, &bad), Err(DsaError::Invalid));
        }
        assert_eq!(key.verify_prehash(&hash, &[sig.clone(), vec![0]].concat()), Err(DsaError::Invalid));
        assert_eq!(key.verify_prehash(&hash, &sig[..sig.len() - 1]), Err(DsaError::Invalid));
        // y outside the group, y = 1, and g = 1.
        assert_eq!(PublicKey::from_der(&params, &[2, 1, 1]).err(), Some(DsaError::PublicKey));
        assert_eq!(PublicKey::from_der(&params, &[2, 1, 2]).err(), Some(DsaError::PublicKey), "2 is not in the group");
        let mut reader = der::SliceReader::new(&params).unwrap();
        let (p, q, _) = reader
            .sequence(|r| Ok((r.decode::<UintRef<'_>>()?, r.decode::<UintRef<'_>>()?, r.decode::<UintRef<'_>>()?)))
            .unwrap();
        let body = [p.to_der().unwrap(), q.to_der().unwrap(), UintRef::new(&[1]).unwrap().to_der().unwrap()].concat();
        let g1 = [&[0x30, 0x82, (body.len() >> 8) as u8, body.len() as u8][..], &body].concat();
        assert!(matches!(PublicKey::from_der(&g1, &[2, 1, 2]), Err(DsaError::Parameters(_))));
        assert!(matches!(PublicKey::from_der(&[0x30, 0], &[2, 1, 2]), Err(DsaError::Parameters(_))));
    }
}
