//! English messages: the statutory clock's verdicts, reference findings and the reconcilers'
//! verdicts, rendered from the values that decided them.

use crate::{
    api::{
        ANNOTATION_ACCEPTED_GENERATION, AuthorizedBy, ClockState, Day, GOVERNMENT_CLOUD_NAME,
        SubjectKind,
    },
    fence::{ClaimRefusal, PathRefusal},
    law::clock::{ClockReason, ClockVerdict, DeadlineKind, Outside},
    law::references::MissingReference,
    law::verdict::Reason,
};

/// Why a tenancy is outside the government cloud, as a clause.
pub fn outside(why: &Outside) -> String {
    match why {
        Outside::External => "it runs on an external cloud".to_string(),
        Outside::UnapprovedLeasedProvider(p) => format!(
            "its leased provider `{p}` is not among the clouds approved by the Royal Government"
        ),
        Outside::LimitedMinistryPrivateCloud => {
            "the ministry has limited resources and must use the government cloud, not a private cloud"
                .to_string()
        }
    }
}

fn day(d: Option<Day>) -> String {
    d.map(|d| d.to_string()).unwrap_or_default()
}

/// The notice on a Ministry that a tenancy's statutory deadline is near (`days_left` days
/// away, 0: today is its last day) or that its approval ends.
pub fn deadline_notice(
    tenancy: &str,
    kind: DeadlineKind,
    approval: Option<&str>,
    deadline: Day,
    days_left: i64,
) -> String {
    let when = match days_left {
        0 => format!("today ({deadline}) is the last day"),
        1 => format!("1 day is left (until {deadline})"),
        n => format!("{n} days are left (until {deadline})"),
    };
    match kind {
        DeadlineKind::Application => format!(
            "CloudTenancy {tenancy} runs outside the government cloud: to stay outside, the ministry must apply in writing to the Digital Government Committee; {when} (Art. 10)"
        ),
        DeadlineKind::Migration => format!(
            "CloudTenancy {tenancy} runs outside the government cloud without an exception in force: it must have migrated to the government cloud; {when} (Art. 10)"
        ),
        DeadlineKind::ApprovalExpiry => format!(
            "the committee's approval {} of CloudTenancy {tenancy} ends: {when}; after it the tenancy is outside the government cloud without an exception — migrate or request a new approval (Art. 10)",
            approval.unwrap_or("-")
        ),
    }
}

/// The statutory clock's verdict on a tenancy: what the state means and what to do (Art. 10).
pub fn clock(v: &ClockVerdict) -> String {
    let Some(why) = v.outside.as_ref().map(outside) else {
        return "runs inside the government cloud (Art. 10)".to_string();
    };
    let application = day(v.application_deadline);
    let migration = day(v.migration_deadline);
    match (&v.reason, v.days_past_migration) {
        (ClockReason::Inside, _) => "runs inside the government cloud (Art. 10)".to_string(),
        (
            ClockReason::ApprovalInForce {
                approval,
                valid_until: Some(until),
            },
            _,
        ) => format!(
            "runs outside the government cloud ({why}) with the committee's approval `{approval}`, in force until {until} (Art. 10)"
        ),
        (
            ClockReason::ApprovalInForce {
                approval,
                valid_until: None,
            },
            _,
        ) => format!(
            "runs outside the government cloud ({why}) with the committee's approval `{approval}` (Art. 10)"
        ),
        (
            ClockReason::TimelyRequestPending {
                approval,
                requested_on,
            },
            None,
        ) => format!(
            "runs outside the government cloud ({why}); the written request of {requested_on} (`{approval}`) was made on time and awaits the committee's decision; without an approval it must migrate by {migration} (Art. 10)"
        ),
        (
            ClockReason::TimelyRequestPending {
                approval,
                requested_on,
            },
            Some(days),
        ) => format!(
            "runs outside the government cloud ({why}); the written request of {requested_on} (`{approval}`) was made on time but the committee has still not decided, {days} days after the migration deadline {migration} (Art. 10)"
        ),
        (
            ClockReason::ApprovalExpired {
                approval,
                valid_until,
            },
            _,
        ) => format!(
            "runs outside the government cloud ({why}); the committee's approval `{approval}` expired on {}: migrate into the government cloud or obtain a new approval (Art. 10)",
            day(*valid_until)
        ),
        (ClockReason::RequestDenied { approval }, None) => format!(
            "runs outside the government cloud ({why}); the committee denied the request `{approval}`: migrate into the government cloud by {migration} (Art. 10)"
        ),
        (ClockReason::RequestDenied { approval }, Some(days)) => format!(
            "runs outside the government cloud ({why}); the committee denied the request `{approval}` and the migration deadline {migration} has passed, {days} days ago (Art. 10)"
        ),
        (ClockReason::NoTimelyRequest { late_request }, days_past) => {
            let late = late_request
                .as_ref()
                .map(|r| {
                    format!(
                        "; the request `{}` of {} came after the application deadline",
                        r.approval, r.requested_on
                    )
                })
                .unwrap_or_default();
            match days_past {
                Some(days) => format!(
                    "runs outside the government cloud ({why}) {days} days after the migration deadline {migration}, with no exception in force{late} (Art. 10)"
                ),
                None if v.state == ClockState::WithinApplicationWindow => format!(
                    "runs outside the government cloud ({why}); apply in writing to the Digital Government Committee by {application} to continue outside, or migrate into the government cloud by {migration} (Art. 10)"
                ),
                None => format!(
                    "runs outside the government cloud ({why}); no written request was made by the application deadline {application}{late}: migrate into the government cloud by {migration} (Art. 10)"
                ),
            }
        }
    }
}

/// Objects in a namespace nothing ties to a ministry.
pub fn unknown_namespace(namespace: &str, objects: usize) -> String {
    format!(
        "namespace {namespace} ({objects} object(s)) belongs to no ministry known here: no CloudTenancy provisions it and no Namespace labels it, so the ministry policies (official domain, placement, reproduction, dissemination, personal data, unclassified data) were not applied; give the context with --inventory DIR (the national manifests) or --cluster"
    )
}

/// How to remedy a domain held by two ministries.
pub const DOMAIN_CLASH_FIX: &str =
    "correct spec.domain: each ministry holds its own .gov.kh domain, none inside another's";

/// How to remedy a reference to an object that does not exist.
pub const MISSING_REFERENCE_FIX: &str =
    "create the object it names, or correct the name (names are case-sensitive)";

/// How to remedy a tenancy in `state`, in one line.
pub fn clock_fix(state: ClockState) -> &'static str {
    match state {
        ClockState::Compliant => "nothing to do",
        ClockState::WithinApplicationWindow => {
            "file a written request to the committee (an Approval citing this tenancy) before the application deadline, or move into the government cloud"
        }
        ClockState::ExceptionPending => {
            "await the committee's decision; prepare to move into the government cloud if it refuses"
        }
        ClockState::ApplicationWindowMissed | ClockState::ExceptionDenied => {
            "move the tenancy into the government cloud (spec.placement: government-private) by the migration deadline"
        }
        ClockState::ExceptionExpired => {
            "move into the government cloud (spec.placement: government-private), or obtain a new approval from the committee"
        }
        ClockState::MigrationOverdue => {
            "move into the government cloud (spec.placement: government-private) now: the migration deadline has passed"
        }
    }
}

/// A ministry's domain that another ministry holds.
pub fn domain_clash(c: &crate::law::references::DomainClash) -> String {
    if c.domain == c.holder_domain {
        format!(
            "spec.domain {} is also Ministry `{}`'s domain: two ministries cannot share one official domain (Art. 20, 21)",
            c.domain, c.holder
        )
    } else {
        format!(
            "spec.domain {} is inside Ministry `{}`'s domain {}: a ministry's official domain is its own, not another's (Art. 20, 21)",
            c.domain, c.holder, c.holder_domain
        )
    }
}

/// A reference to an object that does not exist.
pub fn missing_reference(r: &MissingReference) -> String {
    format!(
        "{} names {} `{}`, which does not exist",
        r.field, r.target_kind, r.target
    )
}

/// A reconciler's verdict: what the state means for the ministry, from its reason.
pub fn reason(r: &Reason) -> String {
    match r {
        Reason::GrantMinistryNotFound => {
            "the owner or grantee Ministry of this grant does not exist: no access is opened".into()
        }
        Reason::LinkMinistryNotFound => "a ministry of this link does not exist".into(),
        Reason::TenancyMinistryNotFound { ministry } => {
            format!("Ministry {ministry} does not exist: create it, or correct spec.ministry")
        }
        Reason::GovernmentCloudNotFound => "there is no GovernmentCloud named national: the statutory clock (Art. 10) counts from its establishment".into(),
        Reason::GrantNotYetValid { valid_from } => format!("the grant is valid from {valid_from}"),
        Reason::GrantActive {
            authorized_by,
            document,
            valid_until,
        } => format!(
            "access granted by {} ({document}) until {valid_until} (Art. 29)",
            match authorized_by {
                AuthorizedBy::OwnerMinistry => "the owning ministry",
                AuthorizedBy::Committee => "the committee",
            }
        ),
        Reason::GrantExpired { valid_until } => {
            format!("the grant ended on {valid_until}: access revoked (Art. 29)")
        }
        Reason::GovernmentPrivateNetwork => {
            "carried by the government private network (Art. 9)".into()
        }
        Reason::ApprovalNotFound { approval } => format!(
            "an alternative network needs the committee's approval; Approval {approval} does not exist (Art. 9)"
        ),
        Reason::ApprovalForAnotherSubject { approval } => {
            format!("Approval {approval} is not about this link (Art. 9)")
        }
        Reason::LinkApproved { approval } => {
            format!("alternative network approved by the committee ({approval})")
        }
        Reason::LinkRequestDatedLater => "the request is dated in the future".into(),
        Reason::LinkAwaitingDecision => "the committee has not decided yet (Art. 9)".into(),
        Reason::LinkApprovalDenied => {
            "the committee refused the alternative network (Art. 9)".into()
        }
        Reason::LinkApprovalExpired { valid_until } => {
            format!("the approval ended on {} (Art. 9)", day(*valid_until))
        }
        Reason::RequestDatedInFuture { requested_on } => {
            format!("the request is dated {requested_on}, after today")
        }
        Reason::AwaitingDecision {
            requested_on,
            document,
        } => format!(
            "requested on {requested_on} ({document}); the committee has not decided yet"
        ),
        Reason::Approved {
            valid_until: Some(until),
        } => format!("approved, in force until {until}"),
        Reason::Approved { valid_until: None } => "approved, with no end date".into(),
        Reason::Denied => "the committee refused the request".into(),
        Reason::Expired { valid_until } => {
            format!("the approval ended on {}", day(*valid_until))
        }
        Reason::SubjectNotFound { kind, name } => format!(
            "{} {name} does not exist; the approval applies to nothing until it does",
            match kind {
                SubjectKind::CloudTenancy => "CloudTenancy",
                SubjectKind::PrivateNetworkLink => "PrivateNetworkLink",
            }
        ),
        Reason::NotTheSingleton => format!(
            "there is one government cloud, named '{GOVERNMENT_CLOUD_NAME}'; this object is ignored (Art. 10)"
        ),
        Reason::OperatorNotFound { operator } => format!(
            "the operating Ministry {operator} does not exist (Art. 10: MPTC operates the government cloud)"
        ),
        Reason::PathRefused(r) => path_refusal(r),
        Reason::AwaitingAcceptance {
            ministry,
            generation,
        } => format!(
            "waiting for Ministry {ministry} to agree: its DTU annotates this link {ANNOTATION_ACCEPTED_GENERATION}={generation} (nothing is opened until then)"
        ),
        Reason::AwaitingGrant {
            namespace,
            owner,
            personal_data,
        } => format!(
            "waiting for an active DataAccessGrant from Ministry {owner} covering namespace {namespace}{} (Art. 26, 28{}): nothing is opened until then",
            if *personal_data {
                ", for personal data with the data subjects' consent"
            } else {
                ""
            },
            if *personal_data { ", 29" } else { "" }
        ),
    }
}

/// Why a tenancy may not take namespace `ns`, as a sentence.
pub fn claim_refusal(ns: &str, r: &ClaimRefusal) -> String {
    match r {
        ClaimRefusal::Reserved => format!(
            "namespace {ns} is reserved (the system's, default, govkh's own or exempt) and never a ministry's: it is left untouched"
        ),
        ClaimRefusal::Contested { others } => format!(
            "namespace {ns} is declared by CloudTenancy {} too: a namespace belongs to one tenancy, and none is given it while more than one claims it",
            others.join(", ")
        ),
        ClaimRefusal::HeldBy { tenancy } => {
            format!("namespace {ns} is held by CloudTenancy {tenancy}: it is left untouched")
        }
        ClaimRefusal::NotHandedOver => format!(
            "namespace {ns} exists and govkh did not make it for this tenancy: only the platform can hand it over (adopt); it is left untouched"
        ),
    }
}

/// Why the fence refuses a link's or grant's path, as a sentence.
pub fn path_refusal(r: &PathRefusal) -> String {
    match r {
        PathRefusal::NotOwned {
            namespace,
            ministry,
            owner: Some(owner),
        } => format!(
            "namespace {namespace} belongs to Ministry {owner}, not {ministry}: a path opens only into the named ministry's own namespaces; nothing is opened"
        ),
        PathRefusal::NotOwned {
            namespace,
            ministry,
            owner: None,
        } => format!(
            "namespace {namespace} exists but is no ministry's (no tenancy of {ministry} holds it): a path opens only into the named ministry's own namespaces; nothing is opened"
        ),
        PathRefusal::TopSecret { what } => format!(
            "{what} holds top-secret data, which is never disseminated or shared (Art. 26): nothing is opened"
        ),
        PathRefusal::OutsidePrivateNetwork { cidr } => format!(
            "{cidr} lies outside the government private network's CIDRs (Art. 9): nothing is opened"
        ),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::{api::ApprovalState, law::clock::LateRequest};

    fn day(s: &str) -> Day {
        s.parse().unwrap()
    }

    /// An external tenancy's verdict with E = 2026-03-01 (deadlines 2026-05-30, 2027-03-01).
    fn outside_verdict(state: ClockState, reason: ClockReason, past: Option<i64>) -> ClockVerdict {
        ClockVerdict {
            state,
            outside: Some(Outside::External),
            application_deadline: Some(day("2026-05-30")),
            migration_deadline: Some(day("2027-03-01")),
            next_deadline: None,
            next_boundary: None,
            approval_in_force: None,
            decisive_approval: None,
            reason,
            days_past_migration: past,
        }
    }

    #[test]
    fn why_a_tenancy_is_outside() {
        assert_eq!(outside(&Outside::External), "it runs on an external cloud");
        assert_eq!(
            outside(&Outside::UnapprovedLeasedProvider("nimbus".into())),
            "its leased provider `nimbus` is not among the clouds approved by the Royal Government"
        );
        assert!(outside(&Outside::LimitedMinistryPrivateCloud).contains("limited resources"));
    }

    #[test]
    fn every_clock_reason_has_its_sentence() {
        let inside = ClockVerdict {
            outside: None,
            application_deadline: None,
            migration_deadline: None,
            ..outside_verdict(ClockState::Compliant, ClockReason::Inside, None)
        };
        assert_eq!(clock(&inside), "runs inside the government cloud (Art. 10)");
        let cases = [
            (
                outside_verdict(
                    ClockState::Compliant,
                    ClockReason::ApprovalInForce {
                        approval: "a1".into(),
                        valid_until: Some(day("2027-05-10")),
                    },
                    None,
                ),
                "runs outside the government cloud (it runs on an external cloud) with the committee's approval `a1`, in force until 2027-05-10 (Art. 10)",
            ),
            (
                outside_verdict(
                    ClockState::Compliant,
                    ClockReason::ApprovalInForce {
                        approval: "a1".into(),
                        valid_until: None,
                    },
                    None,
                ),
                "runs outside the government cloud (it runs on an external cloud) with the committee's approval `a1` (Art. 10)",
            ),
            (
                outside_verdict(
                    ClockState::ExceptionPending,
                    ClockReason::TimelyRequestPending {
                        approval: "a1".into(),
                        requested_on: day("2026-04-20"),
                    },
                    None,
                ),
                "runs outside the government cloud (it runs on an external cloud); the written request of 2026-04-20 (`a1`) was made on time and awaits the committee's decision; without an approval it must migrate by 2027-03-01 (Art. 10)",
            ),
            (
                outside_verdict(
                    ClockState::ExceptionPending,
                    ClockReason::TimelyRequestPending {
                        approval: "a1".into(),
                        requested_on: day("2026-04-20"),
                    },
                    Some(31),
                ),
                "runs outside the government cloud (it runs on an external cloud); the written request of 2026-04-20 (`a1`) was made on time but the committee has still not decided, 31 days after the migration deadline 2027-03-01 (Art. 10)",
            ),
            (
                outside_verdict(
                    ClockState::ExceptionExpired,
                    ClockReason::ApprovalExpired {
                        approval: "a1".into(),
                        valid_until: Some(day("2026-10-31")),
                    },
                    None,
                ),
                "runs outside the government cloud (it runs on an external cloud); the committee's approval `a1` expired on 2026-10-31: migrate into the government cloud or obtain a new approval (Art. 10)",
            ),
            (
                outside_verdict(
                    ClockState::ExceptionDenied,
                    ClockReason::RequestDenied {
                        approval: "a1".into(),
                    },
                    None,
                ),
                "runs outside the government cloud (it runs on an external cloud); the committee denied the request `a1`: migrate into the government cloud by 2027-03-01 (Art. 10)",
            ),
            (
                outside_verdict(
                    ClockState::MigrationOverdue,
                    ClockReason::RequestDenied {
                        approval: "a1".into(),
                    },
                    Some(5),
                ),
                "runs outside the government cloud (it runs on an external cloud); the committee denied the request `a1` and the migration deadline 2027-03-01 has passed, 5 days ago (Art. 10)",
            ),
            (
                outside_verdict(
                    ClockState::WithinApplicationWindow,
                    ClockReason::NoTimelyRequest { late_request: None },
                    None,
                ),
                "runs outside the government cloud (it runs on an external cloud); apply in writing to the Digital Government Committee by 2026-05-30 to continue outside, or migrate into the government cloud by 2027-03-01 (Art. 10)",
            ),
            (
                outside_verdict(
                    ClockState::ApplicationWindowMissed,
                    ClockReason::NoTimelyRequest {
                        late_request: Some(LateRequest {
                            approval: "a1".into(),
                            requested_on: day("2026-05-31"),
                        }),
                    },
                    None,
                ),
                "runs outside the government cloud (it runs on an external cloud); no written request was made by the application deadline 2026-05-30; the request `a1` of 2026-05-31 came after the application deadline: migrate into the government cloud by 2027-03-01 (Art. 10)",
            ),
            (
                outside_verdict(
                    ClockState::MigrationOverdue,
                    ClockReason::NoTimelyRequest { late_request: None },
                    Some(2),
                ),
                "runs outside the government cloud (it runs on an external cloud) 2 days after the migration deadline 2027-03-01, with no exception in force (Art. 10)",
            ),
        ];
        for (verdict, expected) in cases {
            assert_eq!(clock(&verdict), expected, "{verdict:?}");
        }
    }

    #[test]
    fn rendering_reads_the_facts_not_the_decisive_approval() {
        // The sentence comes from `reason`; the other fields are for status and reports.
        let mut v = outside_verdict(
            ClockState::ExceptionDenied,
            ClockReason::RequestDenied {
                approval: "a1".into(),
            },
            None,
        );
        v.decisive_approval = Some(("other".into(), ApprovalState::Denied));
        assert!(clock(&v).contains("`a1`"), "{}", clock(&v));
    }

    #[test]
    fn a_missing_reference_names_field_kind_and_name() {
        let r = MissingReference {
            field: "spec.owner",
            target_kind: crate::api::Kind::Ministry,
            target: "mfa".into(),
        };
        assert_eq!(
            missing_reference(&r),
            "spec.owner names Ministry `mfa`, which does not exist"
        );
    }

    #[test]
    fn every_verdict_reason_has_its_sentence() {
        let d = day("2026-12-31");
        let cases: Vec<(Reason, &str)> = vec![
            (
                Reason::GrantMinistryNotFound,
                "the owner or grantee Ministry of this grant does not exist: no access is opened",
            ),
            (
                Reason::LinkMinistryNotFound,
                "a ministry of this link does not exist",
            ),
            (
                Reason::GrantNotYetValid { valid_from: d },
                "the grant is valid from 2026-12-31",
            ),
            (
                Reason::GrantActive {
                    authorized_by: AuthorizedBy::Committee,
                    document: "DGC/1".into(),
                    valid_until: d,
                },
                "access granted by the committee (DGC/1) until 2026-12-31 (Art. 29)",
            ),
            (
                Reason::GrantExpired { valid_until: d },
                "the grant ended on 2026-12-31: access revoked (Art. 29)",
            ),
            (
                Reason::ApprovalNotFound {
                    approval: "x".into(),
                },
                "an alternative network needs the committee's approval; Approval x does not exist (Art. 9)",
            ),
            (
                Reason::LinkApprovalExpired {
                    valid_until: Some(d),
                },
                "the approval ended on 2026-12-31 (Art. 9)",
            ),
            (
                Reason::Approved { valid_until: None },
                "approved, with no end date",
            ),
            (
                Reason::SubjectNotFound {
                    kind: SubjectKind::PrivateNetworkLink,
                    name: "l".into(),
                },
                "PrivateNetworkLink l does not exist; the approval applies to nothing until it does",
            ),
            (
                Reason::OperatorNotFound {
                    operator: "mptc".into(),
                },
                "the operating Ministry mptc does not exist (Art. 10: MPTC operates the government cloud)",
            ),
        ];
        for (r, expected) in cases {
            assert_eq!(reason(&r), expected, "{r:?}");
        }
    }
}
