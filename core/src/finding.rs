//! Findings: what the evaluation reports about one object — which rule of the law it breaks,
//! how serious that is, what govkh does about it, and by when the ministry must act. Every sink
//! (CLI, admission, status, reports) reads this one type.

use serde::{Deserialize, Serialize};

use crate::{api::Day, loading::manifest::Source};

/// What govkh does about a finding.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Action {
    /// The input could not be evaluated (bad manifest, missing reference, failing policy).
    Error,
    /// Refused at admission; `govkh check` exits 1.
    Deny,
    /// Allowed, with a warning.
    Warn,
    /// Recorded only (a policy being tried out).
    Dryrun,
}

impl Action {
    /// The action's name.
    pub fn as_str(self) -> &'static str {
        match self {
            Action::Error => "error",
            Action::Deny => "deny",
            Action::Warn => "warn",
            Action::Dryrun => "dryrun",
        }
    }
}

/// How serious a finding is.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Severity {
    /// A breach of the law now, with consequences.
    Critical,
    /// A breach, or one that follows unless the ministry acts.
    High,
    /// A statutory deadline is running.
    Medium,
    /// Worth knowing.
    Low,
}

impl Severity {
    /// The severity's name.
    pub fn as_str(self) -> &'static str {
        match self {
            Severity::Critical => "critical",
            Severity::High => "high",
            Severity::Medium => "medium",
            Severity::Low => "low",
        }
    }
}

/// The fine the law attaches to a kind of breach (Art. 38-40), in riels.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Penalty {
    /// The penalty article, e.g. `"40"`.
    pub article: String,
    /// Maximum fine for each natural person involved.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub natural_person_max_riel: Option<u64>,
    /// Maximum fine for each legal person involved.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub legal_person_max_riel: Option<u64>,
    /// Maximum fine for any person, natural or legal, where the law does not tell them apart
    /// (Art. 38: "a person … not exceed the maximum of 200,000 Riels").
    #[serde(skip_serializing_if = "Option::is_none")]
    pub person_max_riel: Option<u64>,
}

impl Penalty {
    /// The most a natural person may be fined: its own amount, or the one for any person.
    pub fn natural_max(&self) -> Option<u64> {
        self.natural_person_max_riel.or(self.person_max_riel)
    }

    /// The most a legal person may be fined: its own amount, or the one for any person.
    pub fn legal_max(&self) -> Option<u64> {
        self.legal_person_max_riel.or(self.person_max_riel)
    }
}

/// Riels with thousands separators: 20000000 -> "20,000,000".
pub fn riels(n: u64) -> String {
    let s = n.to_string();
    let mut out = String::new();
    for (i, c) in s.chars().enumerate() {
        if i > 0 && (s.len() - i).is_multiple_of(3) {
            out.push(',');
        }
        out.push(c);
    }
    out
}

/// The object a finding is about.
#[derive(Clone, Debug, Default, PartialEq, Eq, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", default)]
pub struct ResourceRef {
    /// `apiVersion`, when known.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub api_version: Option<String>,
    /// `kind`, when known.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub kind: Option<String>,
    /// `metadata.name`, when known.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub name: Option<String>,
    /// `metadata.namespace`, for namespaced objects.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub namespace: Option<String>,
}

impl ResourceRef {
    /// A cluster-scoped object of ours.
    pub fn ours(kind: crate::api::Kind, name: &str) -> Self {
        ResourceRef {
            api_version: Some(crate::api::API_VERSION.to_string()),
            kind: Some(kind.name().to_string()),
            name: Some(name.to_string()),
            namespace: None,
        }
    }

    /// `Kind/name`, `Kind/namespace/name`, or what is known of it.
    pub fn display(&self) -> String {
        let kind = self.kind.as_deref().unwrap_or("-");
        match (&self.namespace, &self.name) {
            (Some(ns), Some(n)) => format!("{kind}/{ns}/{n}"),
            (None, Some(n)) => format!("{kind}/{n}"),
            _ => kind.to_string(),
        }
    }
}

/// One finding.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Finding {
    /// The rule that produced it: a policy id, `statutory-clock`, `references` or `manifest`.
    pub policy: String,
    /// What govkh does about it.
    pub action: Action,
    /// How serious it is.
    pub severity: Severity,
    /// Articles of the law concerned, e.g. `["10"]`.
    pub articles: Vec<String>,
    /// The object.
    pub resource: ResourceRef,
    /// Where the object was read from, for manifests.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub source: Option<Source>,
    /// The ministry concerned, when known.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub ministry: Option<String>,
    /// What is wrong and what to do, for the ministry.
    pub message: String,
    /// The statutory clock's state, for tenancy findings.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub state: Option<String>,
    /// The day by which the ministry must act, when a deadline runs.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub deadline: Option<Day>,
    /// The fine the law attaches, where it names one.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub penalty: Option<Penalty>,
    /// The kind of object whose arrival would make it lawful, where nothing happens until one
    /// arrives (a link waits for its grant or approval and opens nothing meanwhile): admission
    /// admits it with a warning, so objects applied together need no order; the audit and
    /// `check` count it as its action says, for as long as it waits.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub awaits: Option<String>,
    /// The Approval or DataAccessGrant that excused or decided it, if any.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub excused_by: Option<String>,
    /// How to remedy it, in one line, where the rule says.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub fix: Option<String>,
    /// The message and remedy in Khmer (`message` and `fix` are English), where the rule
    /// writes them.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub km: Option<Khmer>,
}

/// A finding's text in Khmer.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct Khmer {
    /// What is wrong and what to do.
    pub message: String,
    /// How to remedy it.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub fix: Option<String>,
}

/// Findings by action.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize)]
pub struct ActionCounts {
    /// `deny` findings.
    pub deny: usize,
    /// `warn` findings.
    pub warn: usize,
    /// `dryrun` findings.
    pub dryrun: usize,
    /// `error` findings.
    pub error: usize,
}

impl ActionCounts {
    /// Count findings by action.
    pub fn of(findings: &[Finding]) -> Self {
        Self::of_all(findings.iter())
    }

    /// Count borrowed findings by action.
    pub fn of_refs(findings: &[&Finding]) -> Self {
        Self::of_all(findings.iter().copied())
    }

    fn of_all<'a>(findings: impl Iterator<Item = &'a Finding>) -> Self {
        let mut c = ActionCounts::default();
        for f in findings {
            match f.action {
                Action::Deny => c.deny += 1,
                Action::Warn => c.warn += 1,
                Action::Dryrun => c.dryrun += 1,
                Action::Error => c.error += 1,
            }
        }
        c
    }
}
