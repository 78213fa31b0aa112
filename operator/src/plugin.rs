//! `kubectl govkh`: the same binary as a kubectl plugin (installed as `kubectl-govkh`, or
//! linked there by `govkh plugin install`). `status` prints each ministry's compliance from
//! the Ministry and CloudTenancy statuses the operator writes; `trace KIND/NAME` draws how a
//! ministry's objects hang together — tenancies, namespaces, links, grants, approvals — with
//! each one's state and the findings about it, from the live cluster judged by the same core as
//! `check --cluster`; `check -f FILES` is `govkh check --cluster FILES`.

use std::{collections::BTreeMap, ffi::OsString, fmt::Write, path::Path};

use govkh_core::{
    api::{CloudTenancy, Day, Ministry},
    clock,
    evaluate::Evaluation,
    finding::Finding,
    inventory::Inventory,
};
use kube::{Api, Client, api::ListParams};
use serde::Serialize;

/// The name kubectl finds the plugin by.
pub const PLUGIN_NAME: &str = "kubectl-govkh";

/// The arguments as govkh reads them: invoked as `kubectl-govkh`, `check -f A -f B` (kubectl's
/// way of naming files) becomes `check --cluster A B`, and `status`/`trace -o json` (kubectl's
/// way of naming a format) `--format json`; anything else is passed as is.
pub fn plugin_args(args: Vec<OsString>) -> Vec<OsString> {
    let invoked_as_plugin = args
        .first()
        .and_then(|a| Path::new(a).file_name())
        .is_some_and(|n| n == PLUGIN_NAME);
    if !invoked_as_plugin {
        return args;
    }
    if args.get(1).is_some_and(|a| a == "status" || a == "trace") {
        return args
            .into_iter()
            .map(|a| if a == "-o" { "--format".into() } else { a })
            .collect();
    }
    if args.get(1).is_none_or(|a| a != "check") {
        return args;
    }
    let mut out: Vec<OsString> = vec![args[0].clone(), "check".into(), "--cluster".into()];
    let mut rest = args.into_iter().skip(2);
    while let Some(a) = rest.next() {
        if a == "-f" || a == "--filename" {
            if let Some(file) = rest.next() {
                out.push(file);
            }
        } else if let Some(file) = a.to_str().and_then(|s| s.strip_prefix("--filename=")) {
            out.push(file.into());
        } else {
            out.push(a);
        }
    }
    out
}

/// Link `kubectl-govkh` in `dir` to `exe`, so that `kubectl govkh` runs it.
pub fn install(dir: &Path, exe: &Path) -> std::io::Result<std::path::PathBuf> {
    let link = dir.join(PLUGIN_NAME);
    if link.symlink_metadata().is_ok() {
        std::fs::remove_file(&link)?;
    }
    std::os::unix::fs::symlink(exe, &link)?;
    Ok(link)
}

/// One ministry's line of `status`.
#[derive(Clone, Debug, PartialEq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct StatusRow {
    /// Its code.
    pub ministry: String,
    /// Its score, once the operator has audited it.
    pub score: Option<u8>,
    /// Denials.
    pub deny: u32,
    /// Warnings.
    pub warn: u32,
    /// The nearest running deadline.
    pub next_deadline: Option<Day>,
    /// Its tenancies by clock state.
    pub tenancies: BTreeMap<String, u32>,
}

/// Each ministry's compliance, as the operator last wrote it.
pub async fn status(client: Client) -> Result<Vec<StatusRow>, kube::Error> {
    let ministries = Api::<Ministry>::all(client.clone())
        .list(&ListParams::default())
        .await?;
    let tenancies = Api::<CloudTenancy>::all(client)
        .list(&ListParams::default())
        .await?;
    let mut rows = Vec::new();
    for m in ministries.items {
        let code = m.metadata.name.clone().unwrap_or_default();
        let compliance = m.status.as_ref().and_then(|s| s.compliance.clone());
        let mut by_state: BTreeMap<String, u32> = BTreeMap::new();
        for t in tenancies.items.iter().filter(|t| t.spec.ministry == code) {
            let state = t
                .status
                .as_ref()
                .and_then(|s| s.state)
                .map_or("Unknown", |s| s.as_str());
            *by_state.entry(state.to_string()).or_default() += 1;
        }
        rows.push(StatusRow {
            ministry: code,
            score: compliance.as_ref().map(|c| c.score),
            deny: compliance.as_ref().map_or(0, |c| c.findings.deny),
            warn: compliance.as_ref().map_or(0, |c| c.findings.warn),
            next_deadline: compliance.as_ref().and_then(|c| c.next_deadline),
            tenancies: by_state,
        });
    }
    Ok(rows)
}

/// `status` as a table; with `colour`, scores in green, amber or red as the report draws them.
pub fn status_text(rows: &[StatusRow], colour: bool) -> String {
    let paint = |score: Option<u8>, text: String| match (colour, score) {
        (true, Some(90..=100)) => format!("\x1b[32m{text}\x1b[0m"),
        (true, Some(70..=89)) => format!("\x1b[33m{text}\x1b[0m"),
        (true, Some(_)) => format!("\x1b[31m{text}\x1b[0m"),
        _ => text,
    };
    let width = rows
        .iter()
        .map(|r| r.ministry.len())
        .max()
        .unwrap_or(0)
        .max("MINISTRY".len());
    let mut out = format!(
        "{:<width$}  SCORE  DENY  WARN  NEXT-DEADLINE  TENANCIES\n",
        "MINISTRY"
    );
    for r in rows {
        let score = r.score.map_or("-".to_string(), |s| s.to_string());
        let tenancies = if r.tenancies.is_empty() {
            "-".to_string()
        } else {
            r.tenancies
                .iter()
                .map(|(s, n)| format!("{n} {s}"))
                .collect::<Vec<_>>()
                .join(", ")
        };
        let _ = writeln!(
            out,
            "{:<width$}  {}  {:>4}  {:>4}  {:<13}  {tenancies}",
            govkh_core::text::printable(&r.ministry),
            paint(r.score, format!("{score:>5}")),
            r.deny,
            r.warn,
            r.next_deadline.map_or("-".to_string(), |d| d.to_string()),
        );
    }
    out
}

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
                govkh_core::finding::Action::Deny => (d + 1, w, e),
                govkh_core::finding::Action::Error => (d, w, e + 1),
                govkh_core::finding::Action::Warn => (d, w + 1, e),
                govkh_core::finding::Action::Dryrun => (d, w, e),
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
            if subject.kind == govkh_core::api::SubjectKind::CloudTenancy && subject.name == name {
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
            govkh_core::text::printable(&format!("{}{state}{reason}", n.object))
        );
        for (i, c) in n.children.iter().enumerate() {
            walk(out, c, &next, i + 1 == n.children.len(), false, wide);
        }
    }
    let mut out = String::new();
    walk(&mut out, node, "", true, true, wide);
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn args(a: &[&str]) -> Vec<OsString> {
        a.iter().map(OsString::from).collect()
    }

    #[test]
    fn kubectl_spellings_become_govkh_ones_only_for_the_plugin() {
        assert_eq!(
            plugin_args(args(&[
                "/usr/local/bin/kubectl-govkh",
                "check",
                "-f",
                "a.yaml",
                "--filename=b",
                "-f",
                "c"
            ])),
            args(&[
                "/usr/local/bin/kubectl-govkh",
                "check",
                "--cluster",
                "a.yaml",
                "b",
                "c"
            ])
        );
        assert_eq!(
            plugin_args(args(&[
                "kubectl-govkh",
                "trace",
                "ministry/mef",
                "-o",
                "json"
            ])),
            args(&["kubectl-govkh", "trace", "ministry/mef", "--format", "json"])
        );
        // As govkh, nothing changes: -f is the format there.
        let own = args(&["govkh", "check", "-f", "json", "examples/"]);
        assert_eq!(plugin_args(own.clone()), own);
    }

    #[test]
    fn install_links_the_plugin_name_to_the_binary() {
        let dir = std::env::temp_dir().join(format!("govkh-plugin-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        let exe = dir.join("govkh");
        std::fs::write(&exe, "").unwrap();
        let link = install(&dir, &exe).unwrap();
        assert_eq!(std::fs::read_link(&link).unwrap(), exe);
        // Again: replaced, not an error.
        install(&dir, &exe).unwrap();
        std::fs::remove_dir_all(&dir).unwrap();
    }
}
