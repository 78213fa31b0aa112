//! The PrivateNetworkLink reconciler (Art. 9, 28): while the link is permitted — over the
//! government private network, or over an alternative network with the committee's Approval in
//! force for it; between namespaces that are its ministries' own (or to CIDRs inside the
//! private network), never into top-secret data; and agreed to by the receiving ministry
//! (`verdict::link_plan`) — NetworkPolicies in both ministries' namespaces allow exactly the
//! declared ports between exactly those namespaces (or to the declared CIDRs). When it stops being
//! permitted (approval pending, denied, expired or deleted; a ministry gone) they are removed and
//! the state says why. Requeued when the approval ends. The policies are owned by the link, so
//! deleting the link removes them.

use std::sync::Arc;

use kube::runtime::controller::Action;

use super::{
    Conclusion, Context, Error, NAMESPACE_MISSING, conclude, instrumented, sync_network_policies,
};
use govkh_core::{
    api::{Day, LinkState, PrivateNetworkLink, conditions as cond},
    law::verdict,
    message,
    provision::desired,
};

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
    // What it may open: the network and its approval, then the fence (its namespaces its
    // ministries', its CIDRs inside the private network, no top-secret data) and the receiving
    // ministry's agreement.
    let plan = verdict::link_plan(&ctx.index.inventory(), link, today);
    let verdict = plan.verdict;
    let established = verdict.state == LinkState::Established;
    let desired = if established {
        desired::link_policies(link, &plan.from, &plan.to)
    } else {
        Vec::new()
    };
    let name = link.metadata.name.clone().unwrap_or_default();
    let synced = sync_network_policies(ctx, ("PrivateNetworkLink", &name), &desired).await?;
    let waiting = synced.waiting();
    let mut status = link.status.clone().unwrap_or_default();
    status.network_policies = synced.carried;
    let message = message::en::reason(&verdict.reason);
    // A link that is not permitted is reconciled all the same (its policies removed): Ready,
    // and not Compliant, with the reason. One whose namespaces do not exist yet is not Ready
    // and says which it waits for.
    let ready = match &waiting {
        Some(w) => (cond::READY, false, NAMESPACE_MISSING, w.as_str()),
        None => (cond::READY, true, "Reconciled", ""),
    };
    let conclusion = Conclusion {
        state: Some(verdict.state),
        conditions: vec![
            ready,
            (
                cond::COMPLIANT,
                established,
                verdict.reason.as_str(),
                &message,
            ),
        ],
        reason: verdict.reason.as_str(),
        message: &message,
        next_boundary: verdict.next_boundary,
        invalid: false,
    };
    conclude(link, status, conclusion, ctx, now).await
}
