//! Certificate policies in path validation: RFC 5280 section 6.1, the valid_policy_tree with policy
//! mappings, requireExplicitPolicy, inhibitPolicyMapping and inhibitAnyPolicy.
//!
//! [`PolicyState`] follows the RFC's steps literally: [`PolicyState::process`] is 6.1.3 (d)–(f),
//! [`PolicyState::prepare_next`] 6.1.4 (a), (b), (h)–(j), and [`PolicyState::finish`] 6.1.5 (a), (b), (g).
//! The tree is an arena of nodes; its size is bounded so that hostile certificates cannot exhaust memory.

use const_oid::ObjectIdentifier as Oid;
use der::Decode;
use x509_cert::ext::pkix::{CertificatePolicies, InhibitAnyPolicy, PolicyConstraints, PolicyMappings};
use x509_cert::Certificate;

/// anyPolicy (2.5.29.32.0).
pub const ANY_POLICY: Oid = Oid::new_unwrap("2.5.29.32.0");

const EXT_CERTIFICATE_POLICIES: Oid = Oid::new_unwrap("2.5.29.32");
const EXT_POLICY_MAPPINGS: Oid = Oid::new_unwrap("2.5.29.33");
const EXT_POLICY_CONSTRAINTS: Oid = Oid::new_unwrap("2.5.29.36");
const EXT_INHIBIT_ANY_POLICY: Oid = Oid::new_unwrap("2.5.29.54");

/// The most nodes the policy tree may grow to.
const MAX_NODES: usize = 10_000;

/// The user's initial policy inputs (RFC 5280 6.1.1 (c), (e), (f), (g)).
#[derive(Clone, Debug, Default)]
pub struct PolicySettings {
    /// user-initial-policy-set; empty means {anyPolicy}.
    pub initial_policy_set: Vec<Oid>,
    /// initial-explicit-policy: the path must be valid for at least one policy of the set.
    pub initial_explicit_policy: bool,
    /// initial-policy-mapping-inhibit: policy mapping is not allowed.
    pub initial_policy_mapping_inhibit: bool,
    /// initial-any-policy-inhibit: anyPolicy in a certificate is not taken as a match.
    pub initial_any_policy_inhibit: bool,
}

/// Why a path fails policy processing.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum PolicyError {
    /// An explicit policy is required and no policy is valid for the path up to certificate `at`.
    NoValidPolicy {
        /// The certificate's position (1 = below the anchor).
        at: usize,
    },
    /// A policy mapping to or from anyPolicy (forbidden by RFC 5280 6.1.4 (a)).
    AnyPolicyMapping {
        /// The certificate's position.
        at: usize,
    },
    /// A policy extension does not decode, or the tree grew beyond its bound.
    Malformed {
        /// The certificate's position.
        at: usize,
        /// What is wrong.
        detail: String,
    },
}

impl core::fmt::Display for PolicyError {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        match self {
            PolicyError::NoValidPolicy { at } => write!(
                f,
                "an explicit certificate policy is required, and none is valid for the path (at certificate {at})"
            ),
            PolicyError::AnyPolicyMapping { at } => {
                write!(f, "certificate {at} maps a policy to or from anyPolicy, which is not allowed")
            }
            PolicyError::Malformed { at, detail } => write!(f, "certificate {at}: {detail}"),
        }
    }
}

/// The result of policy processing (RFC 5280 6.1.6).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct PolicyOutcome {
    /// The user-constrained policy set: the valid policies of the path (anyPolicy included if valid).
    pub user_constrained_policies: Vec<Oid>,
    /// Whether an explicit policy was required by the end of the path.
    pub explicit_policy_required: bool,
}

#[derive(Clone, Debug)]
struct Node {
    depth: usize,
    valid_policy: Oid,
    expected: Vec<Oid>,
    parent: Option<usize>,
    alive: bool,
}

/// The state of policy processing along a path.
#[derive(Clone, Debug)]
pub struct PolicyState {
    /// The arena; `None` is the NULL tree.
    tree: Option<Vec<Node>>,
    explicit_policy: usize,
    inhibit_any_policy: usize,
    policy_mapping: usize,
    initial_set: Vec<Oid>,
    n: usize,
}

fn extension<'a, T: Decode<'a>>(cert: &'a Certificate, oid: Oid, at: usize) -> Result<Option<T>, PolicyError> {
    let exts = cert.tbs_certificate.extensions.as_deref().unwrap_or_default();
    match exts.iter().find(|e| e.extn_id == oid) {
        None => Ok(None),
        Some(e) => T::from_der(e.extn_value.as_bytes())
            .map(Some)
            .map_err(|err| PolicyError::Malformed { at, detail: format!("malformed policy extension {oid}: {err}") }),
    }
}

impl PolicyState {
    /// 6.1.2 initialisation for a path of `n` certificates (the trust anchor excluded).
    pub fn new(settings: &PolicySettings, n: usize) -> Self {
        let start = |inhibit: bool| if inhibit { 0 } else { n + 1 };
        PolicyState {
            tree: Some(vec![Node {
                depth: 0,
                valid_policy: ANY_POLICY,
                expected: vec![ANY_POLICY],
                parent: None,
                alive: true,
            }]),
            explicit_policy: start(settings.initial_explicit_policy),
            inhibit_any_policy: start(settings.initial_any_policy_inhibit),
            policy_mapping: start(settings.initial_policy_mapping_inhibit),
            initial_set: settings.initial_policy_set.clone(),
            n,
        }
    }

    fn add(&mut self, node: Node, at: usize) -> Result<(), PolicyError> {
        if let Some(tree) = &mut self.tree {
            if tree.len() >= MAX_NODES {
                return Err(PolicyError::Malformed { at, detail: "the certificate policy tree is too large".into() });
            }
            tree.push(node);
        }
        Ok(())
    }

    fn nodes_at(&self, depth: usize) -> Vec<usize> {
        match &self.tree {
            Some(tree) => (0..tree.len()).filter(|&k| tree[k].alive && tree[k].depth == depth).collect(),
            None => Vec::new(),
        }
    }

    /// Deletes, repeatedly, every node at depth below `depth` without children; the tree becomes NULL
    /// when its root goes.
    fn prune(&mut self, depth: usize) {
        let Some(tree) = &mut self.tree else { return };
        loop {
            let mut changed = false;
            for k in 0..tree.len() {
                if tree[k].alive && tree[k].depth < depth {
                    let has_child = tree.iter().any(|c| c.alive && c.parent == Some(k));
                    if !has_child {
                        tree[k].alive = false;
                        changed = true;
                    }
                }
            }
            if !changed {
                break;
            }
        }
        if !tree.first().is_some_and(|root| root.alive) {
            self.tree = None;
        }
    }

    fn delete_subtree(&mut self, k: usize) {
        let Some(tree) = &mut self.tree else { return };
        let mut stack = vec![k];
        while let Some(x) = stack.pop() {
            if let Some(node) = tree.get_mut(x) {
                node.alive = false;
            }
            stack.extend((0..tree.len()).filter(|&c| tree[c].alive && tree[c].parent == Some(x)));
        }
    }

    /// 6.1.3 (d)–(f) for certificate `i` (1-based; `i == n` is the end entity).
    pub fn process(&mut self, cert: &Certificate, i: usize, self_issued: bool) -> Result<(), PolicyError> {
        let policies = extension::<CertificatePolicies>(cert, EXT_CERTIFICATE_POLICIES, i)?;
        match (policies, self.tree.is_some()) {
            (Some(policies), true) => {
                let parents = self.nodes_at(i - 1);
                let mut any_in_cert = false;
                for info in &policies.0 {
                    let p = info.policy_identifier;
                    if p == ANY_POLICY {
                        any_in_cert = true;
                        continue;
                    }
                    // (d)(1)(i): nodes at depth i-1 expecting P; (ii): else the anyPolicy node.
                    let tree = self.tree.as_deref().unwrap_or_default();
                    let mut matched: Vec<usize> =
                        parents.iter().copied().filter(|&k| tree[k].expected.contains(&p)).collect();
                    if matched.is_empty() {
                        matched = parents.iter().copied().filter(|&k| tree[k].valid_policy == ANY_POLICY).collect();
                    }
                    for parent in matched {
                        self.add(
                            Node { depth: i, valid_policy: p, expected: vec![p], parent: Some(parent), alive: true },
                            i,
                        )?;
                    }
                }
                // (d)(2): anyPolicy in the certificate, when not inhibited.
                if any_in_cert && (self.inhibit_any_policy > 0 || (i < self.n && self_issued)) {
                    for parent in parents {
                        let tree = self.tree.as_deref().unwrap_or_default();
                        let have: Vec<Oid> = tree
                            .iter()
                            .filter(|c| c.alive && c.parent == Some(parent))
                            .map(|c| c.valid_policy)
                            .collect();
                        let missing: Vec<Oid> =
                            tree[parent].expected.iter().copied().filter(|e| !have.contains(e)).collect();
                        for e in missing {
                            self.add(
                                Node {
                                    depth: i,
                                    valid_policy: e,
                                    expected: vec![e],
                                    parent: Some(parent),
                                    alive: true,
                                },
                                i,
                            )?;
                        }
                    }
                }
                // (d)(3): prune childless nodes above depth i.
                self.prune(i);
            }
            // (e): no certificatePolicies makes the tree NULL.
            (None, _) => self.tree = None,
            (Some(_), false) => {}
        }
        // (f)
        if self.explicit_policy == 0 && self.tree.is_none() {
            return Err(PolicyError::NoValidPolicy { at: i });
        }
        Ok(())
    }

    /// 6.1.4 (a), (b), (h)–(j): policy mappings and the counters, for certificate `i < n`.
    pub fn prepare_next(&mut self, cert: &Certificate, i: usize, self_issued: bool) -> Result<(), PolicyError> {
        if let Some(mappings) = extension::<PolicyMappings>(cert, EXT_POLICY_MAPPINGS, i)? {
            // (a)
            if mappings.0.iter().any(|m| m.issuer_domain_policy == ANY_POLICY || m.subject_domain_policy == ANY_POLICY)
            {
                return Err(PolicyError::AnyPolicyMapping { at: i });
            }
            // (b), for each issuerDomainPolicy.
            let mut issuers: Vec<Oid> = mappings.0.iter().map(|m| m.issuer_domain_policy).collect();
            issuers.dedup();
            for id_p in issuers {
                let mapped: Vec<Oid> = mappings
                    .0
                    .iter()
                    .filter(|m| m.issuer_domain_policy == id_p)
                    .map(|m| m.subject_domain_policy)
                    .collect();
                let at_depth = self.nodes_at(i);
                if self.policy_mapping > 0 {
                    let Some(tree) = &mut self.tree else { break };
                    let with_p: Vec<usize> =
                        at_depth.iter().copied().filter(|&k| tree[k].valid_policy == id_p).collect();
                    if !with_p.is_empty() {
                        for k in with_p {
                            tree[k].expected = mapped.clone();
                        }
                    } else if let Some(&any) = at_depth.iter().find(|&&k| tree[k].valid_policy == ANY_POLICY) {
                        let parent = tree[any].parent;
                        self.add(Node { depth: i, valid_policy: id_p, expected: mapped, parent, alive: true }, i)?;
                    }
                } else {
                    let doomed: Vec<usize> = match &self.tree {
                        Some(tree) => at_depth.into_iter().filter(|&k| tree[k].valid_policy == id_p).collect(),
                        None => Vec::new(),
                    };
                    for k in doomed {
                        self.delete_subtree(k);
                    }
                    self.prune(i);
                }
            }
        }
        // (h)
        if !self_issued {
            self.explicit_policy = self.explicit_policy.saturating_sub(1);
            self.policy_mapping = self.policy_mapping.saturating_sub(1);
            self.inhibit_any_policy = self.inhibit_any_policy.saturating_sub(1);
        }
        // (i)
        if let Some(pc) = extension::<PolicyConstraints>(cert, EXT_POLICY_CONSTRAINTS, i)? {
            if let Some(r) = pc.require_explicit_policy {
                self.explicit_policy = self.explicit_policy.min(r as usize);
            }
            if let Some(m) = pc.inhibit_policy_mapping {
                self.policy_mapping = self.policy_mapping.min(m as usize);
            }
        }
        // (j)
        if let Some(inhibit) = extension::<InhibitAnyPolicy>(cert, EXT_INHIBIT_ANY_POLICY, i)? {
            self.inhibit_any_policy = self.inhibit_any_policy.min(inhibit.0 as usize);
        }
        Ok(())
    }

    /// 6.1.5 (a), (b) and (g) on the end entity.
    pub fn finish(mut self, end_entity: &Certificate, _self_issued: bool) -> Result<PolicyOutcome, PolicyError> {
        let n = self.n;
        // (a), (b)
        self.explicit_policy = self.explicit_policy.saturating_sub(1);
        if let Some(pc) = extension::<PolicyConstraints>(end_entity, EXT_POLICY_CONSTRAINTS, n)? {
            if pc.require_explicit_policy == Some(0) {
                self.explicit_policy = 0;
            }
        }
        // (g) the intersection with the user-initial-policy-set.
        let initial_any = self.initial_set.is_empty() || self.initial_set.contains(&ANY_POLICY);
        if !initial_any {
            if let Some(tree) = &self.tree {
                // (iii)(1) nodes whose parent is an anyPolicy node.
                let set: Vec<usize> = (0..tree.len())
                    .filter(|&k| tree[k].alive && tree[k].parent.is_some_and(|p| tree[p].valid_policy == ANY_POLICY))
                    .collect();
                let in_set: Vec<Oid> = set.iter().map(|&k| tree[k].valid_policy).collect();
                // (iii)(2) delete those whose policy is neither wanted nor anyPolicy.
                let doomed: Vec<usize> = set
                    .iter()
                    .copied()
                    .filter(|&k| {
                        tree[k].valid_policy != ANY_POLICY && !self.initial_set.contains(&tree[k].valid_policy)
                    })
                    .collect();
                // (iii)(3) an anyPolicy leaf at depth n stands for every wanted policy not otherwise present.
                let any_leaf = (0..tree.len())
                    .find(|&k| tree[k].alive && tree[k].depth == n && tree[k].valid_policy == ANY_POLICY);
                for k in doomed {
                    self.delete_subtree(k);
                }
                if let Some(leaf) = any_leaf {
                    let parent = self.tree.as_ref().and_then(|t| t[leaf].parent);
                    let wanted: Vec<Oid> = self.initial_set.iter().copied().filter(|p| !in_set.contains(p)).collect();
                    for p in wanted {
                        self.add(Node { depth: n, valid_policy: p, expected: vec![p], parent, alive: true }, n)?;
                    }
                    self.delete_subtree(leaf);
                }
                // (iii)(4)
                self.prune(n);
            }
        }
        let policies: Vec<Oid> = match &self.tree {
            Some(tree) => tree.iter().filter(|k| k.alive && k.depth == n).map(|k| k.valid_policy).collect(),
            None => Vec::new(),
        };
        if self.explicit_policy == 0 && (self.tree.is_none() || policies.is_empty()) {
            return Err(PolicyError::NoValidPolicy { at: n });
        }
        Ok(PolicyOutcome { user_constrained_policies: policies, explicit_policy_required: self.explicit_policy == 0 })
    }
}
