//! The audit's summary, pure: per ministry the same score, counts, articles and nearest
//! deadline as the committee's report, the tenancy counts by state, the findings by (ministry,
//! article, action) that the metrics publish, and the `Snapshot` of the inventory that
//! admission judges against. The operator's audit evaluates its live index and calls this;
//! no I/O happens here.

use std::{collections::BTreeMap, sync::Arc};

use k8s_openapi::jiff::Timestamp;

use crate::{
    api::{ClockState, ComplianceSummary, Day, FindingCounts, TenancyCounts},
    clock::days_between,
    evaluate::{Evaluation, PreparedInventory, TenancyClock, tenancy_clocks},
    inventory::Inventory,
    policy::Library,
    report,
};

/// What one audit found.
#[derive(Clone, Debug, PartialEq, Default)]
pub struct Audit {
    /// When it ran.
    pub at: Option<Timestamp>,
    /// The day it judged (Phnom Penh).
    pub today: Option<Day>,
    /// Each ministry's compliance summary, by code.
    pub ministries: BTreeMap<String, ComplianceSummary>,
    /// Tenancies by position relative to the government cloud.
    pub tenancies: TenancyCounts,
    /// Tenancies by clock state (every state present, zero included).
    pub tenancy_states: BTreeMap<&'static str, u32>,
    /// Findings by (ministry or `none`, article or `none`, action): the metrics' series.
    pub findings: BTreeMap<(String, String, &'static str), u32>,
    /// Objects or lists the audit could not read.
    pub problems: usize,
    /// What the day shows of each ministry, for its history (`report::history`).
    pub observations: BTreeMap<String, report::history::Observation>,
    /// Requests refused at admission in the 24 hours before the audit, by ministry (this
    /// replica's count: each counts the requests it answered).
    pub refused_last_day: BTreeMap<String, u32>,
}

/// The cluster's inventory at one moment, with the clock's verdicts and the inventory as the
/// policies read it: what the admission webhook judges a request against.
#[derive(Clone, Debug)]
pub struct Snapshot {
    /// When the verdicts were computed (their day is `prepared.today`).
    pub at: Timestamp,
    /// The objects, indexed (shared with the live index that handed it out).
    pub inventory: Arc<Inventory>,
    /// The statutory clock of every tenancy, as of `at`.
    pub tenancies: Vec<TenancyClock>,
    /// The inventory converted for the policies, as of `at`'s day.
    pub prepared: PreparedInventory,
}

impl Snapshot {
    /// A snapshot of `inventory` at `at`, with the clock's verdicts already computed.
    pub fn new(at: Timestamp, inventory: Arc<Inventory>, tenancies: Vec<TenancyClock>) -> Self {
        let prepared = PreparedInventory::new(&inventory, Day::in_phnom_penh(at), &tenancies);
        Snapshot {
            at,
            inventory,
            tenancies,
            prepared,
        }
    }

    /// A snapshot of `inventory` at `at`: the clock runs on it here.
    pub fn of(at: Timestamp, inventory: Arc<Inventory>) -> Self {
        let tenancies = tenancy_clocks(&inventory, Day::in_phnom_penh(at));
        Self::new(at, inventory, tenancies)
    }

    /// The same verdicts over a newer `inventory` whose policy context (our kinds, Namespaces,
    /// volumes) has not changed: only the objects judged differ.
    pub fn with_inventory(&self, inventory: Arc<Inventory>) -> Self {
        Snapshot {
            inventory,
            ..self.clone()
        }
    }
}

/// Every clock state, so a metric series drops to 0 instead of disappearing.
pub const CLOCK_STATES: [ClockState; 7] = [
    ClockState::Compliant,
    ClockState::WithinApplicationWindow,
    ClockState::ExceptionPending,
    ClockState::ApplicationWindowMissed,
    ClockState::ExceptionDenied,
    ClockState::ExceptionExpired,
    ClockState::MigrationOverdue,
];

/// Summarise an evaluation (pure): per ministry the same score, counts, articles and nearest
/// deadline as the committee's report.
pub fn summarize(inv: &Inventory, eval: &Evaluation, policies: &Library, problems: usize) -> Audit {
    let r = report::build(inv, eval, policies);
    let observations = r
        .ministries
        .iter()
        .map(|m| (m.code.clone(), report::history::Observation::of(m, r.as_of)))
        .collect();
    let ministries = r
        .ministries
        .iter()
        .map(|m| {
            (
                m.code.clone(),
                ComplianceSummary {
                    score: m.score,
                    findings: FindingCounts {
                        // An object the core could not judge counts against the ministry as
                        // a denial would: nothing shows it complies.
                        deny: u32::try_from(m.findings.deny + m.findings.error).unwrap_or(u32::MAX),
                        warn: u32::try_from(m.findings.warn).unwrap_or(u32::MAX),
                    },
                    articles: m.articles.clone(),
                    next_deadline: m.nearest_deadline,
                },
            )
        })
        .collect();
    let mut tenancy_states: BTreeMap<&'static str, u32> =
        CLOCK_STATES.iter().map(|s| (s.as_str(), 0)).collect();
    let mut tenancies = TenancyCounts::default();
    for t in &eval.tenancies {
        tenancies.total += 1;
        if t.outside {
            tenancies.outside += 1;
        } else {
            tenancies.inside += 1;
        }
        if t.state == ClockState::MigrationOverdue {
            tenancies.overdue += 1;
        }
        *tenancy_states.entry(t.state.as_str()).or_default() += 1;
    }
    let mut findings: BTreeMap<(String, String, &'static str), u32> = BTreeMap::new();
    for f in &eval.findings {
        let ministry = f.ministry.clone().unwrap_or_else(|| "none".into());
        let articles = if f.articles.is_empty() {
            vec!["none".to_string()]
        } else {
            f.articles.clone()
        };
        for a in articles {
            *findings
                .entry((ministry.clone(), a, f.action.as_str()))
                .or_default() += 1;
        }
    }
    Audit {
        at: None,
        today: Some(eval.today),
        ministries,
        tenancies,
        tenancy_states,
        findings,
        problems,
        observations,
        refused_last_day: BTreeMap::new(),
    }
}

impl Audit {
    /// Days from the audit's day to each ministry's nearest running deadline.
    pub fn days_to_deadline(&self) -> BTreeMap<String, i64> {
        let Some(today) = self.today else {
            return BTreeMap::new();
        };
        self.ministries
            .iter()
            .filter_map(|(code, s)| {
                s.next_deadline
                    .map(|d| (code.clone(), days_between(today, d)))
            })
            .collect()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::{evaluate::evaluate_loaded, manifest::Loader};

    fn examples_audit(now: &str) -> Audit {
        let dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../examples");
        let loaded = Loader::new().load_paths(&[dir], &mut std::io::empty());
        let lib = Library::builtin().unwrap();
        let (inv, eval, problems) = evaluate_loaded(loaded, &lib, now.parse().unwrap());
        summarize(&inv, &eval, &lib, problems)
    }

    #[test]
    fn the_audit_agrees_with_the_committee_report_on_the_examples() {
        let a = examples_audit("2026-11-26T03:00:00Z");
        assert_eq!(a.problems, 0);
        assert_eq!(a.ministries.len(), 7);
        let deny: u32 = a.ministries.values().map(|m| m.findings.deny).sum();
        let warn: u32 = a.ministries.values().map(|m| m.findings.warn).sum();
        // examples/README.md: 8 deny, 7 warn on 2026-11-26.
        assert_eq!((deny, warn), (8, 7));
        let by_series: u32 = a
            .findings
            .iter()
            .filter(|((_, _, action), _)| *action == "deny" || *action == "warn")
            .map(|(_, n)| n)
            .sum();
        assert!(by_series >= 15, "every finding is in at least one series");
        assert_eq!(
            a.tenancies.total,
            a.tenancy_states.values().sum::<u32>(),
            "{:?}",
            a.tenancy_states
        );
        assert_eq!(a.tenancies.total, a.tenancies.inside + a.tenancies.outside);
        let perfect = a.ministries.values().filter(|m| m.score == 100).count();
        assert!((1..7).contains(&perfect), "{:?}", a.ministries);
        for (code, days) in a.days_to_deadline() {
            assert!(days >= 0, "{code}: {days}");
        }
    }

    #[test]
    fn tenancies_fall_overdue_after_the_migration_deadline() {
        let before = examples_audit("2026-11-26T03:00:00Z");
        let after = examples_audit("2027-03-15T03:00:00Z");
        assert_eq!(before.tenancies.overdue, 0);
        assert!(after.tenancies.overdue >= 1, "{:?}", after.tenancy_states);
        assert_eq!(
            after.tenancy_states["MigrationOverdue"],
            after.tenancies.overdue
        );
    }
}

/// Requests refused at admission over the last day, per ministry: a counter in hourly buckets
/// (24 per ministry, the oldest overwritten), not a store of requests. Time is given, never
/// read.
#[derive(Clone, Debug, Default)]
pub struct Refusals {
    /// Per ministry: (hour since the epoch, refusals in that hour), one slot per hour of day.
    buckets: BTreeMap<String, [(i64, u32); 24]>,
}

impl Refusals {
    fn hour(at: Timestamp) -> i64 {
        at.as_second().div_euclid(3600)
    }

    /// Count one refusal of a request of `ministry` at `at`.
    pub fn record(&mut self, ministry: &str, at: Timestamp) {
        let hour = Self::hour(at);
        let slots = self
            .buckets
            .entry(ministry.to_string())
            .or_insert([(i64::MIN, 0); 24]);
        let slot = &mut slots[usize::try_from(hour.rem_euclid(24)).unwrap_or(0)];
        if slot.0 == hour {
            slot.1 = slot.1.saturating_add(1);
        } else {
            *slot = (hour, 1);
        }
    }

    /// Refusals per ministry in the 24 hours up to `at` (ministries with none left out).
    pub fn last_day(&self, at: Timestamp) -> BTreeMap<String, u32> {
        let now = Self::hour(at);
        self.buckets
            .iter()
            .map(|(m, slots)| {
                let n = slots
                    .iter()
                    .filter(|(h, _)| (now - 23..=now).contains(h))
                    .map(|(_, n)| *n)
                    .fold(0u32, u32::saturating_add);
                (m.clone(), n)
            })
            .filter(|(_, n)| *n > 0)
            .collect()
    }
}

#[cfg(test)]
mod refusal_tests {
    use super::*;

    #[test]
    fn refusals_are_counted_over_the_last_day_only() {
        let t = |s: &str| -> Timestamp { s.parse().unwrap() };
        let mut r = Refusals::default();
        r.record("moh", t("2026-11-26T01:10:00Z"));
        r.record("moh", t("2026-11-26T01:50:00Z"));
        r.record("moh", t("2026-11-26T09:00:00Z"));
        r.record("gdt", t("2026-11-25T03:00:00Z"));
        assert_eq!(
            r.last_day(t("2026-11-26T10:00:00Z")),
            BTreeMap::from([("moh".to_string(), 3)])
        );
        // A day later the 01:00 hour has gone; the slot is reused, not added to.
        r.record("moh", t("2026-11-27T01:05:00Z"));
        assert_eq!(
            r.last_day(t("2026-11-27T02:00:00Z")),
            BTreeMap::from([("moh".to_string(), 2)])
        );
        assert!(r.last_day(t("2026-12-30T00:00:00Z")).is_empty());
    }
}
