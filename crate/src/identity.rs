//! A user's identity: private keys (RSA or EC) with their certificates — the whole history of them, so that
//! old mail stays readable — and the chain that goes with them.

use cms::cert::IssuerAndSerialNumber;
use cms::enveloped_data::{KeyAgreeRecipientIdentifier, RecipientIdentifier};
use cms::signed_data::SignerIdentifier;
use der::Decode;
use x509_cert::Certificate;
use zeroize::Zeroizing;

use crate::pubkey::{ec, rsa};
use crate::{cert, pkcs12, Error, Result};

/// A private key of one of the kinds Siegel signs and decrypts with.
// One per key pair, behind an Arc: the size of the RSA variant costs nothing worth a Box.
#[allow(clippy::large_enum_variant)]
pub(crate) enum SecretKey {
    /// RSA: PKCS#1 v1.5 or PSS signatures, PKCS#1 v1.5 or OAEP key transport.
    Rsa(rsa::PrivateKey),
    /// EC on P-256 or P-384: ECDSA signatures, ECDH key agreement.
    Ec(ec::PrivateKey),
}

/// A private key with the certificate that carries its public half.
#[derive(Clone)]
pub struct KeyPair {
    /// Shared by the pair's clones (the wasm API clones identities into its futures), with its
    /// blinding state.
    key: std::sync::Arc<SecretKey>,
    certificate: Certificate,
}

impl core::fmt::Debug for KeyPair {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        // Never print key material.
        f.debug_struct("KeyPair")
            .field("certificate", &crate::dn::to_string(&self.certificate.tbs_certificate.subject))
            .finish()
    }
}

/// True when `key` is the private half of the certificate's public key.
fn belongs_to(key: &SecretKey, certificate: &Certificate) -> bool {
    match key {
        SecretKey::Rsa(k) => cert::rsa_public_key(certificate).is_ok_and(|p| p == *k.public()),
        SecretKey::Ec(k) => cert::ec_public_key(certificate).is_ok_and(|p| {
            let (curve, _, x, y) = p.affine();
            // Compare the points, whatever the certificate's encoding (compressed or not).
            core::ptr::eq(curve, k.curve())
                && crate::pubkey::ecdsa::PublicKey::from_sec1(curve, k.public_sec1()).is_ok_and(|q| {
                    let (_, _, qx, qy) = q.affine();
                    qx == x && qy == y
                })
        }),
    }
}

impl KeyPair {
    /// Pairs a PKCS#8 private key with its certificate; fails if they don't belong together.
    pub fn new(pkcs8_der: &[u8], certificate: Certificate) -> Result<KeyPair> {
        let key = decode_private_key(pkcs8_der)?;
        if !belongs_to(&key, &certificate) {
            return Err(Error::InvalidArgument("the private key does not belong to the certificate".into()));
        }
        Ok(KeyPair { key: std::sync::Arc::new(key), certificate })
    }

    /// The certificate.
    pub fn certificate(&self) -> &Certificate {
        &self.certificate
    }

    /// The private key as PKCS#8 DER, for storage encrypted at rest by the caller.
    pub fn private_key_pkcs8(&self) -> Result<Zeroizing<Vec<u8>>> {
        match &*self.key {
            SecretKey::Rsa(k) => k.to_pkcs8_der().map_err(|e| Error::Crypto(e.to_string())),
            SecretKey::Ec(k) => k.to_pkcs8_der().map_err(|e| Error::Crypto(e.to_string())),
        }
    }

    /// The RSA key, for RSA-only operations (WebCrypto's RSA signing and OAEP); `None` for EC.
    pub(crate) fn rsa(&self) -> Option<&rsa::PrivateKey> {
        match &*self.key {
            SecretKey::Rsa(k) => Some(k),
            SecretKey::Ec(_) => None,
        }
    }

    /// The EC key; `None` for RSA.
    pub(crate) fn ec(&self) -> Option<&ec::PrivateKey> {
        match &*self.key {
            SecretKey::Ec(k) => Some(k),
            SecretKey::Rsa(_) => None,
        }
    }

    /// The length in bytes of an RSA signature or encrypted key (the modulus'); `None` for EC.
    pub fn rsa_size(&self) -> Option<usize> {
        self.rsa().map(|k| k.public().size())
    }

    fn rsa_or_err(&self) -> Result<&rsa::PrivateKey> {
        self.rsa().ok_or_else(|| Error::InvalidArgument("an RSA operation was asked of an EC key".into()))
    }

    /// The raw RSA private-key operation c^d mod n on the big-endian `c` of the modulus' length:
    /// constant-time and blinded ([`crate::pubkey::rsa`]), checked against faults. An EC key refuses
    /// it (as input of the wrong kind).
    pub(crate) fn decrypt_raw(&self, c: &[u8]) -> core::result::Result<Zeroizing<Vec<u8>>, rsa::RsaError> {
        match &*self.key {
            SecretKey::Rsa(k) => k.decrypt_raw(c),
            SecretKey::Ec(_) => Err(rsa::RsaError::BadInput),
        }
    }

    /// The RSASSA-PKCS1-v1_5 signature of `hash`, made with `digest`.
    pub(crate) fn sign_pkcs1v15(&self, digest: crate::alg::Digest, hash: &[u8]) -> Result<Vec<u8>> {
        let size = self.rsa_or_err()?.public().size();
        self.sign_block(rsa::emsa_pkcs1v15(digest, hash, size))
    }

    /// The RSASSA-PSS signature of `hash`, made with `digest` (also for MGF1), with `salt_len`
    /// random bytes of salt.
    pub(crate) fn sign_pss(&self, digest: crate::alg::Digest, hash: &[u8], salt_len: usize) -> Result<Vec<u8>> {
        let mod_bits = self.rsa_or_err()?.public().bits();
        self.sign_block(rsa::emsa_pss_encode(&mut rand_core::OsRng, digest, hash, salt_len, mod_bits - 1))
    }

    /// The ECDSA signature (DER) of `hash`, made with `digest` ([`crate::pubkey::ec`]).
    pub(crate) fn sign_ecdsa(&self, digest: crate::alg::Digest, hash: &[u8]) -> Result<Vec<u8>> {
        let key =
            self.ec().ok_or_else(|| Error::InvalidArgument("an ECDSA signature was asked of an RSA key".into()))?;
        key.sign_prehash(digest, hash).map_err(|e| Error::Crypto(format!("ECDSA signing failed: {e}")))
    }

    /// The private-key operation on an encoded signature block (`None`: it did not fit the key),
    /// left-padded to the modulus' length: PSS blocks are ceil((modBits − 1) / 8) bytes, one less
    /// than the modulus when modBits ≡ 1 (mod 8).
    fn sign_block(&self, em: Option<Vec<u8>>) -> Result<Vec<u8>> {
        let em = em.ok_or_else(|| Error::Crypto("the key is too small for this digest".into()))?;
        let k = self.rsa_or_err()?.public().size();
        let mut block = Zeroizing::new(vec![0u8; k]);
        block[k - em.len()..].copy_from_slice(&em);
        Ok(self.decrypt_raw(&block).map_err(|e| Error::Crypto(format!("RSA signing failed: {e:?}")))?.to_vec())
    }

    /// The key that stands in for a content-encryption key whose unwrap failed ("implicit
    /// rejection", as OpenSSL 3.2 and the IRTF CFRG's RSA guidance do it): HMAC-SHA-256 keyed by a
    /// hash of the private exponent (or EC scalar), over the encrypted key, `key_len` bytes. The
    /// same bad ciphertext always gives the same wrong key, so retrying it tells an attacker
    /// nothing that a good one would not, and nobody without the private key can predict it.
    pub(crate) fn rejection_key(&self, enc_key: &[u8], key_len: usize) -> Zeroizing<Vec<u8>> {
        use hmac::{Hmac, Mac};
        use sha2::Digest as _;
        let secret = match &*self.key {
            SecretKey::Rsa(k) => k.private_exponent(),
            SecretKey::Ec(k) => k.scalar_bytes(),
        };
        let kdk = Zeroizing::new(sha2::Sha256::digest(secret).to_vec());
        let mut out = Zeroizing::new(Vec::with_capacity(key_len + 32));
        let mut counter = 0u32;
        while out.len() < key_len {
            let Ok(mut mac) = Hmac::<sha2::Sha256>::new_from_slice(&kdk) else { break };
            mac.update(b"Siegel implicit rejection");
            mac.update(&counter.to_be_bytes());
            mac.update(&(key_len as u32).to_be_bytes());
            mac.update(enc_key);
            out.extend_from_slice(&mac.finalize().into_bytes());
            counter += 1;
        }
        out.truncate(key_len);
        out
    }

    /// True when this pair is the one a KeyAgreeRecipientInfo's `rid` names.
    pub fn matches_key_agree_recipient(&self, rid: &KeyAgreeRecipientIdentifier) -> bool {
        match rid {
            KeyAgreeRecipientIdentifier::IssuerAndSerialNumber(ias) => matches_issuer_serial(&self.certificate, ias),
            KeyAgreeRecipientIdentifier::RKeyId(rkid) => {
                cert::subject_key_id(&self.certificate).as_deref() == Some(rkid.subject_key_identifier.0.as_bytes())
            }
        }
    }

    /// True when this pair is the one `rid` names.
    pub fn matches_recipient(&self, rid: &RecipientIdentifier) -> bool {
        match rid {
            RecipientIdentifier::IssuerAndSerialNumber(ias) => matches_issuer_serial(&self.certificate, ias),
            RecipientIdentifier::SubjectKeyIdentifier(ski) => {
                cert::subject_key_id(&self.certificate).as_deref() == Some(ski.0.as_bytes())
            }
        }
    }
}

/// True when `ias` names `cert`.
pub fn matches_issuer_serial(cert: &Certificate, ias: &IssuerAndSerialNumber) -> bool {
    cert.tbs_certificate.issuer == ias.issuer && cert.tbs_certificate.serial_number == ias.serial_number
}

/// True when the signer identifier names `cert`.
pub fn matches_signer(cert: &Certificate, sid: &SignerIdentifier) -> bool {
    match sid {
        SignerIdentifier::IssuerAndSerialNumber(ias) => matches_issuer_serial(cert, ias),
        SignerIdentifier::SubjectKeyIdentifier(ski) => cert::subject_key_id(cert).as_deref() == Some(ski.0.as_bytes()),
    }
}

fn decode_private_key(pkcs8_der: &[u8]) -> Result<SecretKey> {
    let info = pkcs8::PrivateKeyInfo::from_der(pkcs8_der).map_err(Error::malformed("private key"))?;
    match info.algorithm.oid {
        crate::oids::RSA_ENCRYPTION => rsa::PrivateKey::from_pkcs1_der(info.private_key)
            .map(SecretKey::Rsa)
            .map_err(Error::malformed("RSA private key")),
        crate::oids::EC_PUBLIC_KEY => {
            ec::PrivateKey::from_pkcs8_parts(info.algorithm.parameters.as_ref(), info.private_key)
                .map(SecretKey::Ec)
                .map_err(Error::malformed("EC private key"))
        }
        ref other => Err(Error::unsupported(
            "private key algorithm",
            format!("{} (Siegel reads RSA and EC keys)", crate::oids::name(other)),
        )),
    }
}

/// What kind of key a PKCS#8 PrivateKeyInfo holds ("RSA-2048", "EC P-384"), or why it cannot be
/// read: for describing a .p12 without using its keys.
pub fn describe_private_key(pkcs8_der: &[u8]) -> Result<String> {
    Ok(match decode_private_key(pkcs8_der)? {
        SecretKey::Rsa(k) => format!("RSA-{}", k.public().bits()),
        SecretKey::Ec(k) => format!("EC {}", k.curve().name),
    })
}

/// A user's keys and certificates.
///
/// Invariant: at least one key pair; pairs are ordered newest certificate first (by notBefore), so
/// the first usable one is the current key and the rest are the history.
#[derive(Clone, Debug)]
pub struct Identity {
    pairs: Vec<KeyPair>,
    chain: Vec<Certificate>,
}

impl Identity {
    /// Builds an identity from key pairs and chain certificates.
    pub fn new(pairs: Vec<KeyPair>, chain: Vec<Certificate>) -> Result<Identity> {
        if pairs.is_empty() {
            return Err(Error::NoPrivateKey);
        }
        let mut id = Identity { pairs: Vec::new(), chain: Vec::new() };
        id.absorb(pairs, chain);
        Ok(id)
    }

    /// Reads a PKCS#12 file (.p12/.pfx). Every private key is paired with the certificate that
    /// carries its public key; the other certificates become the chain.
    pub fn from_pkcs12(data: &[u8], password: &str) -> Result<Identity> {
        let p12 = pkcs12::parse(data, password)?;
        if p12.keys.is_empty() {
            return Err(Error::NoPrivateKey);
        }
        let mut certs: Vec<Certificate> = p12.certificates.into_iter().map(|c| c.certificate).collect();
        let mut pairs = Vec::new();
        for entry in &p12.keys {
            let key = decode_private_key(&entry.pkcs8_der)?;
            let pos = certs.iter().position(|c| belongs_to(&key, c));
            let Some(pos) = pos else { return Err(Error::NoCertificateForKey) };
            pairs.push(KeyPair { key: std::sync::Arc::new(key), certificate: certs.remove(pos) });
        }
        Identity::new(pairs, certs)
    }

    /// Adds another identity's keys (an older export, say) to this one's history.
    pub fn merge(&mut self, other: Identity) {
        self.absorb(other.pairs, other.chain);
    }

    fn absorb(&mut self, pairs: Vec<KeyPair>, chain: Vec<Certificate>) {
        for p in pairs {
            if !self.pairs.iter().any(|q| q.certificate == p.certificate) {
                self.pairs.push(p);
            }
        }
        for c in chain {
            if !self.chain.contains(&c) && !self.pairs.iter().any(|p| p.certificate == c) {
                self.chain.push(c);
            }
        }
        crate::sort::by_key(&mut self.pairs, |p| u64::MAX - cert::validity(&p.certificate).0);
    }

    /// All key pairs, newest first.
    pub fn pairs(&self) -> &[KeyPair] {
        &self.pairs
    }

    /// The CA certificates that came with the identity.
    pub fn chain(&self) -> &[Certificate] {
        &self.chain
    }

    /// The email addresses of all certificates, deduplicated.
    pub fn emails(&self) -> Vec<String> {
        let mut out: Vec<String> = Vec::new();
        for p in &self.pairs {
            for e in cert::emails(&p.certificate) {
                if !out.contains(&e) {
                    out.push(e);
                }
            }
        }
        out
    }

    /// The pair to sign with at time `at`: the newest certificate valid then that allows signing.
    pub fn signing_pair(&self, at: u64) -> Result<&KeyPair> {
        self.pairs
            .iter()
            .find(|p| cert::valid_at(&p.certificate, at) && cert::can_sign(&p.certificate))
            .ok_or_else(|| self.unusable("no certificate of this identity is valid now and allows signing"))
    }

    /// The certificate others should encrypt to at time `at`: the newest valid one that allows
    /// key encipherment.
    pub fn encryption_pair(&self, at: u64) -> Result<&KeyPair> {
        self.pairs
            .iter()
            .find(|p| cert::valid_at(&p.certificate, at) && cert::can_encrypt(&p.certificate))
            .ok_or_else(|| self.unusable("no certificate of this identity is valid now and allows encryption"))
    }

    /// The pair named by a recipient identifier — from the whole history, expired ones included,
    /// since old mail must stay readable.
    pub fn pair_for(&self, rid: &RecipientIdentifier) -> Option<&KeyPair> {
        self.pairs.iter().find(|p| p.matches_recipient(rid))
    }

    fn unusable(&self, reason: &str) -> Error {
        Error::UnusableCertificate {
            subject: self.emails().first().cloned().unwrap_or_else(|| {
                self.pairs
                    .first()
                    .map(|p| crate::dn::to_string(&p.certificate.tbs_certificate.subject))
                    .unwrap_or_default()
            }),
            reason: reason.into(),
        }
    }
}
