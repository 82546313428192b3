//! Certificate trust (RFC 5280): the admin's collection of trusted CAs, certification path
//! building and validation, and revocation.
//!
//! The submodules, each with one job:
//! - [`sig`]: verifying certificate and CRL signatures (RSA, RSASSA-PSS, ECDSA, DSA).
//! - [`store`]: the admin's trusted-CA collection, imported from PEM, DER, PKCS#7 (.p7b) and
//!   Windows .sst files; self-issued certificates are the anchors, the others intermediates.
//! - [`path`]: building candidate certification paths to a trust anchor.
//! - [`crl`]: CRL parsing and RFC 5280 6.3 revocation checking (complete and delta CRLs, distribution
//!   points, indirect CRLs, separate CRL signers).
//! - [`ocsp`]: OCSP (RFC 6960) requests and response verification; the host does the HTTP.
//! - [`names`]: RFC 5280 7.1 name comparison and name constraints.
//! - [`validate`]: RFC 5280 section 6 validation of a path, and the report.

pub mod crl;
pub mod names;
pub mod ocsp;
pub mod path;
pub mod policy;
pub mod sig;
pub mod store;
pub mod validate;
