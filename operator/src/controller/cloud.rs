//! The GovernmentCloud reconciler: checks the singleton (one object, named `national`, operated
//! by an existing Ministry) and writes the counts the committee reads at a glance — ministries,
//! tenancies inside and outside the government cloud, tenancies overdue — from the last audit.
//! A change of `establishedOn` or of the approved leased providers re-judges every tenancy: the CloudTenancy
//! controller watches this object and maps it to all tenancies.

use std::sync::Arc;

use kube::{ResourceExt, runtime::controller::Action};

use super::{Context, Error, instrumented, write_status};
use govkh_core::{
    api::{GovernmentCloud, GovernmentCloudStatus, conditions as cond},
    audit::Audit,
    law::verdict::{self, Reason},
    message,
    provision::conditions,
};

/// The status a GovernmentCloud should show (pure).
pub fn status(
    cloud: &GovernmentCloud,
    problem: Option<&Reason>,
    audit: Option<&Audit>,
    now: k8s_openapi::jiff::Timestamp,
) -> GovernmentCloudStatus {
    let mut s = cloud.status.clone().unwrap_or_default();
    let generation = cloud.metadata.generation;
    s.observed_generation = generation;
    let (ready, reason, message) = match (problem, audit) {
        (Some(reason), _) => (false, reason.as_str(), message::en::reason(reason)),
        (None, None) => (
            false,
            "AwaitingAudit",
            "the first audit of the cluster has not completed yet".to_string(),
        ),
        (None, Some(_)) => (true, "Audited", String::new()),
    };
    conditions::set(
        &mut s.conditions,
        cond::READY,
        ready,
        reason,
        &message,
        generation,
        now,
    );
    if problem.is_none()
        && let Some(a) = audit
    {
        s.ministries = Some(u32::try_from(a.ministries.len()).unwrap_or(u32::MAX));
        s.tenancies = Some(a.tenancies.clone());
    }
    s
}

/// Reconcile the government cloud.
pub async fn reconcile(cloud: Arc<GovernmentCloud>, ctx: Arc<Context>) -> Result<Action, Error> {
    instrumented(
        "governmentcloud",
        &*cloud,
        &ctx,
        reconcile_inner(&cloud, &ctx),
    )
    .await
}

async fn reconcile_inner(cloud: &GovernmentCloud, ctx: &Context) -> Result<Action, Error> {
    let now = (ctx.now)();
    let operator_exists = ctx
        .index
        .inventory()
        .ministries
        .contains_key(&cloud.spec.operator);
    let problem = verdict::cloud_problem(cloud, operator_exists);
    let audit = ctx.audit();
    let new = status(cloud, problem.as_ref(), audit.as_deref(), now);
    write_status(cloud, cloud.status.as_ref(), &new, ctx).await?;
    let overdue_before = cloud
        .status
        .as_ref()
        .and_then(|s| s.tenancies.as_ref())
        .map(|t| t.overdue);
    let overdue_now = new.tenancies.as_ref().map(|t| t.overdue);
    if let (Some(n), true) = (
        overdue_now,
        overdue_before != overdue_now && overdue_now > Some(0),
    ) {
        ctx.event(
            cloud,
            true,
            "MigrationOverdue",
            &format!("{n} tenancy(ies) past the migration deadline without an exception in force (Art. 10)"),
        )
        .await;
    }
    match problem {
        Some(reason) => {
            let message = message::en::reason(&reason);
            if cloud.status.as_ref() != Some(&new) {
                ctx.event(cloud, true, reason.as_str(), &message).await;
            }
            Err(Error::Invalid(format!(
                "GovernmentCloud {}: {message}",
                cloud.name_any()
            )))
        }
        None => Ok(Action::await_change()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use govkh_core::law::verdict::cloud_problem as problem;

    fn cloud(name: &str) -> GovernmentCloud {
        serde_json::from_value(serde_json::json!({"apiVersion": "digital.gov.kh/v1alpha1", "kind": "GovernmentCloud", "metadata": {"name": name, "generation": 2},
            "spec": {"establishedOn": "2026-03-01", "operator": "mptc", "privateNetwork": {"cidrs": ["10.80.0.0/12"]}}}))
        .unwrap()
    }

    fn now() -> k8s_openapi::jiff::Timestamp {
        "2026-11-26T03:00:00Z".parse().unwrap()
    }

    #[test]
    fn only_national_run_by_an_existing_ministry_is_the_government_cloud() {
        assert_eq!(problem(&cloud("national"), true), None);
        assert_eq!(
            problem(&cloud("second"), true).map(|p| p.as_str()),
            Some("NotTheSingleton")
        );
        assert_eq!(
            problem(&cloud("national"), false).map(|p| p.as_str()),
            Some("OperatorNotFound")
        );
    }

    #[test]
    fn counts_come_from_the_audit() {
        let mut a = Audit::default();
        a.ministries.insert("mef".into(), Default::default());
        a.tenancies.total = 3;
        a.tenancies.outside = 2;
        a.tenancies.inside = 1;
        a.tenancies.overdue = 1;
        let s = status(&cloud("national"), None, Some(&a), now());
        assert_eq!(s.ministries, Some(1));
        assert_eq!(s.tenancies, Some(a.tenancies.clone()));
        assert_eq!(s.observed_generation, Some(2));
        let pending = status(&cloud("national"), None, None, now());
        assert_eq!(pending.tenancies, None);
        assert_eq!(pending.conditions[0].reason, "AwaitingAudit");
        let wrong = status(
            &cloud("second"),
            problem(&cloud("second"), true).as_ref(),
            Some(&a),
            now(),
        );
        assert_eq!(wrong.ministries, None);
        assert_eq!(wrong.conditions[0].status, "False");
    }
}
