//! The checks govkh makes itself, beside the Rego policies: the statutory clock of every tenancy
//! (Art. 10), namespaces no tenancy declares, domains two ministries claim, and references
//! between objects that do not resolve.

use crate::{
    api::{ClockState, Day, Kind, ResourceLevel, SubjectKind},
    finding::{Action, Finding, Khmer, ResourceRef, Severity},
    inventory::Inventory,
    law::clock::{self, NamedApproval},
    law::references,
    loading::manifest::Source,
    message,
};
use std::collections::BTreeMap;

use super::*;

/// The statutory clock of every tenancy as of `today`, without its findings: what admission
/// needs beside the inventory.
pub fn tenancy_clocks(inv: &Inventory, today: Day) -> Vec<TenancyClock> {
    statutory_clock(inv, today, &mut Vec::new())
}

pub(crate) fn statutory_clock(
    inv: &Inventory,
    today: Day,
    findings: &mut Vec<Finding>,
) -> Vec<TenancyClock> {
    let mut out = Vec::new();
    if inv.tenancies.is_empty() {
        return out;
    }
    let Some(cloud) = &inv.government_cloud else {
        findings.push(no_government_cloud(inv.tenancies.len()));
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
        let approvals = approvals_of(inv, SubjectKind::CloudTenancy, name);
        let v = clock::evaluate(spec, level, &approvals, &cloud.object.spec, today);
        let (action, severity) = clock_action(&v);
        if let Some(action) = action {
            findings.push(Finding {
                policy: POLICY_CLOCK.into(),
                action,
                severity,
                articles: vec!["10".into()],
                resource: ResourceRef::ours(Kind::CloudTenancy, name),
                source: entry.source.clone(),
                ministry: Some(spec.ministry.clone()),
                message: message::en::clock(&v),
                state: Some(v.state.to_string()),
                deadline: v.next_deadline,
                penalty: None,
                awaits: None,
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
pub(crate) fn unknown_namespaces(inv: &Inventory) -> Vec<Finding> {
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
            awaits: None,
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
pub(crate) fn domain_clashes(inv: &Inventory) -> Vec<Finding> {
    references::domain_clashes(inv)
        .into_iter()
        .map(|c| Finding {
            policy: POLICY_REFERENCES.into(),
            action: Action::Deny,
            severity: Severity::High,
            articles: vec!["20".into(), "21".into()],
            resource: ResourceRef::ours(Kind::Ministry, &c.ministry),
            source: inv
                .ministries
                .get(&c.ministry)
                .and_then(|m| m.source.clone()),
            ministry: Some(c.ministry.clone()),
            message: message::en::domain_clash(&c),
            state: None,
            deadline: None,
            penalty: None,
            awaits: None,
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
pub(crate) fn references(inv: &Inventory) -> Vec<Finding> {
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
            awaits: None,
            excused_by: None,
            fix: Some(message::en::MISSING_REFERENCE_FIX.to_string()),
            km: Some(Khmer {
                message: message::km::missing_reference(&d.missing),
                fix: Some(message::km::MISSING_REFERENCE_FIX.to_string()),
            }),
        })
        .collect()
}

/// The finding when tenancies exist but no GovernmentCloud says when the clock started.
fn no_government_cloud(tenancies: usize) -> Finding {
    Finding {
        policy: POLICY_CLOCK.into(),
        action: Action::Error,
        severity: Severity::High,
        articles: vec!["10".into()],
        resource: ResourceRef::ours(Kind::GovernmentCloud, crate::api::GOVERNMENT_CLOUD_NAME),
        source: None,
        ministry: None,
        message: format!(
            "no GovernmentCloud named `national`: the statutory clock of Art. 10 counts from its establishment date, so the {tenancies} tenancies cannot be evaluated"
        ),
        state: None,
        deadline: None,
        penalty: None,
        awaits: None,
        excused_by: None,
        fix: None,
        km: Some(Khmer {
            message: message::km::no_government_cloud(tenancies),
            fix: None,
        }),
    }
}

/// What a clock state asks of the ministry (no finding while compliant) and how grave it is.
pub(crate) fn clock_action(v: &clock::ClockVerdict) -> (Option<Action>, Severity) {
    match v.state {
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
    }
}

/// The approvals whose subject is the `kind` object `name`.
pub fn approvals_of<'a>(
    inv: &'a Inventory,
    kind: SubjectKind,
    name: &str,
) -> Vec<NamedApproval<'a>> {
    inv.approvals
        .iter()
        .filter(|(_, a)| a.object.spec.subject.kind == kind && a.object.spec.subject.name == name)
        .map(|(n, a)| NamedApproval {
            name: n,
            spec: &a.object.spec,
        })
        .collect()
}
