//! The DataAccessGrant reconciler (Art. 26 para. 3, Art. 29): while a grant is active
//! (`validFrom ≤ today ≤ validUntil`, in Phnom Penh) the network path from the grantee's
//! namespaces to the owner's listed namespaces — those that are the owner's, never top-secret
//! data (`verdict::grant_plan`) — is open on the granted ports; before and after it, it is
//! closed. The state flips on the very day: the reconcile is requeued at `validFrom`
//! and at the day after `validUntil`. The NetworkPolicies are owned by the grant, so deleting
//! the grant revokes the access too.

use std::sync::Arc;

use kube::runtime::controller::Action;

use super::{
    Conclusion, Context, Error, NAMESPACE_MISSING, conclude, instrumented, sync_network_policies,
};
use govkh_core::{
    api::{DataAccessGrant, Day, conditions as cond},
    law::verdict,
    message,
    provision::desired,
};

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
    // What it opens: its dates and ministries, then the fence (the owner's namespaces its own,
    // no top-secret data ever).
    let plan = verdict::grant_plan(&ctx.index.inventory(), grant, today);
    let verdict = plan.verdict;
    let desired = desired::grant_policies(grant, &plan.from, &plan.to);
    let name = grant.metadata.name.clone().unwrap_or_default();
    let synced = sync_network_policies(ctx, ("DataAccessGrant", &name), &desired).await?;
    let waiting = synced.waiting();
    let mut status = grant.status.clone().unwrap_or_default();
    status.network_policies = synced.carried;
    let message = message::en::reason(&verdict.reason);
    // A grant between missing ministries opens nothing and shows no state change: its Event is
    // the MinistryNotFound warning. One the fence refuses opens nothing and is not Ready, with
    // why. One whose namespaces do not exist yet is not Ready and says which it waits for.
    let refused = matches!(verdict.reason, verdict::Reason::PathRefused(_));
    let ready = match &waiting {
        Some(w) if !refused => (cond::READY, false, NAMESPACE_MISSING, w.as_str()),
        _ => (
            cond::READY,
            !verdict.is_invalid() && !refused,
            verdict.reason.as_str(),
            message.as_str(),
        ),
    };
    let conclusion = Conclusion {
        state: Some(verdict.state),
        conditions: vec![ready],
        reason: verdict.reason.as_str(),
        message: &message,
        next_boundary: verdict.next_boundary,
        invalid: verdict.is_invalid(),
    };
    conclude(grant, status, conclusion, ctx, now).await
}
