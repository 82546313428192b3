//! A CMS SignerInfo as sent (RFC 5652 section 5.3), read for verification: its fields typed, and
//! its signed attributes kept in the order and bytes the signer sent them.
//!
//! The cms crate's `SignerInfo` decodes `signedAttrs` as a `SetOfVec`, which sorts the attributes
//! and checks the order by encoding every attribute again, and decodes the signer identifier's
//! issuer name afresh for every mail: together most of the cost of reading a signature. Here the
//! fields are split by their framing, each field is decoded by its typed decoder, and the
//! identifier of a recent signer is taken from a cache of exact bytes. The framings of the
//! SignerInfo, of the attribute sets and of each attribute are checked to be DER (one tag byte,
//! minimal lengths, nothing after); the order of the attributes is not (they are kept as sent, and
//! the signature covers them as sent), and attribute values are kept as `Any`, decoded where used.
//!
//! What RFC 5652 section 11 asks of the attributes a verifier relies on is checked here:
//! `signedAttrs` is not empty, and contentType, messageDigest and signingTime each appear at most
//! once, with exactly one value.

use cms::signed_data::SignerIdentifier;
use const_oid::ObjectIdentifier;
use der::asn1::OctetString;
use der::{Any, Decode};
use spki::AlgorithmIdentifierOwned;

use crate::recent::Recent;
use crate::{ber, oids, Error, Result};

const WHAT: &str = "CMS SignerInfo";

/// One SignerInfo, decoded, with its DER as sent.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct SentSignerInfo {
    /// Who signed: the issuer and serial number, or the subject key identifier, of the certificate.
    pub sid: SignerIdentifier,
    /// The digest algorithm of the content and the signed attributes.
    pub digest_alg: AlgorithmIdentifierOwned,
    /// The signed attributes in the order sent; `None` when the signature is over the content itself.
    pub signed_attrs: Option<Vec<Attribute>>,
    /// The signature algorithm.
    pub signature_algorithm: AlgorithmIdentifierOwned,
    /// The signature value.
    pub signature: OctetString,
    /// The whole SignerInfo as sent.
    der: Vec<u8>,
    /// Where the `[0] signedAttrs` element is in `der`.
    signed_attrs_at: Option<core::ops::Range<usize>>,
}

/// One attribute: its type and its values, as sent.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Attribute {
    /// The attribute type.
    pub oid: ObjectIdentifier,
    /// Its values (at least one).
    pub values: Vec<Any>,
}

/// Signer identifiers decoded most recently, by their exact bytes: a correspondent signs every mail
/// with the same certificate. At most 16.
static SIGNER_IDS: Recent<(Vec<u8>, SignerIdentifier)> = Recent::new(16);

/// The attributes that may appear once only, with one value (RFC 5652 sections 11.1 to 11.3).
const SINGLE: [ObjectIdentifier; 3] = [oids::ATTR_CONTENT_TYPE, oids::ATTR_MESSAGE_DIGEST, oids::ATTR_SIGNING_TIME];

impl SentSignerInfo {
    /// Reads one DER SignerInfo.
    pub fn from_der(der: &[u8]) -> Result<SentSignerInfo> {
        let fields = ber::der_fields(der, 0x30)?;
        let mut rest = fields.iter().copied().peekable();
        let mut next = |what: &str| rest.next().ok_or_else(|| Error::bad(WHAT, format!("no {what}")));
        check_version(next("version")?, WHAT)?;
        let sid = signer_id(next("signer identifier")?)?;
        let digest_alg = algorithm(next("digest algorithm")?)?;
        let mut field = next("signature algorithm")?;
        let (signed_attrs, signed_attrs_at) = if field.first() == Some(&0xa0) {
            let attrs = attributes(field)?;
            if attrs.is_empty() {
                return Err(Error::bad(WHAT, "empty signed attributes"));
            }
            for oid in SINGLE {
                let mut same = attrs.iter().filter(|a| a.oid == oid);
                match (same.next(), same.next()) {
                    (Some(_), Some(_)) => {
                        return Err(Error::bad(WHAT, format!("two {} signed attributes", oids::name(&oid))));
                    }
                    (Some(a), None) if a.values.len() != 1 => {
                        return Err(Error::bad(WHAT, format!("{} values of {}", a.values.len(), oids::name(&oid))));
                    }
                    _ => {}
                }
            }
            // After the header and the three fields before it.
            let header = der.len() - fields.iter().map(|f| f.len()).sum::<usize>();
            let start = header + fields.iter().take(3).map(|f| f.len()).sum::<usize>();
            let at = start..start + field.len();
            field = next("signature algorithm")?;
            (Some(attrs), Some(at))
        } else {
            (None, None)
        };
        let signature_algorithm = algorithm(field)?;
        let signature =
            OctetString::from_der(next("signature")?).map_err(Error::malformed("CMS SignerInfo signature"))?;
        if let Some(unsigned) = rest.next() {
            if unsigned.first() != Some(&0xa1) {
                return Err(Error::bad(WHAT, "unexpected field after the signature"));
            }
            // Not used, but it must be well formed, and hold none of the attributes RFC 5652 section 11
            // says must be signed (a signingTime out here would claim a time nobody signed).
            let unsigned = attributes(unsigned)?;
            if let Some(a) = unsigned.iter().find(|a| SINGLE.contains(&a.oid)) {
                return Err(Error::bad(
                    WHAT,
                    format!(
                        "{} among the unsigned attributes (RFC 5652 section 11: it must be signed)",
                        oids::name(&a.oid)
                    ),
                ));
            }
        }
        if rest.next().is_some() {
            return Err(Error::bad(WHAT, "unexpected field after the unsigned attributes"));
        }
        Ok(SentSignerInfo {
            sid,
            digest_alg,
            signed_attrs,
            signature_algorithm,
            signature,
            der: der.to_vec(),
            signed_attrs_at,
        })
    }

    /// The SignerInfo as sent.
    pub fn der(&self) -> &[u8] {
        &self.der
    }

    /// The `[0] signedAttrs` element as sent (tag and length included): the signature is over these
    /// bytes, with the tag of a SET.
    pub fn signed_attrs_der(&self) -> Option<&[u8]> {
        self.der.get(self.signed_attrs_at.clone()?)
    }

    /// The value of the signed attribute `oid` (its first, and for the attributes checked here its
    /// only one).
    pub fn attr_value(&self, oid: ObjectIdentifier) -> Option<&Any> {
        self.signed_attrs.as_ref()?.iter().find(|a| a.oid == oid)?.values.first()
    }
}

/// A signer identifier: a recent one from the cache, else decoded (and then remembered).
fn signer_id(der: &[u8]) -> Result<SignerIdentifier> {
    if let Some(sid) = SIGNER_IDS.get(der) {
        return Ok(sid);
    }
    let sid = SignerIdentifier::from_der(der).map_err(Error::malformed("CMS SignerInfo signer identifier"))?;
    SIGNER_IDS.remember(der, sid.clone());
    Ok(sid)
}

/// A CMS version field: `CMSVersion ::= INTEGER { v0(0), ..., v5(5) }`, in DER.
pub(crate) fn check_version(der: &[u8], what: &'static str) -> Result<()> {
    match der {
        [0x02, 0x01, 0..=5] => Ok(()),
        _ => Err(Error::bad(what, "the version is not a CMS version (0 to 5)")),
    }
}

fn algorithm(der: &[u8]) -> Result<AlgorithmIdentifierOwned> {
    AlgorithmIdentifierOwned::from_der(der).map_err(Error::malformed("CMS SignerInfo algorithm"))
}

/// `[0]` or `[1] IMPLICIT SET OF Attribute`; Attribute ::= SEQUENCE { attrType OBJECT IDENTIFIER,
/// attrValues SET SIZE (1..MAX) OF AttributeValue }.
fn attributes(der: &[u8]) -> Result<Vec<Attribute>> {
    let tag = der.first().copied().unwrap_or_default();
    ber::der_fields(der, tag)?
        .into_iter()
        .map(|attr| {
            let [oid, values] = ber::der_fields(attr, 0x30)?[..] else {
                return Err(Error::bad(WHAT, "an attribute is not a type and a set of values"));
            };
            let oid = ObjectIdentifier::from_der(oid).map_err(Error::malformed("CMS attribute type"))?;
            let values = ber::der_fields(values, 0x31)?
                .into_iter()
                .map(|v| Any::from_der(v).map_err(Error::malformed("CMS attribute value")))
                .collect::<Result<Vec<_>>>()?;
            if values.is_empty() {
                return Err(Error::bad(WHAT, format!("the {} attribute has no value", oids::name(&oid))));
            }
            Ok(Attribute { oid, values })
        })
        .collect()
}

#[cfg(test)]
pub(crate) mod tests {
    use der::Encode;

    use super::*;
    use crate::ber::{tlv, with_content_fields};
    use crate::identity::Identity;

    /// `ours` holds what the cms crate decodes, with the signed attributes in the order sent.
    pub(crate) fn assert_agrees(ours: &SentSignerInfo, theirs: &cms::signed_data::SignerInfo) {
        assert_eq!(ours.der(), theirs.to_der().unwrap());
        assert_eq!(ours.sid, theirs.sid);
        assert_eq!(ours.digest_alg, theirs.digest_alg);
        assert_eq!(ours.signature_algorithm, theirs.signature_algorithm);
        assert_eq!(ours.signature, theirs.signature);
        let attrs = |list: Vec<(ObjectIdentifier, Vec<Any>)>| {
            let mut list: Vec<(Vec<u8>, Vec<Any>)> =
                list.into_iter().map(|(o, v)| (o.as_bytes().to_vec(), v)).collect();
            list.sort();
            list
        };
        let mine = ours.signed_attrs.iter().flatten().map(|a| (a.oid, a.values.clone())).collect();
        let cms =
            theirs.signed_attrs.iter().flat_map(|s| s.iter()).map(|a| (a.oid, a.values.iter().cloned().collect()));
        assert_eq!(attrs(mine), attrs(cms.collect()));
    }

    /// A SignerInfo of Carol's over a short text, and its fields.
    fn carol_signer_info() -> Vec<u8> {
        let dir = concat!(env!("CARGO_MANIFEST_DIR"), "/tests/data/pki");
        let id = Identity::from_pkcs12(&std::fs::read(format!("{dir}/carol.p12")).unwrap(), "secret").unwrap();
        let signed =
            crate::sign::sign(b"Content-Type: text/plain\r\n\r\nhi\r\n", &id, &Default::default(), false).unwrap();
        let mut out = Vec::new();
        with_content_fields(&signed, |f| {
            let infos = ber::der_children(f.last().unwrap()).unwrap();
            out = infos[0].to_vec();
        });
        out
    }

    /// The SignerInfo `der` with its fields changed by `edit`.
    fn edited(der: &[u8], edit: impl FnOnce(&mut Vec<Vec<u8>>)) -> Vec<u8> {
        let mut fields: Vec<Vec<u8>> = ber::der_children(der).unwrap().into_iter().map(<[u8]>::to_vec).collect();
        edit(&mut fields);
        ber::constructed(0x30, &fields)
    }

    #[test]
    fn agrees_with_the_cms_crate_and_keeps_the_attributes_as_sent() {
        let der = carol_signer_info();
        let si = SentSignerInfo::from_der(&der).unwrap();
        assert_agrees(&si, &cms::signed_data::SignerInfo::from_der(&der).unwrap());
        let fields = ber::der_children(&der).unwrap();
        assert_eq!(si.signed_attrs_der(), Some(fields[3]));
        assert!(si.attr_value(oids::ATTR_MESSAGE_DIGEST).is_some());
        // A second read takes the signer identifier from the cache, and is the same.
        assert_eq!(SentSignerInfo::from_der(&der).unwrap(), si);

        // Attributes in another order than DER's are kept in that order.
        let reversed = edited(&der, |f| {
            let mut attrs = ber::der_children(&f[3]).unwrap();
            attrs.reverse();
            f[3] = ber::constructed(0xa0, &attrs);
        });
        let si = SentSignerInfo::from_der(&reversed).unwrap();
        let oids: Vec<_> = si.signed_attrs.as_ref().unwrap().iter().map(|a| a.oid).collect();
        let mut sorted = oids.clone();
        sorted.reverse();
        let first: Vec<_> =
            SentSignerInfo::from_der(&der).unwrap().signed_attrs.unwrap().iter().map(|a| a.oid).collect();
        assert_eq!(sorted, first);

        // Without signed attributes, and with unsigned ones (an attribute Siegel does not know).
        let other: ObjectIdentifier = "1.2.3.4".parse().unwrap();
        let unsigned = tlv(0xa1, &tlv(0x30, &[&other.to_der().unwrap()[..], &tlv(0x31, &[0x05, 0x00])].concat()));
        let bare = edited(&der, |f| {
            f.remove(3);
            f.push(unsigned.clone());
        });
        let si = SentSignerInfo::from_der(&bare).unwrap();
        assert!(si.signed_attrs.is_none() && si.signed_attrs_der().is_none());
        assert_agrees(&si, &cms::signed_data::SignerInfo::from_der(&bare).unwrap());
    }

    /// RFC 5652 section 11: contentType, messageDigest and signingTime are signed attributes; one of
    /// them among the unsigned attributes is refused (as OpenSSL does), whatever else is signed.
    #[test]
    fn refuses_a_signing_time_among_the_unsigned_attributes() {
        let der = carol_signer_info();
        for oid in [oids::ATTR_SIGNING_TIME, oids::ATTR_MESSAGE_DIGEST, oids::ATTR_CONTENT_TYPE] {
            let unsigned = tlv(0xa1, &tlv(0x30, &[&oid.to_der().unwrap()[..], &tlv(0x31, &[0x05, 0x00])].concat()));
            let with = edited(&der, |f| f.push(unsigned.clone()));
            let e = SentSignerInfo::from_der(&with).expect_err("refused").to_string();
            assert!(e.contains("among the unsigned attributes"), "{e}");
        }
    }

    #[test]
    fn refuses_what_is_malformed_or_ambiguous() {
        let der = carol_signer_info();
        let refused = |der: &[u8], why: &str| {
            let e = SentSignerInfo::from_der(der).expect_err(why).to_string();
            assert!(e.contains("CMS") || e.contains("DER"), "{why}: {e}");
        };
        let attrs = ber::der_children(ber::der_children(&der).unwrap()[3]).unwrap();
        let digest_attr = attrs
            .iter()
            .find(|a| ber::der_children(a).unwrap()[0] == oids::ATTR_MESSAGE_DIGEST.to_der().unwrap())
            .unwrap()
            .to_vec();
        refused(
            &edited(&der, |f| f[3] = ber::constructed(0xa0, &[&attrs[..], &[&digest_attr[..]]].concat())),
            "two messageDigest attributes",
        );
        let two_values = {
            let fields = ber::der_children(&digest_attr).unwrap();
            let value = ber::der_children(fields[1]).unwrap()[0];
            ber::constructed(0x30, &[fields[0], &ber::constructed(0x31, &[value, value])])
        };
        refused(
            &edited(&der, |f| {
                let others: Vec<&[u8]> = attrs.iter().copied().filter(|a| *a != digest_attr.as_slice()).collect();
                f[3] = ber::constructed(0xa0, &[&others[..], &[&two_values[..]]].concat());
            }),
            "a messageDigest with two values",
        );
        refused(&edited(&der, |f| f[3] = vec![0xa0, 0x00]), "empty signed attributes");
        refused(
            &edited(&der, |f| {
                f[3] = ber::constructed(0xa0, &[ber::constructed(0x30, &[&oids::DATA.to_der().unwrap()[..]])])
            }),
            "an attribute without values",
        );
        refused(&edited(&der, |f| f.push(vec![0x05, 0x00])), "a field after the signature");
        refused(&edited(&der, |f| f.truncate(4)), "no signature");
        refused(&edited(&der, |f| f[1] = vec![0x05, 0x00]), "a NULL for the signer identifier");
        refused(&edited(&der, |f| f[0] = vec![0x02, 0x01, 0x06]), "version 6");
        refused(&edited(&der, |f| f[0] = vec![0x02, 0x02, 0x00, 0x01]), "version 1 in two bytes");
        // Not DER: a length in more bytes than needed, bytes after the element.
        assert_eq!(der[1], 0x82, "the SignerInfo's length takes two bytes");
        let mut padded = vec![0x30, 0x83, 0x00];
        padded.extend_from_slice(&der[2..]);
        refused(&padded, "a length in three bytes");
        refused(&[&der[..], &[0x00][..]].concat(), "a trailing byte");
    }
}
