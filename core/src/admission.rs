//! Admission, pure: the `Snapshot` of the cluster a request is judged against, the decision
//! for one request (deny, warn, allow — or refuse unjudged when there is no snapshot yet, or
//! when a policy that denies failed on it: fail closed), and the count of refusals over the
//! last day. The webhook turns a Kubernetes
//! AdmissionReview into a `Review` and the `Decision` back into a response; no kube type is
//! here.

use std::{collections::BTreeMap, sync::Arc};

use k8s_openapi::jiff::Timestamp;

use crate::{
    api::Day,
    evaluate::{Evaluator, PreparedInventory, Review, TenancyClock, tenancy_clocks},
    finding::{Action, Finding},
    inventory::Inventory,
    policy::Library,
};

/// The cluster's inventory at one moment, with the clock's verdicts and the inventory as the
/// policies read it: what the admission webhook judges a request against.
#[derive(Clone, Debug)]
pub struct Snapshot {
    /// When the verdicts were computed (their day is `prepared.today`).
    pub at: Timestamp,
    /// The objects, indexed (shared with the live index that handed it out).
    pub inventory: Arc<Inventory>,
    /// The statutory clock of every tenancy, as of `at`.
    pub tenancies: Vec<TenancyClock>,
    /// The inventory converted for the policies, as of `at`'s day.
    pub prepared: PreparedInventory,
}

impl Snapshot {
    /// A snapshot of `inventory` at `at`, with the clock's verdicts already computed.
    pub fn new(at: Timestamp, inventory: Arc<Inventory>, tenancies: Vec<TenancyClock>) -> Self {
        let prepared = PreparedInventory::new(&inventory, Day::in_phnom_penh(at), &tenancies);
        Snapshot {
            at,
            inventory,
            tenancies,
            prepared,
        }
    }

    /// A snapshot of `inventory` at `at`: the clock runs on it here.
    pub fn of(at: Timestamp, inventory: Arc<Inventory>) -> Self {
        let tenancies = tenancy_clocks(&inventory, Day::in_phnom_penh(at));
        Self::new(at, inventory, tenancies)
    }

    /// The same verdicts over a newer `inventory` whose policy context (our kinds, Namespaces,
    /// volumes) has not changed: only the objects judged differ.
    pub fn with_inventory(&self, inventory: Arc<Inventory>) -> Self {
        Snapshot {
            inventory,
            ..self.clone()
        }
    }
}

/// What one review came to, for the metrics.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Outcome {
    /// Allowed with no finding.
    Allowed,
    /// Allowed with warnings.
    Warned,
    /// Refused.
    Denied,
    /// Refused without judging: the index has not listed the cluster yet.
    NotJudged,
    /// Refused: something the verdict depends on could not be read in time.
    Unverified,
}

impl Outcome {
    /// Its name as a metric label.
    pub fn as_str(self) -> &'static str {
        match self {
            Outcome::Allowed => "allowed",
            Outcome::Warned => "warned",
            Outcome::Denied => "denied",
            Outcome::NotJudged => "not-judged",
            Outcome::Unverified => "unverified",
        }
    }
}

/// The reason given for a request refused because the cluster has not been read yet.
pub const NOT_JUDGED: &str = "govkh has not finished reading the cluster, so this request cannot be judged under the Law on Digital Government yet: retry in a few seconds";

/// The decision on one request.
#[derive(Clone, Debug, PartialEq)]
pub struct Decision {
    /// What it came to.
    pub outcome: Outcome,
    /// The reason it is refused, when it is.
    pub denial: Option<String>,
    /// The warnings returned with it (warn findings, and errors of policies that only warn),
    /// one line each.
    pub warnings: Vec<String>,
    /// The findings that refused it (denials, and errors of policies whose action is deny).
    pub denied: Vec<Finding>,
}

/// One finding as a line of an admission response: policy, message, articles and penalty.
fn line(f: &Finding) -> String {
    let mut s = format!("[{}] {}", f.policy, f.message);
    if !f.articles.is_empty() {
        s.push_str(&format!(" (Art. {}", f.articles.join(", ")));
        if let Some(p) = &f.penalty {
            s.push_str(&format!("; penalty Art. {}", p.article));
        }
        s.push(')');
    }
    s
}

/// Whether `review` is govkh's own update that leaves the object's spec as it was (adding or
/// removing its finalizer, the labels it derives): admitted unjudged, so that a breach the
/// object shows — the audit's to report — never keeps govkh from letting go of it.
fn bookkeeping(review: &Review, policies: &Library) -> bool {
    let user = review
        .user_info
        .as_ref()
        .and_then(|u| u["username"].as_str());
    review.operation == crate::evaluate::Operation::Update
        && user.is_some_and(|u| policies.authority().operator_users.iter().any(|o| o == u))
        && review
            .old_object
            .as_ref()
            .is_some_and(|old| old.get("spec") == review.object.get("spec"))
}

/// Decide one request (pure). `review` is `None` when the request carries no object (nothing
/// to judge); without a `snapshot` nothing can be judged, so the request is refused.
pub fn decide(
    review: Option<&Review>,
    snapshot: Option<&Snapshot>,
    policies: &Library,
    now: Timestamp,
) -> Decision {
    let Some(snapshot) = snapshot else {
        // Fail closed: without the cluster's inventory nothing can be judged.
        return Decision {
            outcome: Outcome::NotJudged,
            denial: Some(NOT_JUDGED.to_string()),
            warnings: Vec::new(),
            denied: Vec::new(),
        };
    };
    let Some(review) = review else {
        return Decision {
            outcome: Outcome::Allowed,
            denial: None,
            warnings: Vec::new(),
            denied: Vec::new(),
        };
    };
    if bookkeeping(review, policies) {
        return Decision {
            outcome: Outcome::Allowed,
            denial: None,
            warnings: Vec::new(),
            denied: Vec::new(),
        };
    }
    // The inventory converted by the audit serves every request of its day; after midnight
    // (Phnom Penh) approvals and grants may have changed state, so convert it anew.
    let evaluator = if snapshot.prepared.today == Day::in_phnom_penh(now) {
        Evaluator::with_prepared(&snapshot.inventory, policies, now, &snapshot.prepared)
    } else {
        Evaluator::new(&snapshot.inventory, policies, now, &snapshot.tenancies)
    };
    let findings = evaluator.review(review);
    // A policy that refuses what it finds, and that failed on this object (an error, a time or
    // memory limit reached), refuses the request: it was not judged, and unjudged is not
    // lawful. Any other error is a warning.
    // A denial that only waits for another object (`Finding::awaits`: a link applied before its
    // grant or approval, which opens nothing until they arrive) is admitted with a warning, so
    // that objects applied together need no order — the Kubernetes way; the audit counts it.
    let refuses = |f: &Finding| {
        (f.action == Action::Deny && f.awaits.is_none())
            || (f.action == Action::Error
                && policies
                    .policies()
                    .iter()
                    .any(|p| p.meta.id == f.policy && p.meta.action == Action::Deny))
    };
    let denials: Vec<String> = findings.iter().filter(|f| refuses(f)).map(line).collect();
    let warnings: Vec<String> = findings
        .iter()
        .filter(|f| !refuses(f) && matches!(f.action, Action::Warn | Action::Error | Action::Deny))
        .map(|f| match &f.awaits {
            Some(kind) if f.action == Action::Deny => format!(
                "{} — admitted, waiting for its {kind}: it opens nothing until then",
                line(f)
            ),
            _ => line(f),
        })
        .collect();
    let outcome = if !denials.is_empty() {
        Outcome::Denied
    } else if warnings.is_empty() {
        Outcome::Allowed
    } else {
        Outcome::Warned
    };
    let denial = (!denials.is_empty()).then(|| {
        format!(
            "refused under the Law on Digital Government: {}",
            denials.join("; ")
        )
    });
    let denied = findings.into_iter().filter(|f| refuses(f)).collect();
    Decision {
        outcome,
        denial,
        warnings,
        denied,
    }
}

/// Requests refused at admission over the last day, per ministry: a counter in hourly buckets
/// (24 per ministry, the oldest overwritten), not a store of requests. Time is given, never
/// read.
#[derive(Clone, Debug, Default)]
pub struct Refusals {
    /// Per ministry: (hour since the epoch, refusals in that hour), one slot per hour of day.
    buckets: BTreeMap<String, [(i64, u32); 24]>,
}

impl Refusals {
    fn hour(at: Timestamp) -> i64 {
        at.as_second().div_euclid(3600)
    }

    /// Count one refusal of a request of `ministry` at `at`.
    pub fn record(&mut self, ministry: &str, at: Timestamp) {
        let hour = Self::hour(at);
        let slots = self
            .buckets
            .entry(ministry.to_string())
            .or_insert([(i64::MIN, 0); 24]);
        let slot = &mut slots[usize::try_from(hour.rem_euclid(24)).unwrap_or(0)];
        if slot.0 == hour {
            slot.1 = slot.1.saturating_add(1);
        } else {
            *slot = (hour, 1);
        }
    }

    /// Refusals per ministry in the 24 hours up to `at` (ministries with none left out).
    pub fn last_day(&self, at: Timestamp) -> BTreeMap<String, u32> {
        let now = Self::hour(at);
        self.buckets
            .iter()
            .map(|(m, slots)| {
                let n = slots
                    .iter()
                    .filter(|(h, _)| (now - 23..=now).contains(h))
                    .map(|(_, n)| *n)
                    .fold(0u32, u32::saturating_add);
                (m.clone(), n)
            })
            .filter(|(_, n)| *n > 0)
            .collect()
    }
}

#[cfg(test)]
mod decision_tests {
    use super::*;
    use crate::policy::SourceFile;

    /// A library of one policy, `action`, that fails on every ConfigMap (a type error).
    fn failing(action: &str) -> Library {
        Library::load(&[SourceFile {
            path: "mine/policy.rego".into(),
            text: format!(
                "package govkh.mine\nmetadata := {{\"id\": \"mine\", \"title\": \"t\", \"articles\": [\"25\"], \"severity\": \"high\", \"action\": \"{action}\", \"kinds\": [\"ConfigMap\"]}}\nviolation contains {{\"msg\": \"x\"}} if {{ to_number(input.review.object.metadata.name) > 1 }}\n"
            ),
        }])
        .unwrap()
    }

    #[test]
    fn a_denying_policy_that_fails_refuses_and_a_warning_one_warns() {
        let now: Timestamp = "2026-11-26T03:00:00Z".parse().unwrap();
        let snapshot = Snapshot::of(now, Arc::new(Inventory::default()));
        let review = Review::create(
            serde_json::json!({"apiVersion": "v1", "kind": "ConfigMap", "metadata": {"name": "ledger", "namespace": "mef-tax"}}),
            None,
        );
        let d = decide(Some(&review), Some(&snapshot), &failing("deny"), now);
        assert_eq!(d.outcome, Outcome::Denied, "{d:?}");
        let denial = d.denial.unwrap();
        assert!(
            denial.contains("[mine] policy mine failed on this object"),
            "{denial}"
        );
        assert_eq!(d.denied.len(), 1);
        let w = decide(Some(&review), Some(&snapshot), &failing("warn"), now);
        assert_eq!(w.outcome, Outcome::Warned, "{w:?}");
        assert!(w.denial.is_none());
    }
}

#[cfg(test)]
mod refusal_tests {
    use super::*;

    #[test]
    fn refusals_are_counted_over_the_last_day_only() {
        let t = |s: &str| -> Timestamp { s.parse().unwrap() };
        let mut r = Refusals::default();
        r.record("moh", t("2026-11-26T01:10:00Z"));
        r.record("moh", t("2026-11-26T01:50:00Z"));
        r.record("moh", t("2026-11-26T09:00:00Z"));
        r.record("gdt", t("2026-11-25T03:00:00Z"));
        assert_eq!(
            r.last_day(t("2026-11-26T10:00:00Z")),
            BTreeMap::from([("moh".to_string(), 3)])
        );
        // A day later the 01:00 hour has gone; the slot is reused, not added to.
        r.record("moh", t("2026-11-27T01:05:00Z"));
        assert_eq!(
            r.last_day(t("2026-11-27T02:00:00Z")),
            BTreeMap::from([("moh".to_string(), 2)])
        );
        assert!(r.last_day(t("2026-12-30T00:00:00Z")).is_empty());
    }
}
