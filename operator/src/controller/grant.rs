//! The DataAccessGrant reconciler (Art. 26 para. 3, Art. 29): while a grant is active
//! (`validFrom ≤ today ≤ validUntil`, in Phnom Penh) the network path from the grantee's
//! namespaces to the owner's listed namespaces is open on the granted ports; before and after
//! it, it is closed. The state flips on the very day: the reconcile is requeued at `validFrom`
//! and at the day after `validUntil`. The NetworkPolicies are owned by the grant, so deleting
//! the grant revokes the access too.

use std::sync::Arc;

use kube::{Api, ResourceExt, runtime::controller::Action};

use super::{
    Context, Error, instrumented, namespaces_of, requeue_at, sync_network_policies, write_status,
};
use crate::{
    api::{DataAccessGrant, Day, GrantState, Ministry, conditions as cond},
    clock, conditions, desired,
};

/// What a grant amounts to on a given day.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Decision {
    /// `Pending`, `Active` or `Expired`.
    pub state: GrantState,
    /// Whether the network path is open.
    pub open: bool,
    /// The condition reason.
    pub reason: &'static str,
    /// A sentence for the ministries.
    pub message: String,
    /// The first day the answer changes by time alone.
    pub next_boundary: Option<Day>,
}

/// Decide what `grant` amounts to on `today` (pure). `ministries_exist`: the owner and, if the
/// grantee is a ministry, the grantee exist.
pub fn decide(grant: &DataAccessGrant, ministries_exist: bool, today: Day) -> Decision {
    let spec = &grant.spec;
    let state = clock::grant_state(spec, today);
    let (reason, message, next_boundary) = match state {
        GrantState::Pending => (
            "NotYetValid",
            format!("the grant is valid from {}", spec.valid_from),
            Some(spec.valid_from),
        ),
        GrantState::Active => (
            "Active",
            format!(
                "access granted by {} ({}) until {} (Art. 29)",
                match spec.authorized_by {
                    crate::api::AuthorizedBy::OwnerMinistry => "the owning ministry",
                    crate::api::AuthorizedBy::Committee => "the committee",
                },
                spec.document,
                spec.valid_until
            ),
            Some(spec.valid_until.next()),
        ),
        GrantState::Expired => (
            "Expired",
            format!(
                "the grant ended on {}: access revoked (Art. 29)",
                spec.valid_until
            ),
            None,
        ),
    };
    if !ministries_exist {
        return Decision {
            state,
            open: false,
            reason: "MinistryNotFound",
            message:
                "the owner or grantee Ministry of this grant does not exist: no access is opened"
                    .into(),
            next_boundary,
        };
    }
    Decision {
        state,
        open: state == GrantState::Active,
        reason,
        message,
        next_boundary,
    }
}

/// Reconcile one grant.
pub async fn reconcile(grant: Arc<DataAccessGrant>, ctx: Arc<Context>) -> Result<Action, Error> {
    instrumented(
        "dataaccessgrant",
        &*grant,
        &ctx,
        reconcile_inner(&grant, &ctx),
    )
    .await
}

async fn reconcile_inner(grant: &DataAccessGrant, ctx: &Context) -> Result<Action, Error> {
    let now = (ctx.now)();
    let today = Day::in_phnom_penh(now);
    let ministries = Api::<Ministry>::all(ctx.client.clone());
    let owner_exists = ministries.get_opt(&grant.spec.owner).await?.is_some();
    let grantee_exists = match &grant.spec.grantee.ministry {
        Some(m) => ministries.get_opt(m).await?.is_some(),
        None => true,
    };
    let decision = decide(grant, owner_exists && grantee_exists, today);
    let desired = match (&grant.spec.grantee.ministry, decision.open) {
        (Some(grantee), true) => {
            let from = namespaces_of(ctx, grantee, &[]).await?;
            desired::grant_policies(grant, &from)
        }
        _ => Vec::new(),
    };
    let previous = grant
        .status
        .as_ref()
        .map(|s| s.network_policies.clone())
        .unwrap_or_default();
    let carried = sync_network_policies(ctx, &desired, &previous).await?;
    let mut status = grant.status.clone().unwrap_or_default();
    let generation = grant.metadata.generation;
    conditions::set(
        &mut status.conditions,
        cond::READY,
        decision.reason != "MinistryNotFound",
        decision.reason,
        &decision.message,
        generation,
        now,
    );
    status.observed_generation = generation;
    let previous_state = status.state;
    status.state = Some(decision.state);
    status.network_policies = carried;
    write_status(grant, grant.status.as_ref(), &status, ctx).await?;
    // A grant between missing ministries opens nothing: its Event is the MinistryNotFound below.
    if previous_state != Some(decision.state) && decision.reason != "MinistryNotFound" {
        let reason = match decision.state {
            GrantState::Pending => "GrantPending",
            GrantState::Active => "GrantActive",
            GrantState::Expired => "GrantExpired",
        };
        ctx.event(grant, false, reason, &decision.message).await;
    }
    if decision.reason == "MinistryNotFound" {
        if grant.status.as_ref() != Some(&status) {
            ctx.event(grant, true, decision.reason, &decision.message)
                .await;
        }
        return Err(Error::Invalid(format!(
            "DataAccessGrant {}: {}",
            grant.name_any(),
            decision.message
        )));
    }
    Ok(requeue_at(now, decision.next_boundary))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn grant() -> DataAccessGrant {
        serde_json::from_value(serde_json::json!({"apiVersion": "digital.gov.kh/v1alpha1", "kind": "DataAccessGrant",
            "metadata": {"name": "gdt-to-mef"},
            "spec": {"owner": "gdt", "grantee": {"ministry": "mef"}, "dataClass": "confidential", "namespaces": ["gdt-declarations"],
                     "dataTypes": ["declarations"], "reason": "audit", "authorizedBy": "owner-ministry", "document": "GDT/2026/7",
                     "validFrom": "2026-06-01", "validUntil": "2026-12-31", "access": {"ports": [{"protocol": "TCP", "port": 5432}]}}}))
        .unwrap()
    }

    fn day(s: &str) -> Day {
        s.parse().unwrap()
    }

    #[test]
    fn a_grant_is_open_from_its_first_to_its_last_day_and_flips_on_the_day_after() {
        let g = grant();
        let before = decide(&g, true, day("2026-05-31"));
        assert_eq!(
            (before.state, before.open, before.next_boundary),
            (GrantState::Pending, false, Some(day("2026-06-01")))
        );
        let first = decide(&g, true, day("2026-06-01"));
        assert_eq!(
            (first.state, first.open, first.next_boundary),
            (GrantState::Active, true, Some(day("2027-01-01")))
        );
        let last = decide(&g, true, day("2026-12-31"));
        assert_eq!((last.state, last.open), (GrantState::Active, true));
        let after = decide(&g, true, day("2027-01-01"));
        assert_eq!(
            (after.state, after.open, after.next_boundary),
            (GrantState::Expired, false, None)
        );
        assert!(after.message.contains("2026-12-31"), "{}", after.message);
    }

    #[test]
    fn a_grant_between_missing_ministries_opens_nothing() {
        let d = decide(&grant(), false, day("2026-07-01"));
        assert_eq!(
            (d.state, d.open, d.reason),
            (GrantState::Active, false, "MinistryNotFound")
        );
    }
}
