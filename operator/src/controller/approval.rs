//! The Approval reconciler (Art. 9, 10): writes where the committee's decision stands today —
//! `Pending`, `InForce`, `Denied` or `Expired` — and requeues on the day that changes by time
//! alone (the decision's date, the day after `validUntil`). Each status change is a watch event
//! that the CloudTenancy and PrivateNetworkLink controllers map to the approval's subject, so an
//! expiring approval re-judges its tenancy or link the same day.

use std::sync::Arc;

use kube::{Api, runtime::controller::Action};

use super::{Context, Error, instrumented, requeue_at, write_status};
use crate::{
    api::{
        Approval, ApprovalState, CloudTenancy, Day, PrivateNetworkLink, SubjectKind,
        conditions as cond,
    },
    clock, conditions,
};

/// Where an approval stands on a given day.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Standing {
    /// The state to report.
    pub state: ApprovalState,
    /// The condition reason.
    pub reason: &'static str,
    /// A sentence for the ministry.
    pub message: String,
    /// The first day the state changes by time alone.
    pub next_boundary: Option<Day>,
}

/// Where `approval` stands on `today` (pure).
pub fn standing(approval: &Approval, today: Day) -> Standing {
    let spec = &approval.spec;
    let decided_later = spec
        .decision
        .as_ref()
        .map(|d| d.decided_on)
        .filter(|d| *d > today);
    match clock::approval_state(spec, today) {
        None => Standing {
            state: ApprovalState::Pending,
            reason: "RequestDatedInFuture",
            message: format!(
                "the request is dated {}, after today",
                spec.request.requested_on
            ),
            next_boundary: Some(spec.request.requested_on),
        },
        Some(ApprovalState::Pending) => Standing {
            state: ApprovalState::Pending,
            reason: "AwaitingDecision",
            message: format!(
                "requested on {} ({}); the committee has not decided yet",
                spec.request.requested_on, spec.request.document
            ),
            next_boundary: decided_later,
        },
        Some(ApprovalState::InForce) => Standing {
            state: ApprovalState::InForce,
            reason: "Approved",
            message: match spec.valid_until {
                Some(until) => format!("approved, in force until {until}"),
                None => "approved, with no end date".into(),
            },
            next_boundary: spec.valid_until.map(Day::next),
        },
        Some(ApprovalState::Denied) => Standing {
            state: ApprovalState::Denied,
            reason: "Denied",
            message: "the committee refused the request".into(),
            next_boundary: None,
        },
        Some(ApprovalState::Expired) => Standing {
            state: ApprovalState::Expired,
            reason: "Expired",
            message: format!(
                "the approval ended on {}",
                spec.valid_until.map(|d| d.to_string()).unwrap_or_default()
            ),
            next_boundary: None,
        },
    }
}

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
    let s = standing(approval, Day::in_phnom_penh(now));
    let subject = &approval.spec.subject;
    let subject_exists = match subject.kind {
        SubjectKind::CloudTenancy => Api::<CloudTenancy>::all(ctx.client.clone())
            .get_opt(&subject.name)
            .await?
            .is_some(),
        SubjectKind::PrivateNetworkLink => Api::<PrivateNetworkLink>::all(ctx.client.clone())
            .get_opt(&subject.name)
            .await?
            .is_some(),
    };
    let mut status = approval.status.clone().unwrap_or_default();
    let generation = approval.metadata.generation;
    let (ready, reason, message) = if subject_exists {
        (true, s.reason, s.message.clone())
    } else {
        (
            false,
            "SubjectNotFound",
            format!(
                "{} {} does not exist; the approval applies to nothing until it does",
                match subject.kind {
                    SubjectKind::CloudTenancy => "CloudTenancy",
                    SubjectKind::PrivateNetworkLink => "PrivateNetworkLink",
                },
                subject.name
            ),
        )
    };
    conditions::set(
        &mut status.conditions,
        cond::READY,
        ready,
        reason,
        &message,
        generation,
        now,
    );
    status.observed_generation = generation;
    let previous_state = status.state;
    status.state = Some(s.state);
    write_status(approval, approval.status.as_ref(), &status, ctx).await?;
    if previous_state != Some(s.state) {
        let (warning, reason) = match s.state {
            ApprovalState::Pending => (false, "ApprovalPending"),
            ApprovalState::InForce => (false, "ApprovalInForce"),
            ApprovalState::Denied => (true, "ApprovalDenied"),
            ApprovalState::Expired => (true, "ApprovalExpired"),
        };
        ctx.event(approval, warning, reason, &s.message).await;
    }
    Ok(requeue_at(now, s.next_boundary))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn approval(decision: Option<(&str, &str)>, valid_until: Option<&str>) -> Approval {
        let mut a = serde_json::json!({"apiVersion": "digital.gov.kh/v1alpha1", "kind": "Approval", "metadata": {"name": "a"},
            "spec": {"subject": {"kind": "CloudTenancy", "name": "mef-workloads"}, "article": "10",
                     "request": {"requestedOn": "2026-04-20", "requestedBy": "dtu@mef.gov.kh", "document": "MEF/1"}}});
        if let Some((verdict, on)) = decision {
            a["spec"]["decision"] = serde_json::json!({"verdict": verdict, "decidedOn": on, "document": "DGC/1", "reviewer": "DGC"});
        }
        if let Some(u) = valid_until {
            a["spec"]["validUntil"] = serde_json::json!(u);
        }
        serde_json::from_value(a).unwrap()
    }

    fn day(s: &str) -> Day {
        s.parse().unwrap()
    }

    #[test]
    fn every_state_and_the_day_it_changes() {
        let cases = [
            (
                approval(None, None),
                "2026-04-19",
                ApprovalState::Pending,
                Some("2026-04-20"),
            ),
            (
                approval(None, None),
                "2026-04-20",
                ApprovalState::Pending,
                None,
            ),
            (
                approval(Some(("Approved", "2026-05-10")), Some("2026-12-31")),
                "2026-05-09",
                ApprovalState::Pending,
                Some("2026-05-10"),
            ),
            (
                approval(Some(("Approved", "2026-05-10")), Some("2026-12-31")),
                "2026-12-31",
                ApprovalState::InForce,
                Some("2027-01-01"),
            ),
            (
                approval(Some(("Approved", "2026-05-10")), Some("2026-12-31")),
                "2027-01-01",
                ApprovalState::Expired,
                None,
            ),
            (
                approval(Some(("Approved", "2026-05-10")), None),
                "2030-01-01",
                ApprovalState::InForce,
                None,
            ),
            (
                approval(Some(("Denied", "2026-05-10")), None),
                "2026-05-10",
                ApprovalState::Denied,
                None,
            ),
        ];
        for (a, today, state, boundary) in cases {
            let s = standing(&a, day(today));
            assert_eq!(
                (s.state, s.next_boundary),
                (state, boundary.map(day)),
                "{today}: {}",
                s.message
            );
        }
    }
}
