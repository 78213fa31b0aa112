//! The PrivateNetworkLink reconciler (Art. 9, 28): while the link is permitted — over the
//! government private network, or over an alternative network with the committee's Approval in
//! force for it — NetworkPolicies in both ministries' namespaces allow exactly the declared
//! ports between exactly those namespaces (or to the declared CIDRs). When it stops being
//! permitted (approval pending, denied, expired or deleted; a ministry gone) they are removed and
//! the state says why. Requeued when the approval ends. The policies are owned by the link, so
//! deleting the link removes them.

use std::sync::Arc;

use kube::{Api, ResourceExt, runtime::controller::Action};

use super::{
    Context, Error, instrumented, namespaces_of, requeue_at, sync_network_policies, write_status,
};
use crate::{
    api::{
        Approval, ApprovalState, Day, LinkNetwork, LinkState, Ministry, PrivateNetworkLink,
        SubjectKind, conditions as cond,
    },
    clock, conditions, desired,
};

/// Whether a link may carry traffic today, and why.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Permission {
    /// The state to report.
    pub state: LinkState,
    /// The condition reason.
    pub reason: &'static str,
    /// A sentence for the ministry.
    pub message: String,
    /// The first day the answer changes by time alone.
    pub next_boundary: Option<Day>,
}

/// Decide whether `link` is permitted on `today` (pure).
pub fn permission(
    link: &PrivateNetworkLink,
    ministries_exist: bool,
    approval: Option<&Approval>,
    today: Day,
) -> Permission {
    let p = |state, reason, message: String, next_boundary| Permission {
        state,
        reason,
        message,
        next_boundary,
    };
    let name = link.name_any();
    if !ministries_exist {
        return p(
            LinkState::Refused,
            "MinistryNotFound",
            "a ministry of this link does not exist".into(),
            None,
        );
    }
    if link.spec.network == LinkNetwork::GovernmentPrivate {
        return p(
            LinkState::Established,
            "GovernmentPrivateNetwork",
            "carried by the government private network (Art. 9)".into(),
            None,
        );
    }
    let Some(a) = approval else {
        return p(
            LinkState::AwaitingApproval,
            "ApprovalNotFound",
            format!(
                "an alternative network needs the committee's approval; Approval {} does not exist (Art. 9)",
                link.spec.approval.clone().unwrap_or_default()
            ),
            None,
        );
    };
    if a.spec.subject.kind != SubjectKind::PrivateNetworkLink || a.spec.subject.name != name {
        return p(
            LinkState::AwaitingApproval,
            "ApprovalForAnotherSubject",
            format!("Approval {} is not about this link (Art. 9)", a.name_any()),
            None,
        );
    }
    match clock::approval_state(&a.spec, today) {
        Some(ApprovalState::InForce) => p(
            LinkState::Established,
            "ApprovalInForce",
            format!(
                "alternative network approved by the committee ({})",
                a.name_any()
            ),
            a.spec.valid_until.map(Day::next),
        ),
        None => p(
            LinkState::AwaitingApproval,
            "ApprovalPending",
            "the request is dated in the future".into(),
            Some(a.spec.request.requested_on),
        ),
        Some(ApprovalState::Pending) => p(
            LinkState::AwaitingApproval,
            "ApprovalPending",
            "the committee has not decided yet (Art. 9)".into(),
            a.spec
                .decision
                .as_ref()
                .map(|d| d.decided_on)
                .filter(|d| *d > today),
        ),
        Some(ApprovalState::Denied) => p(
            LinkState::Refused,
            "ApprovalDenied",
            "the committee refused the alternative network (Art. 9)".into(),
            None,
        ),
        Some(ApprovalState::Expired) => p(
            LinkState::Refused,
            "ApprovalExpired",
            format!(
                "the approval ended on {} (Art. 9)",
                a.spec
                    .valid_until
                    .map(|d| d.to_string())
                    .unwrap_or_default()
            ),
            None,
        ),
    }
}

/// Reconcile one link.
pub async fn reconcile(link: Arc<PrivateNetworkLink>, ctx: Arc<Context>) -> Result<Action, Error> {
    instrumented(
        "privatenetworklink",
        &*link,
        &ctx,
        reconcile_inner(&link, &ctx),
    )
    .await
}

async fn reconcile_inner(link: &PrivateNetworkLink, ctx: &Context) -> Result<Action, Error> {
    let now = (ctx.now)();
    let today = Day::in_phnom_penh(now);
    let ministries = Api::<Ministry>::all(ctx.client.clone());
    let from_exists = ministries
        .get_opt(&link.spec.from.ministry)
        .await?
        .is_some();
    let to_exists = match &link.spec.to.ministry {
        Some(m) => ministries.get_opt(m).await?.is_some(),
        None => true,
    };
    let approval = match &link.spec.approval {
        Some(a) if link.spec.network == LinkNetwork::Alternative => {
            Api::<Approval>::all(ctx.client.clone()).get_opt(a).await?
        }
        _ => None,
    };
    let decision = permission(link, from_exists && to_exists, approval.as_ref(), today);
    let desired = if decision.state == LinkState::Established {
        let from = namespaces_of(ctx, &link.spec.from.ministry, &link.spec.from.namespaces).await?;
        let to = match &link.spec.to.ministry {
            Some(m) => namespaces_of(ctx, m, &link.spec.to.namespaces).await?,
            None => Vec::new(),
        };
        desired::link_policies(link, &from, &to)
    } else {
        Vec::new()
    };
    let previous = link
        .status
        .as_ref()
        .map(|s| s.network_policies.clone())
        .unwrap_or_default();
    let carried = sync_network_policies(ctx, &desired, &previous).await?;
    let mut status = link.status.clone().unwrap_or_default();
    let generation = link.metadata.generation;
    let established = decision.state == LinkState::Established;
    conditions::set(
        &mut status.conditions,
        cond::READY,
        true,
        "Reconciled",
        "",
        generation,
        now,
    );
    conditions::set(
        &mut status.conditions,
        cond::COMPLIANT,
        established,
        decision.reason,
        &decision.message,
        generation,
        now,
    );
    status.observed_generation = generation;
    let previous_state = status.state;
    status.state = Some(decision.state);
    status.network_policies = carried;
    write_status(link, link.status.as_ref(), &status, ctx).await?;
    if previous_state != Some(decision.state) {
        let (warning, reason) = match decision.state {
            LinkState::Established => (false, "LinkEstablished"),
            LinkState::AwaitingApproval => (true, "LinkAwaitingApproval"),
            LinkState::Refused => (true, "LinkRefused"),
        };
        ctx.event(link, warning, reason, &decision.message).await;
    }
    Ok(requeue_at(now, decision.next_boundary))
}
