//! The one evaluation core: `evaluate(inventory, now)` gives every finding about an inventory
//! as of an instant. `govkh check` calls it today; the admission webhook, the audit loop, the
//! controllers' status and the committee's report call it too, so an expired approval or grant
//! is expired for all of them at once. It never reads the wall clock: `now` is given.
//!
//! Today it runs the statutory clock (Art. 10) and checks references between objects; the Rego
//! policies plug into the same function and produce the same `Finding`.

use k8s_openapi::jiff::Timestamp;
use serde::Serialize;

use crate::{
    api::{ClockState, Day, Placement, ResourceLevel, SubjectKind},
    clock::{self, NamedApproval},
    finding::{Action, Finding, ResourceRef, Severity},
    inventory::Inventory,
    manifest::{LoadError, Source},
};

/// Policy id of the statutory clock's findings.
pub const POLICY_CLOCK: &str = "statutory-clock";
/// Policy id of findings about references to objects that do not exist.
pub const POLICY_REFERENCES: &str = "references";
/// Policy id of findings about manifests that could not be loaded.
pub const POLICY_MANIFEST: &str = "manifest";

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
}

/// Evaluate an inventory as of `now`.
pub fn evaluate(inv: &Inventory, now: Timestamp) -> Evaluation {
    let today = Day::in_phnom_penh(now);
    let mut findings = references(inv);
    let tenancies = statutory_clock(inv, today, &mut findings);
    sort(&mut findings);
    Evaluation {
        today,
        findings,
        tenancies,
    }
}

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
            }
        })
        .collect()
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
                message: v.message.clone(),
                state: Some(v.state.to_string()),
                deadline: v.next_deadline,
                penalty: None,
                excused_by: v
                    .decisive_approval
                    .as_ref()
                    .map(|(n, _)| format!("Approval/{n}")),
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

struct Reference<'a> {
    kind: &'static str,
    name: &'a str,
    source: Option<&'a Source>,
    ministry: Option<&'a str>,
    field: &'static str,
    target_kind: &'static str,
    target: &'a str,
    articles: &'static [&'static str],
    action: Action,
}

/// Every reference from one object to another that names an object not in the inventory.
fn references(inv: &Inventory) -> Vec<Finding> {
    let mut refs: Vec<Reference<'_>> = Vec::new();
    let r =
        |kind, name, source, ministry, field, target_kind, target, articles, action| Reference {
            kind,
            name,
            source,
            ministry,
            field,
            target_kind,
            target,
            articles,
            action,
        };
    if let Some(gc) = &inv.government_cloud {
        let name = gc.object.metadata.name.as_deref().unwrap_or("national");
        refs.push(r(
            "GovernmentCloud",
            name,
            gc.source.as_ref(),
            None,
            "spec.operator",
            "Ministry",
            &gc.object.spec.operator,
            &["10"],
            Action::Error,
        ));
    }
    for (name, t) in &inv.tenancies {
        let s = &t.object.spec;
        refs.push(r(
            "CloudTenancy",
            name,
            t.source.as_ref(),
            Some(&s.ministry),
            "spec.ministry",
            "Ministry",
            &s.ministry,
            &["10"],
            Action::Error,
        ));
        for ns in &s.namespaces {
            if let Some(dc) = &ns.data_class {
                refs.push(r(
                    "CloudTenancy",
                    name,
                    t.source.as_ref(),
                    Some(&s.ministry),
                    "spec.namespaces[].dataClass",
                    "DataClass",
                    dc,
                    &["25"],
                    Action::Error,
                ));
            }
        }
    }
    for (name, l) in &inv.links {
        let s = &l.object.spec;
        refs.push(r(
            "PrivateNetworkLink",
            name,
            l.source.as_ref(),
            Some(&s.from.ministry),
            "spec.from.ministry",
            "Ministry",
            &s.from.ministry,
            &["9"],
            Action::Error,
        ));
        if let Some(m) = &s.to.ministry {
            refs.push(r(
                "PrivateNetworkLink",
                name,
                l.source.as_ref(),
                Some(&s.from.ministry),
                "spec.to.ministry",
                "Ministry",
                m,
                &["9"],
                Action::Error,
            ));
        }
        if let Some(a) = &s.approval {
            refs.push(r(
                "PrivateNetworkLink",
                name,
                l.source.as_ref(),
                Some(&s.from.ministry),
                "spec.approval",
                "Approval",
                a,
                &["9"],
                Action::Error,
            ));
        }
    }
    for (name, g) in &inv.grants {
        let s = &g.object.spec;
        refs.push(r(
            "DataAccessGrant",
            name,
            g.source.as_ref(),
            Some(&s.owner),
            "spec.owner",
            "Ministry",
            &s.owner,
            &["26", "29"],
            Action::Error,
        ));
        if let Some(m) = &s.grantee.ministry {
            refs.push(r(
                "DataAccessGrant",
                name,
                g.source.as_ref(),
                Some(&s.owner),
                "spec.grantee.ministry",
                "Ministry",
                m,
                &["26", "29"],
                Action::Error,
            ));
        }
        refs.push(r(
            "DataAccessGrant",
            name,
            g.source.as_ref(),
            Some(&s.owner),
            "spec.dataClass",
            "DataClass",
            &s.data_class,
            &["25"],
            Action::Error,
        ));
    }
    for (name, a) in &inv.approvals {
        let s = &a.object.spec;
        let (target_kind, articles): (&'static str, &'static [&'static str]) = match s.subject.kind
        {
            SubjectKind::CloudTenancy => ("CloudTenancy", &["10"]),
            SubjectKind::PrivateNetworkLink => ("PrivateNetworkLink", &["9"]),
        };
        // An approval may outlive its subject (a tenancy migrated and deleted): worth a warning.
        refs.push(r(
            "Approval",
            name,
            a.source.as_ref(),
            None,
            "spec.subject.name",
            target_kind,
            &s.subject.name,
            articles,
            Action::Warn,
        ));
    }
    refs.into_iter()
        .filter(|x| !exists(inv, x.target_kind, x.target))
        .map(|x| Finding {
            policy: POLICY_REFERENCES.into(),
            action: x.action,
            severity: if x.action == Action::Error {
                Severity::High
            } else {
                Severity::Low
            },
            articles: x.articles.iter().map(|a| a.to_string()).collect(),
            resource: ResourceRef::ours(x.kind, x.name),
            source: x.source.cloned(),
            ministry: x.ministry.map(str::to_string),
            message: format!(
                "{} names {} `{}`, which does not exist",
                x.field, x.target_kind, x.target
            ),
            state: None,
            deadline: None,
            penalty: None,
            excused_by: None,
        })
        .collect()
}

fn exists(inv: &Inventory, kind: &str, name: &str) -> bool {
    match kind {
        "Ministry" => inv.ministries.contains_key(name),
        "DataClass" => inv.data_classes.contains_key(name),
        "Approval" => inv.approvals.contains_key(name),
        "CloudTenancy" => inv.tenancies.contains_key(name),
        "PrivateNetworkLink" => inv.links.contains_key(name),
        _ => false,
    }
}
