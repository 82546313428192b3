//! Certificate policy processing of RFC 5280 section 6.1: the `valid_policy_tree` and the
//! `explicit_policy`, `inhibit_anyPolicy` and `policy_mapping` counters.
//!
//! The path validator drives a [`PolicyState`] through the path, from the certificate issued by the
//! trust anchor (i = 1) to the end entity (i = n):
//!
//! ```text
//! let mut state = PolicyState::new(&settings, n);
//! for i in 1..=n {
//!     state.process(cert_i, i, self_issued_i)?;          // 6.1.3 (d), (e), (f)
//!     if i < n { state.prepare_next(cert_i, i, self_issued_i)?; } // 6.1.4 (a), (b), (h), (i), (j)
//! }
//! let outcome = state.finish(cert_n, self_issued_n)?;    // 6.1.5 (a), (b), (g)
//! ```
//!
//! The steps follow the RFC's text literally. Two simplifications the RFC allows: policy qualifiers
//! are not kept in the tree (they are informational), and a policy OID repeated inside one
//! certificatePolicies extension is considered once. The tree is an arena of nodes in creation
//! order, so a parent always comes before its children; it is compacted after every step and
//! refuses to grow beyond [`MAX_POLICY_NODES`] nodes, so hostile certificates (many policies and
//! mappings) cannot exhaust memory.

use std::collections::HashSet;

use const_oid::db::rfc5280::ANY_POLICY;
use const_oid::ObjectIdentifier;
use x509_cert::ext::pkix::{CertificatePolicies, InhibitAnyPolicy, PolicyConstraints, PolicyMappings};
use x509_cert::Certificate;

/// The most nodes the `valid_policy_tree` may hold at any time; beyond it the path is refused with
/// [`PolicyError::TreeTooLarge`]. Real paths stay far below (a handful of nodes per certificate).
pub const MAX_POLICY_NODES: usize = 10_000;

/// The user's initial policy inputs (RFC 5280 6.1.1 (c), (e), (f), (g)).
#[derive(Clone, Debug, Default)]
pub struct PolicySettings {
    /// initial-policy-set: the policies acceptable to the user; empty means {anyPolicy}.
    pub initial_policy_set: Vec<ObjectIdentifier>,
    /// initial-explicit-policy: the path must be valid for at least one policy of the set.
    pub initial_explicit_policy: bool,
    /// initial-policy-mapping-inhibit: policy mappings are not allowed anywhere in the path.
    pub initial_policy_mapping_inhibit: bool,
    /// initial-any-policy-inhibit: anyPolicy in a certificate is not processed (it matches nothing).
    pub initial_any_policy_inhibit: bool,
}

/// Why the path fails policy processing. `at` is the position of the certificate in the path
/// (1 = issued by the trust anchor, n = end entity).
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum PolicyError {
    /// An explicit policy is required (by the user or a CA's policyConstraints) but no policy is
    /// valid for the path up to certificate `at` (RFC 5280 6.1.3 (f), 6.1.5 (g)).
    NoValidPolicy {
        /// Position of the certificate at which the check failed.
        at: usize,
    },
    /// Certificate `at` maps anyPolicy to or from another policy, which RFC 5280 forbids (6.1.4 (a)).
    AnyPolicyMapping {
        /// Position of the offending certificate.
        at: usize,
    },
    /// A policy extension of certificate `at` (certificatePolicies, policyMappings,
    /// policyConstraints, inhibitAnyPolicy) cannot be decoded or appears twice.
    Malformed {
        /// Position of the offending certificate.
        at: usize,
        /// What is wrong, for the log.
        detail: String,
    },
    /// The policies and mappings up to certificate `at` would grow the policy tree beyond
    /// [`MAX_POLICY_NODES`] nodes.
    TreeTooLarge {
        /// Position of the certificate that made the tree too large.
        at: usize,
    },
    /// The validator called the policy steps with a position outside 1..=n (a programming error).
    BadPosition {
        /// The position given.
        at: usize,
        /// The path length given to [`PolicyState::new`].
        n: usize,
    },
}

impl core::fmt::Display for PolicyError {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        match self {
            PolicyError::NoValidPolicy { at } => write!(
                f,
                "certificate {at} of the path leaves no certificate policy that is valid for the whole path, but an \
                 explicit policy is required; the chain is not usable under the required policies"
            ),
            PolicyError::AnyPolicyMapping { at } => write!(
                f,
                "certificate {at} of the path maps anyPolicy in its policyMappings extension, which RFC 5280 \
                 forbids; the issuing CA must reissue that certificate"
            ),
            PolicyError::Malformed { at, detail } => write!(
                f,
                "certificate {at} of the path has a malformed policy extension ({detail}); the issuing CA must \
                 reissue that certificate"
            ),
            PolicyError::TreeTooLarge { at } => write!(
                f,
                "certificate {at} of the path carries so many policies and mappings that policy processing would \
                 need more than {MAX_POLICY_NODES} entries; the path is refused as abusive"
            ),
            PolicyError::BadPosition { at, n } => write!(
                f,
                "policy processing was asked about certificate {at} of a path of {n}; this is a bug in the path \
                 validator, please report it"
            ),
        }
    }
}

impl std::error::Error for PolicyError {}

/// The result of policy processing (RFC 5280 6.1.6).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct PolicyOutcome {
    /// The user-constrained policy set: the policies, named in the relying party's (trust anchor's)
    /// domain, for which the path is valid and that the user accepts. Contains anyPolicy when the
    /// path is valid for any policy and the user accepts any policy. Empty when the path carries no
    /// policy (which is only a success when no explicit policy was required).
    pub user_constrained_policies: Vec<ObjectIdentifier>,
    /// Whether an explicit policy was required at the end of the path (`explicit_policy` reached 0).
    pub explicit_policy_required: bool,
}

/// One node of the `valid_policy_tree` (qualifier_set dropped).
#[derive(Clone, Debug)]
struct Node {
    valid_policy: ObjectIdentifier,
    expected: Vec<ObjectIdentifier>,
    /// Index of the parent in the arena; `None` for the root.
    parent: Option<usize>,
    depth: usize,
    alive: bool,
}

/// The state of RFC 5280 policy processing along one certification path.
#[derive(Clone, Debug)]
pub struct PolicyState {
    /// The `valid_policy_tree` as an arena in creation order (parents before children); empty means NULL.
    tree: Vec<Node>,
    explicit_policy: usize,
    inhibit_any_policy: usize,
    policy_mapping: usize,
    initial_policy_set: Vec<ObjectIdentifier>,
    n: usize,
}

impl PolicyState {
    /// RFC 5280 6.1.2 initialisation for a path of `n` certificates (the trust anchor excluded):
    /// the tree is the single anyPolicy node, and each counter is 0 if the user set the matching
    /// flag, n + 1 otherwise.
    pub fn new(settings: &PolicySettings, n: usize) -> Self {
        let start = |inhibit: bool| if inhibit { 0 } else { n.saturating_add(1) };
        let mut initial_policy_set = Vec::new();
        for oid in &settings.initial_policy_set {
            if !initial_policy_set.contains(oid) {
                initial_policy_set.push(*oid);
            }
        }
        if initial_policy_set.is_empty() {
            initial_policy_set.push(ANY_POLICY);
        }
        PolicyState {
            tree: vec![Node {
                valid_policy: ANY_POLICY,
                expected: vec![ANY_POLICY],
                parent: None,
                depth: 0,
                alive: true,
            }],
            explicit_policy: start(settings.initial_explicit_policy),
            inhibit_any_policy: start(settings.initial_any_policy_inhibit),
            policy_mapping: start(settings.initial_policy_mapping_inhibit),
            initial_policy_set,
            n,
        }
    }

    /// RFC 5280 6.1.3 (d), (e), (f) for certificate `i` (1-based; `i == n` is the end entity).
    /// `self_issued` is told by the caller (subject equals issuer under RFC 5280 name matching).
    /// Fails with [`PolicyError::NoValidPolicy`] when `explicit_policy` is 0 and the tree is NULL.
    pub fn process(&mut self, cert: &Certificate, i: usize, self_issued: bool) -> Result<(), PolicyError> {
        self.check_position(i, false)?;
        let policies = decode_policies(cert, i)?;
        match policies {
            // (d): the certificate has policies and the tree is not NULL.
            Some(policies) if !self.tree.is_empty() => {
                let parent_depth = i - 1;
                let mut any_in_cert = false;
                let mut seen: Vec<ObjectIdentifier> = Vec::new();
                for p in policies {
                    if p == ANY_POLICY {
                        any_in_cert = true;
                        continue;
                    }
                    if seen.contains(&p) {
                        continue;
                    }
                    seen.push(p);
                    // (d)(1)(i): a child under every node of depth i-1 that expects P.
                    let matching: Vec<usize> = self
                        .indices_at(parent_depth)
                        .filter(|&k| self.node(k).is_some_and(|nd| nd.expected.contains(&p)))
                        .collect();
                    let parents = if matching.is_empty() {
                        // (d)(1)(ii): otherwise under every anyPolicy node of depth i-1.
                        self.indices_at(parent_depth)
                            .filter(|&k| self.node(k).is_some_and(|nd| nd.valid_policy == ANY_POLICY))
                            .collect()
                    } else {
                        matching
                    };
                    for parent in parents {
                        self.push(parent, p, vec![p], i)?;
                    }
                }
                // (d)(2): anyPolicy in the certificate, if not inhibited (self-issued intermediates
                // may always use it).
                if any_in_cert && (self.inhibit_any_policy > 0 || (i < self.n && self_issued)) {
                    let mut existing: HashSet<(usize, ObjectIdentifier)> = self
                        .tree
                        .iter()
                        .filter(|nd| nd.alive && nd.depth == i)
                        .filter_map(|nd| nd.parent.map(|p| (p, nd.valid_policy)))
                        .collect();
                    let parents: Vec<usize> = self.indices_at(parent_depth).collect();
                    for parent in parents {
                        let expected = match self.node(parent) {
                            Some(nd) => nd.expected.clone(),
                            None => continue,
                        };
                        for value in expected {
                            if existing.insert((parent, value)) {
                                self.push(parent, value, vec![value], i)?;
                            }
                        }
                    }
                }
                // (d)(3): prune the nodes of depth i-1 or less that have no child.
                self.prune(i);
            }
            Some(_) => {}
            // (e): no certificatePolicies extension: the tree becomes NULL.
            None => self.tree.clear(),
        }
        // (f)
        if self.explicit_policy == 0 && self.tree.is_empty() {
            return Err(PolicyError::NoValidPolicy { at: i });
        }
        Ok(())
    }

    /// RFC 5280 6.1.4 (a), (b): policy mappings of certificate `i` (anyPolicy in a mapping is an
    /// error), then (h), (i), (j): the counters, decremented unless `self_issued`, then lowered by the
    /// policyConstraints and inhibitAnyPolicy extensions. For intermediate certificates (`i < n`) only.
    pub fn prepare_next(&mut self, cert: &Certificate, i: usize, self_issued: bool) -> Result<(), PolicyError> {
        self.check_position(i, true)?;
        if let Some(mappings) = decode::<PolicyMappings>(cert, i, "policyMappings")? {
            // (a)
            if mappings.0.iter().any(|m| m.issuer_domain_policy == ANY_POLICY || m.subject_domain_policy == ANY_POLICY)
            {
                return Err(PolicyError::AnyPolicyMapping { at: i });
            }
            // (b): each issuerDomainPolicy once, with all the subject policies it maps to.
            let mut grouped: Vec<(ObjectIdentifier, Vec<ObjectIdentifier>)> = Vec::new();
            for m in &mappings.0 {
                match grouped.iter_mut().find(|(issuer, _)| *issuer == m.issuer_domain_policy) {
                    Some((_, subjects)) => {
                        if !subjects.contains(&m.subject_domain_policy) {
                            subjects.push(m.subject_domain_policy);
                        }
                    }
                    None => grouped.push((m.issuer_domain_policy, vec![m.subject_domain_policy])),
                }
            }
            if self.policy_mapping > 0 {
                // (b)(1)
                for (issuer, subjects) in grouped {
                    let at_depth: Vec<usize> = self
                        .indices_at(i)
                        .filter(|&k| self.node(k).is_some_and(|nd| nd.valid_policy == issuer))
                        .collect();
                    if !at_depth.is_empty() {
                        for k in at_depth {
                            if let Some(nd) = self.tree.get_mut(k) {
                                nd.expected = subjects.clone();
                            }
                        }
                    } else {
                        let any_node =
                            self.indices_at(i).find(|&k| self.node(k).is_some_and(|nd| nd.valid_policy == ANY_POLICY));
                        if let Some(parent) = any_node.and_then(|k| self.node(k)).and_then(|nd| nd.parent) {
                            self.push(parent, issuer, subjects, i)?;
                        }
                    }
                }
            } else {
                // (b)(2)
                for (issuer, _) in grouped {
                    for k in 0..self.tree.len() {
                        if let Some(nd) = self.tree.get_mut(k) {
                            if nd.alive && nd.depth == i && nd.valid_policy == issuer {
                                nd.alive = false;
                            }
                        }
                    }
                }
                self.prune(i);
            }
        }
        // (h)
        if !self_issued {
            self.explicit_policy = self.explicit_policy.saturating_sub(1);
            self.policy_mapping = self.policy_mapping.saturating_sub(1);
            self.inhibit_any_policy = self.inhibit_any_policy.saturating_sub(1);
        }
        // (i)
        if let Some(constraints) = decode::<PolicyConstraints>(cert, i, "policyConstraints")? {
            if let Some(require) = constraints.require_explicit_policy {
                self.explicit_policy = self.explicit_policy.min(to_usize(require));
            }
            if let Some(inhibit) = constraints.inhibit_policy_mapping {
                self.policy_mapping = self.policy_mapping.min(to_usize(inhibit));
            }
        }
        // (j)
        if let Some(inhibit) = decode::<InhibitAnyPolicy>(cert, i, "inhibitAnyPolicy")? {
            self.inhibit_any_policy = self.inhibit_any_policy.min(to_usize(inhibit.0));
        }
        Ok(())
    }

    /// RFC 5280 6.1.5 (a), (b) on the end entity (certificate n, after [`PolicyState::process`]),
    /// then (g): the intersection of the tree with the initial-policy-set. Fails with
    /// [`PolicyError::NoValidPolicy`] when `explicit_policy` is 0 and the resulting tree is NULL.
    /// `self_issued` does not change the wrap-up; it is taken for symmetry with the other steps.
    pub fn finish(mut self, end_entity: &Certificate, self_issued: bool) -> Result<PolicyOutcome, PolicyError> {
        let _ = self_issued;
        let n = self.n;
        self.check_position(n, false)?;
        // (a)
        self.explicit_policy = self.explicit_policy.saturating_sub(1);
        // (b)
        if let Some(constraints) = decode::<PolicyConstraints>(end_entity, n, "policyConstraints")? {
            if constraints.require_explicit_policy == Some(0) {
                self.explicit_policy = 0;
            }
        }
        // (g)
        let user_any = self.initial_policy_set.contains(&ANY_POLICY);
        if !self.tree.is_empty() && !user_any {
            // (g)(iii)(1): the nodes whose parent is an anyPolicy node.
            let node_set: Vec<usize> = (0..self.tree.len()).filter(|&k| self.parent_is_any(k)).collect();
            let node_set_policies: Vec<ObjectIdentifier> =
                node_set.iter().filter_map(|&k| self.node(k)).map(|nd| nd.valid_policy).collect();
            // (g)(iii)(2): drop those the user does not accept, with their subtrees.
            for &k in &node_set {
                if let Some(nd) = self.tree.get_mut(k) {
                    if nd.valid_policy != ANY_POLICY && !self.initial_policy_set.contains(&nd.valid_policy) {
                        nd.alive = false;
                    }
                }
            }
            self.kill_orphans();
            // (g)(iii)(3): an anyPolicy leaf stands for every user policy not otherwise present.
            let any_leaf = (0..self.tree.len())
                .find(|&k| self.node(k).is_some_and(|nd| nd.depth == n && nd.valid_policy == ANY_POLICY));
            if let Some(leaf) = any_leaf {
                if let Some(parent) = self.node(leaf).and_then(|nd| nd.parent) {
                    let missing: Vec<ObjectIdentifier> =
                        self.initial_policy_set.iter().filter(|p| !node_set_policies.contains(p)).copied().collect();
                    for p in missing {
                        self.push(parent, p, vec![p], n)?;
                    }
                }
                if let Some(nd) = self.tree.get_mut(leaf) {
                    nd.alive = false;
                }
            }
            // (g)(iii)(4)
            self.prune(n);
        }
        if self.explicit_policy == 0 && self.tree.is_empty() {
            return Err(PolicyError::NoValidPolicy { at: n });
        }
        // The policies of the valid_policy_node_set (named in the user's domain, whatever mappings
        // follow). An anyPolicy node there only leads to other nodes, unless it is a leaf of depth n:
        // then the path is valid for any policy.
        let mut user_constrained_policies = Vec::new();
        for k in 0..self.tree.len() {
            if !self.parent_is_any(k) {
                continue;
            }
            let Some(nd) = self.node(k) else { continue };
            let valid = nd.valid_policy != ANY_POLICY || nd.depth == n;
            let accepted = user_any || self.initial_policy_set.contains(&nd.valid_policy);
            if valid && accepted && !user_constrained_policies.contains(&nd.valid_policy) {
                user_constrained_policies.push(nd.valid_policy);
            }
        }
        Ok(PolicyOutcome { user_constrained_policies, explicit_policy_required: self.explicit_policy == 0 })
    }

    fn check_position(&self, i: usize, intermediate: bool) -> Result<(), PolicyError> {
        let last = if intermediate { self.n.saturating_sub(1) } else { self.n };
        if i == 0 || i > last {
            return Err(PolicyError::BadPosition { at: i, n: self.n });
        }
        Ok(())
    }

    fn node(&self, k: usize) -> Option<&Node> {
        self.tree.get(k).filter(|nd| nd.alive)
    }

    /// Indices of the live nodes of `depth`.
    fn indices_at(&self, depth: usize) -> impl Iterator<Item = usize> + '_ {
        self.tree.iter().enumerate().filter(move |(_, nd)| nd.alive && nd.depth == depth).map(|(k, _)| k)
    }

    fn parent_is_any(&self, k: usize) -> bool {
        self.node(k).and_then(|nd| nd.parent).and_then(|p| self.node(p)).is_some_and(|p| p.valid_policy == ANY_POLICY)
    }

    /// Adds a child of `parent` at `depth`, refusing to grow the tree beyond the limit.
    fn push(
        &mut self,
        parent: usize,
        valid_policy: ObjectIdentifier,
        expected: Vec<ObjectIdentifier>,
        depth: usize,
    ) -> Result<(), PolicyError> {
        if self.tree.len() >= MAX_POLICY_NODES {
            return Err(PolicyError::TreeTooLarge { at: depth });
        }
        self.tree.push(Node { valid_policy, expected, parent: Some(parent), depth, alive: true });
        Ok(())
    }

    /// Marks dead every node whose parent is dead (parents come before children in the arena).
    fn kill_orphans(&mut self) {
        for k in 0..self.tree.len() {
            let parent_dead = match self.tree.get(k).and_then(|nd| nd.parent) {
                Some(p) => !self.tree.get(p).is_some_and(|pn| pn.alive),
                None => false,
            };
            if parent_dead {
                if let Some(nd) = self.tree.get_mut(k) {
                    nd.alive = false;
                }
            }
        }
    }

    /// Deletes, repeatedly, every node of depth below `depth` without children (so also those of
    /// depth `depth - 1` or less, as the RFC says), then compacts the arena. A dead root leaves the
    /// tree NULL (empty).
    fn prune(&mut self, depth: usize) {
        self.kill_orphans();
        let mut children = vec![0usize; self.tree.len()];
        for k in (0..self.tree.len()).rev() {
            let Some(nd) = self.tree.get_mut(k) else { continue };
            if !nd.alive {
                continue;
            }
            let childless = children.get(k).copied().unwrap_or(0) == 0;
            if nd.depth < depth && childless {
                nd.alive = false;
                continue;
            }
            if let Some(c) = nd.parent.and_then(|p| children.get_mut(p)) {
                *c += 1;
            }
        }
        self.compact();
    }

    /// Removes dead nodes from the arena, renumbering parents; an empty arena or a dead root is NULL.
    fn compact(&mut self) {
        if !self.tree.first().is_some_and(|root| root.alive) {
            self.tree.clear();
            return;
        }
        let mut new_index: Vec<Option<usize>> = vec![None; self.tree.len()];
        let mut kept = Vec::with_capacity(self.tree.len());
        for (k, mut nd) in std::mem::take(&mut self.tree).into_iter().enumerate() {
            if !nd.alive {
                continue;
            }
            nd.parent = match nd.parent {
                Some(p) => match new_index.get(p).copied().flatten() {
                    Some(np) => Some(np),
                    None => continue, // orphan: its parent was removed
                },
                None => None,
            };
            if let Some(slot) = new_index.get_mut(k) {
                *slot = Some(kept.len());
            }
            kept.push(nd);
        }
        self.tree = kept;
    }
}

fn to_usize(skip_certs: u32) -> usize {
    usize::try_from(skip_certs).unwrap_or(usize::MAX)
}

/// Decodes the single extension `T` of `cert`, if present; a duplicate or undecodable one is an error.
fn decode<'a, T>(cert: &'a Certificate, i: usize, name: &str) -> Result<Option<T>, PolicyError>
where
    T: der::Decode<'a> + const_oid::AssociatedOid,
{
    match cert.tbs_certificate.get::<T>() {
        Ok(found) => Ok(found.map(|(_, value)| value)),
        Err(e) => Err(PolicyError::Malformed { at: i, detail: format!("{name} extension: {e}") }),
    }
}

/// The policy OIDs of the certificatePolicies extension, or `None` when it is absent.
fn decode_policies(cert: &Certificate, i: usize) -> Result<Option<Vec<ObjectIdentifier>>, PolicyError> {
    Ok(decode::<CertificatePolicies>(cert, i, "certificatePolicies")?
        .map(|policies| policies.0.into_iter().map(|info| info.policy_identifier).collect()))
}

#[cfg(test)]
mod tests {
    use super::*;
    use der::{Decode, Encode};
    use std::sync::OnceLock;
    use x509_cert::ext::pkix::{AuthorityKeyIdentifier, SubjectKeyIdentifier};

    const DIR: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/../../shared/conformance/pkits/certs/");
    const ANCHOR: &str = "TrustAnchorRootCertificate.crt";

    const ANY: ObjectIdentifier = ANY_POLICY;
    const P1: ObjectIdentifier = ObjectIdentifier::new_unwrap("2.16.840.1.101.3.2.1.48.1");
    const P2: ObjectIdentifier = ObjectIdentifier::new_unwrap("2.16.840.1.101.3.2.1.48.2");
    const P3: ObjectIdentifier = ObjectIdentifier::new_unwrap("2.16.840.1.101.3.2.1.48.3");
    const P6: ObjectIdentifier = ObjectIdentifier::new_unwrap("2.16.840.1.101.3.2.1.48.6");

    /// Every PKITS certificate, by file name.
    fn certs() -> &'static Vec<(String, Certificate)> {
        static CERTS: OnceLock<Vec<(String, Certificate)>> = OnceLock::new();
        CERTS.get_or_init(|| {
            let mut all = Vec::new();
            for entry in std::fs::read_dir(DIR).unwrap() {
                let path = entry.unwrap().path();
                let name = path.file_name().unwrap().to_string_lossy().into_owned();
                if !name.ends_with(".crt") {
                    continue;
                }
                if let Ok(cert) = Certificate::from_der(&std::fs::read(&path).unwrap()) {
                    all.push((name, cert));
                }
            }
            all.sort_by(|a, b| a.0.cmp(&b.0));
            all
        })
    }

    fn self_issued(cert: &Certificate) -> bool {
        cert.tbs_certificate.subject.to_der().unwrap() == cert.tbs_certificate.issuer.to_der().unwrap()
    }

    fn ski(cert: &Certificate) -> Option<Vec<u8>> {
        let (_, ski) = cert.tbs_certificate.get::<SubjectKeyIdentifier>().ok()??;
        Some(ski.0.as_bytes().to_vec())
    }

    fn aki(cert: &Certificate) -> Option<Vec<u8>> {
        let (_, aki) = cert.tbs_certificate.get::<AuthorityKeyIdentifier>().ok()??;
        Some(aki.key_identifier?.as_bytes().to_vec())
    }

    /// The path from the certificate issued by the trust anchor down to `ee` (names and certificates),
    /// found by walking issuer names (and key identifiers where several certificates share a subject).
    fn path_to(ee: &str) -> Vec<(&'static str, &'static Certificate)> {
        let all = certs();
        let (mut name, mut cert) =
            all.iter().find(|(n, _)| n == ee).map(|(n, c)| (n.as_str(), c)).unwrap_or_else(|| panic!("no {ee}"));
        let mut chain = vec![(name, cert)];
        for _ in 0..20 {
            let issuer = cert.tbs_certificate.issuer.to_der().unwrap();
            let candidates: Vec<&(String, Certificate)> = all
                .iter()
                .filter(|(n, c)| n != name && c.tbs_certificate.subject.to_der().unwrap() == issuer)
                .collect();
            let key = aki(cert);
            let pick = candidates
                .iter()
                .find(|(_, c)| key.is_some() && ski(c) == key)
                .or_else(|| candidates.first())
                .unwrap_or_else(|| panic!("no issuer for {name}"));
            if pick.0 == ANCHOR {
                chain.reverse();
                return chain;
            }
            name = pick.0.as_str();
            cert = &pick.1;
            chain.push((name, cert));
        }
        panic!("no path from {ee} to the trust anchor");
    }

    fn run(ee: &str, settings: &PolicySettings) -> Result<PolicyOutcome, PolicyError> {
        let chain = path_to(ee);
        let n = chain.len();
        let mut state = PolicyState::new(settings, n);
        for (k, (_, cert)) in chain.iter().enumerate() {
            let i = k + 1;
            state.process(cert, i, self_issued(cert))?;
            if i < n {
                state.prepare_next(cert, i, self_issued(cert))?;
            }
        }
        let (_, ee_cert) = chain[n - 1];
        state.finish(ee_cert, self_issued(ee_cert))
    }

    /// One PKITS test (or one variant of it) with its initial settings and expected result.
    struct Case {
        id: &'static str,
        ee: &'static str,
        set: &'static [ObjectIdentifier],
        explicit: bool,
        map_inhibit: bool,
        any_inhibit: bool,
        valid: bool,
        /// Expected user-constrained-policy-set when valid (None: not checked).
        user: Option<&'static [ObjectIdentifier]>,
    }

    const fn case(
        id: &'static str,
        ee: &'static str,
        set: &'static [ObjectIdentifier],
        valid: bool,
        user: Option<&'static [ObjectIdentifier]>,
    ) -> Case {
        Case { id, ee, set, explicit: false, map_inhibit: false, any_inhibit: false, valid, user }
    }

    const fn explicit(c: Case) -> Case {
        Case { explicit: true, ..c }
    }

    const ANYSET: &[ObjectIdentifier] = &[ANY];
    const NONE: Option<&[ObjectIdentifier]> = Some(&[]);

    /// PKITS (NIST, "PKITS Certification Path Validation") 4.8–4.12 with the variants the document
    /// gives: initial-policy-set (ANYSET = the default {anyPolicy}), initial-explicit-policy
    /// (`explicit`), initial-policy-mapping-inhibit (`map_inhibit`), initial-inhibit-any-policy
    /// (`any_inhibit`), the expected result and user-constrained-policy-set.
    const CASES: &[Case] = &[
        explicit(case("4.8.1.1", "ValidCertificatePathTest1EE.crt", ANYSET, true, Some(&[P1]))),
        explicit(case("4.8.1.2", "ValidCertificatePathTest1EE.crt", &[P1], true, Some(&[P1]))),
        explicit(case("4.8.1.3", "ValidCertificatePathTest1EE.crt", &[P2], false, None)),
        explicit(case("4.8.1.4", "ValidCertificatePathTest1EE.crt", &[P1, P2], true, Some(&[P1]))),
        case("4.8.2.1", "AllCertificatesNoPoliciesTest2EE.crt", ANYSET, true, NONE),
        explicit(case("4.8.2.2", "AllCertificatesNoPoliciesTest2EE.crt", ANYSET, false, None)),
        case("4.8.3.1", "DifferentPoliciesTest3EE.crt", ANYSET, true, NONE),
        explicit(case("4.8.3.2", "DifferentPoliciesTest3EE.crt", ANYSET, false, None)),
        explicit(case("4.8.3.3", "DifferentPoliciesTest3EE.crt", &[P1, P2], false, None)),
        case("4.8.4", "DifferentPoliciesTest4EE.crt", ANYSET, false, None),
        case("4.8.5", "DifferentPoliciesTest5EE.crt", ANYSET, false, None),
        case("4.8.6.1", "OverlappingPoliciesTest6EE.crt", ANYSET, true, Some(&[P1])),
        case("4.8.6.2", "OverlappingPoliciesTest6EE.crt", &[P1], true, Some(&[P1])),
        case("4.8.6.3", "OverlappingPoliciesTest6EE.crt", &[P2], false, None),
        case("4.8.7", "DifferentPoliciesTest7EE.crt", ANYSET, false, None),
        case("4.8.8", "DifferentPoliciesTest8EE.crt", ANYSET, false, None),
        case("4.8.9", "DifferentPoliciesTest9EE.crt", ANYSET, false, None),
        case("4.8.10.1", "AllCertificatesSamePoliciesTest10EE.crt", ANYSET, true, Some(&[P1, P2])),
        case("4.8.10.2", "AllCertificatesSamePoliciesTest10EE.crt", &[P1], true, Some(&[P1])),
        case("4.8.10.3", "AllCertificatesSamePoliciesTest10EE.crt", &[P2], true, Some(&[P2])),
        case("4.8.11.1", "AllCertificatesanyPolicyTest11EE.crt", ANYSET, true, Some(&[ANY])),
        case("4.8.11.2", "AllCertificatesanyPolicyTest11EE.crt", &[P1], true, Some(&[P1])),
        case("4.8.12", "DifferentPoliciesTest12EE.crt", ANYSET, false, None),
        case("4.8.13.1", "AllCertificatesSamePoliciesTest13EE.crt", &[P1], true, Some(&[P1])),
        case("4.8.13.2", "AllCertificatesSamePoliciesTest13EE.crt", &[P2], true, Some(&[P2])),
        case("4.8.13.3", "AllCertificatesSamePoliciesTest13EE.crt", &[P3], true, Some(&[P3])),
        case("4.8.14.1", "AnyPolicyTest14EE.crt", &[P1], true, Some(&[P1])),
        case("4.8.14.2", "AnyPolicyTest14EE.crt", &[P2], false, None),
        case("4.8.15", "UserNoticeQualifierTest15EE.crt", ANYSET, true, Some(&[P1])),
        case("4.8.16", "UserNoticeQualifierTest16EE.crt", ANYSET, true, Some(&[P1])),
        case("4.8.17", "UserNoticeQualifierTest17EE.crt", ANYSET, true, Some(&[P1])),
        case("4.8.18.1", "UserNoticeQualifierTest18EE.crt", &[P1], true, Some(&[P1])),
        case("4.8.18.2", "UserNoticeQualifierTest18EE.crt", &[P2], true, Some(&[P2])),
        case("4.8.19", "UserNoticeQualifierTest19EE.crt", ANYSET, true, Some(&[P1])),
        explicit(case("4.8.20", "CPSPointerQualifierTest20EE.crt", ANYSET, true, Some(&[P1]))),
        case("4.9.1", "ValidrequireExplicitPolicyTest1EE.crt", ANYSET, true, NONE),
        case("4.9.2", "ValidrequireExplicitPolicyTest2EE.crt", ANYSET, true, NONE),
        case("4.9.3", "InvalidrequireExplicitPolicyTest3EE.crt", ANYSET, false, None),
        case("4.9.4", "ValidrequireExplicitPolicyTest4EE.crt", ANYSET, true, Some(&[P1])),
        case("4.9.5", "InvalidrequireExplicitPolicyTest5EE.crt", ANYSET, false, None),
        // Every certificate of 4.9.6 asserts P1, so the tree keeps P1 (OpenSSL prints no set here as
        // no explicit policy is required at the end).
        case("4.9.6", "ValidSelfIssuedrequireExplicitPolicyTest6EE.crt", ANYSET, true, Some(&[P1])),
        case("4.9.7", "InvalidSelfIssuedrequireExplicitPolicyTest7EE.crt", ANYSET, false, None),
        case("4.9.8", "InvalidSelfIssuedrequireExplicitPolicyTest8EE.crt", ANYSET, false, None),
        case("4.10.1.1", "ValidPolicyMappingTest1EE.crt", &[P1], true, Some(&[P1])),
        case("4.10.1.2", "ValidPolicyMappingTest1EE.crt", &[P2], false, None),
        Case { map_inhibit: true, ..case("4.10.1.3", "ValidPolicyMappingTest1EE.crt", ANYSET, false, None) },
        case("4.10.2.1", "InvalidPolicyMappingTest2EE.crt", ANYSET, false, None),
        Case { map_inhibit: true, ..case("4.10.2.2", "InvalidPolicyMappingTest2EE.crt", ANYSET, false, None) },
        case("4.10.3.1", "ValidPolicyMappingTest3EE.crt", &[P1], false, None),
        case("4.10.3.2", "ValidPolicyMappingTest3EE.crt", &[P2], true, Some(&[P2])),
        case("4.10.4", "InvalidPolicyMappingTest4EE.crt", ANYSET, false, None),
        case("4.10.5.1", "ValidPolicyMappingTest5EE.crt", &[P1], true, Some(&[P1])),
        case("4.10.5.2", "ValidPolicyMappingTest5EE.crt", &[P6], false, None),
        case("4.10.6.1", "ValidPolicyMappingTest6EE.crt", &[P1], true, Some(&[P1])),
        case("4.10.6.2", "ValidPolicyMappingTest6EE.crt", &[P6], false, None),
        case("4.10.7", "InvalidMappingFromanyPolicyTest7EE.crt", ANYSET, false, None),
        case("4.10.8", "InvalidMappingToanyPolicyTest8EE.crt", ANYSET, false, None),
        case("4.10.9", "ValidPolicyMappingTest9EE.crt", ANYSET, true, Some(&[P1])),
        case("4.10.10", "InvalidPolicyMappingTest10EE.crt", ANYSET, false, None),
        case("4.10.11", "ValidPolicyMappingTest11EE.crt", ANYSET, true, Some(&[P1])),
        case("4.10.12.1", "ValidPolicyMappingTest12EE.crt", &[P1], true, Some(&[P1])),
        case("4.10.12.2", "ValidPolicyMappingTest12EE.crt", &[P2], true, Some(&[P2])),
        case("4.10.13.1", "ValidPolicyMappingTest13EE.crt", ANYSET, true, Some(&[P1])),
        case("4.10.13.2", "ValidPolicyMappingTest13EE.crt", &[P1, P2], true, Some(&[P1])),
        case("4.10.13.3", "ValidPolicyMappingTest13EE.crt", &[P2], false, None),
        case("4.10.14", "ValidPolicyMappingTest14EE.crt", ANYSET, true, Some(&[P1])),
        case("4.11.1", "InvalidinhibitPolicyMappingTest1EE.crt", ANYSET, false, None),
        case("4.11.2", "ValidinhibitPolicyMappingTest2EE.crt", ANYSET, true, Some(&[P1])),
        case("4.11.3", "InvalidinhibitPolicyMappingTest3EE.crt", ANYSET, false, None),
        case("4.11.4", "ValidinhibitPolicyMappingTest4EE.crt", ANYSET, true, Some(&[P2])),
        case("4.11.5", "InvalidinhibitPolicyMappingTest5EE.crt", ANYSET, false, None),
        case("4.11.6", "InvalidinhibitPolicyMappingTest6EE.crt", ANYSET, false, None),
        case("4.11.7", "ValidSelfIssuedinhibitPolicyMappingTest7EE.crt", ANYSET, true, Some(&[P1])),
        case("4.11.8", "InvalidSelfIssuedinhibitPolicyMappingTest8EE.crt", ANYSET, false, None),
        case("4.11.9", "InvalidSelfIssuedinhibitPolicyMappingTest9EE.crt", ANYSET, false, None),
        case("4.11.10", "InvalidSelfIssuedinhibitPolicyMappingTest10EE.crt", ANYSET, false, None),
        case("4.11.11", "InvalidSelfIssuedinhibitPolicyMappingTest11EE.crt", ANYSET, false, None),
        case("4.12.1", "InvalidinhibitAnyPolicyTest1EE.crt", ANYSET, false, None),
        case("4.12.2", "ValidinhibitAnyPolicyTest2EE.crt", ANYSET, true, Some(&[P1])),
        case("4.12.3.1", "inhibitAnyPolicyTest3EE.crt", ANYSET, true, Some(&[P1])),
        Case { any_inhibit: true, ..case("4.12.3.2", "inhibitAnyPolicyTest3EE.crt", ANYSET, false, None) },
        case("4.12.4", "InvalidinhibitAnyPolicyTest4EE.crt", ANYSET, false, None),
        case("4.12.5", "InvalidinhibitAnyPolicyTest5EE.crt", ANYSET, false, None),
        case("4.12.6", "InvalidinhibitAnyPolicyTest6EE.crt", ANYSET, false, None),
        case("4.12.7", "ValidSelfIssuedinhibitAnyPolicyTest7EE.crt", ANYSET, true, None),
        case("4.12.8", "InvalidSelfIssuedinhibitAnyPolicyTest8EE.crt", ANYSET, false, None),
        case("4.12.9", "ValidSelfIssuedinhibitAnyPolicyTest9EE.crt", ANYSET, true, None),
        case("4.12.10", "InvalidSelfIssuedinhibitAnyPolicyTest10EE.crt", ANYSET, false, None),
    ];

    fn settings(c: &Case) -> PolicySettings {
        PolicySettings {
            initial_policy_set: c.set.to_vec(),
            initial_explicit_policy: c.explicit,
            initial_policy_mapping_inhibit: c.map_inhibit,
            initial_any_policy_inhibit: c.any_inhibit,
        }
    }

    fn sorted(mut v: Vec<ObjectIdentifier>) -> Vec<ObjectIdentifier> {
        v.sort();
        v
    }

    #[test]
    fn pkits_variants() {
        let mut failures = Vec::new();
        for c in CASES {
            let result = run(c.ee, &settings(c));
            let ok = match (&result, c.valid) {
                (Ok(out), true) => {
                    c.user.is_none_or(|u| sorted(out.user_constrained_policies.clone()) == sorted(u.to_vec()))
                }
                (Err(_), false) => true,
                _ => false,
            };
            if !ok {
                failures.push(format!(
                    "{} {}: expected {}, got {result:?}",
                    c.id,
                    c.ee,
                    if c.valid { "valid" } else { "invalid" }
                ));
            }
        }
        assert!(failures.is_empty(), "{} PKITS policy cases fail:\n{}", failures.len(), failures.join("\n"));
    }

    /// Test names without a Valid/Invalid prefix, with their expected result under the default
    /// settings (initial-policy-set {anyPolicy}, all three flags false), from the PKITS document.
    const UNPREFIXED_DEFAULTS: &[(&str, bool)] = &[
        ("AllCertificatesNoPoliciesTest2EE.crt", true),
        ("DifferentPoliciesTest3EE.crt", true),
        ("DifferentPoliciesTest4EE.crt", false),
        ("DifferentPoliciesTest5EE.crt", false),
        ("OverlappingPoliciesTest6EE.crt", true),
        ("DifferentPoliciesTest7EE.crt", false),
        ("DifferentPoliciesTest8EE.crt", false),
        ("DifferentPoliciesTest9EE.crt", false),
        ("AllCertificatesSamePoliciesTest10EE.crt", true),
        ("AllCertificatesanyPolicyTest11EE.crt", true),
        ("DifferentPoliciesTest12EE.crt", false),
        ("AllCertificatesSamePoliciesTest13EE.crt", true),
        ("AnyPolicyTest14EE.crt", true),
        ("UserNoticeQualifierTest15EE.crt", true),
        ("UserNoticeQualifierTest16EE.crt", true),
        ("UserNoticeQualifierTest17EE.crt", true),
        ("UserNoticeQualifierTest18EE.crt", true),
        ("UserNoticeQualifierTest19EE.crt", true),
        ("CPSPointerQualifierTest20EE.crt", true),
        ("inhibitAnyPolicyTest3EE.crt", true),
    ];

    /// Tests of 4.8–4.12 whose Valid/Invalid prefix does not hold under the default settings. None:
    /// the PKITS CAs of these sections carry their own policyConstraints (requireExplicitPolicy 0),
    /// so the tests fail as named without initial-explicit-policy. The variants that only fail with
    /// other settings (4.8.1.3, 4.8.2.2, 4.8.3.2, 4.8.3.3, 4.8.6.3, 4.8.14.2, 4.10.1.2, 4.10.1.3,
    /// 4.10.3.1, 4.10.5.2, 4.10.6.2, 4.10.13.3, 4.12.3.2) are run that way in [`CASES`].
    const PREFIX_DIFFERS_AT_DEFAULTS: &[&str] = &[];

    #[test]
    fn pkits_defaults_match_names() {
        let mut seen: Vec<&str> = Vec::new();
        let mut failures = Vec::new();
        let mut differs = Vec::new();
        for c in CASES {
            if seen.contains(&c.ee) {
                continue;
            }
            seen.push(c.ee);
            let expected = if c.ee.starts_with("Valid") {
                true
            } else if c.ee.starts_with("Invalid") {
                false
            } else {
                UNPREFIXED_DEFAULTS.iter().find(|(n, _)| *n == c.ee).map(|(_, v)| *v).unwrap()
            };
            let valid = run(c.ee, &PolicySettings::default()).is_ok();
            if valid != expected {
                if PREFIX_DIFFERS_AT_DEFAULTS.contains(&c.ee) {
                    differs.push(c.ee);
                } else {
                    failures.push(format!("{} {}: expected valid={expected}, got valid={valid}", c.id, c.ee));
                }
            }
        }
        assert!(failures.is_empty(), "default settings:\n{}", failures.join("\n"));
        assert_eq!(differs, PREFIX_DIFFERS_AT_DEFAULTS);
        // Every test of PKITS 4.8 (20), 4.9 (8), 4.10 (14), 4.11 (11) and 4.12 (10) is here.
        assert_eq!(seen.len(), 20 + 8 + 14 + 11 + 10);
    }

    #[test]
    fn pkits_errors_say_why() {
        let defaults = PolicySettings::default();
        // 4.10.7 and 4.10.8: the CA at position 1 maps from / to anyPolicy.
        assert_eq!(
            run("InvalidMappingFromanyPolicyTest7EE.crt", &defaults),
            Err(PolicyError::AnyPolicyMapping { at: 1 })
        );
        assert_eq!(
            run("InvalidMappingToanyPolicyTest8EE.crt", &defaults),
            Err(PolicyError::AnyPolicyMapping { at: 1 })
        );
        // 4.8.4: the end entity (position 3) asserts a policy no CA allows.
        assert_eq!(run("DifferentPoliciesTest4EE.crt", &defaults), Err(PolicyError::NoValidPolicy { at: 3 }));
        // 4.8.1.3: the tree survives the path but not the intersection with {P2}.
        let p2 = PolicySettings { initial_policy_set: vec![P2], initial_explicit_policy: true, ..Default::default() };
        assert_eq!(run("ValidCertificatePathTest1EE.crt", &p2), Err(PolicyError::NoValidPolicy { at: 2 }));
        let out = run("ValidrequireExplicitPolicyTest4EE.crt", &defaults).unwrap();
        assert!(out.explicit_policy_required);
        let out = run("AllCertificatesNoPoliciesTest2EE.crt", &defaults).unwrap();
        assert!(!out.explicit_policy_required);
        assert!(PolicyError::AnyPolicyMapping { at: 1 }.to_string().contains("certificate 1"));
    }

    /// A PKITS CA certificate with its extensions replaced by `extensions` (signature not valid).
    fn with_extensions(extensions: Vec<(ObjectIdentifier, Vec<u8>)>) -> Certificate {
        let (_, ca) = certs().iter().find(|(n, _)| n == "GoodCACert.crt").unwrap();
        let mut cert = ca.clone();
        cert.tbs_certificate.extensions = Some(
            extensions
                .into_iter()
                .map(|(extn_id, value)| x509_cert::ext::Extension {
                    extn_id,
                    critical: false,
                    extn_value: der::asn1::OctetString::new(value).unwrap(),
                })
                .collect(),
        );
        cert
    }

    fn oid(arc: u32) -> ObjectIdentifier {
        ObjectIdentifier::new(&format!("1.3.6.1.4.1.99999.{arc}")).unwrap()
    }

    fn policies_der(oids: &[ObjectIdentifier]) -> Vec<u8> {
        use x509_cert::ext::pkix::certpolicy::PolicyInformation;
        CertificatePolicies(
            oids.iter().map(|o| PolicyInformation { policy_identifier: *o, policy_qualifiers: None }).collect(),
        )
        .to_der()
        .unwrap()
    }

    #[test]
    fn hostile_mappings_hit_the_node_limit() {
        use const_oid::AssociatedOid;
        use x509_cert::ext::pkix::PolicyMapping;
        // CA 1: 200 policies, each mapped to the same 100 subject policies; CA 2: anyPolicy, which
        // expands every expected set: 200 x 100 nodes.
        let issuers: Vec<ObjectIdentifier> = (0..200).map(oid).collect();
        let subjects: Vec<ObjectIdentifier> = (1000..1100).map(oid).collect();
        let mut mappings = Vec::new();
        for i in &issuers {
            for s in &subjects {
                mappings.push(PolicyMapping { issuer_domain_policy: *i, subject_domain_policy: *s });
            }
        }
        let ca1 = with_extensions(vec![
            (CertificatePolicies::OID, policies_der(&issuers)),
            (PolicyMappings::OID, PolicyMappings(mappings).to_der().unwrap()),
        ]);
        let ca2 = with_extensions(vec![(CertificatePolicies::OID, policies_der(&[ANY]))]);
        let mut state = PolicyState::new(&PolicySettings::default(), 3);
        state.process(&ca1, 1, false).unwrap();
        state.prepare_next(&ca1, 1, false).unwrap();
        assert_eq!(state.process(&ca2, 2, false), Err(PolicyError::TreeTooLarge { at: 2 }));
    }

    #[test]
    fn malformed_and_misused() {
        use const_oid::AssociatedOid;
        let garbage = with_extensions(vec![(CertificatePolicies::OID, vec![0x30, 0x03, 0x02, 0x01])]);
        let mut state = PolicyState::new(&PolicySettings::default(), 2);
        assert!(matches!(state.process(&garbage, 1, false), Err(PolicyError::Malformed { at: 1, .. })));

        let twice = with_extensions(vec![
            (CertificatePolicies::OID, policies_der(&[P1])),
            (CertificatePolicies::OID, policies_der(&[P2])),
        ]);
        let mut state = PolicyState::new(&PolicySettings::default(), 2);
        assert!(matches!(state.process(&twice, 1, false), Err(PolicyError::Malformed { at: 1, .. })));

        let bad_constraints = with_extensions(vec![(PolicyConstraints::OID, vec![0x30, 0x02, 0x80, 0x05])]);
        let mut state = PolicyState::new(&PolicySettings::default(), 2);
        assert!(matches!(state.prepare_next(&bad_constraints, 1, false), Err(PolicyError::Malformed { at: 1, .. })));

        let ok = with_extensions(vec![(CertificatePolicies::OID, policies_der(&[P1]))]);
        let mut state = PolicyState::new(&PolicySettings::default(), 2);
        assert_eq!(state.process(&ok, 0, false), Err(PolicyError::BadPosition { at: 0, n: 2 }));
        assert_eq!(state.process(&ok, 3, false), Err(PolicyError::BadPosition { at: 3, n: 2 }));
        assert_eq!(state.prepare_next(&ok, 2, false), Err(PolicyError::BadPosition { at: 2, n: 2 }));
    }

    #[test]
    fn repeated_policy_counts_once() {
        use const_oid::AssociatedOid;
        let ca = with_extensions(vec![(CertificatePolicies::OID, policies_der(&[P1, P1]))]);
        let ee = with_extensions(vec![(CertificatePolicies::OID, policies_der(&[P1]))]);
        let settings = PolicySettings { initial_explicit_policy: true, ..Default::default() };
        let mut state = PolicyState::new(&settings, 2);
        state.process(&ca, 1, false).unwrap();
        state.prepare_next(&ca, 1, false).unwrap();
        state.process(&ee, 2, false).unwrap();
        let out = state.finish(&ee, false).unwrap();
        assert_eq!(out, PolicyOutcome { user_constrained_policies: vec![P1], explicit_policy_required: true });
    }
}
