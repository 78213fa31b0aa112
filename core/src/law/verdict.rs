//! The reconcilers' decisions, as values: what a DataAccessGrant, a PrivateNetworkLink, an
//! Approval or the GovernmentCloud amounts to on a given day, with the typed reason that
//! decided it and the next day on which time alone changes the answer. Pure: the controllers
//! read the objects, call these, and turn the verdict into conditions, status, an Event and a
//! requeue in one place (`govkh::controller::conclude`). Messages are rendered from the
//! reason by `message` and never steer control flow.

use crate::{
    api::{
        Approval, ApprovalSpec, ApprovalState, AuthorizedBy, ClockState, DataAccessGrant,
        DataAccessGrantSpec, Day, GOVERNMENT_CLOUD_NAME, GovernmentCloud, GrantState, LinkNetwork,
        LinkState, PrivateNetworkLink, Sharing, SubjectKind,
    },
    fence::{self, PathRefusal},
    inventory::Inventory,
    law::clock,
};

/// What one object amounts to on one day.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Verdict<State> {
    /// The state to report in `status.state`.
    pub state: State,
    /// Why, with the facts a message is rendered from.
    pub reason: Reason,
    /// The first day after today on which the verdict changes by time alone.
    pub next_boundary: Option<Day>,
}

impl<State> Verdict<State> {
    /// Whether the object cannot be acted on as it is (something it names is missing): it waits
    /// for a change instead of being retried.
    pub fn is_invalid(&self) -> bool {
        self.reason.is_invalid()
    }
}

impl Verdict<GrantState> {
    /// Whether the grant opens its network path today.
    pub fn opens_access(&self) -> bool {
        self.state == GrantState::Active && !self.is_invalid()
    }
}

/// Why a verdict is what it is. Each variant is one condition reason (`as_str`), and carries
/// the facts its message needs.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Reason {
    /// The owner or grantee Ministry of a grant does not exist.
    GrantMinistryNotFound,
    /// A Ministry of a link does not exist.
    LinkMinistryNotFound,
    /// A grant before its first day.
    GrantNotYetValid {
        /// Its first day.
        valid_from: Day,
    },
    /// A grant between its first and last day.
    GrantActive {
        /// Who authorised it.
        authorized_by: AuthorizedBy,
        /// The written authorisation.
        document: String,
        /// Its last day.
        valid_until: Day,
    },
    /// A grant after its last day.
    GrantExpired {
        /// Its last day.
        valid_until: Day,
    },
    /// A tenancy's Ministry does not exist.
    TenancyMinistryNotFound {
        /// The Ministry named by `spec.ministry`.
        ministry: String,
    },
    /// There is no GovernmentCloud `national` to count the statutory clock from.
    GovernmentCloudNotFound,
    /// A link over the government private network.
    GovernmentPrivateNetwork,
    /// A link over an alternative network whose Approval does not exist.
    ApprovalNotFound {
        /// The Approval named by the link.
        approval: String,
    },
    /// A link citing an Approval about something else.
    ApprovalForAnotherSubject {
        /// The Approval.
        approval: String,
    },
    /// A link over an alternative network with the committee's approval in force.
    LinkApproved {
        /// The Approval.
        approval: String,
    },
    /// A link whose approval request is dated after today.
    LinkRequestDatedLater,
    /// A link whose approval the committee has not decided.
    LinkAwaitingDecision,
    /// A link whose approval the committee refused.
    LinkApprovalDenied,
    /// A link whose approval has ended.
    LinkApprovalExpired {
        /// The approval's last day.
        valid_until: Option<Day>,
    },
    /// An Approval whose request is dated after today.
    RequestDatedInFuture {
        /// The request's date.
        requested_on: Day,
    },
    /// An Approval the committee has not decided.
    AwaitingDecision {
        /// The request's date.
        requested_on: Day,
        /// The written request.
        document: String,
    },
    /// An Approval in force.
    Approved {
        /// Its last day, if it has one.
        valid_until: Option<Day>,
    },
    /// An Approval refused.
    Denied,
    /// An Approval that has ended.
    Expired {
        /// Its last day.
        valid_until: Option<Day>,
    },
    /// An Approval whose subject does not exist (its Ready condition; the state stands).
    SubjectNotFound {
        /// The subject's kind.
        kind: SubjectKind,
        /// The subject's name.
        name: String,
    },
    /// A GovernmentCloud not named `national`.
    NotTheSingleton,
    /// The GovernmentCloud's operating Ministry does not exist.
    OperatorNotFound {
        /// The Ministry named as operator.
        operator: String,
    },
    /// A link's or grant's path goes where the fence does not let it: into a namespace that is
    /// not the named ministry's, into top-secret data, outside the private network.
    PathRefused(PathRefusal),
    /// A link the receiving ministry has not agreed to (as it stands now).
    AwaitingAcceptance {
        /// The receiving ministry.
        ministry: String,
        /// The link's generation, which its DTU agrees to.
        generation: i64,
    },
    /// A link into another ministry's data that no active grant of that ministry covers.
    AwaitingGrant {
        /// The namespace whose data needs the grant.
        namespace: String,
        /// The ministry that owns it, and must grant.
        owner: String,
        /// Whether it holds personal data (the grant must be for personal data, with consent).
        personal_data: bool,
    },
}

impl Reason {
    /// The condition reason (CamelCase, as Kubernetes conditions want it).
    pub fn as_str(&self) -> &'static str {
        match self {
            Reason::GrantMinistryNotFound
            | Reason::LinkMinistryNotFound
            | Reason::TenancyMinistryNotFound { .. } => "MinistryNotFound",
            Reason::GovernmentCloudNotFound => "GovernmentCloudNotFound",
            Reason::GrantNotYetValid { .. } => "NotYetValid",
            Reason::GrantActive { .. } => "Active",
            Reason::GrantExpired { .. } => "Expired",
            Reason::GovernmentPrivateNetwork => "GovernmentPrivateNetwork",
            Reason::ApprovalNotFound { .. } => "ApprovalNotFound",
            Reason::ApprovalForAnotherSubject { .. } => "ApprovalForAnotherSubject",
            Reason::LinkApproved { .. } => "ApprovalInForce",
            Reason::LinkRequestDatedLater | Reason::LinkAwaitingDecision => "ApprovalPending",
            Reason::LinkApprovalDenied => "ApprovalDenied",
            Reason::LinkApprovalExpired { .. } => "ApprovalExpired",
            Reason::RequestDatedInFuture { .. } => "RequestDatedInFuture",
            Reason::AwaitingDecision { .. } => "AwaitingDecision",
            Reason::Approved { .. } => "Approved",
            Reason::Denied => "Denied",
            Reason::Expired { .. } => "Expired",
            Reason::SubjectNotFound { .. } => "SubjectNotFound",
            Reason::NotTheSingleton => "NotTheSingleton",
            Reason::OperatorNotFound { .. } => "OperatorNotFound",
            Reason::PathRefused(r) => r.as_str(),
            Reason::AwaitingAcceptance { .. } => "AwaitingAcceptance",
            Reason::AwaitingGrant { .. } => "AwaitingGrant",
        }
    }

    /// Whether the object cannot be acted on until it, or what it names, changes. A link whose
    /// ministry is missing is not: it is judged `Refused`, and its policies are removed.
    pub fn is_invalid(&self) -> bool {
        matches!(
            self,
            Reason::GrantMinistryNotFound
                | Reason::TenancyMinistryNotFound { .. }
                | Reason::GovernmentCloudNotFound
                | Reason::NotTheSingleton
                | Reason::OperatorNotFound { .. }
        )
    }
}

/// The Event a state change publishes: (warning?, reason).
pub trait StateEvent: Copy + PartialEq {
    /// The Event for entering this state.
    fn event(self) -> (bool, &'static str);
}

impl StateEvent for GrantState {
    fn event(self) -> (bool, &'static str) {
        match self {
            GrantState::Pending => (false, "GrantPending"),
            GrantState::Active => (false, "GrantActive"),
            GrantState::Expired => (false, "GrantExpired"),
        }
    }
}

impl StateEvent for LinkState {
    fn event(self) -> (bool, &'static str) {
        match self {
            LinkState::Established => (false, "LinkEstablished"),
            LinkState::AwaitingApproval => (true, "LinkAwaitingApproval"),
            LinkState::AwaitingAcceptance => (false, "LinkAwaitingAcceptance"),
            LinkState::AwaitingGrant => (true, "LinkAwaitingGrant"),
            LinkState::Refused => (true, "LinkRefused"),
        }
    }
}

impl StateEvent for ApprovalState {
    fn event(self) -> (bool, &'static str) {
        match self {
            ApprovalState::Pending => (false, "ApprovalPending"),
            ApprovalState::InForce => (false, "ApprovalInForce"),
            ApprovalState::Denied => (true, "ApprovalDenied"),
            ApprovalState::Expired => (true, "ApprovalExpired"),
        }
    }
}

impl StateEvent for ClockState {
    /// The reason is the state itself (`MigrationOverdue`, `ExceptionExpired`, ...); a warning
    /// unless the tenancy complies or its application window is still open.
    fn event(self) -> (bool, &'static str) {
        (
            self != ClockState::Compliant && self != ClockState::WithinApplicationWindow,
            self.as_str(),
        )
    }
}

/// What a grant amounts to on `today`. `ministries_exist`: the owner and, if the grantee is a
/// ministry, the grantee exist; without them nothing is opened, whatever the dates say.
pub fn grant(
    spec: &DataAccessGrantSpec,
    ministries_exist: bool,
    today: Day,
) -> Verdict<GrantState> {
    let state = clock::grant_state(spec, today);
    let (reason, next_boundary) = match state {
        GrantState::Pending => (
            Reason::GrantNotYetValid {
                valid_from: spec.valid_from,
            },
            Some(spec.valid_from),
        ),
        GrantState::Active => (
            Reason::GrantActive {
                authorized_by: spec.authorized_by,
                document: spec.document.clone(),
                valid_until: spec.valid_until,
            },
            Some(spec.valid_until.next()),
        ),
        GrantState::Expired => (
            Reason::GrantExpired {
                valid_until: spec.valid_until,
            },
            None,
        ),
    };
    Verdict {
        state,
        reason: if ministries_exist {
            reason
        } else {
            Reason::GrantMinistryNotFound
        },
        next_boundary,
    }
}

/// What a link or grant opens today: its verdict and the namespaces of each side.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Plan<State> {
    /// The verdict.
    pub verdict: Verdict<State>,
    /// The namespaces the path leaves from (a link's source, a grant's grantee), those that do
    /// not exist yet included.
    pub from: Vec<String>,
    /// The namespaces the path enters (empty for a link to CIDRs), those that do not exist yet
    /// included.
    pub to: Vec<String>,
    /// Those of them that do not exist yet: their part of the path waits.
    pub missing: Vec<String>,
}

impl<State> Plan<State> {
    /// The path between the two sides: every namespace of each that may carry it, those that
    /// do not exist yet named in `missing` (their part waits for them).
    fn open(verdict: Verdict<State>, from: fence::Side, to: fence::Side) -> Self {
        let mut missing = from.missing.clone();
        missing.extend(to.missing.iter().cloned());
        let both = |s: fence::Side| {
            let mut all = s.open;
            all.extend(s.missing);
            all.sort();
            all
        };
        Plan {
            verdict,
            from: both(from),
            to: both(to),
            missing,
        }
    }

    fn closed(verdict: Verdict<State>) -> Self {
        Plan {
            verdict,
            from: Vec::new(),
            to: Vec::new(),
            missing: Vec::new(),
        }
    }
}

/// What `link` opens on `today`, judged against the inventory: the verdict of `link` (the
/// network and its approval), then the fence — its namespaces must be its ministries', its
/// CIDRs inside the government private network, no path into another ministry's top-secret
/// data — and the receiving ministry's agreement. Only an `Established` link opens anything.
pub fn link_plan(inv: &Inventory, link: &PrivateNetworkLink, today: Day) -> Plan<LinkState> {
    let spec = &link.spec;
    let exist = inv.ministries_exist(&spec.from.ministry, spec.to.ministry.as_deref());
    let approval = match &spec.approval {
        Some(a) if spec.network == LinkNetwork::Alternative => {
            inv.approvals.get(a).map(|e| &e.object)
        }
        _ => None,
    };
    let v = self::link(link, exist, approval, today);
    if v.state != LinkState::Established {
        return Plan::closed(v);
    }
    let (from, to) = match fence::link_sides(inv, link) {
        Ok(sides) => sides,
        Err(refusal) => {
            return Plan::closed(Verdict {
                state: LinkState::Refused,
                reason: Reason::PathRefused(refusal),
                next_boundary: None,
            });
        }
    };
    // Into another ministry's data that is shared only with a grant: each namespace reached
    // needs an active grant from its ministry to the source's (for personal data, one with the
    // subjects' consent) — read as the `no-dissemination` and `personal-data-consent` policies
    // read it (Art. 26, 28, 29). The link is re-judged the day such a grant ends or begins.
    // Those not made yet too: their tenancy says what they will hold.
    let reached: Vec<String> = to.open.iter().chain(&to.missing).cloned().collect();
    let (waiting, boundary) = grants_for(inv, link, &reached, today);
    let next_boundary = match (v.next_boundary, boundary) {
        (Some(a), Some(b)) => Some(a.min(b)),
        (a, b) => a.or(b),
    };
    let v = Verdict { next_boundary, ..v };
    if let Some(reason) = waiting {
        return Plan::closed(Verdict {
            state: LinkState::AwaitingGrant,
            reason,
            next_boundary,
        });
    }
    if !fence::accepted(link) {
        return Plan::closed(Verdict {
            state: LinkState::AwaitingAcceptance,
            reason: Reason::AwaitingAcceptance {
                ministry: spec.to.ministry.clone().unwrap_or_default(),
                generation: link.metadata.generation.unwrap_or(1),
            },
            next_boundary: v.next_boundary,
        });
    }
    Plan::open(v, from, to)
}

/// Whether `link` into the namespaces `reached` waits for a grant (the first namespace that
/// lacks one, as a reason), and the next day a grant between its two ministries that covers
/// one of them begins or ends (when the answer may change by time alone).
fn grants_for(
    inv: &Inventory,
    link: &PrivateNetworkLink,
    reached: &[String],
    today: Day,
) -> (Option<Reason>, Option<Day>) {
    let (from, Some(owner)) = (&link.spec.from.ministry, link.spec.to.ministry.as_deref()) else {
        return (None, None);
    };
    if owner == from {
        return (None, None);
    }
    let between: Vec<&DataAccessGrantSpec> = inv
        .grants
        .values()
        .map(|e| &e.object.spec)
        .filter(|g| g.owner == owner && g.grantee.ministry.as_deref() == Some(from.as_str()))
        .collect();
    let mut waiting = None;
    let mut boundary: Option<Day> = None;
    for ns in reached {
        let Some(info) = inv.namespaces.get(ns) else {
            continue;
        };
        let shared_with_grant = info.data_class.as_deref().is_some_and(|c| {
            inv.data_classes
                .get(c)
                .is_some_and(|e| e.object.spec.sharing == Sharing::WithGrant)
        });
        if !shared_with_grant && !info.personal_data {
            continue;
        }
        let covering: Vec<&&DataAccessGrantSpec> = between
            .iter()
            .filter(|g| g.namespaces.iter().any(|n| n == ns))
            .collect();
        for g in &covering {
            if let Some(b) = grant(g, true, today).next_boundary {
                boundary = Some(boundary.map_or(b, |d| d.min(b)));
            }
        }
        let active = |g: &&&DataAccessGrantSpec| {
            clock::grant_state(g, today) == GrantState::Active
                && (!info.personal_data || g.consented_personal_data())
        };
        if waiting.is_none() && !covering.iter().any(active) {
            waiting = Some(Reason::AwaitingGrant {
                namespace: ns.clone(),
                owner: owner.to_string(),
                personal_data: info.personal_data,
            });
        }
    }
    (waiting, boundary)
}

/// What `grant` opens on `today`: its verdict (dates, ministries), then the fence — the owner's
/// namespaces must be the owner's, and no top-secret data is ever granted (Art. 26). Only an
/// active grant to a ministry opens its path.
pub fn grant_plan(inv: &Inventory, grant: &DataAccessGrant, today: Day) -> Plan<GrantState> {
    let spec = &grant.spec;
    let exist = inv.ministries_exist(&spec.owner, spec.grantee.ministry.as_deref());
    let v = self::grant(spec, exist, today);
    if v.is_invalid() {
        return Plan::closed(v);
    }
    let refused = match fence::grant_sides(inv, grant) {
        Err(refusal) => refusal,
        Ok(_) if !v.opens_access() => return Plan::closed(v),
        Ok((grantee, owner)) => return Plan::open(v, grantee, owner),
    };
    Plan::closed(Verdict {
        state: v.state,
        reason: Reason::PathRefused(refused),
        next_boundary: v.next_boundary,
    })
}

/// Whether `link` may carry traffic on `today`: over the government private network always;
/// over an alternative network only with the committee's Approval for it in force (Art. 9).
/// `approval` is the Approval the link names, if it exists.
pub fn link(
    link: &PrivateNetworkLink,
    ministries_exist: bool,
    approval: Option<&Approval>,
    today: Day,
) -> Verdict<LinkState> {
    let v = |state, reason, next_boundary| Verdict {
        state,
        reason,
        next_boundary,
    };
    if !ministries_exist {
        return v(LinkState::Refused, Reason::LinkMinistryNotFound, None);
    }
    if link.spec.network == LinkNetwork::GovernmentPrivate {
        return v(
            LinkState::Established,
            Reason::GovernmentPrivateNetwork,
            None,
        );
    }
    let Some(a) = approval else {
        return v(
            LinkState::AwaitingApproval,
            Reason::ApprovalNotFound {
                approval: link.spec.approval.clone().unwrap_or_default(),
            },
            None,
        );
    };
    let approval_name = a.metadata.name.clone().unwrap_or_default();
    let link_name = link.metadata.name.as_deref().unwrap_or_default();
    if a.spec.subject.kind != SubjectKind::PrivateNetworkLink || a.spec.subject.name != link_name {
        return v(
            LinkState::AwaitingApproval,
            Reason::ApprovalForAnotherSubject {
                approval: approval_name,
            },
            None,
        );
    }
    match clock::approval_state(&a.spec, today) {
        Some(ApprovalState::InForce) => v(
            LinkState::Established,
            Reason::LinkApproved {
                approval: approval_name,
            },
            a.spec.valid_until.map(Day::next),
        ),
        None => v(
            LinkState::AwaitingApproval,
            Reason::LinkRequestDatedLater,
            Some(a.spec.request.requested_on),
        ),
        Some(ApprovalState::Pending) => v(
            LinkState::AwaitingApproval,
            Reason::LinkAwaitingDecision,
            a.spec
                .decision
                .as_ref()
                .map(|d| d.decided_on)
                .filter(|d| *d > today),
        ),
        Some(ApprovalState::Denied) => v(LinkState::Refused, Reason::LinkApprovalDenied, None),
        Some(ApprovalState::Expired) => v(
            LinkState::Refused,
            Reason::LinkApprovalExpired {
                valid_until: a.spec.valid_until,
            },
            None,
        ),
    }
}

/// Where an Approval stands on `today`.
pub fn approval(spec: &ApprovalSpec, today: Day) -> Verdict<ApprovalState> {
    let decided_later = spec
        .decision
        .as_ref()
        .map(|d| d.decided_on)
        .filter(|d| *d > today);
    let (state, reason, next_boundary) = match clock::approval_state(spec, today) {
        None => (
            ApprovalState::Pending,
            Reason::RequestDatedInFuture {
                requested_on: spec.request.requested_on,
            },
            Some(spec.request.requested_on),
        ),
        Some(ApprovalState::Pending) => (
            ApprovalState::Pending,
            Reason::AwaitingDecision {
                requested_on: spec.request.requested_on,
                document: spec.request.document.clone(),
            },
            decided_later,
        ),
        Some(ApprovalState::InForce) => (
            ApprovalState::InForce,
            Reason::Approved {
                valid_until: spec.valid_until,
            },
            spec.valid_until.map(Day::next),
        ),
        Some(ApprovalState::Denied) => (ApprovalState::Denied, Reason::Denied, None),
        Some(ApprovalState::Expired) => (
            ApprovalState::Expired,
            Reason::Expired {
                valid_until: spec.valid_until,
            },
            None,
        ),
    };
    Verdict {
        state,
        reason,
        next_boundary,
    }
}

/// Why a GovernmentCloud cannot be used, if it cannot: it is not the singleton, or its
/// operating Ministry does not exist.
pub fn cloud_problem(cloud: &GovernmentCloud, operator_exists: bool) -> Option<Reason> {
    if cloud.metadata.name.as_deref() != Some(GOVERNMENT_CLOUD_NAME) {
        return Some(Reason::NotTheSingleton);
    }
    (!operator_exists).then(|| Reason::OperatorNotFound {
        operator: cloud.spec.operator.clone(),
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::api::DataAccessGrant;

    fn day(s: &str) -> Day {
        s.parse().unwrap()
    }

    fn grant_spec() -> DataAccessGrantSpec {
        let g: DataAccessGrant = serde_json::from_value(serde_json::json!({"apiVersion": "digital.gov.kh/v1alpha1", "kind": "DataAccessGrant",
            "metadata": {"name": "gdt-to-mef"},
            "spec": {"owner": "gdt", "grantee": {"ministry": "mef"}, "dataClass": "confidential", "namespaces": ["gdt-declarations"],
                     "dataTypes": ["declarations"], "reason": "audit", "authorizedBy": "owner-ministry", "document": "GDT/2026/7",
                     "validFrom": "2026-06-01", "validUntil": "2026-12-31", "access": {"ports": [{"protocol": "TCP", "port": 5432}]}}}))
        .unwrap();
        g.spec
    }

    use crate::inventory::examples;

    #[test]
    fn a_link_into_data_shared_with_a_grant_waits_for_an_active_one() {
        let inv = examples();
        let plan = |name: &str, on: &str| link_plan(&inv, &inv.links[name].object, day(on));
        // GDT's grant to MEF runs 2026-07-01 to 2027-06-30: before and after it, MEF's link into
        // gdt-api opens nothing; the link is judged again the day the grant begins or ends.
        let before = plan("mef-to-gdt", "2026-06-15");
        assert_eq!(before.verdict.state, LinkState::AwaitingGrant);
        assert_eq!(
            before.verdict.reason,
            Reason::AwaitingGrant {
                namespace: "gdt-api".into(),
                owner: "gdt".into(),
                personal_data: false
            }
        );
        assert_eq!(before.verdict.next_boundary, Some(day("2026-07-01")));
        assert!(before.to.is_empty(), "nothing opened while waiting");
        let during = plan("mef-to-gdt", "2026-11-26");
        assert_ne!(during.verdict.state, LinkState::AwaitingGrant);
        assert_eq!(during.verdict.next_boundary, Some(day("2027-07-01")));
        assert_eq!(
            plan("mef-to-gdt", "2027-07-01").verdict.state,
            LinkState::AwaitingGrant
        );
        // Personal data: NSSF's consented grant to MoH ended on 2026-06-30.
        let claims = plan("moh-to-nssf-claims", "2026-11-26");
        assert_eq!(
            (claims.verdict.state, claims.verdict.reason),
            (
                LinkState::AwaitingGrant,
                Reason::AwaitingGrant {
                    namespace: "nssf-claims".into(),
                    owner: "nssf".into(),
                    personal_data: true
                }
            )
        );
        assert_ne!(
            plan("moh-to-nssf-claims", "2026-04-01").verdict.state,
            LinkState::AwaitingGrant
        );
        // To addresses, not a ministry's data: no grant needed.
        assert_ne!(
            plan("moh-to-national-data-repository", "2026-11-26")
                .verdict
                .state,
            LinkState::AwaitingGrant
        );
    }

    #[test]
    fn a_grant_is_open_from_its_first_to_its_last_day_and_flips_on_the_day_after() {
        let g = grant_spec();
        let before = grant(&g, true, day("2026-05-31"));
        assert_eq!(
            (before.state, before.opens_access(), before.next_boundary),
            (GrantState::Pending, false, Some(day("2026-06-01")))
        );
        let first = grant(&g, true, day("2026-06-01"));
        assert_eq!(
            (first.state, first.opens_access(), first.next_boundary),
            (GrantState::Active, true, Some(day("2027-01-01")))
        );
        let last = grant(&g, true, day("2026-12-31"));
        assert_eq!(
            (last.state, last.opens_access()),
            (GrantState::Active, true)
        );
        let after = grant(&g, true, day("2027-01-01"));
        assert_eq!(
            (after.state, after.opens_access(), after.next_boundary),
            (GrantState::Expired, false, None)
        );
        assert_eq!(
            after.reason,
            Reason::GrantExpired {
                valid_until: day("2026-12-31")
            }
        );
    }

    #[test]
    fn a_grant_between_missing_ministries_opens_nothing() {
        let v = grant(&grant_spec(), false, day("2026-07-01"));
        assert_eq!(
            (v.state, v.opens_access(), &v.reason),
            (GrantState::Active, false, &Reason::GrantMinistryNotFound)
        );
        assert!(v.is_invalid());
        assert_eq!(v.reason.as_str(), "MinistryNotFound");
    }

    fn approval_spec(decision: Option<(&str, &str)>, valid_until: Option<&str>) -> ApprovalSpec {
        let mut a = serde_json::json!({"apiVersion": "digital.gov.kh/v1alpha1", "kind": "Approval", "metadata": {"name": "a"},
            "spec": {"subject": {"kind": "CloudTenancy", "name": "mef-workloads"}, "article": "10",
                     "request": {"requestedOn": "2026-04-20", "requestedBy": "dtu@mef.gov.kh", "document": "MEF/1"}}});
        if let Some((verdict, on)) = decision {
            a["spec"]["decision"] = serde_json::json!({"verdict": verdict, "decidedOn": on, "document": "DGC/1", "reviewer": "DGC"});
        }
        if let Some(u) = valid_until {
            a["spec"]["validUntil"] = serde_json::json!(u);
        }
        serde_json::from_value::<Approval>(a).unwrap().spec
    }

    #[test]
    fn every_approval_state_and_the_day_it_changes() {
        let cases = [
            (
                approval_spec(None, None),
                "2026-04-19",
                ApprovalState::Pending,
                Some("2026-04-20"),
            ),
            (
                approval_spec(None, None),
                "2026-04-20",
                ApprovalState::Pending,
                None,
            ),
            (
                approval_spec(Some(("Approved", "2026-05-10")), Some("2026-12-31")),
                "2026-05-09",
                ApprovalState::Pending,
                Some("2026-05-10"),
            ),
            (
                approval_spec(Some(("Approved", "2026-05-10")), Some("2026-12-31")),
                "2026-12-31",
                ApprovalState::InForce,
                Some("2027-01-01"),
            ),
            (
                approval_spec(Some(("Approved", "2026-05-10")), Some("2026-12-31")),
                "2027-01-01",
                ApprovalState::Expired,
                None,
            ),
            (
                approval_spec(Some(("Approved", "2026-05-10")), None),
                "2030-01-01",
                ApprovalState::InForce,
                None,
            ),
            (
                approval_spec(Some(("Denied", "2026-05-10")), None),
                "2026-05-10",
                ApprovalState::Denied,
                None,
            ),
        ];
        for (a, today, state, boundary) in cases {
            let v = approval(&a, day(today));
            assert_eq!(
                (v.state, v.next_boundary),
                (state, boundary.map(day)),
                "{today}: {:?}",
                v.reason
            );
        }
    }
}
