//! The Ministry reconciler: writes the ministry's namespaces and its compliance summary —
//! findings by action, the articles broken, the nearest deadline, the 0–100 score — taken from
//! the operator's last audit, which is the same evaluation `govkh check` and `govkh report`
//! make. Reconciled again after every audit, so the summary follows the law's calendar.

use std::sync::Arc;

use kube::{ResourceExt, runtime::controller::Action};

use super::{Context, Error, instrumented, namespaces_of, write_status};
use govkh_core::{
    api::{ComplianceSummary, Ministry, MinistryStatus, conditions as cond},
    provision::conditions,
};

/// The status a ministry should show (pure): its namespaces (sorted) and, once an audit has
/// run, its compliance. `Compliant` is true when no finding is refused at admission.
pub fn status(
    ministry: &Ministry,
    namespaces: Vec<String>,
    compliance: Option<&ComplianceSummary>,
    audited: bool,
    now: k8s_openapi::jiff::Timestamp,
) -> MinistryStatus {
    let mut s = ministry.status.clone().unwrap_or_default();
    let generation = ministry.metadata.generation;
    let mut namespaces = namespaces;
    namespaces.sort();
    s.namespaces = namespaces;
    s.observed_generation = generation;
    if !audited {
        conditions::set(
            &mut s.conditions,
            cond::READY,
            false,
            "AwaitingAudit",
            "the first audit of the cluster has not completed yet",
            generation,
            now,
        );
        return s;
    }
    // A ministry the audit did not see (created since) has no findings yet.
    let c = compliance.cloned().unwrap_or(ComplianceSummary {
        score: 100,
        ..Default::default()
    });
    conditions::set(
        &mut s.conditions,
        cond::READY,
        true,
        "Audited",
        "",
        generation,
        now,
    );
    let mut message = if c.findings.deny == 0 && c.findings.warn == 0 {
        "no findings".to_string()
    } else {
        format!(
            "{} refused and {} warned finding(s) under Art. {}; score {}",
            c.findings.deny,
            c.findings.warn,
            c.articles.join(", "),
            c.score
        )
    };
    if c.undeclared_cloud_resources > 0 {
        message.push_str(&format!(
            "; {} cloud resource(s) in no tenancy in order (Art. 10)",
            c.undeclared_cloud_resources
        ));
    }
    conditions::set(
        &mut s.conditions,
        cond::COMPLIANT,
        c.findings.deny == 0,
        if c.findings.deny == 0 {
            "NoDenials"
        } else {
            "Denials"
        },
        &message,
        generation,
        now,
    );
    s.compliance = Some(c);
    s
}

/// Reconcile one ministry.
pub async fn reconcile(ministry: Arc<Ministry>, ctx: Arc<Context>) -> Result<Action, Error> {
    instrumented(
        "ministry",
        &*ministry,
        &ctx,
        reconcile_inner(&ministry, &ctx),
    )
    .await
}

async fn reconcile_inner(ministry: &Ministry, ctx: &Context) -> Result<Action, Error> {
    let now = (ctx.now)();
    let code = ministry.name_any();
    let namespaces = namespaces_of(ctx, &code, &[]);
    let audit = ctx.audit();
    let new = status(
        ministry,
        namespaces,
        audit.as_ref().and_then(|a| a.ministries.get(&code)),
        audit.is_some(),
        now,
    );
    let was_compliant = compliant(ministry.status.as_ref());
    write_status(ministry, ministry.status.as_ref(), &new, ctx).await?;
    let is_compliant = compliant(Some(&new));
    if is_compliant.is_some() && was_compliant != is_compliant {
        let message = new
            .conditions
            .iter()
            .find(|c| c.type_ == cond::COMPLIANT)
            .map(|c| c.message.clone())
            .unwrap_or_default();
        if is_compliant == Some(true) {
            ctx.event(ministry, false, "Compliant", &message).await;
        } else {
            ctx.event(ministry, true, "NotCompliant", &message).await;
        }
    }
    // The next audit triggers the next reconcile.
    Ok(Action::await_change())
}

fn compliant(status: Option<&MinistryStatus>) -> Option<bool> {
    status?
        .conditions
        .iter()
        .find(|c| c.type_ == cond::COMPLIANT)
        .map(|c| c.status == "True")
}

#[cfg(test)]
mod tests {
    use super::*;
    use govkh_core::api::FindingCounts;

    fn ministry() -> Ministry {
        serde_json::from_value(serde_json::json!({"apiVersion": "digital.gov.kh/v1alpha1", "kind": "Ministry",
            "metadata": {"name": "mef", "generation": 3},
            "spec": {"displayName": "MEF", "domain": "mef.gov.kh", "resourceLevel": "full", "digitalTransformationUnit": {"contactEmail": "dtu@mef.gov.kh"}}}))
        .unwrap()
    }

    fn now() -> k8s_openapi::jiff::Timestamp {
        "2026-11-26T03:00:00Z".parse().unwrap()
    }

    fn condition<'a>(s: &'a MinistryStatus, t: &str) -> (&'a str, &'a str) {
        let c = s.conditions.iter().find(|c| c.type_ == t).unwrap();
        (c.status.as_str(), c.reason.as_str())
    }

    #[test]
    fn before_the_first_audit_the_ministry_is_not_ready_and_claims_nothing() {
        let s = status(
            &ministry(),
            vec!["b".into(), "a".into()],
            None,
            false,
            now(),
        );
        assert_eq!(s.namespaces, ["a", "b"]);
        assert_eq!(condition(&s, "Ready"), ("False", "AwaitingAudit"));
        assert!(s.compliance.is_none());
        assert!(!s.conditions.iter().any(|c| c.type_ == "Compliant"));
    }

    #[test]
    fn denials_make_a_ministry_non_compliant_and_name_the_articles() {
        let c = ComplianceSummary {
            score: 75,
            findings: FindingCounts { deny: 1, warn: 2 },
            articles: vec!["10".into(), "26".into()],
            next_deadline: Some("2027-03-01".parse().unwrap()),
            undeclared_cloud_resources: 2,
        };
        let s = status(&ministry(), vec![], Some(&c), true, now());
        assert_eq!(condition(&s, "Compliant"), ("False", "Denials"));
        let msg = &s
            .conditions
            .iter()
            .find(|c| c.type_ == "Compliant")
            .unwrap()
            .message;
        assert!(
            msg.contains("Art. 10, 26")
                && msg.contains("score 75")
                && msg.contains("2 cloud resource(s) in no tenancy in order"),
            "{msg}"
        );
        assert_eq!(s.compliance, Some(c));
        assert_eq!(s.observed_generation, Some(3));
        assert!(
            s.conditions
                .iter()
                .all(|c| c.observed_generation == Some(3))
        );
    }

    #[test]
    fn a_ministry_the_audit_has_not_seen_yet_has_no_findings() {
        let s = status(&ministry(), vec![], None, true, now());
        assert_eq!(condition(&s, "Compliant"), ("True", "NoDenials"));
        assert_eq!(s.compliance.map(|c| c.score), Some(100));
    }
}
