//! The statutory clock of Art. 10: a pure function from (tenancy, ministry's resource level,
//! approvals, government cloud, today) to the tenancy's state, its deadlines and the next day on
//! which the state can change by time alone. It never reads the wall clock: "today" is always
//! given, so the same question about the same day always gets the same answer.
//!
//! Also here, because an expired permission must be expired for every caller at once: the state
//! of an Approval and of a DataAccessGrant on a given day.
//!
//! The reading of the law encoded here:
//! - E is `GovernmentCloud.spec.establishedOn`. The application deadline is E + 90 days and the
//!   migration deadline E + 12 calendar months: the law's numbers ([`APPLICATION_DAYS`],
//!   [`MIGRATION_MONTHS`]), not a cluster's setting — an amendment of the law is a new version
//!   of govkh, not a field someone edits. A deadline day counts as inside its window until it
//!   ends.
//! - "One year" is counted in calendar months: when the month reached has no such day (E = 29
//!   February), the deadline is that month's last day, 28 February. The period then never runs
//!   past the anniversary month, the same rule civil-law codes apply to periods in months and
//!   years.
//! - Outside the government cloud: `external`; `government-leased` with a provider the Royal
//!   Government has not approved; `ministry-private` for a ministry with `limited` resources.
//! - Only what had happened by "today" counts: a request, a decision or an approval dated after
//!   today is ignored until that day comes.
//! - An exception approved by the committee is honoured even when the request was late: the
//!   committee's decision is what the law makes authoritative.
//! - A timely request the committee has not yet decided keeps the tenancy `ExceptionPending`
//!   even past the migration deadline: the ministry did what Art. 10 asks of it.

use crate::api::{
    ApprovalSpec, ApprovalState, ClockState, CloudTenancySpec, CommitteeVerdict,
    DataAccessGrantSpec, Day, GovernmentCloudSpec, GrantState, Placement, ResourceLevel,
};

/// Why a tenancy counts as outside the government cloud (Art. 10).
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Outside {
    /// Placement `external`.
    External,
    /// Placement `government-leased` with a provider missing from the approved list.
    UnapprovedLeasedProvider(String),
    /// Placement `ministry-private` for a ministry with `limited` resources.
    LimitedMinistryPrivateCloud,
}

/// An approval relevant to a tenancy, with its name.
#[derive(Clone, Copy, Debug)]
pub struct NamedApproval<'a> {
    /// The Approval's `metadata.name`.
    pub name: &'a str,
    /// Its spec.
    pub spec: &'a ApprovalSpec,
}

/// Which statutory deadline a tenancy's nearest one is.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum DeadlineKind {
    /// The last day to apply to the committee for an exception (Art. 10: 90 days after the
    /// government cloud's establishment).
    Application,
    /// The last day to have migrated to the government cloud (Art. 10: 12 months).
    Migration,
    /// The last day of the approval in force (its `validUntil`): after it the tenancy is
    /// outside without an exception.
    ApprovalExpiry,
}

impl DeadlineKind {
    /// The name metrics and Events use.
    pub fn as_str(self) -> &'static str {
        match self {
            DeadlineKind::Application => "application",
            DeadlineKind::Migration => "migration",
            DeadlineKind::ApprovalExpiry => "approval-expiry",
        }
    }
}

/// The clock's verdict on one tenancy on one day.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ClockVerdict {
    /// The state (also the `Compliant` condition's reason).
    pub state: ClockState,
    /// Why the tenancy is outside the government cloud; `None` when inside.
    pub outside: Option<Outside>,
    /// Last day to apply in writing (outside only).
    pub application_deadline: Option<Day>,
    /// Last day to have migrated (outside only).
    pub migration_deadline: Option<Day>,
    /// The nearest deadline not passed yet: the application or migration deadline, or the end
    /// of the approval in force.
    pub next_deadline: Option<Day>,
    /// The first day after today on which the state changes by time alone.
    pub next_boundary: Option<Day>,
    /// The Approval in force, if the tenancy is excused by one.
    pub approval_in_force: Option<String>,
    /// The Approval that decided a non-compliant state (pending, denied or expired), if any.
    pub decisive_approval: Option<(String, ApprovalState)>,
    /// Why the clock stands where it does, with the facts a message is rendered from
    /// (`message::en::clock`).
    pub reason: ClockReason,
    /// Whole days since the migration deadline passed, when it has (outside only).
    pub days_past_migration: Option<i64>,
}

/// Why a tenancy's clock stands where it does: the fact that decided the state. A decision, not
/// prose: messages in every language are rendered from it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum ClockReason {
    /// The tenancy runs inside the government cloud.
    Inside,
    /// The committee's approval excuses it.
    ApprovalInForce {
        /// The Approval.
        approval: String,
        /// Its last day, when it has one.
        valid_until: Option<Day>,
    },
    /// A written request made by the application deadline awaits the committee's decision.
    TimelyRequestPending {
        /// The Approval holding the request.
        approval: String,
        /// The day it was requested.
        requested_on: Day,
    },
    /// The committee's approval has ended.
    ApprovalExpired {
        /// The Approval.
        approval: String,
        /// Its last day.
        valid_until: Option<Day>,
    },
    /// The committee denied the request.
    RequestDenied {
        /// The Approval holding the denial.
        approval: String,
    },
    /// No written request was made by the application deadline (there may be a late one).
    NoTimelyRequest {
        /// A request made after the application deadline and not decided.
        late_request: Option<LateRequest>,
    },
}

/// A request for an exception made after the application deadline.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct LateRequest {
    /// The Approval holding it.
    pub approval: String,
    /// The day it was requested.
    pub requested_on: Day,
}

/// The state of an Approval on `today`, or `None` when its request is dated after today (it had
/// not been made yet).
pub fn approval_state(spec: &ApprovalSpec, today: Day) -> Option<ApprovalState> {
    if spec.request.requested_on > today {
        return None;
    }
    let decision = spec.decision.as_ref().filter(|d| d.decided_on <= today);
    Some(match decision {
        None => ApprovalState::Pending,
        Some(d) if d.verdict == CommitteeVerdict::Denied => ApprovalState::Denied,
        Some(_) => match spec.valid_until {
            Some(until) if today > until => ApprovalState::Expired,
            _ => ApprovalState::InForce,
        },
    })
}

/// The state of a DataAccessGrant on `today`: active from `validFrom` to `validUntil`, both days
/// included.
pub fn grant_state(spec: &DataAccessGrantSpec, today: Day) -> GrantState {
    if today < spec.valid_from {
        GrantState::Pending
    } else if today > spec.valid_until {
        GrantState::Expired
    } else {
        GrantState::Active
    }
}

/// Why the tenancy is outside the government cloud, or `None` if it is inside.
pub fn outside_reason(
    tenancy: &CloudTenancySpec,
    resource_level: ResourceLevel,
    cloud: &GovernmentCloudSpec,
) -> Option<Outside> {
    match tenancy.placement {
        Placement::GovernmentPrivate => None,
        Placement::External => Some(Outside::External),
        Placement::GovernmentLeased => {
            let provider = tenancy.provider.clone().unwrap_or_default();
            if cloud.approved_leased_providers.contains(&provider) {
                None
            } else {
                Some(Outside::UnapprovedLeasedProvider(provider))
            }
        }
        Placement::MinistryPrivate => match resource_level {
            ResourceLevel::Full => None,
            ResourceLevel::Limited => Some(Outside::LimitedMinistryPrivateCloud),
        },
    }
}

/// Art. 10 para. 4: a ministry outside the government cloud applies in writing "within 90
/// (ninety) days" of the government cloud's establishment.
pub const APPLICATION_DAYS: i64 = 90;

/// Art. 10 para. 4: otherwise it moves into the government cloud "within 1 (one) year", counted
/// here in calendar months.
pub const MIGRATION_MONTHS: i64 = 12;

/// The application and migration deadlines of Art. 10 for this government cloud.
pub fn deadlines(cloud: &GovernmentCloudSpec) -> (Day, Day) {
    let e = cloud.established_on;
    (
        e.plus_days(APPLICATION_DAYS),
        e.plus_months(MIGRATION_MONTHS),
    )
}

/// The statutory clock: the state of `tenancy` on `today`.
pub fn evaluate(
    tenancy: &CloudTenancySpec,
    resource_level: ResourceLevel,
    approvals: &[NamedApproval<'_>],
    cloud: &GovernmentCloudSpec,
    today: Day,
) -> ClockVerdict {
    let mut verdict = state_on(tenancy, resource_level, approvals, cloud, today);
    verdict.next_boundary =
        next_boundary(tenancy, resource_level, approvals, cloud, today, &verdict);
    verdict
}

/// The first day after `today` whose state, approval in force or running deadline differs from
/// today's (a running deadline that passes turns a warning into a breach even when the state's
/// name stays the same). The state is constant between
/// the days on which something dated happens (a deadline passes, a request, decision or expiry
/// takes effect), so only those days need to be tried.
fn next_boundary(
    tenancy: &CloudTenancySpec,
    resource_level: ResourceLevel,
    approvals: &[NamedApproval<'_>],
    cloud: &GovernmentCloudSpec,
    today: Day,
    current: &ClockVerdict,
) -> Option<Day> {
    current.outside.as_ref()?;
    let (application, migration) = deadlines(cloud);
    let mut candidates = vec![application.next(), migration.next()];
    for a in approvals {
        candidates.push(a.spec.request.requested_on);
        if let Some(d) = &a.spec.decision {
            candidates.push(d.decided_on);
        }
        if let Some(until) = a.spec.valid_until {
            candidates.push(until.next());
        }
    }
    candidates.retain(|d| *d > today);
    candidates.sort();
    candidates.dedup();
    candidates.into_iter().find(|day| {
        let v = state_on(tenancy, resource_level, approvals, cloud, *day);
        v.state != current.state
            || v.approval_in_force != current.approval_in_force
            || v.next_deadline != current.next_deadline
    })
}

fn state_on(
    tenancy: &CloudTenancySpec,
    resource_level: ResourceLevel,
    approvals: &[NamedApproval<'_>],
    cloud: &GovernmentCloudSpec,
    today: Day,
) -> ClockVerdict {
    let Some(outside) = outside_reason(tenancy, resource_level, cloud) else {
        return ClockVerdict {
            state: ClockState::Compliant,
            outside: None,
            application_deadline: None,
            migration_deadline: None,
            next_deadline: None,
            next_boundary: None,
            approval_in_force: None,
            decisive_approval: None,
            reason: ClockReason::Inside,
            days_past_migration: None,
        };
    };
    let (application, migration) = deadlines(cloud);
    let before_migration = today <= migration;
    let mut v = ClockVerdict {
        state: ClockState::Compliant,
        outside: Some(outside),
        application_deadline: Some(application),
        migration_deadline: Some(migration),
        next_deadline: None,
        next_boundary: None,
        approval_in_force: None,
        decisive_approval: None,
        reason: ClockReason::Inside,
        days_past_migration: (!before_migration).then(|| days_between(migration, today)),
    };
    let known: Vec<(NamedApproval<'_>, ApprovalState)> = approvals
        .iter()
        .filter_map(|a| approval_state(a.spec, today).map(|s| (*a, s)))
        .collect();

    // An approval in force excuses the tenancy; of several, the one lasting longest is named.
    if let Some((a, _)) = known
        .iter()
        .filter(|(_, s)| *s == ApprovalState::InForce)
        .max_by_key(|(a, _)| {
            a.spec
                .valid_until
                .map_or((1, Day(k8s_openapi::jiff::civil::Date::MAX)), |d| (0, d))
        })
    {
        v.state = ClockState::Compliant;
        v.approval_in_force = Some(a.name.to_string());
        v.next_deadline = a.spec.valid_until;
        v.reason = ClockReason::ApprovalInForce {
            approval: a.name.to_string(),
            valid_until: a.spec.valid_until,
        };
        return v;
    }

    if let Some((a, s)) = known
        .iter()
        .find(|(a, s)| *s == ApprovalState::Pending && a.spec.request.requested_on <= application)
    {
        v.state = ClockState::ExceptionPending;
        v.decisive_approval = Some((a.name.to_string(), *s));
        v.next_deadline = before_migration.then_some(migration);
        v.reason = ClockReason::TimelyRequestPending {
            approval: a.name.to_string(),
            requested_on: a.spec.request.requested_on,
        };
        return v;
    }

    // Of the decided requests, the latest decision or expiry stands.
    if let Some((a, s)) = latest_decided(&known) {
        decided(&mut v, a, s, before_migration);
        return v;
    }

    no_timely_request(&mut v, &known, today, application);
    v
}

/// Of the decided requests, the one whose decision (a denial) or end (an expiry) came last.
fn latest_decided<'a>(
    known: &[(NamedApproval<'a>, ApprovalState)],
) -> Option<(NamedApproval<'a>, ApprovalState)> {
    known
        .iter()
        .filter_map(|(a, s)| match s {
            ApprovalState::Denied => a.spec.decision.as_ref().map(|d| (d.decided_on, *a, *s)),
            ApprovalState::Expired => a.spec.valid_until.map(|u| (u.next(), *a, *s)),
            _ => None,
        })
        .max_by_key(|(day, _, _)| *day)
        .map(|(_, a, s)| (a, s))
}

/// The verdict when the decisive request was denied or its approval expired: until the
/// migration deadline the tenancy must migrate by it; after, it is overdue (a denial) or its
/// exception has expired.
fn decided(v: &mut ClockVerdict, a: NamedApproval<'_>, s: ApprovalState, before_migration: bool) {
    let migration = v.migration_deadline;
    v.decisive_approval = Some((a.name.to_string(), s));
    v.next_deadline = migration.filter(|_| before_migration);
    if s == ApprovalState::Expired {
        v.state = ClockState::ExceptionExpired;
        v.reason = ClockReason::ApprovalExpired {
            approval: a.name.to_string(),
            valid_until: a.spec.valid_until,
        };
    } else {
        v.state = if before_migration {
            ClockState::ExceptionDenied
        } else {
            ClockState::MigrationOverdue
        };
        v.reason = ClockReason::RequestDenied {
            approval: a.name.to_string(),
        };
    }
}

/// The verdict when no request was made in time (a late one is named): within the window, by
/// its end; after it, by the migration deadline; then overdue.
fn no_timely_request(
    v: &mut ClockVerdict,
    known: &[(NamedApproval<'_>, ApprovalState)],
    today: Day,
    application: Day,
) {
    v.reason = ClockReason::NoTimelyRequest {
        late_request: known
            .iter()
            .find(|(_, s)| *s == ApprovalState::Pending)
            .map(|(a, _)| LateRequest {
                approval: a.name.to_string(),
                requested_on: a.spec.request.requested_on,
            }),
    };
    match v.migration_deadline {
        _ if today <= application => {
            v.state = ClockState::WithinApplicationWindow;
            v.next_deadline = Some(application);
        }
        Some(migration) if today <= migration => {
            v.state = ClockState::ApplicationWindowMissed;
            v.next_deadline = Some(migration);
        }
        _ => v.state = ClockState::MigrationOverdue,
    }
}

/// Whole days from `from` to `to`.
pub fn days_between(from: Day, to: Day) -> i64 {
    from.0
        .until(to.0)
        .map(|span| i64::from(span.get_days()))
        .unwrap_or(0)
}

#[cfg(test)]
mod tests {
    //! Hand-computed cases. E = 2026-03-01: 90 days later is 2026-05-30 (30 days to 31 March,
    //! 30 more to 30 April, 30 more to 30 May); 12 months later is 2027-03-01.
    use super::*;
    use crate::api::{
        ApprovalArticle, ApprovalDecision, ApprovalRequest, ApprovalSubject, DeletionPolicy,
        PrivateNetwork, SubjectKind,
    };

    fn day(s: &str) -> Day {
        s.parse().unwrap()
    }

    fn cloud(established: &str) -> GovernmentCloudSpec {
        GovernmentCloudSpec {
            established_on: day(established),
            operator: "mptc".into(),
            private_network: PrivateNetwork {
                cidrs: vec!["10.80.0.0/12".into()],
            },
            approved_leased_providers: vec!["camcloud".into()],
            windows: None,
        }
    }

    fn tenancy(placement: Placement, provider: Option<&str>) -> CloudTenancySpec {
        CloudTenancySpec {
            ministry: "mef".into(),
            placement,
            provider: provider.map(String::from),
            region: None,
            since: Some(day("2024-06-01")),
            namespaces: vec![],
            deletion_policy: DeletionPolicy::Retain,
        }
    }

    fn external() -> CloudTenancySpec {
        tenancy(Placement::External, Some("aws"))
    }

    fn request(on: &str) -> ApprovalSpec {
        ApprovalSpec {
            subject: ApprovalSubject {
                kind: SubjectKind::CloudTenancy,
                name: "t".into(),
            },
            article: ApprovalArticle::Art10,
            request: ApprovalRequest {
                requested_on: day(on),
                requested_by: "dtu@mef.gov.kh".into(),
                document: "MEF/DTU/2026/041".into(),
                reason: None,
            },
            decision: None,
            valid_until: None,
        }
    }

    fn decided(
        mut a: ApprovalSpec,
        verdict: CommitteeVerdict,
        on: &str,
        until: Option<&str>,
    ) -> ApprovalSpec {
        a.decision = Some(ApprovalDecision {
            verdict,
            decided_on: day(on),
            document: "DGC/2026/012".into(),
            reviewer: "Digital Government Committee".into(),
        });
        a.valid_until = until.map(day);
        a
    }

    fn run(
        t: &CloudTenancySpec,
        level: ResourceLevel,
        approvals: &[ApprovalSpec],
        c: &GovernmentCloudSpec,
        today: &str,
    ) -> ClockVerdict {
        let named: Vec<NamedApproval<'_>> = approvals
            .iter()
            .map(|spec| NamedApproval { name: "appr", spec })
            .collect();
        evaluate(t, level, &named, c, day(today))
    }

    #[test]
    fn deadlines_are_e_plus_90_days_and_e_plus_12_months() {
        assert_eq!(
            deadlines(&cloud("2026-03-01")),
            (day("2026-05-30"), day("2027-03-01"))
        );
    }

    #[test]
    fn inside_the_government_private_cloud_is_compliant_without_deadlines() {
        // Art. 10 para. 4: the government cloud established by MPTC.
        let v = run(
            &tenancy(Placement::GovernmentPrivate, None),
            ResourceLevel::Limited,
            &[],
            &cloud("2026-03-01"),
            "2027-06-01",
        );
        assert_eq!(v.state, ClockState::Compliant);
        assert_eq!(
            (
                v.application_deadline,
                v.migration_deadline,
                v.next_boundary
            ),
            (None, None, None)
        );
        assert!(v.outside.is_none());
    }

    #[test]
    fn external_before_the_application_deadline_without_a_request() {
        // Art. 10: 90 days from E to apply in writing.
        let v = run(
            &external(),
            ResourceLevel::Full,
            &[],
            &cloud("2026-03-01"),
            "2026-04-01",
        );
        assert_eq!(v.state, ClockState::WithinApplicationWindow);
        assert_eq!(v.application_deadline, Some(day("2026-05-30")));
        assert_eq!(v.migration_deadline, Some(day("2027-03-01")));
        assert_eq!(v.next_deadline, Some(day("2026-05-30")));
        assert_eq!(v.next_boundary, Some(day("2026-05-31")));
    }

    #[test]
    fn the_application_deadline_day_is_still_inside_the_window() {
        let v = run(
            &external(),
            ResourceLevel::Full,
            &[],
            &cloud("2026-03-01"),
            "2026-05-30",
        );
        assert_eq!(v.state, ClockState::WithinApplicationWindow);
        let v = run(
            &external(),
            ResourceLevel::Full,
            &[],
            &cloud("2026-03-01"),
            "2026-05-31",
        );
        assert_eq!(v.state, ClockState::ApplicationWindowMissed);
        assert_eq!(v.next_boundary, Some(day("2027-03-02")));
    }

    #[test]
    fn a_request_on_day_e_plus_90_is_timely() {
        // Art. 10: "within 90 days from the date of establishment" includes day 90.
        let v = run(
            &external(),
            ResourceLevel::Full,
            &[request("2026-05-30")],
            &cloud("2026-03-01"),
            "2026-06-15",
        );
        assert_eq!(v.state, ClockState::ExceptionPending);
        assert_eq!(
            v.decisive_approval,
            Some(("appr".into(), ApprovalState::Pending))
        );
        assert_eq!(v.next_deadline, Some(day("2027-03-01")));
        // Pending never turns into overdue by time alone, but the migration deadline stops
        // running the day after it.
        assert_eq!(v.next_boundary, Some(day("2027-03-02")));
    }

    #[test]
    fn a_request_on_day_e_plus_91_is_late() {
        let v = run(
            &external(),
            ResourceLevel::Full,
            &[request("2026-05-31")],
            &cloud("2026-03-01"),
            "2026-06-15",
        );
        assert_eq!(v.state, ClockState::ApplicationWindowMissed);
        assert_eq!(
            v.reason,
            ClockReason::NoTimelyRequest {
                late_request: Some(LateRequest {
                    approval: "appr".into(),
                    requested_on: day("2026-05-31")
                })
            }
        );
        assert_eq!(v.next_boundary, Some(day("2027-03-02")));
    }

    #[test]
    fn a_timely_request_still_pending_after_the_migration_deadline_stays_pending() {
        let v = run(
            &external(),
            ResourceLevel::Full,
            &[request("2026-04-20")],
            &cloud("2026-03-01"),
            "2027-04-01",
        );
        assert_eq!(v.state, ClockState::ExceptionPending);
        assert_eq!(v.next_deadline, None);
        assert_eq!(v.migration_deadline, Some(day("2027-03-01")));
        assert_eq!(v.days_past_migration, Some(31));
        assert_eq!(
            v.reason,
            ClockReason::TimelyRequestPending {
                approval: "appr".into(),
                requested_on: day("2026-04-20")
            }
        );
    }

    #[test]
    fn an_approved_exception_is_compliant_until_it_expires() {
        let a = decided(
            request("2026-04-20"),
            CommitteeVerdict::Approved,
            "2026-05-10",
            Some("2027-05-10"),
        );
        let v = run(
            &external(),
            ResourceLevel::Full,
            std::slice::from_ref(&a),
            &cloud("2026-03-01"),
            "2026-11-26",
        );
        assert_eq!(v.state, ClockState::Compliant);
        assert_eq!(v.approval_in_force.as_deref(), Some("appr"));
        assert_eq!(v.next_deadline, Some(day("2027-05-10")));
        assert_eq!(v.next_boundary, Some(day("2027-05-11")));
        // Its last day is still in force; the next day it has expired.
        let v = run(
            &external(),
            ResourceLevel::Full,
            std::slice::from_ref(&a),
            &cloud("2026-03-01"),
            "2027-05-10",
        );
        assert_eq!(v.state, ClockState::Compliant);
        let v = run(
            &external(),
            ResourceLevel::Full,
            &[a],
            &cloud("2026-03-01"),
            "2027-05-11",
        );
        assert_eq!(v.state, ClockState::ExceptionExpired);
        assert_eq!(
            v.decisive_approval,
            Some(("appr".into(), ApprovalState::Expired))
        );
        assert_eq!(v.next_boundary, None);
    }

    #[test]
    fn an_expiry_before_the_migration_deadline_has_a_boundary_when_that_deadline_passes() {
        let a = decided(
            request("2026-04-20"),
            CommitteeVerdict::Approved,
            "2026-05-10",
            Some("2026-10-31"),
        );
        let v = run(
            &external(),
            ResourceLevel::Full,
            &[a],
            &cloud("2026-03-01"),
            "2026-11-26",
        );
        assert_eq!(v.state, ClockState::ExceptionExpired);
        assert_eq!(v.next_deadline, Some(day("2027-03-01")));
        assert_eq!(v.next_boundary, Some(day("2027-03-02")));
    }

    #[test]
    fn an_approval_without_valid_until_stays_in_force() {
        let a = decided(
            request("2026-04-20"),
            CommitteeVerdict::Approved,
            "2026-05-10",
            None,
        );
        let v = run(
            &external(),
            ResourceLevel::Full,
            &[a],
            &cloud("2026-03-01"),
            "2030-01-01",
        );
        assert_eq!(v.state, ClockState::Compliant);
        assert_eq!(v.next_boundary, None);
    }

    #[test]
    fn a_denied_exception_must_migrate_then_is_overdue() {
        let a = decided(
            request("2026-04-20"),
            CommitteeVerdict::Denied,
            "2026-06-10",
            None,
        );
        let v = run(
            &external(),
            ResourceLevel::Full,
            std::slice::from_ref(&a),
            &cloud("2026-03-01"),
            "2026-07-01",
        );
        assert_eq!(v.state, ClockState::ExceptionDenied);
        assert_eq!(v.next_deadline, Some(day("2027-03-01")));
        assert_eq!(v.next_boundary, Some(day("2027-03-02")));
        let v = run(
            &external(),
            ResourceLevel::Full,
            &[a],
            &cloud("2026-03-01"),
            "2027-03-02",
        );
        assert_eq!(v.state, ClockState::MigrationOverdue);
    }

    #[test]
    fn an_approval_that_expired_before_today() {
        let a = decided(
            request("2026-04-20"),
            CommitteeVerdict::Approved,
            "2026-05-10",
            Some("2026-10-31"),
        );
        let v = run(
            &external(),
            ResourceLevel::Full,
            &[a],
            &cloud("2026-03-01"),
            "2026-11-26",
        );
        assert_eq!(v.state, ClockState::ExceptionExpired);
        assert_eq!(
            v.reason,
            ClockReason::ApprovalExpired {
                approval: "appr".into(),
                valid_until: Some(day("2026-10-31"))
            }
        );
    }

    #[test]
    fn past_one_year_without_migrating_is_overdue() {
        // Art. 10: migrate within one year of establishment. The deadline day itself is inside.
        let v = run(
            &external(),
            ResourceLevel::Full,
            &[],
            &cloud("2026-03-01"),
            "2027-03-01",
        );
        assert_eq!(v.state, ClockState::ApplicationWindowMissed);
        let v = run(
            &external(),
            ResourceLevel::Full,
            &[],
            &cloud("2026-03-01"),
            "2027-03-02",
        );
        assert_eq!(v.state, ClockState::MigrationOverdue);
        assert_eq!(v.next_deadline, None);
        assert_eq!(v.next_boundary, None);
    }

    #[test]
    fn a_limited_ministry_on_its_own_private_cloud_is_outside() {
        // Art. 10 para. 4: ministries with limited resources shall use the government cloud.
        let t = tenancy(Placement::MinistryPrivate, Some("on-premises"));
        let v = run(
            &t,
            ResourceLevel::Limited,
            &[],
            &cloud("2026-03-01"),
            "2026-04-01",
        );
        assert_eq!(v.outside, Some(Outside::LimitedMinistryPrivateCloud));
        assert_eq!(v.state, ClockState::WithinApplicationWindow);
    }

    #[test]
    fn a_full_ministry_may_run_its_own_private_cloud() {
        // Art. 10 para. 3: ministries that have resources may establish a private cloud.
        let t = tenancy(Placement::MinistryPrivate, Some("on-premises"));
        let v = run(
            &t,
            ResourceLevel::Full,
            &[],
            &cloud("2026-03-01"),
            "2028-01-01",
        );
        assert_eq!(v.state, ClockState::Compliant);
        assert!(v.outside.is_none());
    }

    #[test]
    fn a_leased_provider_is_inside_only_when_approved_by_the_royal_government() {
        // Art. 10: government cloud infrastructure approved by the Royal Government.
        let approved = tenancy(Placement::GovernmentLeased, Some("camcloud"));
        let v = run(
            &approved,
            ResourceLevel::Limited,
            &[],
            &cloud("2026-03-01"),
            "2028-01-01",
        );
        assert_eq!(v.state, ClockState::Compliant);
        let unapproved = tenancy(Placement::GovernmentLeased, Some("cheapcloud"));
        let v = run(
            &unapproved,
            ResourceLevel::Limited,
            &[],
            &cloud("2026-03-01"),
            "2028-01-01",
        );
        assert_eq!(
            v.outside,
            Some(Outside::UnapprovedLeasedProvider("cheapcloud".into()))
        );
        assert_eq!(v.state, ClockState::MigrationOverdue);
    }

    #[test]
    fn established_on_29_february_counts_one_year_to_28_february() {
        // E = 2028-02-29. 90 days: 31 in March, 30 in April, 29 in May -> 2028-05-29. One year:
        // February 2029 has no 29th, so the month's last day, 2029-02-28.
        let c = cloud("2028-02-29");
        assert_eq!(deadlines(&c), (day("2028-05-29"), day("2029-02-28")));
        let v = run(&external(), ResourceLevel::Full, &[], &c, "2029-02-28");
        assert_eq!(v.state, ClockState::ApplicationWindowMissed);
        let v = run(&external(), ResourceLevel::Full, &[], &c, "2029-03-01");
        assert_eq!(v.state, ClockState::MigrationOverdue);
    }

    #[test]
    fn what_happens_after_today_does_not_count_yet() {
        // As of 2026-11-26, a decision dated 2026-12-10 has not been made: still pending, and
        // the state changes on the decision's day.
        let a = decided(
            request("2026-04-20"),
            CommitteeVerdict::Approved,
            "2026-12-10",
            None,
        );
        let v = run(
            &external(),
            ResourceLevel::Full,
            &[a],
            &cloud("2026-03-01"),
            "2026-11-26",
        );
        assert_eq!(v.state, ClockState::ExceptionPending);
        assert_eq!(v.next_boundary, Some(day("2026-12-10")));
        // A request dated after today has not been made either.
        let v = run(
            &external(),
            ResourceLevel::Full,
            &[request("2026-05-01")],
            &cloud("2026-03-01"),
            "2026-04-01",
        );
        assert_eq!(v.state, ClockState::WithinApplicationWindow);
        assert_eq!(v.next_boundary, Some(day("2026-05-01")));
    }

    #[test]
    fn a_new_approval_in_force_prevails_over_an_earlier_denial() {
        let denied = decided(
            request("2026-04-01"),
            CommitteeVerdict::Denied,
            "2026-04-15",
            None,
        );
        let approved = decided(
            request("2026-05-20"),
            CommitteeVerdict::Approved,
            "2026-06-01",
            None,
        );
        let v = run(
            &external(),
            ResourceLevel::Full,
            &[denied, approved],
            &cloud("2026-03-01"),
            "2026-07-01",
        );
        assert_eq!(v.state, ClockState::Compliant);
    }

    #[test]
    fn the_day_is_counted_in_phnom_penh() {
        use k8s_openapi::jiff::Timestamp;
        // 17:30 UTC on 30 May is 00:30 on 31 May in Phnom Penh: the window has closed.
        let ts: Timestamp = "2026-05-30T17:30:00Z".parse().unwrap();
        assert_eq!(Day::in_phnom_penh(ts), day("2026-05-31"));
        let ts: Timestamp = "2026-05-30T16:59:59Z".parse().unwrap();
        assert_eq!(Day::in_phnom_penh(ts), day("2026-05-30"));
        assert_eq!(
            day("2026-05-31").start().to_string(),
            "2026-05-30T17:00:00Z"
        );
    }

    #[test]
    fn approval_states_by_day() {
        let a = decided(
            request("2026-04-20"),
            CommitteeVerdict::Approved,
            "2026-05-10",
            Some("2026-12-31"),
        );
        assert_eq!(approval_state(&a, day("2026-04-19")), None);
        assert_eq!(
            approval_state(&a, day("2026-04-20")),
            Some(ApprovalState::Pending)
        );
        assert_eq!(
            approval_state(&a, day("2026-05-10")),
            Some(ApprovalState::InForce)
        );
        assert_eq!(
            approval_state(&a, day("2026-12-31")),
            Some(ApprovalState::InForce)
        );
        assert_eq!(
            approval_state(&a, day("2027-01-01")),
            Some(ApprovalState::Expired)
        );
        let d = decided(
            request("2026-04-20"),
            CommitteeVerdict::Denied,
            "2026-05-10",
            None,
        );
        assert_eq!(
            approval_state(&d, day("2026-05-10")),
            Some(ApprovalState::Denied)
        );
    }

    #[test]
    fn day_parsing_is_strict() {
        assert!("2026-02-30".parse::<Day>().is_err());
        assert!("2026-3-1".parse::<Day>().is_err());
        assert!("2026-03-01T00:00:00Z".parse::<Day>().is_err());
        assert_eq!(day("2026-03-01").to_string(), "2026-03-01");
    }
}
