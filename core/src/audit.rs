//! The audit, pure: per ministry the same score, counts, articles and nearest deadline as the
//! committee's report, the tenancy counts by state, and the findings by (ministry, article,
//! action) that the metrics publish. The operator's audit evaluates its live index and calls
//! this; no I/O happens here.

use std::collections::BTreeMap;

use k8s_openapi::jiff::Timestamp;

use crate::{
    api::{ClockState, ComplianceSummary, Day, FindingCounts, TenancyCounts},
    evaluate::Evaluation,
    inventory::Inventory,
    law::clock::days_between,
    policy::Library,
    render::report,
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
    use crate::{evaluate::evaluate_loaded, loading::manifest::Loader};

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
