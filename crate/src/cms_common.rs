//! What every CMS message (RFC 5652) shares, beneath [`crate::verify`] (SignedData) and
//! [`crate::envelope`] (EnvelopedData, AuthEnvelopedData): reading the outer ContentInfo from DER or
//! BER, and the limits every CMS structure is held to before it is decoded (each SET OF is sorted
//! and each element checked, so their sizes bound the work a message can cause).

use cms::content_info::ContentInfo;
use der::Decode;

use crate::{Error, Result};

/// Most SignerInfos (and digestAlgorithms) one SignedData may hold: each signer costs a signature
/// check and a path validation.
pub const MAX_SIGNERS: usize = 64;
/// Most certificates one SignedData (or an encrypted message's originatorInfo) may carry.
pub const MAX_CERTIFICATES: usize = 256;
/// Most CRLs one SignedData (or an encrypted message's originatorInfo) may carry.
pub const MAX_CRLS: usize = 64;
/// Most signed (or unsigned, authenticated, unprotected) attributes of one structure, and most
/// values of one attribute.
pub const MAX_ATTRIBUTES: usize = 64;

/// Parses a CMS `ContentInfo` from DER or BER.
pub fn parse_content_info(data: &[u8]) -> Result<ContentInfo> {
    match ContentInfo::from_der(data) {
        Ok(ci) => Ok(ci),
        Err(_) => {
            let der = crate::ber::to_der(data)?;
            ContentInfo::from_der(&der).map_err(Error::malformed("CMS ContentInfo"))
        }
    }
}
