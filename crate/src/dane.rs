//! DANE for S/MIME (RFC 8162): a correspondent's certificate published in DNS as an SMIMEA record, asked
//! of a DNS-over-HTTPS resolver (RFC 8484) in DNS wire format (RFC 1035).
//!
//! - [`owner_name`]: where the record of an address lives: the SHA2-256 of the local part, truncated to 28
//!   octets, in hex, then `_smimecert.` and the domain (RFC 8162 section 3).
//! - [`query`]: the DNS query message for it (type SMIMEA, 53; recursion desired; the AD bit set to ask
//!   for the resolver's DNSSEC verdict, RFC 6840 section 5.7; ID 0, as RFC 8484 section 4.1 asks).
//! - [`parse_response`]: the SMIMEA records of the answer, and whether the resolver says it validated them
//!   with DNSSEC (the AD bit). RFC 8162 requires DNSSEC: an answer without AD gives no certificate.
//!
//! Only records that hold a whole certificate (selector 0, matching type 0) give one; hashes (matching types
//! 1 and 2) can only confirm a certificate found elsewhere and are counted, not used. Whatever DNS gives
//! goes through [`crate::directory::choose`] like any directory's answer: DNS does not replace the
//! trusted CAs, whatever the record's certificate usage says.

use sha2::{Digest, Sha256};

use crate::{Error, Result};

/// The RR type of SMIMEA (RFC 8162 section 8).
pub const TYPE_SMIMEA: u16 = 53;
/// Largest DNS message read (the wire format's own maximum).
pub const MAX_MESSAGE_BYTES: usize = 65_535;
/// Most answer records read; the rest make the answer refused.
pub const MAX_RECORDS: usize = 64;

const WHAT: &str = "DNS answer";
const CLASS_IN: u16 = 1;

/// One SMIMEA record.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Smimea {
    /// Certificate usage: 0 PKIX-TA, 1 PKIX-EE, 2 DANE-TA, 3 DANE-EE.
    pub usage: u8,
    /// 0: the whole certificate; 1: its SubjectPublicKeyInfo.
    pub selector: u8,
    /// 0: the data itself; 1: its SHA2-256; 2: its SHA2-512.
    pub matching: u8,
    /// The certificate association data.
    pub data: Vec<u8>,
    /// Its time to live, seconds.
    pub ttl: u32,
}

impl Smimea {
    /// The DER certificate this record holds whole, if it does.
    pub fn certificate(&self) -> Option<&[u8]> {
        (self.selector == 0 && self.matching == 0).then_some(self.data.as_slice())
    }
}

/// What a resolver answered.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Answer {
    /// The resolver validated the answer with DNSSEC (the AD bit).
    pub authenticated: bool,
    /// The name does not exist (NXDOMAIN) or has no SMIMEA records: no certificate is published.
    pub records: Vec<Smimea>,
}

/// The owner name of the SMIMEA record for `email`, without the trailing dot.
pub fn owner_name(email: &str) -> Result<String> {
    let email = email.trim();
    let (local, domain) = email
        .rsplit_once('@')
        .filter(|(l, d)| !l.is_empty() && !d.is_empty())
        .ok_or_else(|| Error::InvalidArgument(format!("{email:?} is not an email address")))?;
    let domain = domain.trim_end_matches('.').to_ascii_lowercase();
    if !domain
        .split('.')
        .all(|l| !l.is_empty() && l.len() <= 63 && l.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'-'))
    {
        return Err(Error::InvalidArgument(format!("{domain:?} is not a domain name Siegel can look up")));
    }
    let hash = Sha256::digest(local.as_bytes());
    let name = format!("{}._smimecert.{domain}", crate::cert::hex(&hash[..28]));
    if name.len() > 253 {
        return Err(Error::InvalidArgument(format!("the domain of {email} is too long for DNS")));
    }
    Ok(name)
}

/// The DNS query message (RFC 1035 section 4) asking for the SMIMEA records of `email`.
pub fn query(email: &str) -> Result<Vec<u8>> {
    let name = owner_name(email)?;
    // ID 0; flags: RD (0x0100) and AD (0x0020); one question.
    let mut out = vec![0, 0, 0x01, 0x20, 0, 1, 0, 0, 0, 0, 0, 0];
    for label in name.split('.') {
        out.push(label.len() as u8);
        out.extend_from_slice(label.as_bytes());
    }
    out.push(0);
    out.extend_from_slice(&TYPE_SMIMEA.to_be_bytes());
    out.extend_from_slice(&CLASS_IN.to_be_bytes());
    Ok(out)
}

/// Reads the resolver's answer to [`query`] for `email`. Errors for anything that is not an answer to that
/// question (another ID or question, a truncated or malformed message) and for a resolver error (SERVFAIL,
/// REFUSED, ...); NXDOMAIN and an empty answer are no records.
pub fn parse_response(message: &[u8], email: &str) -> Result<Answer> {
    if message.len() > MAX_MESSAGE_BYTES {
        return Err(Error::LimitExceeded(format!("a DNS answer of {} bytes", message.len())));
    }
    let mut r = Reader { data: message, pos: 0 };
    let (id, flags) = (r.u16()?, r.u16()?);
    let (qd, an) = (r.u16()?, r.u16()?);
    let _ns = r.u16()?;
    let _ar = r.u16()?;
    if id != 0 || flags & 0x8000 == 0 {
        return Err(Error::bad(WHAT, "not the answer to Siegel's query (wrong ID, or not a response)"));
    }
    if flags & 0x0200 != 0 {
        return Err(Error::bad(WHAT, "the resolver truncated its answer"));
    }
    let rcode = flags & 0x000f;
    let authenticated = flags & 0x0020 != 0;
    if qd != 1 {
        return Err(Error::bad(WHAT, format!("{qd} questions where one was asked")));
    }
    let wanted = owner_name(email)?;
    let asked = r.name()?;
    let (qtype, qclass) = (r.u16()?, r.u16()?);
    if !asked.eq_ignore_ascii_case(&wanted) || qtype != TYPE_SMIMEA || qclass != CLASS_IN {
        return Err(Error::bad(WHAT, format!("an answer about {asked}, not about {wanted}")));
    }
    match rcode {
        0 => {}
        3 => return Ok(Answer { authenticated, records: Vec::new() }),
        2 => {
            return Err(Error::bad(
                WHAT,
                "the resolver failed (SERVFAIL; for a signed zone, DNSSEC validation may have failed)",
            ))
        }
        5 => return Err(Error::bad(WHAT, "the resolver refused the query")),
        other => return Err(Error::bad(WHAT, format!("the resolver answered with error code {other}"))),
    }
    if usize::from(an) > MAX_RECORDS {
        return Err(Error::LimitExceeded(format!("a DNS answer with {an} records (at most {MAX_RECORDS})")));
    }
    let mut records = Vec::new();
    for _ in 0..an {
        let _owner = r.name()?;
        let (rtype, class, ttl, len) = (r.u16()?, r.u16()?, r.u32()?, usize::from(r.u16()?));
        let rdata = r.take(len)?;
        if rtype != TYPE_SMIMEA || class != CLASS_IN {
            continue; // a CNAME on the way, or anything else: not a record to use
        }
        let [usage, selector, matching, data @ ..] = rdata else {
            return Err(Error::bad(WHAT, "an SMIMEA record shorter than its three fixed fields"));
        };
        records.push(Smimea { usage: *usage, selector: *selector, matching: *matching, data: data.to_vec(), ttl });
    }
    Ok(Answer { authenticated, records })
}

struct Reader<'a> {
    data: &'a [u8],
    pos: usize,
}

impl<'a> Reader<'a> {
    fn take(&mut self, n: usize) -> Result<&'a [u8]> {
        let end = self.pos.checked_add(n).filter(|&e| e <= self.data.len());
        let end = end.ok_or_else(|| Error::bad(WHAT, format!("the message ends early at byte {}", self.pos)))?;
        let out = &self.data[self.pos..end];
        self.pos = end;
        Ok(out)
    }

    fn u16(&mut self) -> Result<u16> {
        let b = self.take(2)?;
        Ok(u16::from_be_bytes([b[0], b[1]]))
    }

    fn u32(&mut self) -> Result<u32> {
        let b = self.take(4)?;
        Ok(u32::from_be_bytes([b[0], b[1], b[2], b[3]]))
    }

    /// A domain name, following compression pointers (RFC 1035 section 4.1.4) backwards only, so that a
    /// loop is impossible; as dotted text, without the root's dot.
    fn name(&mut self) -> Result<String> {
        let mut labels: Vec<String> = Vec::new();
        let mut at = self.pos;
        let mut resume = None;
        let mut total = 0usize;
        loop {
            let len = *self.data.get(at).ok_or_else(|| Error::bad(WHAT, "a name runs past the message"))?;
            match len & 0xc0 {
                0x00 if len == 0 => {
                    at += 1;
                    break;
                }
                0x00 => {
                    let label = self
                        .data
                        .get(at + 1..at + 1 + usize::from(len))
                        .ok_or_else(|| Error::bad(WHAT, "a label runs past the message"))?;
                    total += label.len() + 1;
                    if total > 255 {
                        return Err(Error::bad(WHAT, "a name longer than 255 octets"));
                    }
                    labels.push(String::from_utf8_lossy(label).into_owned());
                    at += 1 + usize::from(len);
                }
                0xc0 => {
                    let low = *self.data.get(at + 1).ok_or_else(|| Error::bad(WHAT, "a name runs past the message"))?;
                    let target = usize::from(u16::from_be_bytes([len & 0x3f, low]));
                    if target >= at {
                        return Err(Error::bad(WHAT, "a compression pointer that does not point backwards"));
                    }
                    resume.get_or_insert(at + 2);
                    at = target;
                }
                _ => return Err(Error::bad(WHAT, "a label type DNS does not define")),
            }
        }
        self.pos = resume.unwrap_or(at);
        Ok(labels.join("."))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A response to `query(email)` with the given flags, rcode and SMIMEA records (owner name compressed
    /// to the question's).
    pub(crate) fn response(email: &str, ad: bool, rcode: u16, records: &[(u8, u8, u8, &[u8])]) -> Vec<u8> {
        let q = query(email).unwrap();
        let mut out = q.clone();
        let flags: u16 = 0x8180 | if ad { 0x0020 } else { 0 } | rcode;
        out[2..4].copy_from_slice(&flags.to_be_bytes());
        out[6..8].copy_from_slice(&(records.len() as u16).to_be_bytes());
        for (usage, selector, matching, data) in records {
            out.extend_from_slice(&[0xc0, 12]);
            out.extend_from_slice(&TYPE_SMIMEA.to_be_bytes());
            out.extend_from_slice(&CLASS_IN.to_be_bytes());
            out.extend_from_slice(&3600u32.to_be_bytes());
            out.extend_from_slice(&((data.len() + 3) as u16).to_be_bytes());
            out.extend_from_slice(&[*usage, *selector, *matching]);
            out.extend_from_slice(data);
        }
        out
    }

    #[test]
    fn owner_name_per_rfc_8162() {
        // RFC 8162 section 3's example: hugh@example.com.
        assert_eq!(
            owner_name("hugh@example.com").unwrap(),
            "c93f1e400f26708f98cb19d936620da35eec8f72e57f9eec01c1afd6._smimecert.example.com"
        );
        assert_eq!(owner_name("hugh@Example.COM.").unwrap(), owner_name("hugh@example.com").unwrap());
        for bad in ["", "hugh", "@example.com", "hugh@", "hugh@exa mple.com", "hugh@a..b"] {
            assert!(matches!(owner_name(bad), Err(Error::InvalidArgument(_))), "{bad}");
        }
    }

    #[test]
    fn query_is_one_smimea_question_with_rd_and_ad() {
        let q = query("hugh@example.com").unwrap();
        assert_eq!(&q[..12], &[0, 0, 0x01, 0x20, 0, 1, 0, 0, 0, 0, 0, 0]);
        assert_eq!(q[12], 56);
        assert_eq!(&q[q.len() - 4..], &[0, 53, 0, 1]);
    }

    #[test]
    fn records_are_read_and_only_whole_certificates_are_certificates() {
        let der = b"\x30\x03\x02\x01\x01";
        let digest = [7u8; 32];
        let m = response("bob@example.com", true, 0, &[(3, 0, 0, der), (3, 1, 1, &digest)]);
        let a = parse_response(&m, "bob@example.com").unwrap();
        assert!(a.authenticated);
        assert_eq!(a.records.len(), 2);
        assert_eq!(a.records[0].certificate(), Some(&der[..]));
        assert_eq!(a.records[1].certificate(), None);
        assert_eq!(a.records[0].ttl, 3600);
        // Not authenticated: said so (the caller then uses nothing).
        assert!(
            !parse_response(&response("bob@example.com", false, 0, &[(3, 0, 0, der)]), "bob@example.com")
                .unwrap()
                .authenticated
        );
        // NXDOMAIN: nothing published.
        assert!(parse_response(&response("bob@example.com", true, 3, &[]), "bob@example.com")
            .unwrap()
            .records
            .is_empty());
    }

    #[test]
    fn wrong_failed_and_hostile_answers_are_errors() {
        let good = response("bob@example.com", true, 0, &[(3, 0, 0, b"x")]);
        // An answer about somebody else.
        assert!(parse_response(&good, "carol@example.com").is_err());
        // SERVFAIL, REFUSED.
        assert!(parse_response(&response("bob@example.com", true, 2, &[]), "bob@example.com").is_err());
        assert!(parse_response(&response("bob@example.com", true, 5, &[]), "bob@example.com").is_err());
        // Not a response; another ID; truncated (TC) or cut short.
        let mut m = good.clone();
        m[2] &= 0x7f;
        assert!(parse_response(&m, "bob@example.com").is_err());
        let mut m = good.clone();
        m[1] = 9;
        assert!(parse_response(&m, "bob@example.com").is_err());
        let mut m = good.clone();
        m[2] |= 0x02;
        assert!(parse_response(&m, "bob@example.com").is_err());
        for cut in 0..good.len() {
            assert!(parse_response(&good[..cut], "bob@example.com").is_err(), "{cut}");
        }
        // A compression pointer to itself (a loop) or forwards.
        let mut m = good.clone();
        let at = m.len() - 1 - 3 - 2 - 4 - 2 - 2 - 2;
        m[at] = 0xc0;
        m[at + 1] = at as u8;
        assert!(parse_response(&m, "bob@example.com").is_err());
        // Too many records.
        let many: Vec<(u8, u8, u8, &[u8])> = vec![(3, 0, 0, b"x"); MAX_RECORDS + 1];
        assert!(matches!(
            parse_response(&response("bob@example.com", true, 0, &many), "bob@example.com"),
            Err(Error::LimitExceeded(_))
        ));
        // Pseudo-random bytes never panic.
        let mut bytes = crate::test_rng::bytes(0xd4e5);
        for len in 0..600 {
            let mut b = bytes(len % 200);
            if b.len() > 4 {
                b[0] = 0;
                b[1] = 0;
                b[2] |= 0x80;
            }
            let _ = parse_response(&b, "bob@example.com");
        }
    }
}
