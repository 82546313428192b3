//! Online certificate status (OCSP, RFC 6960): building requests and verifying responses.
//!
//! The core never talks to the network. [`responder_urls`] says where to ask, [`build_request`] makes the
//! DER `OCSPRequest` the host POSTs there (`Content-Type: application/ocsp-request`), and [`check`] takes the
//! DER `OCSPResponse`s the host got back and verifies them as RFC 6960 section 3.2 says: the answer must be
//! about this certificate, signed by its issuer or by a responder the issuer delegated to, current, and
//! carry the nonce that was sent (when it carries one at all: many responders serve pre-signed answers
//! without nonces, RFC 5019).
//!
//! Not checked: the revocation status of a delegated responder's own certificate (RFC 6960 section 4.2.2.2.1
//! leaves it to the client; responders normally carry id-pkix-ocsp-nocheck and are short-lived).

use der::asn1::{Null, OctetString};
use der::{Decode, Encode, Reader, SliceReader};
use spki::SubjectPublicKeyInfoOwned;
use x509_cert::ext::pkix::name::GeneralName;
use x509_cert::ext::pkix::{AuthorityInfoAccessSyntax, ExtendedKeyUsage, KeyUsages};
use x509_cert::ext::Extension;
use x509_cert::Certificate;
use x509_ocsp::{
    BasicOcspResponse, CertId, CertStatus, OcspRequest, OcspResponse, OcspResponseStatus, Request, ResponderId,
    SingleResponse, TbsRequest,
};

use crate::alg::Digest;
use crate::trust::crl::{Reason, RevocationStatus};
use crate::trust::{names, sig};
use crate::{cert, clock, oids, Error, Result};

const AD_OCSP: const_oid::ObjectIdentifier = const_oid::db::rfc5280::ID_AD_OCSP;
const KP_OCSP_SIGNING: const_oid::ObjectIdentifier = const_oid::db::rfc5280::ID_KP_OCSP_SIGNING;
const EXT_AUTHORITY_INFO_ACCESS: const_oid::ObjectIdentifier = const_oid::db::rfc5280::ID_PE_AUTHORITY_INFO_ACCESS;
const OCSP_BASIC: const_oid::ObjectIdentifier = const_oid::db::rfc6960::ID_PKIX_OCSP_BASIC;
const OCSP_NONCE: const_oid::ObjectIdentifier = const_oid::db::rfc6960::ID_PKIX_OCSP_NONCE;

/// The longest nonce a responder must accept (RFC 8954 section 2.1).
pub const MAX_NONCE_LEN: usize = 32;

/// Responses larger than this are not looked at (real ones are a few kilobytes).
const MAX_RESPONSE_LEN: usize = 1 << 20;

/// The OCSP responder URLs of a certificate (authorityInfoAccess, id-ad-ocsp, http only), in order.
///
/// Only `http://` locations are returned: RFC 6960 appendix A defines OCSP over HTTP, and other schemes
/// (ldap, https to a responder whose own certificate would need checking) are not something the host should
/// fetch for revocation.
pub fn responder_urls(cert: &Certificate) -> Vec<String> {
    let Some((_, aia)) = cert::extension::<AuthorityInfoAccessSyntax>(cert, EXT_AUTHORITY_INFO_ACCESS) else {
        return Vec::new();
    };
    aia.0
        .iter()
        .filter(|ad| ad.access_method == AD_OCSP)
        .filter_map(|ad| match &ad.access_location {
            GeneralName::UniformResourceIdentifier(uri) => Some(uri.to_string()),
            _ => None,
        })
        .filter(|uri| uri.get(..7).is_some_and(|scheme| scheme.eq_ignore_ascii_case("http://")))
        .collect()
}

/// A DER OCSPRequest for `cert` issued by `issuer`: one Request, CertID with SHA-1 hashes (what responders
/// universally accept; RFC 6960 / RFC 5019), optional nonce extension (id-pkix-ocsp-nonce) when `nonce` is given.
///
/// The nonce must be 1 to [`MAX_NONCE_LEN`] bytes (RFC 8954); pass the same bytes to [`OcspContext::nonce`].
/// `issuer` must be the certificate's issuer (by name), or the request would ask about nothing.
pub fn build_request(cert: &Certificate, issuer: &Certificate, nonce: Option<&[u8]>) -> Result<Vec<u8>> {
    if !names::names_equal(&cert.tbs_certificate.issuer, &issuer.tbs_certificate.subject) {
        return Err(Error::InvalidArgument("the OCSP request's issuer certificate did not issue the certificate".into()));
    }
    let req_cert = cert_id(Digest::Sha1, cert, issuer)?;
    let request_extensions = match nonce {
        None => None,
        Some(n) if n.is_empty() || n.len() > MAX_NONCE_LEN => {
            return Err(Error::InvalidArgument(format!(
                "an OCSP nonce must be 1 to {MAX_NONCE_LEN} bytes long, not {}",
                n.len()
            )))
        }
        Some(n) => {
            // Nonce ::= OCTET STRING, itself wrapped in the extension's extnValue OCTET STRING (RFC 8954).
            let value = OctetString::new(n).and_then(|o| o.to_der()).map_err(Error::malformed("OCSP nonce"))?;
            Some(vec![Extension {
                extn_id: OCSP_NONCE,
                critical: false,
                extn_value: OctetString::new(value).map_err(Error::malformed("OCSP nonce"))?,
            }])
        }
    };
    let request = OcspRequest {
        tbs_request: TbsRequest {
            version: Default::default(),
            requestor_name: None,
            request_list: vec![Request { req_cert, single_request_extensions: None }],
            request_extensions,
        },
        optional_signature: None,
    };
    request.to_der().map_err(Error::malformed("OCSP request"))
}

/// The CertID of `cert` with `digest`: hashes of the issuer name DER (the certificate's issuer field, RFC 6960
/// section 4.1.1) and of the issuer's public key BIT STRING contents, and the serial number.
fn cert_id(digest: Digest, cert: &Certificate, issuer: &Certificate) -> Result<CertId> {
    let name = cert.tbs_certificate.issuer.to_der().map_err(Error::malformed("certificate issuer"))?;
    let key = issuer.tbs_certificate.subject_public_key_info.subject_public_key.raw_bytes();
    Ok(CertId {
        hash_algorithm: spki::AlgorithmIdentifierOwned { oid: digest.oid(), parameters: Some(Null.into()) },
        issuer_name_hash: OctetString::new(digest.hash(&name)).map_err(Error::malformed("OCSP CertID"))?,
        issuer_key_hash: OctetString::new(digest.hash(key)).map_err(Error::malformed("OCSP CertID"))?,
        serial_number: cert.tbs_certificate.serial_number.clone(),
    })
}

/// What [`check`] may use.
#[derive(Clone, Copy, Debug)]
pub struct OcspContext<'a> {
    /// DER OCSPResponses the host fetched (any number, for any certificates; the matching one is found).
    pub responses: &'a [Vec<u8>],
    /// The validation time, Unix seconds.
    pub time: u64,
    /// Whether SHA-1 response signatures are accepted (common in OCSP!): the caller decides.
    pub allow_sha1: bool,
    /// The nonce sent, if any: a response carrying a different nonce is refused. A response without a nonce
    /// is accepted (responders may serve pre-signed answers, RFC 5019); its freshness is then only its
    /// thisUpdate/nextUpdate.
    pub nonce: Option<&'a [u8]>,
    /// Allowed clock skew for thisUpdate/nextUpdate, seconds (e.g. 300).
    pub skew: u64,
}

/// RFC 6960 section 3.2 on the responses: finds a SingleResponse whose CertID matches cert/issuer (hash of the
/// issuer name DER and of the issuer key BIT STRING contents, with the CertID's own hash algorithm: SHA-1 or
/// SHA-256/384/512, and the serial), checks the response status is successful and the type is id-pkix-ocsp-basic,
/// the signature over tbsResponseData by the issuer itself or by a delegated responder certificate included in the
/// response that is issued (signature-verified) by the issuer and has extKeyUsage id-kp-OCSPSigning (and is valid at
/// `time`), that thisUpdate <= time + skew and (nextUpdate absent or time <= nextUpdate + skew), and the nonce.
///
/// Returns `None` when no response matches (the caller then falls back to "unknown"; this includes responses that
/// do not decode or are not successful, since they name no certificate), `Some(Good)`, `Some(Revoked{..})` with
/// revocationTime and reason, or `Some(Unknown{reason})` for a matching but unusable or unknown answer, saying why.
/// When several usable responses match, a revocation wins over a good answer, and any usable answer over an
/// unusable one.
pub fn check(cert: &Certificate, issuer: &Certificate, ctx: &OcspContext<'_>) -> Option<RevocationStatus> {
    let mut good = false;
    let mut unknown: Option<String> = None;
    for der in ctx.responses {
        match evaluate(der, cert, issuer, ctx) {
            None => {}
            Some(revoked @ RevocationStatus::Revoked { .. }) => return Some(revoked),
            Some(RevocationStatus::Good) => good = true,
            Some(RevocationStatus::Unknown { reason }) => {
                unknown.get_or_insert(reason);
            }
        }
    }
    if good {
        Some(RevocationStatus::Good)
    } else {
        unknown.map(|reason| RevocationStatus::Unknown { reason })
    }
}

/// One response: `None` when it says nothing about the certificate.
fn evaluate(der: &[u8], cert: &Certificate, issuer: &Certificate, ctx: &OcspContext<'_>) -> Option<RevocationStatus> {
    if der.len() > MAX_RESPONSE_LEN {
        return None;
    }
    let response = OcspResponse::from_der(der).ok()?;
    if response.response_status != OcspResponseStatus::Successful {
        return None;
    }
    let bytes = response.response_bytes?;
    if bytes.response_type != OCSP_BASIC {
        return None;
    }
    let raw = bytes.response.as_bytes();
    let basic = BasicOcspResponse::from_der(raw).ok()?;
    let single = basic.tbs_response_data.responses.iter().find(|s| matches(&s.cert_id, cert, issuer))?;
    Some(verify(raw, &basic, single, issuer, ctx).unwrap_or_else(|reason| RevocationStatus::Unknown { reason }))
}

/// Whether a CertID names `cert` as issued by `issuer`.
fn matches(id: &CertId, cert: &Certificate, issuer: &Certificate) -> bool {
    let Ok(digest) = Digest::from_oid(&id.hash_algorithm.oid) else {
        return false;
    };
    if id.hash_algorithm.parameters.as_ref().is_some_and(|p| !p.is_null())
        || id.serial_number.as_bytes() != cert.tbs_certificate.serial_number.as_bytes()
    {
        return false;
    }
    let key = issuer.tbs_certificate.subject_public_key_info.subject_public_key.raw_bytes();
    if digest.hash(key) != id.issuer_key_hash.as_bytes() {
        return false;
    }
    // RFC 6960 hashes the certificate's issuer field; responders (OpenSSL among them) hash the issuer's
    // subject. The two are the same name, and nearly always the same bytes; either will do.
    [cert.tbs_certificate.issuer.to_der(), issuer.tbs_certificate.subject.to_der()]
        .iter()
        .any(|name| name.as_ref().is_ok_and(|n| digest.hash(n) == id.issuer_name_hash.as_bytes()))
}

/// Verifies a response that matched, and reads its answer.
fn verify(
    raw: &[u8],
    basic: &BasicOcspResponse,
    single: &SingleResponse,
    issuer: &Certificate,
    ctx: &OcspContext<'_>,
) -> core::result::Result<RevocationStatus, String> {
    let tbs = tbs_bytes(raw).map_err(|_| "the OCSP response is malformed".to_string())?;
    verify_signature(tbs, basic, issuer, ctx)?;

    let data = &basic.tbs_response_data;
    let critical = data.response_extensions.iter().flatten().chain(single.single_extensions.iter().flatten());
    if let Some(ext) = critical.into_iter().find(|e| e.critical && e.extn_id != OCSP_NONCE) {
        return Err(format!("the OCSP response has an unrecognised critical extension {}", oids::name(&ext.extn_id)));
    }

    if let Some(sent) = ctx.nonce {
        if let Some(ext) = data.response_extensions.iter().flatten().find(|e| e.extn_id == OCSP_NONCE) {
            let value = ext.extn_value.as_bytes();
            // RFC 8954 wraps the nonce in an OCTET STRING; some old responders echo it bare.
            let wrapped = OctetString::from_der(value).ok();
            if value != sent && wrapped.as_ref().is_none_or(|w| w.as_bytes() != sent) {
                return Err("the OCSP response's nonce does not match the request's".into());
            }
        }
    }

    let this_update = single.this_update.0.to_unix_duration().as_secs();
    if this_update > ctx.time.saturating_add(ctx.skew) {
        return Err(format!(
            "the OCSP response is not valid yet (thisUpdate {})",
            clock::format_rfc3339(this_update)
        ));
    }
    if let Some(next) = single.next_update {
        let next_update = next.0.to_unix_duration().as_secs();
        if ctx.time > next_update.saturating_add(ctx.skew) {
            return Err(format!("the OCSP response has expired (nextUpdate {})", clock::format_rfc3339(next_update)));
        }
    }

    Ok(match single.cert_status {
        CertStatus::Good(_) => RevocationStatus::Good,
        CertStatus::Revoked(info) => RevocationStatus::Revoked {
            revoked_at: info.revocation_time.0.to_unix_duration().as_secs(),
            reason: info.revocation_reason.map(Reason::from),
        },
        CertStatus::Unknown(_) => RevocationStatus::Unknown { reason: "the responder does not know the certificate".into() },
    })
}

/// Checks the signature over tbsResponseData: by the issuer, or by a delegated responder certificate in the
/// response. Candidates are the certificates the ResponderID identifies; the first that verifies wins.
fn verify_signature(
    tbs: &[u8],
    basic: &BasicOcspResponse,
    issuer: &Certificate,
    ctx: &OcspContext<'_>,
) -> core::result::Result<(), String> {
    let signature = basic.signature.as_bytes().ok_or_else(|| "the OCSP response's signature is malformed".to_string())?;
    let responder = &basic.tbs_response_data.responder_id;
    let check = |key: &SubjectPublicKeyInfoOwned, inherited: Option<&der::Any>| {
        sig::verify(tbs, &basic.signature_algorithm, signature, key, inherited, ctx.allow_sha1).map_err(|e| match e {
            sig::SignatureError::Invalid => "the OCSP response's signature does not verify".to_string(),
            other => format!("the OCSP response's signature cannot be checked: {other}"),
        })
    };

    let mut first_error: Option<String> = None;
    if identifies(responder, issuer) {
        match check(&issuer.tbs_certificate.subject_public_key_info, None) {
            Ok(()) => return Ok(()),
            Err(e) => first_error = Some(e),
        }
    }
    for candidate in basic.certs.iter().flatten().filter(|c| identifies(responder, c)) {
        let outcome = delegated(candidate, issuer, ctx).and_then(|inherited| {
            check(&candidate.tbs_certificate.subject_public_key_info, inherited.as_ref())
        });
        match outcome {
            Ok(()) => return Ok(()),
            Err(e) => {
                first_error.get_or_insert(e);
            }
        }
    }
    Err(first_error.unwrap_or_else(|| {
        "the OCSP response is signed neither by the certificate's issuer nor by a delegated responder whose \
         certificate is included"
            .into()
    }))
}

/// Whether the ResponderID names `cert` (byName: its subject; byKey: SHA-1 of its public key BIT STRING contents).
fn identifies(responder: &ResponderId, cert: &Certificate) -> bool {
    match responder {
        ResponderId::ByName(name) => names::names_equal(name, &cert.tbs_certificate.subject),
        ResponderId::ByKey(hash) => {
            let key = cert.tbs_certificate.subject_public_key_info.subject_public_key.raw_bytes();
            Digest::Sha1.hash(key) == hash.as_bytes()
        }
    }
}

/// RFC 6960 section 4.2.2.2: a delegated responder is issued directly by the CA that issued the certificate in
/// question, and has id-kp-OCSPSigning. Returns the DSA parameters its key inherits from the issuer, if any.
fn delegated(
    responder: &Certificate,
    issuer: &Certificate,
    ctx: &OcspContext<'_>,
) -> core::result::Result<Option<der::Any>, String> {
    let issuer_key = &issuer.tbs_certificate.subject_public_key_info;
    if !names::names_equal(&responder.tbs_certificate.issuer, &issuer.tbs_certificate.subject) {
        return Err("the OCSP responder's certificate is not issued by the certificate's issuer".into());
    }
    sig::verify_certificate(responder, issuer_key, None, ctx.allow_sha1)
        .map_err(|e| format!("the OCSP responder's certificate is not signed by the certificate's issuer: {e}"))?;
    let ocsp_signing = cert::extension::<ExtendedKeyUsage>(responder, oids::EXT_EXTENDED_KEY_USAGE)
        .is_some_and(|(_, eku)| eku.0.contains(&KP_OCSP_SIGNING));
    if !ocsp_signing {
        return Err("the OCSP responder's certificate is not authorised to sign OCSP responses \
                    (no id-kp-OCSPSigning extended key usage)"
            .into());
    }
    if !cert::allows(responder, KeyUsages::DigitalSignature) {
        return Err("the OCSP responder's certificate does not allow digital signatures".into());
    }
    if !cert::valid_at(responder, ctx.time) {
        return Err("the OCSP responder's certificate is not valid at the validation time".into());
    }
    let key = &responder.tbs_certificate.subject_public_key_info;
    Ok(if sig::needs_inherited_parameters(key) { sig::parameters(issuer_key) } else { None })
}

/// The raw tbsResponseData TLV inside a BasicOCSPResponse (what the signature covers, as sent).
fn tbs_bytes(der: &[u8]) -> der::Result<&[u8]> {
    let mut reader = SliceReader::new(der)?;
    let tbs = reader.sequence(|r| {
        let tbs = r.tlv_bytes()?;
        // The rest (algorithm, signature, certs) was checked by the typed decode.
        let rest = r.remaining_len();
        r.read_slice(rest)?;
        Ok(tbs)
    })?;
    reader.finish(tbs)
}
