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

use der::asn1::{AnyRef, BitString, Null, OctetString};
use der::{Decode, Encode, Sequence};
use spki::{AlgorithmIdentifierOwned, SubjectPublicKeyInfoOwned};
use x509_cert::ext::pkix::name::GeneralName;
use x509_cert::ext::pkix::{AuthorityInfoAccessSyntax, ExtendedKeyUsage, KeyUsages};
use x509_cert::ext::Extension;
use x509_cert::Certificate;
use x509_ocsp::{
    BasicOcspResponse, CertId, CertStatus, OcspRequest, OcspResponse, OcspResponseStatus, Request, ResponderId,
    ResponseData, SingleResponse, TbsRequest,
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
        return Err(Error::InvalidArgument(
            "the OCSP request's issuer certificate did not issue the certificate".into(),
        ));
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
            // evaluate() never says so; an OCSP answer is about a published status.
            Some(RevocationStatus::Unpublished) => {}
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
    crate::ber::check_sets(der).ok()?;
    let response = OcspResponse::from_der(der).ok()?;
    if response.response_status != OcspResponseStatus::Successful {
        return None;
    }
    let bytes = response.response_bytes?;
    if bytes.response_type != OCSP_BASIC {
        return None;
    }
    let raw = bytes.response.as_bytes();
    crate::ber::check_sets(raw).ok()?;
    let basic = decode_basic(raw).ok()?;
    let single = basic.tbs_response_data.responses.iter().find(|s| matches(&s.cert_id, cert, issuer))?;
    Some(verify(raw, &basic, single, issuer, ctx).unwrap_or_else(|reason| RevocationStatus::Unknown { reason }))
}

/// BasicOCSPResponse (RFC 6960 section 4.2.1) as x509-ocsp's `BasicOcspResponse`, with the certificates
/// left undecoded: see [`decode_basic`].
#[derive(Sequence)]
struct RawBasic<'a> {
    tbs_response_data: ResponseData,
    signature_algorithm: AlgorithmIdentifierOwned,
    signature: BitString,
    #[asn1(context_specific = "0", optional = "true", tag_mode = "EXPLICIT")]
    certs: Option<Vec<AnyRef<'a>>>,
}

/// `BasicOcspResponse::from_der`, the certificates decoded one by one as top-level values. der instantiates
/// every decoder once per reader nesting depth; decoded three levels down inside the response, the
/// certificates were a copy of the whole certificate decoder of their own in the WebAssembly binary.
fn decode_basic(raw: &[u8]) -> der::Result<BasicOcspResponse> {
    let RawBasic { tbs_response_data, signature_algorithm, signature, certs } = RawBasic::from_der(raw)?;
    let certs = certs.map(|v| v.into_iter().map(|c| c.decode_as::<Certificate>()).collect()).transpose()?;
    Ok(BasicOcspResponse { tbs_response_data, signature_algorithm, signature, certs })
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
    let tbs = sig::signed_part(raw).map_err(|_| "the OCSP response is malformed".to_string())?;
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
        return Err(format!("the OCSP response is not valid yet (thisUpdate {})", clock::format_rfc3339(this_update)));
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
        CertStatus::Unknown(_) => {
            RevocationStatus::Unknown { reason: "the responder does not know the certificate".into() }
        }
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
    let signature =
        basic.signature.as_bytes().ok_or_else(|| "the OCSP response's signature is malformed".to_string())?;
    // The algorithm is outside what is signed: only PSS takes parameters; the others have NULL or none.
    let alg = &basic.signature_algorithm;
    if alg.oid != oids::RSASSA_PSS && alg.parameters.as_ref().is_some_and(|p| !p.is_null()) {
        return Err("the OCSP response's signature algorithm has unexpected parameters".into());
    }
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
        let outcome = delegated(candidate, issuer, ctx)
            .and_then(|inherited| check(&candidate.tbs_certificate.subject_public_key_info, inherited.as_ref()));
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

#[cfg(test)]
mod tests {
    //! Against the real `openssl ocsp` as the responder, offline: an index file, a request file, a response file.

    use super::*;
    use std::path::{Path, PathBuf};
    use std::process::Command;

    const SKEW: u64 = 300;

    fn pki(name: &str) -> PathBuf {
        Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/data/pki").join(name)
    }

    fn load(path: &Path) -> Certificate {
        let data = std::fs::read(path).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
        cert::parse_certificates(&data).expect("certificate").remove(0)
    }

    fn pki_cert(name: &str) -> Certificate {
        load(&pki(&format!("{name}.crt")))
    }

    /// A scratch folder, removed on drop.
    struct TempDir(PathBuf);

    impl TempDir {
        fn new(name: &str) -> TempDir {
            let dir = std::env::temp_dir().join(format!("siegel-ocsp-{}-{name}", std::process::id()));
            let _ = std::fs::remove_dir_all(&dir);
            std::fs::create_dir_all(&dir).expect("temp dir");
            TempDir(dir)
        }
        fn path(&self, name: &str) -> PathBuf {
            self.0.join(name)
        }
        fn write(&self, name: &str, data: impl AsRef<[u8]>) -> PathBuf {
            let path = self.path(name);
            std::fs::write(&path, data).expect("write");
            path
        }
    }

    impl Drop for TempDir {
        fn drop(&mut self) {
            let _ = std::fs::remove_dir_all(&self.0);
        }
    }

    /// Runs the openssl CLI in `dir`; panics (with its stderr) when it fails or is missing.
    fn openssl(dir: &TempDir, args: &[&dyn AsRef<std::ffi::OsStr>]) -> std::process::Output {
        let out = Command::new("openssl")
            .current_dir(&dir.0)
            .args(args.iter().map(|a| a.as_ref()))
            .output()
            .unwrap_or_else(|e| {
                panic!("the OCSP tests need the openssl 3 CLI (installed by the project's setup), it did not run: {e}")
            });
        assert!(
            out.status.success(),
            "openssl {:?} failed: {}",
            args.iter().map(|a| a.as_ref()).collect::<Vec<_>>(),
            String::from_utf8_lossy(&out.stderr)
        );
        out
    }

    fn serial_hex(cert: &Certificate) -> String {
        let bytes = cert.tbs_certificate.serial_number.as_bytes();
        let start = bytes.iter().position(|&b| b != 0).unwrap_or(bytes.len().saturating_sub(1));
        bytes[start..].iter().map(|b| format!("{b:02X}")).collect()
    }

    fn valid(cert: &Certificate) -> String {
        format!("V\t491231235959Z\t\t{}\tunknown\t/O=Siegel Test/CN=x\n", serial_hex(cert))
    }

    fn revoked(cert: &Certificate, when: &str) -> String {
        format!("R\t491231235959Z\t{when}\t{}\tunknown\t/O=Siegel Test/CN=x\n", serial_hex(cert))
    }

    /// How openssl signs the response.
    struct Signer {
        cert: PathBuf,
        key: PathBuf,
    }

    fn intermediate_signer() -> Signer {
        Signer { cert: pki("intermediate.crt"), key: pki("intermediate.key") }
    }

    /// Has `openssl ocsp` answer `request` from `index` (lines), signed by `signer`, with `extra` options.
    fn respond(dir: &TempDir, index: &str, request: &[u8], signer: &Signer, extra: &[&str]) -> Vec<u8> {
        let index = dir.write("index.txt", index);
        let req = dir.write("req.der", request);
        let resp = dir.path("resp.der");
        let _ = std::fs::remove_file(&resp);
        let ca = pki("intermediate.crt");
        let mut args: Vec<&dyn AsRef<std::ffi::OsStr>> = vec![
            &"ocsp",
            &"-index",
            &index,
            &"-CA",
            &ca,
            &"-rsigner",
            &signer.cert,
            &"-rkey",
            &signer.key,
            &"-reqin",
            &req,
            &"-respout",
            &resp,
            &"-ndays",
            &"1",
        ];
        for e in extra {
            args.push(e);
        }
        openssl(dir, &args);
        std::fs::read(&resp).expect("openssl wrote no response")
    }

    /// Issues a responder certificate from `ca` (a pki name) with the given extensions; returns its signer.
    fn issue_responder(dir: &TempDir, name: &str, ca: &str, extensions: &str) -> Signer {
        let key = dir.path(&format!("{name}.key"));
        let csr = dir.path(&format!("{name}.csr"));
        let crt = dir.path(&format!("{name}.crt"));
        let ext = dir.write(&format!("{name}.ext"), extensions);
        openssl(dir, &[&"genpkey", &"-algorithm", &"EC", &"-pkeyopt", &"ec_paramgen_curve:P-256", &"-out", &key]);
        openssl(dir, &[&"req", &"-new", &"-key", &key, &"-subj", &format!("/O=Siegel Test/CN={name}"), &"-out", &csr]);
        let (ca_crt, ca_key) = (pki(&format!("{ca}.crt")), pki(&format!("{ca}.key")));
        openssl(
            dir,
            &[
                &"x509",
                &"-req",
                &"-in",
                &csr,
                &"-CA",
                &ca_crt,
                &"-CAkey",
                &ca_key,
                &"-set_serial",
                &"0x0a11ce",
                &"-days",
                &"30",
                &"-sha256",
                &"-extfile",
                &ext,
                &"-out",
                &crt,
            ],
        );
        Signer { cert: crt, key }
    }

    const RESPONDER_EXT: &str = "basicConstraints=critical,CA:FALSE\nkeyUsage=critical,digitalSignature\n\
                                 extendedKeyUsage=OCSPSigning\nsubjectKeyIdentifier=hash\n";
    const NO_EKU_EXT: &str = "basicConstraints=critical,CA:FALSE\nkeyUsage=critical,digitalSignature\n";

    fn ctx<'a>(responses: &'a [Vec<u8>], nonce: Option<&'a [u8]>) -> OcspContext<'a> {
        OcspContext { responses, time: clock::now_unix(), allow_sha1: false, nonce, skew: SKEW }
    }

    fn unknown_reason(status: Option<RevocationStatus>) -> String {
        match status {
            Some(RevocationStatus::Unknown { reason }) => reason,
            other => panic!("expected Some(Unknown), got {other:?}"),
        }
    }

    const NONCE: &[u8] = b"0123456789abcdef";

    /// One good answer for alice, signed by the intermediate itself, and what it took.
    fn good_alice(dir: &TempDir, extra: &[&str]) -> (Certificate, Certificate, Vec<u8>) {
        let (alice, intermediate) = (pki_cert("alice"), pki_cert("intermediate"));
        let req = build_request(&alice, &intermediate, Some(NONCE)).expect("request");
        let resp = respond(dir, &valid(&alice), &req, &intermediate_signer(), extra);
        (alice, intermediate, resp)
    }

    #[test]
    fn request_is_what_openssl_builds_and_parses() {
        let dir = TempDir::new("request");
        let (alice, intermediate) = (pki_cert("alice"), pki_cert("intermediate"));
        let ours = build_request(&alice, &intermediate, None).expect("request");
        let reference = dir.path("ref.der");
        openssl(
            &dir,
            &[
                &"ocsp",
                &"-issuer",
                &pki("intermediate.crt"),
                &"-cert",
                &pki("alice.crt"),
                &"-no_nonce",
                &"-reqout",
                &reference,
            ],
        );
        assert_eq!(ours, std::fs::read(&reference).expect("reference request"), "differs from openssl's request");

        let with_nonce = build_request(&alice, &intermediate, Some(NONCE)).expect("request");
        let req = dir.write("req.der", &with_nonce);
        let out = openssl(&dir, &[&"ocsp", &"-reqin", &req, &"-req_text"]);
        let text = String::from_utf8_lossy(&out.stdout);
        assert!(text.contains(&serial_hex(&alice)), "{text}");
        assert!(text.contains("OCSP Nonce"), "{text}");
        // The nonce is an OCTET STRING inside extnValue (RFC 8954), as openssl prints it: 04 10 <nonce>.
        let hex: String = NONCE.iter().map(|b| format!("{b:02X}")).collect();
        assert!(text.contains(&format!("0410{hex}")), "{text}");

        assert!(build_request(&alice, &intermediate, Some(b"")).is_err());
        assert!(build_request(&alice, &intermediate, Some(&[7; 33])).is_err());
        // The root did not issue alice.
        assert!(build_request(&alice, &pki_cert("root"), None).is_err());
    }

    #[test]
    fn good_revoked_and_unknown() {
        let dir = TempDir::new("statuses");
        let (alice, intermediate, resp) = good_alice(&dir, &[]);
        let responses = [resp];
        assert_eq!(check(&alice, &intermediate, &ctx(&responses, Some(NONCE))), Some(RevocationStatus::Good));
        // A response without our nonce is fine when we sent none; and one with a nonce when we sent none.
        assert_eq!(check(&alice, &intermediate, &ctx(&responses, None)), Some(RevocationStatus::Good));

        let req = build_request(&alice, &intermediate, Some(NONCE)).expect("request");
        let index = revoked(&alice, "240102030405Z,keyCompromise");
        let responses = [respond(&dir, &index, &req, &intermediate_signer(), &[])];
        let at = clock::parse_rfc3339("2024-01-02T03:04:05Z").expect("time");
        assert_eq!(
            check(&alice, &intermediate, &ctx(&responses, Some(NONCE))),
            Some(RevocationStatus::Revoked { revoked_at: at, reason: Some(Reason::KeyCompromise) })
        );
        let index = revoked(&alice, "240102030405Z");
        let responses = [respond(&dir, &index, &req, &intermediate_signer(), &[])];
        assert_eq!(
            check(&alice, &intermediate, &ctx(&responses, Some(NONCE))),
            Some(RevocationStatus::Revoked { revoked_at: at, reason: None })
        );

        // Alice is not in the index: openssl answers "unknown".
        let responses = [respond(&dir, &valid(&pki_cert("bob")), &req, &intermediate_signer(), &[])];
        let reason = unknown_reason(check(&alice, &intermediate, &ctx(&responses, Some(NONCE))));
        assert!(reason.contains("does not know"), "{reason}");
    }

    #[test]
    fn sha256_cert_id_and_key_responder_id() {
        let dir = TempDir::new("sha256");
        let (alice, intermediate) = (pki_cert("alice"), pki_cert("intermediate"));
        let req = dir.path("req256.der");
        openssl(
            &dir,
            &[
                &"ocsp",
                &"-issuer",
                &pki("intermediate.crt"),
                &"-sha256",
                &"-cert",
                &pki("alice.crt"),
                &"-no_nonce",
                &"-reqout",
                &req,
            ],
        );
        let req = std::fs::read(&req).expect("request");
        let responses = [respond(&dir, &valid(&alice), &req, &intermediate_signer(), &["-resp_key_id"])];
        let basic = OcspResponse::from_der(&responses[0]).ok().and_then(|r| r.response_bytes).expect("bytes");
        let basic = BasicOcspResponse::from_der(basic.response.as_bytes()).expect("basic");
        assert!(matches!(basic.tbs_response_data.responder_id, ResponderId::ByKey(_)));
        assert_eq!(basic.tbs_response_data.responses[0].cert_id.hash_algorithm.oid, oids::SHA256);
        assert_eq!(check(&alice, &intermediate, &ctx(&responses, None)), Some(RevocationStatus::Good));
    }

    #[test]
    fn sha1_signature_only_when_allowed() {
        let dir = TempDir::new("sha1");
        let (alice, intermediate, resp) = good_alice(&dir, &["-rmd", "sha1"]);
        let responses = [resp];
        let reason = unknown_reason(check(&alice, &intermediate, &ctx(&responses, Some(NONCE))));
        assert!(reason.contains("SHA-1"), "{reason}");
        let allowed = OcspContext { allow_sha1: true, ..ctx(&responses, Some(NONCE)) };
        assert_eq!(check(&alice, &intermediate, &allowed), Some(RevocationStatus::Good));
    }

    #[test]
    fn delegated_responders() {
        let dir = TempDir::new("delegated");
        let (alice, intermediate) = (pki_cert("alice"), pki_cert("intermediate"));
        let req = build_request(&alice, &intermediate, Some(NONCE)).expect("request");
        let index = valid(&alice);

        let responder = issue_responder(&dir, "responder", "intermediate", RESPONDER_EXT);
        let responses = [respond(&dir, &index, &req, &responder, &[])];
        assert_eq!(check(&alice, &intermediate, &ctx(&responses, Some(NONCE))), Some(RevocationStatus::Good));
        let responses = [respond(&dir, &index, &req, &responder, &["-resp_key_id"])];
        assert_eq!(check(&alice, &intermediate, &ctx(&responses, Some(NONCE))), Some(RevocationStatus::Good));
        // The responder's certificate is only valid for 30 days.
        let later = OcspContext { time: clock::now_unix() + 40 * 86_400, skew: 86_400 * 30, ..ctx(&responses, None) };
        let reason = unknown_reason(check(&alice, &intermediate, &later));
        assert!(reason.contains("not valid at the validation time"), "{reason}");
        // Without its certificate in the response, the responder cannot be checked.
        let responses = [respond(&dir, &index, &req, &responder, &["-resp_no_certs"])];
        let reason = unknown_reason(check(&alice, &intermediate, &ctx(&responses, Some(NONCE))));
        assert!(reason.contains("signed neither"), "{reason}");

        let no_eku = issue_responder(&dir, "no-eku", "intermediate", NO_EKU_EXT);
        let responses = [respond(&dir, &index, &req, &no_eku, &[])];
        let reason = unknown_reason(check(&alice, &intermediate, &ctx(&responses, Some(NONCE))));
        assert!(reason.contains("OCSPSigning"), "{reason}");

        // A responder with the right EKU, from the wrong CA.
        let foreign = issue_responder(&dir, "foreign", "other-root", RESPONDER_EXT);
        let responses = [respond(&dir, &index, &req, &foreign, &[])];
        let reason = unknown_reason(check(&alice, &intermediate, &ctx(&responses, Some(NONCE))));
        assert!(reason.contains("not issued by"), "{reason}");

        // Mallory's own key.
        let mallory = Signer { cert: pki("mallory.crt"), key: pki("mallory.key") };
        let responses = [respond(&dir, &index, &req, &mallory, &[])];
        assert!(matches!(
            check(&alice, &intermediate, &ctx(&responses, Some(NONCE))),
            Some(RevocationStatus::Unknown { .. })
        ));
        // Mallory's key behind the intermediate's name (openssl will not sign with a key that does not match
        // -rsigner, so a self-made certificate carries the name): the signature does not verify.
        let liar_resp = forged_by_name(&dir, &index, &req);
        let responses = [liar_resp];
        let reason = unknown_reason(check(&alice, &intermediate, &ctx(&responses, Some(NONCE))));
        assert!(reason.contains("signature does not verify"), "{reason}");
    }

    /// A response signed with mallory's key by a self-made certificate that bears the intermediate's name.
    fn forged_by_name(dir: &TempDir, index: &str, req: &[u8]) -> Vec<u8> {
        let crt = dir.path("fake-intermediate.crt");
        openssl(
            dir,
            &[
                &"req",
                &"-x509",
                &"-new",
                &"-key",
                &pki("mallory.key"),
                &"-subj",
                &"/O=Siegel Test/CN=Siegel Test Issuing CA",
                &"-days",
                &"30",
                &"-out",
                &crt,
            ],
        );
        respond(dir, index, req, &Signer { cert: crt, key: pki("mallory.key") }, &[])
    }

    #[test]
    fn tampering_nonce_and_time() {
        let dir = TempDir::new("tamper");
        let (alice, intermediate, resp) = good_alice(&dir, &[]);

        // Flip the signature's last byte (the response also carries the intermediate's certificate after it).
        let basic = OcspResponse::from_der(&resp).ok().and_then(|r| r.response_bytes).expect("bytes");
        let signature = BasicOcspResponse::from_der(basic.response.as_bytes()).expect("basic").signature;
        let signature = signature.raw_bytes();
        let at = resp.windows(signature.len()).position(|w| w == signature).expect("signature in response");
        let mut tampered = resp.clone();
        tampered[at + signature.len() - 1] ^= 0x01;
        let reason = unknown_reason(check(&alice, &intermediate, &ctx(&[tampered], Some(NONCE))));
        assert!(reason.contains("signature does not verify"), "{reason}");

        let responses = [resp];
        let reason = unknown_reason(check(&alice, &intermediate, &ctx(&responses, Some(b"another nonce"))));
        assert!(reason.contains("nonce"), "{reason}");

        let now = clock::now_unix();
        let expired = OcspContext { time: now + 86_400 + 2 * SKEW, ..ctx(&responses, Some(NONCE)) };
        let reason = unknown_reason(check(&alice, &intermediate, &expired));
        assert!(reason.contains("expired"), "{reason}");
        let within_skew = OcspContext { time: now + 86_400 + SKEW / 2, ..ctx(&responses, Some(NONCE)) };
        assert_eq!(check(&alice, &intermediate, &within_skew), Some(RevocationStatus::Good));
        let early = OcspContext { time: now - 2 * SKEW, ..ctx(&responses, Some(NONCE)) };
        let reason = unknown_reason(check(&alice, &intermediate, &early));
        assert!(reason.contains("not valid yet"), "{reason}");
    }

    #[test]
    fn every_flipped_byte_or_truncation_is_refused() {
        let dir = TempDir::new("flip");
        // No certificates in the response: every byte is then covered by the signature or the structure.
        let (alice, intermediate, resp) = good_alice(&dir, &["-resp_no_certs"]);
        assert_eq!(
            check(&alice, &intermediate, &ctx(std::slice::from_ref(&resp), Some(NONCE))),
            Some(RevocationStatus::Good)
        );
        for i in 0..resp.len() {
            for bit in [0x01u8, 0x80] {
                let mut bad = resp.clone();
                bad[i] ^= bit;
                let status = check(&alice, &intermediate, &ctx(&[bad], Some(NONCE)));
                assert_ne!(status, Some(RevocationStatus::Good), "byte {i} ^ {bit:#x} still verifies");
            }
        }
        for len in 0..resp.len() {
            assert_eq!(check(&alice, &intermediate, &ctx(&[resp[..len].to_vec()], Some(NONCE))), None, "length {len}");
        }
    }

    #[test]
    fn garbage_and_unrelated_responses() {
        let dir = TempDir::new("garbage");
        let (alice, intermediate, alice_resp) = good_alice(&dir, &[]);
        let bob = pki_cert("bob");
        let bob_req = build_request(&bob, &intermediate, None).expect("request");
        let bob_resp = respond(&dir, &valid(&bob), &bob_req, &intermediate_signer(), &[]);

        let garbage: Vec<Vec<u8>> = vec![
            Vec::new(),
            b"garbage".to_vec(),
            vec![0x30, 0x80, 0x00, 0x00],
            vec![0x30, 0x84, 0xff, 0xff, 0xff, 0xff],
            vec![0x30, 0x03, 0x0a, 0x01, 0x03], // tryLater
            vec![0x30, 0x03, 0x0a, 0x01, 0x00], // successful without a body
            vec![0xff; 4096],
        ];
        assert_eq!(check(&alice, &intermediate, &ctx(&garbage, Some(NONCE))), None);
        assert_eq!(check(&alice, &intermediate, &ctx(std::slice::from_ref(&bob_resp), Some(NONCE))), None);

        let mut all = garbage.clone();
        all.push(bob_resp);
        all.push(alice_resp);
        let c = OcspContext { nonce: None, ..ctx(&all, None) };
        assert_eq!(check(&alice, &intermediate, &c), Some(RevocationStatus::Good));
        assert_eq!(check(&bob, &intermediate, &c), Some(RevocationStatus::Good));
        assert_eq!(check(&pki_cert("carol"), &intermediate, &c), None);
        // Right serial, wrong issuer: the CertID does not match.
        assert_eq!(check(&alice, &pki_cert("root"), &c), None);
    }

    #[test]
    fn responder_urls_from_aia() {
        assert!(responder_urls(&pki_cert("alice")).is_empty());
        let dir = TempDir::new("aia");
        let signer = issue_responder(
            &dir,
            "with-aia",
            "intermediate",
            "authorityInfoAccess=OCSP;URI:http://ocsp.example/,caIssuers;URI:http://ca.example/ca.crt,\
             OCSP;URI:ldap://ldap.example/,OCSP;URI:HTTP://ocsp2.example/x\n",
        );
        assert_eq!(responder_urls(&load(&signer.cert)), ["http://ocsp.example/", "HTTP://ocsp2.example/x"]);
    }
}
