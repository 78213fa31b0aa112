//! The Approval reconciler (Art. 9, 10): writes where the committee's decision stands today —
//! `Pending`, `InForce`, `Denied` or `Expired` — and requeues on the day that changes by time
//! alone (the decision's date, the day after `validUntil`). Each status change is a watch event
//! that the CloudTenancy and PrivateNetworkLink controllers map to the approval's subject, so an
//! expiring approval re-judges its tenancy or link the same day.

use std::sync::Arc;

use kube::runtime::controller::Action;

use super::{Conclusion, Context, Error, conclude, instrumented};
use govkh_core::{
    api::{Approval, Day, SubjectKind, conditions as cond},
    law::verdict::{self, Reason},
    message,
};

/// Reconcile one approval.
pub async fn reconcile(approval: Arc<Approval>, ctx: Arc<Context>) -> Result<Action, Error> {
    instrumented(
        "approval",
        &*approval,
        &ctx,
        reconcile_inner(&approval, &ctx),
    )
    .await
}

async fn reconcile_inner(approval: &Approval, ctx: &Context) -> Result<Action, Error> {
    let now = (ctx.now)();
    let subject = &approval.spec.subject;
    let inv = ctx.index.inventory();
    let subject_exists = match subject.kind {
        SubjectKind::CloudTenancy => inv.tenancies.contains_key(&subject.name),
        SubjectKind::PrivateNetworkLink => inv.links.contains_key(&subject.name),
    };
    let verdict = verdict::approval(&approval.spec, Day::in_phnom_penh(now));
    let message = message::en::reason(&verdict.reason);
    // An approval about nothing still has a state; Ready says it applies to nothing.
    let missing = Reason::SubjectNotFound {
        kind: subject.kind,
        name: subject.name.clone(),
    };
    let missing_message = message::en::reason(&missing);
    let ready = if subject_exists {
        (cond::READY, true, verdict.reason.as_str(), message.as_str())
    } else {
        (
            cond::READY,
            false,
            missing.as_str(),
            missing_message.as_str(),
        )
    };
    let conclusion = Conclusion {
        state: Some(verdict.state),
        conditions: vec![ready],
        reason: verdict.reason.as_str(),
        message: &message,
        next_boundary: verdict.next_boundary,
        invalid: false,
    };
    let status = approval.status.clone().unwrap_or_default();
    conclude(approval, status, conclusion, ctx, now).await
}
