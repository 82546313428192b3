//! Certificate trust (RFC 5280): the admin's collection of trusted CAs, certification path
//! building and validation, and revocation.
//!
//! The submodules, each with one job:
//! - [`sig`]: verifying certificate and CRL signatures (RSA, RSASSA-PSS, ECDSA, DSA).
//! - [`store`]: the admin's trusted-CA collection, imported from PEM, DER, PKCS#7 (.p7b) and
//!   Windows .sst files; self-issued certificates are the anchors, the others intermediates.

pub mod sig;
pub mod store;
