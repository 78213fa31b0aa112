//! The one evaluation core: `evaluate(inventory, now)` gives every finding about an inventory
//! as of an instant. `govkh check` calls it today; the admission webhook, the audit loop, the
//! controllers' status and the committee's report call it too, so an expired approval or grant
//! is expired for all of them at once. `now` is given.
//!
//! It runs the statutory clock (Art. 10), checks references between objects, and runs on every
//! object the Rego policies that declare its kind; all three produce the same `Finding`.
//! Approval and grant states are computed once here (by `clock`) and handed to the policies,
//! so an expired approval or grant is expired for the clock and every policy alike. Objects
//! are judged on every core; the findings come out in the same order whatever the threads do.
//! The wall clock is never read for a legal day; a run's `--timeout` budget is a monotonic
//! instant.

use std::collections::BTreeMap;

use k8s_openapi::jiff::Timestamp;
use serde::Serialize;
use serde_json::{Value as Json, json};

use crate::{
    api::{ClockState, Day, Placement, ResourceLevel, SubjectKind},
    clock::{self, NamedApproval},
    finding::{Action, Finding, Khmer, ResourceRef, Severity},
    inventory::Inventory,
    manifest::{LoadError, Source},
    message,
    policy::Library,
    references, text,
};

pub use crate::policy::Operation;

/// Policy id of the statutory clock's findings.
pub const POLICY_CLOCK: &str = "statutory-clock";
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
    mut loaded: crate::manifest::LoadResult,
    context: Option<crate::manifest::LoadResult>,
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
    objects: impl IntoIterator<Item = &'o crate::manifest::Loaded>,
    policies: &Library,
) -> BTreeMap<String, usize> {
    let mut out = BTreeMap::new();
    for o in objects {
        let core_judges = o.api_version == crate::api::API_VERSION
            || (o.kind == "Namespace" && o.api_version == "v1");
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
                excused_by: None,
                fix: None,
                km: None,
            }
        })
        .collect()
}

/// The statutory clock of every tenancy as of `today`, without its findings: what admission
/// needs beside the inventory.
pub fn tenancy_clocks(inv: &Inventory, today: Day) -> Vec<TenancyClock> {
    statutory_clock(inv, today, &mut Vec::new())
}

fn statutory_clock(inv: &Inventory, today: Day, findings: &mut Vec<Finding>) -> Vec<TenancyClock> {
    let mut out = Vec::new();
    if inv.tenancies.is_empty() {
        return out;
    }
    let Some(cloud) = &inv.government_cloud else {
        findings.push(Finding {
            policy: POLICY_CLOCK.into(),
            action: Action::Error,
            severity: Severity::High,
            articles: vec!["10".into()],
            resource: ResourceRef::ours("GovernmentCloud", crate::api::GOVERNMENT_CLOUD_NAME),
            source: None,
            ministry: None,
            message: format!(
                "no GovernmentCloud named `national`: the statutory clock of Art. 10 counts from its establishment date, so the {} tenancies cannot be evaluated",
                inv.tenancies.len()
            ),
            state: None,
            deadline: None,
            penalty: None,
            excused_by: None,
                fix: None,
                km: Some(Khmer {
                message: message::km::no_government_cloud(inv.tenancies.len()),
                fix: None,
            }),
        });
        return out;
    };
    for (name, entry) in &inv.tenancies {
        let spec = &entry.object.spec;
        // A tenancy of an unknown ministry is reported by `references`; its clock cannot run
        // without the ministry's resource level.
        let Some(ministry) = inv.ministries.get(&spec.ministry) else {
            continue;
        };
        let level: ResourceLevel = ministry.object.spec.resource_level;
        let approvals: Vec<NamedApproval<'_>> = inv
            .approvals
            .iter()
            .filter(|(_, a)| {
                a.object.spec.subject.kind == SubjectKind::CloudTenancy
                    && a.object.spec.subject.name == *name
            })
            .map(|(n, a)| NamedApproval {
                name: n,
                spec: &a.object.spec,
            })
            .collect();
        let v = clock::evaluate(spec, level, &approvals, &cloud.object.spec, today);
        let (action, severity) = match v.state {
            ClockState::Compliant => (None, Severity::Low),
            ClockState::WithinApplicationWindow => (Some(Action::Warn), Severity::Medium),
            ClockState::ExceptionPending => (
                Some(Action::Warn),
                if v.next_deadline.is_some() {
                    Severity::Low
                } else {
                    Severity::Medium
                },
            ),
            ClockState::ApplicationWindowMissed | ClockState::ExceptionDenied => {
                (Some(Action::Warn), Severity::High)
            }
            ClockState::ExceptionExpired if v.next_deadline.is_some() => {
                (Some(Action::Warn), Severity::High)
            }
            ClockState::ExceptionExpired | ClockState::MigrationOverdue => {
                (Some(Action::Deny), Severity::Critical)
            }
        };
        if let Some(action) = action {
            findings.push(Finding {
                policy: POLICY_CLOCK.into(),
                action,
                severity,
                articles: vec!["10".into()],
                resource: ResourceRef::ours("CloudTenancy", name),
                source: entry.source.clone(),
                ministry: Some(spec.ministry.clone()),
                message: message::en::clock(&v),
                state: Some(v.state.to_string()),
                deadline: v.next_deadline,
                penalty: None,
                excused_by: v
                    .decisive_approval
                    .as_ref()
                    .map(|(n, _)| format!("Approval/{n}")),
                fix: Some(message::en::clock_fix(v.state).to_string()),
                km: Some(Khmer {
                    message: message::km::clock(&v),
                    fix: Some(message::km::clock_fix(v.state).to_string()),
                }),
            });
        }
        out.push(TenancyClock {
            name: name.clone(),
            ministry: spec.ministry.clone(),
            placement: spec.placement,
            provider: spec.provider.clone(),
            outside: v.outside.is_some(),
            state: v.state,
            application_deadline: v.application_deadline,
            migration_deadline: v.migration_deadline,
            next_deadline: v.next_deadline,
            next_boundary: v.next_boundary,
            approval: v.approval_in_force.clone(),
        });
    }
    out
}

/// Objects in a namespace the inventory does not know — no tenancy provisions it, no Namespace
/// says whose it is — said out loud: the ministry policies (official domains, placement,
/// reproduction, dissemination, personal data, unclassified data) could not apply to them,
/// which is not a pass. One warning per namespace.
fn unknown_namespaces(inv: &Inventory) -> Vec<Finding> {
    let mut unknown: BTreeMap<&str, (usize, Option<&Source>)> = BTreeMap::new();
    for o in inv.others.values() {
        let Some(ns) = o.namespace.as_deref() else {
            continue;
        };
        if inv.namespaces.get(ns).is_some_and(|i| i.ministry.is_some()) {
            continue;
        }
        let e = unknown.entry(ns).or_insert((0, Some(&o.source)));
        e.0 += 1;
    }
    unknown
        .into_iter()
        .map(|(ns, (n, source))| Finding {
            policy: POLICY_CONTEXT.into(),
            action: Action::Warn,
            severity: Severity::Medium,
            articles: Vec::new(),
            resource: ResourceRef {
                api_version: Some("v1".into()),
                kind: Some("Namespace".into()),
                name: Some(ns.to_string()),
                namespace: None,
            },
            source: source.cloned(),
            ministry: None,
            message: message::en::unknown_namespace(ns, n),
            state: None,
            deadline: None,
            penalty: None,
            excused_by: None,
            fix: None,
            km: Some(Khmer {
                message: message::km::unknown_namespace(ns, n),
                fix: None,
            }),
        })
        .collect()
}

/// Ministries whose official domain another ministry holds, as `references` denials.
fn domain_clashes(inv: &Inventory) -> Vec<Finding> {
    references::domain_clashes(inv)
        .into_iter()
        .map(|c| Finding {
            policy: POLICY_REFERENCES.into(),
            action: Action::Deny,
            severity: Severity::High,
            articles: vec!["20".into(), "21".into()],
            resource: ResourceRef::ours("Ministry", &c.ministry),
            source: inv
                .ministries
                .get(&c.ministry)
                .and_then(|m| m.source.clone()),
            ministry: Some(c.ministry.clone()),
            message: message::en::domain_clash(&c),
            state: None,
            deadline: None,
            penalty: None,
            excused_by: None,
            fix: Some(message::en::DOMAIN_CLASH_FIX.to_string()),
            km: Some(Khmer {
                message: message::km::domain_clash(&c),
                fix: Some(message::km::DOMAIN_CLASH_FIX.to_string()),
            }),
        })
        .collect()
}

/// Every reference from one object to another that names an object not in the inventory, as
/// findings with the table's action and articles.
fn references(inv: &Inventory) -> Vec<Finding> {
    references::dangling(inv)
        .into_iter()
        .map(|d| Finding {
            policy: POLICY_REFERENCES.into(),
            action: d.field.action,
            severity: if d.field.action == Action::Error {
                Severity::High
            } else {
                Severity::Low
            },
            articles: d.field.articles.iter().map(|a| a.to_string()).collect(),
            resource: ResourceRef::ours(d.kind, &d.name),
            source: d.source,
            ministry: d.ministry,
            message: message::en::missing_reference(&d.missing),
            state: None,
            deadline: None,
            penalty: None,
            excused_by: None,
            fix: Some(message::en::MISSING_REFERENCE_FIX.to_string()),
            km: Some(Khmer {
                message: message::km::missing_reference(&d.missing),
                fix: Some(message::km::MISSING_REFERENCE_FIX.to_string()),
            }),
        })
        .collect()
}

/// Build the inventory from loaded objects and evaluate it: what `check` and `report` both do.
/// Problems met while loading or indexing become `error` findings of the evaluation. Returns
/// the inventory, the evaluation and the number of such problems.
pub fn evaluate_loaded(
    loaded: crate::manifest::LoadResult,
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

/// One request to judge: an object being created or changed, and by whom.
#[derive(Clone, Debug)]
pub struct Review {
    /// What the request does.
    pub operation: Operation,
    /// The object as submitted.
    pub object: Json,
    /// The object before the change, for updates.
    pub old_object: Option<Json>,
    /// The requesting user (`username`, `groups`), at admission.
    pub user_info: Option<Json>,
    /// Where the object was read from, for manifests.
    pub source: Option<Source>,
}

/// The inventory as the policies read it (with every approval, grant and tenancy state as of
/// `today`), converted once and shared by every review: converting a large inventory costs far
/// more than judging one object.
#[derive(Clone, Debug)]
pub struct PreparedInventory {
    /// The day the states are computed for.
    pub today: Day,
    value: regorus::Value,
}

impl PreparedInventory {
    /// Prepare `inv` as of `today`; `tenancies` are the clock's verdicts.
    pub fn new(inv: &Inventory, today: Day, tenancies: &[TenancyClock]) -> Self {
        PreparedInventory {
            today,
            value: regorus::Value::from(policy_inventory(inv, today, tenancies)),
        }
    }
}

impl Review {
    /// The review of creating `object` with no requesting user: how `check`, the audit and
    /// the samples judge a manifest.
    pub fn create(object: Json, source: Option<Source>) -> Self {
        Review {
            operation: Operation::Create,
            object,
            old_object: None,
            user_info: None,
            source,
        }
    }
}

/// Judges reviews against the policies, with the inventory prepared once.
pub struct Evaluator<'a> {
    policies: &'a Library,
    inventory: &'a Inventory,
    shared: regorus::Value,
    now: Timestamp,
    today: Day,
    /// Policies that keep running out of time are stopped for the rest of this evaluation.
    breaker: crate::policy::Breaker,
    /// When the whole run must end (`Library::with_deadline`, `--timeout`): objects not judged
    /// by then get an error finding each. A monotonic instant, for a budget, never a legal day.
    deadline: Option<std::time::Instant>,
}

impl<'a> Evaluator<'a> {
    /// Prepare the inventory (with every approval, grant and tenancy state as of `now`) for
    /// the policies. `tenancies` are the clock's verdicts, so the policies see the same states.
    pub fn new(
        inv: &'a Inventory,
        policies: &'a Library,
        now: Timestamp,
        tenancies: &[TenancyClock],
    ) -> Self {
        let prepared = PreparedInventory::new(inv, Day::in_phnom_penh(now), tenancies);
        Self::with_prepared(inv, policies, now, &prepared)
    }

    /// An evaluator on an inventory already prepared (for `prepared.today`; the caller keeps
    /// it for that day only).
    pub fn with_prepared(
        inv: &'a Inventory,
        policies: &'a Library,
        now: Timestamp,
        prepared: &PreparedInventory,
    ) -> Self {
        Evaluator {
            policies,
            inventory: inv,
            // Reference-counted: a cheap clone.
            shared: prepared.value.clone(),
            now,
            today: prepared.today,
            breaker: Default::default(),
            deadline: policies.deadline(),
        }
    }

    /// The input document of one review, as the policies read it. The object is converted
    /// from its JSON form in one pass (no intermediate copy); the inventory is converted once
    /// per evaluation and shared (reference-counted) by every object's input.
    pub fn input(&self, review: &Review) -> regorus::Value {
        self.input_of(&Seen::of(review))
    }

    fn input_of(&self, review: &Seen<'_>) -> regorus::Value {
        let mut r = regorus::Value::new_object();
        let mut input = regorus::Value::new_object();
        if let (Ok(rm), Ok(im)) = (r.as_object_mut(), input.as_object_mut()) {
            rm.insert("operation".into(), review.operation.as_str().into());
            rm.insert("object".into(), to_rego(review.object));
            if let Some(old) = review.old_object {
                rm.insert("oldObject".into(), to_rego(old));
            }
            if let Some(user) = review.user_info {
                rm.insert("userInfo".into(), to_rego(user));
            }
            im.insert("now".into(), self.now.to_string().as_str().into());
            im.insert("today".into(), self.today.to_string().as_str().into());
            im.insert("config".into(), regorus::Value::new_object());
            im.insert("inventory".into(), self.shared.clone());
        }
        if let Ok(im) = input.as_object_mut() {
            im.insert("review".into(), r);
        }
        input
    }

    /// Every policy finding about one review.
    pub fn review(&self, review: &Review) -> Vec<Finding> {
        self.judge(&Seen::of(review))
    }

    /// The findings of the policies that judge this object's kind and operation; no input is
    /// built for an object no policy judges.
    fn judge(&self, review: &Seen<'_>) -> Vec<Finding> {
        let kind = review.object["kind"].as_str().unwrap_or_default();
        if self.policies.applicable(kind, review.operation).is_empty() {
            return Vec::new();
        }
        if self
            .deadline
            .is_some_and(|d| std::time::Instant::now() >= d)
        {
            return vec![Finding {
                policy: POLICY_CONTEXT.into(),
                action: Action::Error,
                severity: Severity::High,
                articles: Vec::new(),
                resource: resource_of(review.object),
                source: review.source.cloned(),
                ministry: ministry_of(self.inventory, review.object),
                message: "not judged: the run's time budget (--timeout) ran out before this object; nothing was decided about it".into(),
                state: None,
                deadline: None,
                penalty: None,
                excused_by: None,
                fix: None,
                km: Some(Khmer {
                    message: message::km::BUDGET_RAN_OUT.to_string(),
                    fix: None,
                }),
            }];
        }
        let input = self.input_of(review);
        self.findings_of(review, &input)
    }

    /// The findings of every policy on a prepared input.
    pub fn findings(&self, review: &Review, input: &regorus::Value) -> Vec<Finding> {
        self.findings_of(&Seen::of(review), input)
    }

    fn findings_of(&self, review: &Seen<'_>, input: &regorus::Value) -> Vec<Finding> {
        let resource = resource_of(review.object);
        let ministry = ministry_of(self.inventory, review.object);
        let mut out = Vec::new();
        let kind = review.object["kind"].as_str().unwrap_or_default();
        for (policy, outcome) in
            self.policies
                .evaluate(kind, review.operation, input, &self.breaker)
        {
            let meta = &policy.meta;
            let finding = |action, severity, message, km: Option<String>, penalty| Finding {
                policy: meta.id.clone(),
                action,
                severity,
                articles: meta.articles.clone(),
                resource: resource.clone(),
                source: review.source.cloned(),
                ministry: ministry.clone(),
                message,
                state: None,
                deadline: None,
                penalty,
                excused_by: None,
                fix: meta.fix.clone(),
                km: km.map(|message| Khmer {
                    message,
                    fix: meta.fix_km.clone(),
                }),
            };
            match outcome {
                Ok(violations) => {
                    for v in violations {
                        let penalty = meta
                            .penalty
                            .as_ref()
                            .map(|p| p.for_level(v.level.as_deref()));
                        // A host with a look-alike letter is shown as DNS carries it too.
                        let ascii = |m: String| text::with_ascii_hosts(&m).into_owned();
                        out.push(finding(
                            v.action.unwrap_or(meta.action),
                            meta.severity,
                            ascii(v.msg),
                            v.msg_km.map(ascii),
                            penalty,
                        ));
                    }
                }
                Err(e) => out.push(finding(
                    Action::Error,
                    Severity::High,
                    format!(
                        "policy {} failed on this object and could not judge it: {e}",
                        meta.id
                    ),
                    Some(format!(
                        "គោលការណ៍ {} បរាជ័យលើវត្ថុនេះ ហើយមិនអាចវាយតម្លៃវាបានទេ៖ {e}",
                        meta.id
                    )),
                    None,
                )),
            }
        }
        out
    }

    /// Judge `objects` as if each were created, on `policies.threads()` threads, adding their
    /// findings to `findings` and each object judged to `judged`, in the objects' order
    /// whatever the threads' timing.
    fn judge_all(
        &self,
        objects: &[Held<'_>],
        findings: &mut Vec<Finding>,
        judged: &mut Vec<Judged>,
    ) {
        let results = crate::parallel::map(objects, self.policies.threads(), |held| {
            let judge = |object: &Json, source: Option<&Source>| {
                let found = self.judge(&Seen {
                    operation: Operation::Create,
                    object,
                    old_object: None,
                    user_info: self.policies.user(),
                    source,
                });
                (found, Some(Judged::of(self.inventory, object)))
            };
            match held {
                Held::Json(object, source) => judge(object, *source),
                // Decoded on its turn, in the worker: never all at once.
                Held::Compact(text, source) => match serde_json::from_str::<Json>(text) {
                    Ok(object) => judge(&object, Some(source)),
                    Err(e) => (
                        load_error_findings(&[LoadError {
                            source: (*source).clone(),
                            object: None,
                            message: format!("cannot decode the object held compactly: {e}"),
                        }]),
                        None,
                    ),
                },
            }
        });
        for (found, j) in results {
            findings.extend(found);
            judged.extend(j);
        }
    }
}

/// An object to judge as the inventory holds it: JSON, or compact text decoded on its turn.
enum Held<'a> {
    Json(&'a Json, Option<&'a Source>),
    Compact(&'a str, &'a Source),
}

/// A review with its parts borrowed: how the inventory's objects are judged without a copy.
struct Seen<'r> {
    operation: Operation,
    object: &'r Json,
    old_object: Option<&'r Json>,
    user_info: Option<&'r Json>,
    source: Option<&'r Source>,
}

impl<'r> Seen<'r> {
    fn of(review: &'r Review) -> Self {
        Seen {
            operation: review.operation,
            object: &review.object,
            old_object: review.old_object.as_ref(),
            user_info: review.user_info.as_ref(),
            source: review.source.as_ref(),
        }
    }
}

/// A JSON value as the policies read it, converted without copying it first.
fn to_rego(v: &Json) -> regorus::Value {
    // regorus deserialises from a borrowed serde_json value; on the (impossible) failure the
    // value is undefined, which the policies read as absent.
    <regorus::Value as serde::Deserialize>::deserialize(v).unwrap_or(regorus::Value::Undefined)
}

/// Every object of the inventory as JSON, with where it came from (a copy, for benchmarks and
/// tests). An object held compactly whose text does not decode — govkh wrote that text itself —
/// is left out here; `evaluate` reports it as an error finding.
pub fn objects(inv: &Inventory) -> Vec<(Json, Option<Source>)> {
    let mut out = our_objects(inv);
    for o in inv.others.values() {
        if let Ok(v) = o.value() {
            out.push((v.into_owned(), Some(o.source.clone())));
        }
    }
    out
}

/// The inventory's objects of our kinds as JSON (they are held decoded), with their source.
fn our_objects(inv: &Inventory) -> Vec<(Json, Option<Source>)> {
    fn ours<'e, T: Serialize + 'e>(
        entries: impl Iterator<Item = &'e crate::inventory::Entry<T>>,
        out: &mut Vec<(Json, Option<Source>)>,
    ) {
        for e in entries {
            if let Ok(v) = serde_json::to_value(&e.object) {
                out.push((v, e.source.clone()));
            }
        }
    }
    let mut out = Vec::new();
    ours(inv.government_cloud.iter(), &mut out);
    ours(inv.ministries.values(), &mut out);
    ours(inv.tenancies.values(), &mut out);
    ours(inv.links.values(), &mut out);
    ours(inv.data_classes.values(), &mut out);
    ours(inv.grants.values(), &mut out);
    ours(inv.approvals.values(), &mut out);
    out
}

fn resource_of(object: &Json) -> ResourceRef {
    let s = |v: &Json| v.as_str().map(str::to_string);
    ResourceRef {
        api_version: s(&object["apiVersion"]),
        kind: s(&object["kind"]),
        name: s(&object["metadata"]["name"]),
        namespace: s(&object["metadata"]["namespace"]),
    }
}

/// The ministry an object concerns: its namespace's, or the one its spec names.
fn ministry_of(inv: &Inventory, object: &Json) -> Option<String> {
    let s = |v: &Json| v.as_str().map(str::to_string);
    if let Some(ns) = object["metadata"]["namespace"].as_str() {
        return inv.namespaces.get(ns).and_then(|n| n.ministry.clone());
    }
    let spec = &object["spec"];
    match object["kind"].as_str()? {
        "Ministry" => s(&object["metadata"]["name"]),
        "CloudTenancy" => s(&spec["ministry"]),
        "PrivateNetworkLink" => s(&spec["from"]["ministry"]),
        "DataAccessGrant" => s(&spec["owner"]),
        "Approval" => {
            let subject = spec["subject"]["name"].as_str()?;
            match spec["subject"]["kind"].as_str()? {
                "CloudTenancy" => inv
                    .tenancies
                    .get(subject)
                    .map(|t| t.object.spec.ministry.clone()),
                _ => inv
                    .links
                    .get(subject)
                    .map(|l| l.object.spec.from.ministry.clone()),
            }
        }
        _ => None,
    }
}

fn spec_of<T: Serialize>(object: &T) -> Json {
    serde_json::to_value(object)
        .ok()
        .and_then(|v| v.get("spec").cloned())
        .unwrap_or(Json::Null)
}

/// The inventory as the policies read it (`input.inventory`), states computed as of `today`.
pub fn policy_inventory(inv: &Inventory, today: Day, tenancies: &[TenancyClock]) -> Json {
    let mut out = json!({
        "governmentCloud": inv.government_cloud.as_ref().map(|e| json!({"spec": spec_of(&e.object)})),
        "ministries": {}, "tenancies": {}, "links": {}, "dataClasses": {}, "grants": {},
        "approvals": {}, "namespaces": {}, "volumes": {},
    });
    for (n, e) in &inv.ministries {
        out["ministries"][n] = json!({"spec": spec_of(&e.object)});
    }
    for (n, e) in &inv.tenancies {
        let clock = tenancies.iter().find(|t| t.name == *n);
        out["tenancies"][n] = json!({
            "spec": spec_of(&e.object),
            "state": clock.map(|c| c.state.as_str()),
            "outside": clock.map(|c| c.outside),
        });
    }
    for (n, e) in &inv.links {
        out["links"][n] = json!({"spec": spec_of(&e.object)});
    }
    for (n, e) in &inv.data_classes {
        out["dataClasses"][n] = json!({"spec": spec_of(&e.object)});
    }
    // Lookups the policies make per object, built once here so no rule scans every grant or
    // namespace: the active grants by "<owner>/<grantee>/<namespace>" (and those for personal
    // data with the subjects' consent), and each ministry's namespaces.
    let mut active: BTreeMap<String, Vec<&str>> = BTreeMap::new();
    let mut consented: BTreeMap<String, Vec<&str>> = BTreeMap::new();
    for (n, e) in &inv.grants {
        let spec = &e.object.spec;
        let state = clock::grant_state(spec, today);
        out["grants"][n] = json!({"spec": spec_of(&e.object), "state": serde_json::to_value(state).unwrap_or_default()});
        // A grant to a person, not a ministry, opens no path between ministries.
        let (crate::api::GrantState::Active, Some(grantee)) = (state, &spec.grantee.ministry)
        else {
            continue;
        };
        let consent = spec.personal_data
            && spec
                .consent_reference
                .as_deref()
                .is_some_and(|c| !c.trim().is_empty());
        for ns in &spec.namespaces {
            let key = format!("{}/{grantee}/{ns}", spec.owner);
            if consent {
                consented.entry(key.clone()).or_default().push(n);
            }
            active.entry(key).or_default().push(n);
        }
    }
    out["activeGrants"] = json!(active);
    out["consentGrants"] = json!(consented);
    let mut by_ministry: BTreeMap<&str, Vec<&str>> = BTreeMap::new();
    for (n, info) in &inv.namespaces {
        if let Some(m) = &info.ministry {
            by_ministry.entry(m).or_default().push(n);
        }
    }
    out["ministryNamespaces"] = json!(by_ministry);
    for (n, e) in &inv.approvals {
        let state = clock::approval_state(&e.object.spec, today).map(|s| s.as_str());
        out["approvals"][n] = json!({"spec": spec_of(&e.object), "state": state});
    }
    for (n, info) in &inv.namespaces {
        out["namespaces"][n] = json!({
            "ministry": info.ministry, "placement": info.placement.map(|p| p.as_str()),
            "dataClass": info.data_class, "tenancy": info.tenancy, "personalData": info.personal_data,
        });
    }
    for o in inv
        .others
        .values()
        .filter(|o| o.kind == "PersistentVolumeClaim")
    {
        let ns = o.namespace.clone().unwrap_or_default();
        let class = o.raw["metadata"]["labels"][crate::api::LABEL_DATA_CLASS]
            .as_str()
            .map(str::to_string)
            .or_else(|| inv.namespaces.get(&ns).and_then(|n| n.data_class.clone()));
        out["volumes"][format!("{ns}/{}", o.name)] = json!({"dataClass": class});
    }
    // A snapshot holds what its claim held: a volume restored from it copies that claim's data.
    for o in inv.others.values().filter(|o| o.kind == "VolumeSnapshot") {
        let ns = o.namespace.clone().unwrap_or_default();
        let claim = o.raw["spec"]["source"]["persistentVolumeClaimName"]
            .as_str()
            .unwrap_or_default();
        let class = o.raw["metadata"]["labels"][crate::api::LABEL_DATA_CLASS]
            .as_str()
            .map(str::to_string)
            .or_else(|| {
                out["volumes"][format!("{ns}/{claim}")]["dataClass"]
                    .as_str()
                    .map(str::to_string)
            })
            .or_else(|| inv.namespaces.get(&ns).and_then(|n| n.data_class.clone()));
        out["volumes"][format!("{ns}/{}", o.name)] = json!({"dataClass": class});
    }
    strip_nulls(&mut out);
    out
}

/// JSON nulls would read as defined values in Rego; an absent field is what policies test for.
fn strip_nulls(v: &mut Json) {
    match v {
        Json::Object(m) => {
            m.retain(|_, x| !x.is_null());
            m.values_mut().for_each(strip_nulls);
        }
        Json::Array(a) => a.iter_mut().for_each(strip_nulls),
        _ => {}
    }
}
