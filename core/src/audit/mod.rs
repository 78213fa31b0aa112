//! The audit, pure: each ministry's standing — its findings, score, counts, articles and
//! nearest deadline, the same the committee's report shows (the report builds on `standing`) —
//! the tenancy counts by state, the findings by (ministry, article, action) that the metrics
//! publish, and each ministry's day for its history (`history`). The operator's audit
//! evaluates its live index and calls this; no I/O happens here.

pub mod history;

use std::collections::BTreeMap;

use k8s_openapi::jiff::Timestamp;

use crate::{
    api::{ClockState, ComplianceSummary, Day, FindingCounts, TenancyCounts},
    evaluate::{Evaluation, TenancyClock},
    finding::{Action, ActionCounts, Finding, Severity},
    inventory::Inventory,
    law::clock::{DeadlineKind, days_between},
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
    pub observations: BTreeMap<String, history::Observation>,
    /// Requests refused at admission in the 24 hours before the audit, by ministry (this
    /// replica's count: each counts the requests it answered).
    pub refused_last_day: BTreeMap<String, u32>,
    /// Each tenancy's nearest running statutory deadline (`deadlines`).
    pub deadlines: Vec<Deadline>,
}

/// A tenancy's nearest running statutory deadline, as the audited day sees it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Deadline {
    /// The tenancy's ministry.
    pub ministry: String,
    /// The tenancy.
    pub tenancy: String,
    /// Which deadline it is.
    pub kind: DeadlineKind,
    /// The approval in force whose end it is (`ApprovalExpiry` only).
    pub approval: Option<String>,
    /// The deadline: the last day on which the tenancy is still in time.
    pub day: Day,
    /// Days from the audited day to it (0: today is the last day).
    pub days_left: i64,
}

/// The days before a deadline on which the Ministry is told (`notice_due`): a month, a week,
/// and the last day.
pub const NOTICE_DAYS: [i64; 3] = [30, 7, 0];

/// The notice a deadline `days_left` away is due: the nearest of `NOTICE_DAYS` it has
/// reached (5 days left: the 7-day notice), none while more than 30 days are left.
pub fn notice_due(days_left: i64) -> Option<i64> {
    NOTICE_DAYS.iter().rev().copied().find(|t| days_left <= *t)
}

/// Each tenancy's nearest running deadline on the evaluated day, in the evaluation's order.
pub fn deadlines(eval: &Evaluation) -> Vec<Deadline> {
    eval.tenancies
        .iter()
        .filter_map(|t| {
            let day = t.next_deadline?;
            // With an approval in force the clock's next deadline is the approval's end.
            let kind = if t.approval.is_some() {
                DeadlineKind::ApprovalExpiry
            } else if t.application_deadline == Some(day) {
                DeadlineKind::Application
            } else {
                DeadlineKind::Migration
            };
            Some(Deadline {
                ministry: t.ministry.clone(),
                tenancy: t.name.clone(),
                kind,
                approval: t.approval.clone(),
                day,
                days_left: days_between(eval.today, day),
            })
        })
        .collect()
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
pub fn summarize(inv: &Inventory, eval: &Evaluation, problems: usize) -> Audit {
    let (standings, _) = standing(inv, eval);
    let observations = standings
        .iter()
        .map(|m| {
            let o = history::Observation::new(eval.today, m.score, &m.findings, &m.tenancies);
            (m.code.to_string(), o)
        })
        .collect();
    let ministries = standings
        .iter()
        .map(|m| {
            let counts = ActionCounts::of_refs(&m.findings);
            (
                m.code.to_string(),
                ComplianceSummary {
                    score: m.score,
                    findings: FindingCounts {
                        // An object the core could not judge counts against the ministry as
                        // a denial would: nothing shows it complies.
                        deny: u32::try_from(counts.deny + counts.error).unwrap_or(u32::MAX),
                        warn: u32::try_from(counts.warn).unwrap_or(u32::MAX),
                    },
                    articles: m.articles(),
                    next_deadline: m.nearest_deadline(),
                    undeclared_cloud_resources: u32::try_from(
                        m.findings
                            .iter()
                            .filter(|f| crate::evaluate::is_undeclared(f))
                            .count(),
                    )
                    .unwrap_or(u32::MAX),
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
        deadlines: deadlines(eval),
    }
}

/// One ministry's standing on the audited day: what the audit summarises and the committee's
/// report shows.
#[derive(Clone, Debug)]
pub struct Standing<'a> {
    /// Its code.
    pub code: &'a str,
    /// Its findings, each once, in the evaluation's order.
    pub findings: Vec<&'a Finding>,
    /// Its tenancies and their clocks.
    pub tenancies: Vec<TenancyClock>,
    /// 0-100 (`score`).
    pub score: u8,
}

impl Standing<'_> {
    /// The articles of its deny, warn and error findings, in the law's order.
    pub fn articles(&self) -> Vec<String> {
        let cited: std::collections::BTreeSet<String> = self
            .findings
            .iter()
            .filter(|f| f.action != Action::Dryrun)
            .flat_map(|f| f.articles.clone())
            .collect();
        sort_articles(cited.into_iter().collect())
    }

    /// Its nearest running deadline.
    pub fn nearest_deadline(&self) -> Option<Day> {
        self.tenancies.iter().filter_map(|t| t.next_deadline).min()
    }
}

/// Every ministry's standing, in code order, and the findings of no known ministry.
pub fn standing<'a>(
    inv: &'a Inventory,
    eval: &'a Evaluation,
) -> (Vec<Standing<'a>>, Vec<&'a Finding>) {
    let mut by_ministry: BTreeMap<&str, Vec<&Finding>> = BTreeMap::new();
    let mut others = Vec::new();
    for f in &eval.findings {
        match f
            .ministry
            .as_deref()
            .filter(|m| inv.ministries.contains_key(*m))
        {
            Some(m) => by_ministry.entry(m).or_default().push(f),
            None => others.push(f),
        }
    }
    let standings = inv
        .ministries
        .keys()
        .map(|code| {
            let findings = by_ministry.remove(code.as_str()).unwrap_or_default();
            Standing {
                code,
                score: score(&findings),
                tenancies: eval
                    .tenancies
                    .iter()
                    .filter(|t| t.ministry == *code)
                    .cloned()
                    .collect(),
                findings,
            }
        })
        .collect();
    (standings, others)
}

/// Points a finding takes off a ministry's score of 100.
pub fn finding_weight(f: &Finding) -> u32 {
    match (f.action, f.severity) {
        (Action::Deny, Severity::Critical) => 25,
        (Action::Deny, Severity::High) => 15,
        (Action::Deny, _) => 10,
        (Action::Error, _) => 10,
        (Action::Warn, Severity::Critical | Severity::High) => 5,
        (Action::Warn, Severity::Medium) => 3,
        (Action::Warn, Severity::Low) | (Action::Dryrun, _) => 1,
    }
}

/// A ministry's score: 100 less each finding's weight, never below 0.
pub fn score(findings: &[&Finding]) -> u8 {
    let lost: u32 = findings.iter().map(|f| finding_weight(f)).sum();
    u8::try_from(100u32.saturating_sub(lost)).unwrap_or(0)
}

/// Articles in numeric order ("9" before "10").
pub fn sort_articles(mut articles: Vec<String>) -> Vec<String> {
    articles.sort_by_key(|a| (a.parse::<u32>().unwrap_or(u32::MAX), a.clone()));
    articles
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
    use crate::{
        evaluate::evaluate_loaded, finding::ResourceRef, loading::manifest::Loader, policy::Library,
    };

    fn f(action: Action, severity: Severity) -> Finding {
        Finding {
            policy: "p".into(),
            action,
            severity,
            articles: vec!["10".into()],
            resource: ResourceRef {
                api_version: None,
                kind: None,
                name: None,
                namespace: None,
            },
            source: None,
            ministry: None,
            message: String::new(),
            state: None,
            deadline: None,
            penalty: None,
            awaits: None,
            excused_by: None,
            fix: None,
            km: None,
        }
    }

    #[test]
    fn score_takes_points_off_per_finding_and_stops_at_zero() {
        assert_eq!(score(&[]), 100);
        let d = f(Action::Deny, Severity::Critical);
        let w = f(Action::Warn, Severity::High);
        let l = f(Action::Warn, Severity::Low);
        assert_eq!(score(&[&d]), 75);
        assert_eq!(score(&[&d, &w, &l]), 69);
        assert_eq!(score(&[&d, &d, &d, &d, &d]), 0);
    }

    fn examples_audit(now: &str) -> Audit {
        let dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../examples");
        let loaded = Loader::new().load_paths(&[dir], &mut std::io::empty());
        let lib = Library::builtin().unwrap();
        let (inv, eval, problems) = evaluate_loaded(loaded, &lib, now.parse().unwrap());
        summarize(&inv, &eval, problems)
    }

    #[test]
    fn the_audit_agrees_with_the_committee_report_on_the_examples() {
        let a = examples_audit("2026-11-26T03:00:00Z");
        assert_eq!(a.problems, 0);
        assert_eq!(a.ministries.len(), 8);
        let deny: u32 = a.ministries.values().map(|m| m.findings.deny).sum();
        let warn: u32 = a.ministries.values().map(|m| m.findings.warn).sum();
        // examples/README.md: 14 deny, 8 warn on 2026-11-26.
        assert_eq!((deny, warn), (14, 9));
        let by_series: u32 = a
            .findings
            .iter()
            .filter(|((_, _, action), _)| *action == "deny" || *action == "warn")
            .map(|(_, n)| n)
            .sum();
        assert!(by_series >= 17, "every finding is in at least one series");
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

    #[test]
    fn a_notice_is_due_a_month_a_week_and_on_the_last_day() {
        assert_eq!(notice_due(31), None);
        assert_eq!(notice_due(30), Some(30));
        assert_eq!(notice_due(8), Some(30));
        assert_eq!(notice_due(7), Some(7));
        assert_eq!(notice_due(1), Some(7));
        assert_eq!(notice_due(0), Some(0));
    }

    #[test]
    fn each_running_deadline_is_named_with_its_kind_and_days_left() {
        let a = examples_audit("2026-11-26T03:00:00Z");
        let shown: Vec<String> = a
            .deadlines
            .iter()
            .map(|d| {
                format!(
                    "{}/{} {} {} {} {:?}",
                    d.ministry,
                    d.tenancy,
                    d.kind.as_str(),
                    d.day,
                    d.days_left,
                    d.approval
                )
            })
            .collect();
        assert_eq!(
            shown,
            [
                "gdt/gdt-efiling migration 2027-03-01 95 None",
                "gdt/gdt-legacy migration 2027-03-01 95 None",
                "mef/mef-analytics migration 2027-03-01 95 None",
                "mef/mef-workloads approval-expiry 2027-05-10 165 Some(\"mef-aws-continuation\")",
                "moeys/moeys-elearning migration 2027-03-01 95 None",
                "nssf/nssf-claims migration 2027-03-01 95 None",
            ]
        );
        // Inside the application window the nearest deadline is the last day to apply.
        let early = examples_audit("2026-04-01T03:00:00Z");
        let applying: Vec<_> = early
            .deadlines
            .iter()
            .filter(|d| d.kind == DeadlineKind::Application)
            .map(|d| (d.tenancy.as_str(), d.day.to_string(), d.days_left))
            .collect();
        assert_eq!(applying.len(), 6, "{applying:?}");
        assert!(
            applying
                .iter()
                .all(|(_, day, left)| day == "2026-05-30" && *left == 59),
            "{applying:?}"
        );
    }
}
