//! The public-key algorithms, side by side, one file per algorithm:
//!
//! - [`rsa`]: RSA keys on `siegel-bignum` (constant-time, blinded private-key operation; PKCS#1 v1.5
//!   and PSS signatures), and [`rsa_padding`]: its key-transport paddings (PKCS#1 v1.5 and OAEP,
//!   decoded in constant time with implicit rejection);
//! - [`ec`]: EC private keys on P-256 and P-384 (ECDSA signing, ECDH, constant time);
//! - [`ecdsa`]: the NIST curves and ECDSA verification (public data only);
//! - [`dsa`]: DSA verification, for CAs that still sign with it.

pub mod dsa;
pub mod ec;
pub mod ecdsa;
pub mod rsa;
pub mod rsa_padding;
