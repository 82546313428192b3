//! Building candidate certification paths (RFC 4158 in spirit): from an end-entity certificate through
//! the available intermediates to one of the trust anchors.
//!
//! Issuers are found by name (RFC 5280 section 7.1 matching), and candidates whose subjectKeyIdentifier
//! matches the child's authorityKeyIdentifier are tried first. Every candidate path is returned, in
//! preference order, so that the validator can try the next one when a path fails; loops are refused and
//! the depth and the number of paths are bounded, so that a hostile set of certificates cannot make
//! the search explode.

use x509_cert::ext::pkix::{AuthorityKeyIdentifier, SubjectKeyIdentifier};
use x509_cert::Certificate;

use super::names::names_equal;
use crate::{cert, oids};

/// Bounds on the search.
#[derive(Clone, Copy, Debug)]
pub struct SearchLimits {
    /// The most certificates in a path, the anchor included.
    pub max_depth: usize,
    /// The most complete paths returned.
    pub max_paths: usize,
    /// The most issuer look-ups, whatever their outcome.
    pub max_steps: usize,
}

impl Default for SearchLimits {
    fn default() -> Self {
        SearchLimits { max_depth: 12, max_paths: 32, max_steps: 4096 }
    }
}

/// A candidate path, end entity first, trust anchor last (indexes into the caller's certificates).
pub type Candidate<'a> = Vec<&'a Certificate>;

/// The result of a search: complete paths, and the deepest dead end when there is none.
#[derive(Debug, Default)]
pub struct Search<'a> {
    /// Paths that end at an anchor, most preferred first.
    pub paths: Vec<Candidate<'a>>,
    /// When no path was found: the longest partial path, for the report ("no issuer for ...").
    pub longest_partial: Candidate<'a>,
    /// Whether a loop or the depth limit cut a branch.
    pub hit_limit: bool,
}

fn authority_key_id(c: &Certificate) -> Option<Vec<u8>> {
    cert::extension::<AuthorityKeyIdentifier>(c, oids::EXT_AUTHORITY_KEY_ID)
        .and_then(|(_, aki)| aki.key_identifier.map(|k| k.as_bytes().to_vec()))
}

fn subject_key_id(c: &Certificate) -> Option<Vec<u8>> {
    cert::extension::<SubjectKeyIdentifier>(c, oids::EXT_SUBJECT_KEY_ID).map(|(_, s)| s.0.as_bytes().to_vec())
}

/// Finds the paths from `leaf` to any of `anchors` through `intermediates`.
pub fn find_paths<'a>(
    leaf: &'a Certificate,
    anchors: &[&'a Certificate],
    intermediates: &[&'a Certificate],
    limits: SearchLimits,
) -> Search<'a> {
    let mut search = Search::default();
    let mut steps = 0usize;
    let mut path = vec![leaf];
    // The leaf itself is an anchor: a path of its own.
    if anchors.contains(&leaf) {
        search.paths.push(path.clone());
        return search;
    }
    extend(&mut path, anchors, intermediates, limits, &mut steps, &mut search);
    search
}

fn extend<'a>(
    path: &mut Vec<&'a Certificate>,
    anchors: &[&'a Certificate],
    intermediates: &[&'a Certificate],
    limits: SearchLimits,
    steps: &mut usize,
    search: &mut Search<'a>,
) {
    let Some(&current) = path.last() else { return };
    if path.len() > search.longest_partial.len() {
        search.longest_partial = path.clone();
    }
    if search.paths.len() >= limits.max_paths || *steps >= limits.max_steps {
        search.hit_limit = true;
        return;
    }
    *steps += 1;
    let issuer = &current.tbs_certificate.issuer;
    let aki = authority_key_id(current);
    // Candidates by name; anchors first, then those whose key identifier matches.
    let mut candidates: Vec<(&'a Certificate, bool)> = anchors
        .iter()
        .map(|c| (*c, true))
        .chain(intermediates.iter().map(|c| (*c, false)))
        .filter(|(c, _)| names_equal(&c.tbs_certificate.subject, issuer))
        .collect();
    // Anchors first, then those whose subject key identifier matches.
    crate::sort::by_key(&mut candidates, |(c, is_anchor)| {
        let key_match = match (&aki, subject_key_id(c)) {
            (Some(a), Some(s)) => a == &s,
            _ => true,
        };
        u64::from(!is_anchor) * 2 + u64::from(!key_match)
    });
    for (candidate, is_anchor) in candidates {
        // A certificate already on the path (by DER) would loop.
        if path.contains(&candidate) {
            search.hit_limit = true;
            continue;
        }
        path.push(candidate);
        if is_anchor {
            search.paths.push(path.clone());
        } else if path.len() < limits.max_depth {
            extend(path, anchors, intermediates, limits, steps, search);
        } else {
            search.hit_limit = true;
        }
        path.pop();
        if search.paths.len() >= limits.max_paths {
            return;
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn load(name: &str) -> Certificate {
        let data = std::fs::read(format!("{}/tests/data/pki/{name}", env!("CARGO_MANIFEST_DIR"))).unwrap();
        cert::parse_certificates(&data).unwrap().remove(0)
    }

    #[test]
    fn finds_the_path_through_the_intermediate() {
        let (root, inter, alice) = (load("root.crt"), load("intermediate.crt"), load("alice.crt"));
        let s = find_paths(&alice, &[&root], &[&inter], SearchLimits::default());
        assert_eq!(s.paths.len(), 1);
        assert_eq!(s.paths[0], vec![&alice, &inter, &root]);
        // Without the intermediate there is no path; the partial path says where it stopped.
        let s = find_paths(&alice, &[&root], &[], SearchLimits::default());
        assert!(s.paths.is_empty());
        assert_eq!(s.longest_partial, vec![&alice]);
    }

    #[test]
    fn a_loop_is_not_followed() {
        // The root is offered as an intermediate only: it issues itself, which would loop forever.
        let (root, inter, alice) = (load("root.crt"), load("intermediate.crt"), load("alice.crt"));
        let other = load("other-root.crt");
        let s = find_paths(&alice, &[&other], &[&inter, &root], SearchLimits::default());
        assert!(s.paths.is_empty());
        assert!(s.hit_limit);
        assert_eq!(s.longest_partial, vec![&alice, &inter, &root]);
    }
}
