//! Certificate trust (RFC 5280): the admin's collection of trusted CAs, certification path
//! building and validation, and revocation.
//!
//! The submodules, each with one job:
//! - [`sig`]: verifying certificate and CRL signatures (RSA, RSASSA-PSS, ECDSA, DSA).

pub mod sig;
