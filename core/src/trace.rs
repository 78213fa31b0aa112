//! The trace of one object (`kubectl govkh trace ministry/mef`), pure: how a ministry's objects
//! hang together — tenancies, namespaces, links, grants, approvals — with each one's state and
//! the findings about it, as a tree drawn from an evaluated inventory, and that tree as lines.

use std::fmt::Write;

use serde::Serialize;

use crate::{evaluate::Evaluation, finding::Finding, inventory::Inventory, law::clock};

/// One object of a trace, its state and why, and what hangs from it.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct Node {
    /// `Kind/name` (`Kind/namespace/name` for a finding's object).
    pub object: String,
    /// Its state (`Compliant`, `Active`, `deny`, ...), where it has one.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub state: Option<String>,
    /// Why, when it is not as it should be (a finding's message).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub reason: Option<String>,
    /// What hangs from it.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub children: Vec<Node>,
}

impl Node {
    fn new(object: String, state: Option<String>) -> Node {
        Node {
            object,
            state,
            reason: None,
            children: Vec::new(),
        }
    }
}

/// The tree of `target` (`ministry/mef`, `cloudtenancy/x`, `privatenetworklink/x`,
/// `dataaccessgrant/x`) in an evaluated inventory.
pub fn trace(inv: &Inventory, eval: &Evaluation, target: &str) -> Result<Node, String> {
    let (kind, name) = target
        .split_once('/')
        .ok_or_else(|| format!("{target:?}: expected KIND/NAME, e.g. ministry/mef"))?;
    let t = Tracer { inv, eval };
    match kind.to_ascii_lowercase().as_str() {
        "ministry" | "ministries" => t.ministry(name),
        "cloudtenancy" | "cloudtenancies" | "tenancy" => t.tenancy(name),
        "privatenetworklink" | "privatenetworklinks" | "link" => t.link(name),
        "dataaccessgrant" | "dataaccessgrants" | "grant" => t.grant(name),
        other => Err(format!(
            "{other:?}: trace follows ministry, cloudtenancy, privatenetworklink or dataaccessgrant"
        )),
    }
}

struct Tracer<'a> {
    inv: &'a Inventory,
    eval: &'a Evaluation,
}

impl Tracer<'_> {
    /// The findings about `resource` (`Kind/name` or `Kind/ns/name`), as leaves.
    fn findings(&self, resource: &str) -> Vec<Node> {
        self.eval
            .findings
            .iter()
            .filter(|f| f.resource.display() == resource)
            .map(finding_node)
            .collect()
    }

    fn ministry(&self, name: &str) -> Result<Node, String> {
        if !self.inv.ministries.contains_key(name) {
            return Err(format!("Ministry {name} not found"));
        }
        let mut node = Node::new(format!("Ministry/{name}"), None);
        node.children
            .extend(self.findings(&format!("Ministry/{name}")));
        for (t, entry) in &self.inv.tenancies {
            if entry.object.spec.ministry == name {
                node.children.push(self.tenancy(t)?);
            }
        }
        for (l, entry) in &self.inv.links {
            if entry.object.spec.from.ministry == name {
                node.children.push(self.link(l)?);
            }
        }
        for (g, entry) in &self.inv.grants {
            if entry.object.spec.owner == name {
                node.children.push(self.grant(g)?);
            }
        }
        // An error is not a denial: it says what could not be judged, so it is counted apart.
        let (deny, warn, error) = self
            .eval
            .findings
            .iter()
            .filter(|f| f.ministry.as_deref() == Some(name))
            .fold((0, 0, 0), |(d, w, e), f| match f.action {
                crate::finding::Action::Deny => (d + 1, w, e),
                crate::finding::Action::Error => (d, w, e + 1),
                crate::finding::Action::Warn => (d, w + 1, e),
                crate::finding::Action::Dryrun => (d, w, e),
            });
        node.state = Some(if error > 0 {
            format!("{deny} deny, {warn} warn, {error} error")
        } else {
            format!("{deny} deny, {warn} warn")
        });
        Ok(node)
    }

    fn tenancy(&self, name: &str) -> Result<Node, String> {
        let entry = self
            .inv
            .tenancies
            .get(name)
            .ok_or_else(|| format!("CloudTenancy {name} not found"))?;
        let clock = self.eval.tenancies.iter().find(|t| t.name == name);
        let mut node = Node::new(
            format!("CloudTenancy/{name}"),
            clock.map(|c| c.state.as_str().to_string()),
        );
        node.children
            .extend(self.findings(&format!("CloudTenancy/{name}")));
        for (a, approval) in &self.inv.approvals {
            let subject = &approval.object.spec.subject;
            if subject.kind == crate::api::SubjectKind::CloudTenancy && subject.name == name {
                node.children.push(self.approval(a));
            }
        }
        for ns in &entry.object.spec.namespaces {
            let mut n = Node::new(format!("Namespace/{}", ns.name), ns.data_class.clone());
            // The objects judged in it, with their findings.
            let prefix = |f: &&Finding| f.resource.namespace.as_deref() == Some(ns.name.as_str());
            n.children
                .extend(self.eval.findings.iter().filter(prefix).map(finding_node));
            node.children.push(n);
        }
        Ok(node)
    }

    fn link(&self, name: &str) -> Result<Node, String> {
        let entry = self
            .inv
            .links
            .get(name)
            .ok_or_else(|| format!("PrivateNetworkLink {name} not found"))?;
        let spec = &entry.object.spec;
        let to = spec
            .to
            .ministry
            .clone()
            .unwrap_or_else(|| "the shared services' CIDRs".to_string());
        let mut node = Node::new(
            format!("PrivateNetworkLink/{name}"),
            Some(format!("{} → {to}", spec.from.ministry)),
        );
        node.children
            .extend(self.findings(&format!("PrivateNetworkLink/{name}")));
        if let Some(a) = &spec.approval {
            node.children.push(self.approval(a));
        }
        // The grants that open it: from the ministry it reaches to the one it comes from.
        for (g, grant) in &self.inv.grants {
            let s = &grant.object.spec;
            if Some(&s.owner) == spec.to.ministry.as_ref()
                && s.grantee.ministry.as_deref() == Some(spec.from.ministry.as_str())
            {
                node.children.push(self.grant(g)?);
            }
        }
        Ok(node)
    }

    fn grant(&self, name: &str) -> Result<Node, String> {
        let entry = self
            .inv
            .grants
            .get(name)
            .ok_or_else(|| format!("DataAccessGrant {name} not found"))?;
        let state = clock::grant_state(&entry.object.spec, self.eval.today);
        let mut node = Node::new(
            format!("DataAccessGrant/{name}"),
            Some(format!("{state:?}")),
        );
        node.children
            .extend(self.findings(&format!("DataAccessGrant/{name}")));
        Ok(node)
    }

    fn approval(&self, name: &str) -> Node {
        let Some(entry) = self.inv.approvals.get(name) else {
            let mut n = Node::new(format!("Approval/{name}"), Some("Missing".into()));
            n.reason = Some("no such Approval".into());
            return n;
        };
        let state = clock::approval_state(&entry.object.spec, self.eval.today)
            .map_or("NotYetRequested", |s| s.as_str());
        let mut node = Node::new(format!("Approval/{name}"), Some(state.to_string()));
        node.children
            .extend(self.findings(&format!("Approval/{name}")));
        node
    }
}

fn finding_node(f: &Finding) -> Node {
    Node {
        object: format!("{} [{}]", f.resource.display(), f.policy),
        state: Some(f.action.as_str().to_string()),
        reason: Some(f.message.clone()),
        children: Vec::new(),
    }
}

/// A trace as a tree of lines; `wide` adds each finding's message.
pub fn trace_text(node: &Node, wide: bool) -> String {
    fn walk(out: &mut String, n: &Node, prefix: &str, last: bool, root: bool, wide: bool) {
        let (branch, next) = match (root, last) {
            (true, _) => ("", String::new()),
            (false, true) => ("└─ ", format!("{prefix}   ")),
            (false, false) => ("├─ ", format!("{prefix}│  ")),
        };
        let state = n
            .state
            .as_deref()
            .map(|s| format!("  {s}"))
            .unwrap_or_default();
        let reason = match (&n.reason, wide) {
            (Some(r), true) => format!("  — {r}"),
            _ => String::new(),
        };
        let _ = writeln!(
            out,
            "{prefix}{branch}{}",
            crate::printable::printable(&format!("{}{state}{reason}", n.object))
        );
        for (i, c) in n.children.iter().enumerate() {
            walk(out, c, &next, i + 1 == n.children.len(), false, wide);
        }
    }
    let mut out = String::new();
    walk(&mut out, node, "", true, true, wide);
    out
}
