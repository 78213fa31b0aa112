//! The one evaluation core: `evaluate(inventory, now)` gives every finding about an inventory
//! as of an instant. `govkh check`, the admission webhook, the audit, the controllers' status
//! and the committee's report all call it, so an expired approval or grant is expired for all
//! of them at once. `now` is given.
//!
//! It runs the statutory clock (Art. 10), checks references between objects, and runs on every
//! object the Rego policies that declare its kind; all three produce the same `Finding`.
//! Approval and grant states are computed once here (by `clock`) and handed to the policies,
//! so an expired approval or grant is expired for the clock and every policy alike. Objects
//! are judged on every core; the findings come out in the same order whatever the threads do.
//! The wall clock is never read for a legal day; a run's `--timeout` budget is a monotonic
//! instant.
//!
//! Here: the orchestration; `checks` (the clock, namespaces, domains, references), `input`
//! (the inventory as the policies read it) and `evaluator` (one object at a time).

use std::collections::BTreeMap;

use k8s_openapi::jiff::Timestamp;
use serde::Serialize;
use serde_json::Value as Json;

use crate::{
    api::{ClockState, Day, Placement},
    finding::{Action, Finding, ResourceRef, Severity},
    inventory::Inventory,
    loading::manifest::{LoadError, Source},
    policy::Library,
};

pub use crate::policy::Operation;

mod checks;
mod clouds;
mod evaluator;
mod input;

pub use checks::*;
pub use clouds::{CloudUse, POLICY_CLOUD, clouds_in_use, is_undeclared};
pub use evaluator::*;
pub use input::*;

/// Policy id of the statutory clock's findings.
pub const POLICY_CLOCK: &str = "statutory-clock";

/// What the checks written in Rust rest on besides the law's text, by the ids of
/// docs/interpretations.md, as a policy declares its own in its metadata: (check, the
/// configuration it reads, the readings of the law it applies).
pub const CHECK_BASIS: &[(&str, &[&str], &[&str])] = &[
    (
        POLICY_CLOCK,
        &["established-on", "approved-leased-providers"],
        &[
            "approval-end",
            "ministry-private-outside",
            "one-year-from-establishment",
            "phnom-penh-days",
        ],
    ),
    (POLICY_CLOUD, &["approved-leased-providers"], &[]),
];
/// Policy id of findings about references to objects that do not exist.
pub const POLICY_REFERENCES: &str = "references";
/// Policy id of findings about manifests that could not be loaded.
pub const POLICY_MANIFEST: &str = "manifest";
/// Policy id of findings about what could not be judged for want of context (an object in a
/// namespace the inventory does not know).
pub const POLICY_CONTEXT: &str = "context";

/// The statutory clock's verdict on one tenancy, as reported.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct TenancyClock {
    /// The tenancy's name.
    pub name: String,
    /// Its ministry.
    pub ministry: String,
    /// Its placement.
    pub placement: Placement,
    /// Its provider.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub provider: Option<String>,
    /// Whether it is outside the government cloud.
    pub outside: bool,
    /// The clock's state.
    pub state: ClockState,
    /// Last day to apply in writing (outside only).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub application_deadline: Option<Day>,
    /// Last day to have migrated (outside only).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub migration_deadline: Option<Day>,
    /// The nearest deadline not passed yet.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub next_deadline: Option<Day>,
    /// The first day the state changes by time alone.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub next_boundary: Option<Day>,
    /// The Approval in force, if any.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub approval: Option<String>,
}

/// The result of one evaluation.
#[derive(Clone, Debug, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Evaluation {
    /// The evaluation day in Asia/Phnom_Penh.
    pub today: Day,
    /// Every finding, ordered by ministry, object and policy.
    pub findings: Vec<Finding>,
    /// The clock's verdict on every tenancy whose clock could run, by name.
    pub tenancies: Vec<TenancyClock>,
    /// Every object the policies judged (what a `pass` result can be given for).
    #[serde(skip)]
    pub judged: Vec<Judged>,
}

/// An object the policies judged.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Judged {
    /// The object.
    pub resource: ResourceRef,
    /// Its `metadata.uid`, when it has one (objects in a cluster).
    pub uid: Option<String>,
    /// The ministry it belongs to (its namespace's), when known.
    pub ministry: Option<String>,
}

impl Judged {
    fn of(inv: &Inventory, object: &Json) -> Self {
        Judged {
            resource: resource_of(object),
            uid: object["metadata"]["uid"].as_str().map(str::to_string),
            ministry: ministry_of(inv, object),
        }
    }
}

/// Evaluate an inventory as of `now`: the clock, the references, and on every object the
/// policies that declare its kind (as if each were being created).
pub fn evaluate(inv: &Inventory, policies: &Library, now: Timestamp) -> Evaluation {
    evaluate_with(inv, std::iter::empty(), policies, now)
}

/// `evaluate`, judging besides the inventory's own objects the `extra` ones: objects that
/// live in a ministry's namespace but shape nothing other objects are judged by (workloads,
/// Services, Ingresses, ...), which a live index keeps compact and hands over one at a time,
/// so they are never all decoded at once.
pub fn evaluate_with(
    inv: &Inventory,
    extra: impl IntoIterator<Item = (Json, Option<Source>)>,
    policies: &Library,
    now: Timestamp,
) -> Evaluation {
    let today = Day::in_phnom_penh(now);
    let mut findings = references(inv);
    findings.extend(domain_clashes(inv));
    findings.extend(unknown_namespaces(inv));
    findings.extend(crate::apis::findings(inv));
    let tenancies = statutory_clock(inv, today, &mut findings);
    let evaluator = Evaluator::new(inv, policies, now, &tenancies);
    let ours = our_objects(inv);
    let held: Vec<Held<'_>> = ours
        .iter()
        .map(|(o, s)| Held::Json(o, s.as_ref()))
        .chain(inv.others.values().map(|o| match &o.compact {
            Some(text) => Held::Compact(text, &o.source),
            None => Held::Json(&o.raw, Some(&o.source)),
        }))
        .collect();
    let mut judged = Vec::new();
    evaluator.judge_all(&held, &mut findings, &mut judged);
    // The extra objects are decoded a batch at a time: never all at once.
    let mut extra = extra.into_iter();
    loop {
        let batch: Vec<(Json, Option<Source>)> = extra.by_ref().take(EXTRA_BATCH).collect();
        if batch.is_empty() {
            break;
        }
        let refs: Vec<Held<'_>> = batch
            .iter()
            .map(|(o, s)| Held::Json(o, s.as_ref()))
            .collect();
        evaluator.judge_all(&refs, &mut findings, &mut judged);
    }
    sort(&mut findings);
    Evaluation {
        today,
        findings,
        tenancies,
        judged,
    }
}

/// Evaluate `loaded` with `context`: objects read only to say whose each namespace is (the
/// national manifests of `check --inventory`, or the live cluster of `check --cluster`). An
/// object both checked and in the context is the checked one; the context's own findings, and
/// the clock's verdicts on its tenancies, are not reported. Without context, `evaluate_loaded`.
pub fn evaluate_in_context(
    mut loaded: crate::loading::manifest::LoadResult,
    context: Option<crate::loading::manifest::LoadResult>,
    policies: &Library,
    now: Timestamp,
) -> Evaluation {
    let Some(context) = context else {
        return evaluate_loaded(loaded, policies, now).1;
    };
    let judged_files: std::collections::BTreeSet<String> = loaded
        .objects
        .iter()
        .map(|o| o.source.file.clone())
        .chain(loaded.errors.iter().map(|e| e.source.file.clone()))
        .collect();
    let ids: std::collections::BTreeSet<String> = loaded
        .objects
        .iter()
        .map(|o| format!("{}/{}", o.api_version, o.id()))
        .collect();
    loaded.objects.extend(
        context
            .objects
            .into_iter()
            .filter(|o| !ids.contains(&format!("{}/{}", o.api_version, o.id()))),
    );
    let (_, mut eval, _) = evaluate_loaded(loaded, policies, now);
    eval.findings.retain(|f| {
        f.source
            .as_ref()
            .is_none_or(|s| judged_files.contains(&s.file) || s.file == "-")
    });
    eval.tenancies.clear();
    eval
}

/// The objects among `objects` that no policy judges, counted by kind: neither ours (the clock
/// and the references judge them) nor Namespaces (they are context), and of a kind no policy
/// declares. Said so that "checked" never silently means "judged by nothing".
pub fn unjudged_kinds<'o>(
    objects: impl IntoIterator<Item = &'o crate::loading::manifest::Loaded>,
    policies: &Library,
) -> BTreeMap<String, usize> {
    let mut out = BTreeMap::new();
    for o in objects {
        let core_judges = o.api_version == crate::api::API_VERSION
            || (o.kind == "Namespace" && o.api_version == "v1")
            || policies
                .clouds()
                .classify(&o.api_version, &o.kind, &o.raw["metadata"])
                .is_some();
        if !core_judges && policies.applicable(&o.kind, Operation::Create).is_empty() {
            *out.entry(o.kind.clone()).or_insert(0) += 1;
        }
    }
    out
}

/// How many of `evaluate_with`'s extra objects are decoded at once.
const EXTRA_BATCH: usize = 512;

/// Order findings for people: by ministry, then object, then policy.
pub fn sort(findings: &mut [Finding]) {
    findings.sort_by(|a, b| {
        (&a.ministry, &a.resource, &a.policy, &a.message).cmp(&(
            &b.ministry,
            &b.resource,
            &b.policy,
            &b.message,
        ))
    });
}

/// Problems met while loading manifests, as `error` findings.
pub fn load_error_findings(errors: &[LoadError]) -> Vec<Finding> {
    errors
        .iter()
        .map(|e| {
            let (kind, name) = match e.object.as_deref().map(|o| o.split_once('/')) {
                Some(Some((k, n))) => (Some(k.to_string()), Some(n.to_string())),
                Some(None) => (e.object.clone(), None),
                None => (None, None),
            };
            Finding {
                policy: POLICY_MANIFEST.into(),
                action: Action::Error,
                severity: Severity::High,
                articles: vec![],
                resource: ResourceRef {
                    api_version: None,
                    kind,
                    name,
                    namespace: None,
                },
                source: Some(e.source.clone()),
                ministry: None,
                message: e.message.clone(),
                state: None,
                deadline: None,
                penalty: None,
                awaits: None,
                excused_by: None,
                fix: None,
                km: None,
            }
        })
        .collect()
}

/// Build the inventory from loaded objects and evaluate it: what `check` and `report` both do.
/// Problems met while loading or indexing become `error` findings of the evaluation. Returns
/// the inventory, the evaluation and the number of such problems.
pub fn evaluate_loaded(
    loaded: crate::loading::manifest::LoadResult,
    policies: &Library,
    now: Timestamp,
) -> (Inventory, Evaluation, usize) {
    let (inventory, mut problems) = Inventory::build(loaded.objects);
    let mut all = loaded.errors;
    all.append(&mut problems);
    let mut eval = evaluate(&inventory, policies, now);
    eval.findings.extend(load_error_findings(&all));
    sort(&mut eval.findings);
    (inventory, eval, all.len())
}
