//! Each ministry's compliance over time (Art. 34: the committee surveys digital government every
//! two years): a compact record per day — score, findings by action and by article, tenancies by
//! state — and, for every breach still open, the first day it was seen. Built from the report
//! model of each day (the operator records one a day; `govkh report --history DIR` replays saved
//! JSON reports), bounded, and drawn by the report as a trend and a two-year view. Pure.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};

use super::MinistryReport;
use crate::{
    api::Day,
    finding::{Action, Finding},
    law::clock::days_between,
    render::check::ActionCounts,
};

/// Days kept per ministry: two years and a day, what the biennial view compares.
pub const MAX_DAYS: usize = 732;

/// Open breaches remembered per ministry; beyond this the most recently seen are dropped (a
/// ministry with this many open breaches has a problem the count already shows).
pub const MAX_OPEN: usize = 1_000;

/// One ministry's day.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct DayRecord {
    /// The day (Phnom Penh).
    pub day: Day,
    /// The score, 0-100.
    pub score: u8,
    /// Findings by action.
    pub findings: Counts,
    /// Deny, warn and error findings by article.
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub articles: BTreeMap<String, u32>,
    /// Tenancies by clock state.
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub tenancies: BTreeMap<String, u32>,
}

/// Findings by action, as stored.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Counts {
    /// Denials.
    #[serde(default)]
    pub deny: u32,
    /// Warnings.
    #[serde(default)]
    pub warn: u32,
    /// Dry-run findings.
    #[serde(default)]
    pub dryrun: u32,
    /// Errors.
    #[serde(default)]
    pub error: u32,
}

impl From<&ActionCounts> for Counts {
    fn from(c: &ActionCounts) -> Self {
        let n = |x: usize| u32::try_from(x).unwrap_or(u32::MAX);
        Counts {
            deny: n(c.deny),
            warn: n(c.warn),
            dryrun: n(c.dryrun),
            error: n(c.error),
        }
    }
}

/// One ministry's history.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct History {
    /// Its days, oldest first, at most [`MAX_DAYS`].
    pub days: Vec<DayRecord>,
    /// Each breach still open (`policy|Kind/ns/name`) and the first day it was seen, in the
    /// run of days that reaches the last record.
    #[serde(default)]
    pub open: BTreeMap<String, Day>,
}

/// How a breach is told apart from day to day: the rule and the object.
pub fn breach_key(policy: &str, resource: &str) -> String {
    format!("{policy}|{resource}")
}

fn key_of(f: &Finding) -> String {
    breach_key(&f.policy, &f.resource.display())
}

/// What a day shows of one ministry: its record and the breaches open that day.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Observation {
    /// The day's record.
    pub record: DayRecord,
    /// The open breaches (deny, warn, error), by [`breach_key`].
    pub open: Vec<String>,
}

impl Observation {
    /// What a ministry's report shows on `day`.
    pub fn of(m: &MinistryReport, day: Day) -> Observation {
        let mut articles: BTreeMap<String, u32> = BTreeMap::new();
        let mut tenancies: BTreeMap<String, u32> = BTreeMap::new();
        let mut open = Vec::new();
        for f in m.findings_by_article.values().flatten() {
            if f.action == Action::Dryrun {
                continue;
            }
            for a in &f.articles {
                *articles.entry(a.clone()).or_default() += 1;
            }
            open.push(key_of(f));
        }
        for t in &m.tenancies {
            *tenancies.entry(t.state.as_str().to_string()).or_default() += 1;
        }
        Observation {
            record: DayRecord {
                day,
                score: m.score,
                findings: Counts::from(&m.findings),
                articles,
                tenancies,
            },
            open,
        }
    }
}

impl History {
    /// Record what a day showed: that day's record replaced or added in order, and the open
    /// breaches carried forward (one seen again keeps its first day; one not seen is closed). A
    /// day older than the last record only adds its record: the open breaches are the latest
    /// day's.
    pub fn record(&mut self, o: Observation) {
        let day = o.record.day;
        let latest = self.days.last().is_none_or(|l| l.day <= day);
        match self.days.binary_search_by(|r| r.day.cmp(&day)) {
            Ok(i) => self.days[i] = o.record,
            Err(i) => self.days.insert(i, o.record),
        }
        if self.days.len() > MAX_DAYS {
            let excess = self.days.len() - MAX_DAYS;
            self.days.drain(..excess);
        }
        if latest {
            let mut open: BTreeMap<String, Day> = BTreeMap::new();
            for key in o.open {
                let first = self.open.get(&key).copied().unwrap_or(day).min(day);
                open.insert(key, first);
            }
            if open.len() > MAX_OPEN {
                let mut by_age: Vec<(String, Day)> = open.into_iter().collect();
                by_age.sort_by_key(|(_, d)| *d);
                by_age.truncate(MAX_OPEN);
                open = by_age.into_iter().collect();
            }
            self.open = open;
        }
    }

    /// The first day the breach `f` was seen, if it is open.
    pub fn first_seen(&self, f: &Finding) -> Option<Day> {
        self.open.get(&key_of(f)).copied()
    }

    /// The two-year view (Art. 34): the record closest to two years before the last one (the
    /// oldest, when the history is shorter), and the last.
    pub fn biennial(&self) -> Option<Biennial> {
        let last = self.days.last()?;
        let target = last.day.plus_days(-730);
        let then = self
            .days
            .iter()
            .filter(|r| r.day < last.day)
            .min_by_key(|r| days_between(target, r.day).abs())?;
        Some(Biennial {
            from: then.day,
            to: last.day,
            score_then: then.score,
            score_now: last.score,
            change: i16::from(last.score) - i16::from(then.score),
            denials_then: then.findings.deny,
            denials_now: last.findings.deny,
        })
    }

    /// What the report draws of this history.
    pub fn trend(&self) -> Trend {
        Trend {
            scores: self.days.iter().map(|r| (r.day, r.score)).collect(),
            first_seen: self.open.clone(),
            biennial: self.biennial(),
        }
    }
}

/// A ministry's history as the report draws it.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Trend {
    /// The score of each recorded day, oldest first.
    pub scores: Vec<(Day, u8)>,
    /// Each open breach (`policy|Kind/ns/name`) and the first day it was seen.
    pub first_seen: BTreeMap<String, Day>,
    /// Then and now, two years apart.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub biennial: Option<Biennial>,
}

impl Trend {
    /// The trend in one sentence: the first and last scores, the change, the days recorded.
    pub fn sentence(&self, w: &crate::render::message::words::Words) -> Option<String> {
        let (first, last) = (self.scores.first()?, self.scores.last()?);
        let change = i16::from(last.1) - i16::from(first.1);
        Some(crate::render::message::words::fill(
            w.trend,
            &[
                ("first", &first.1),
                ("from", &first.0),
                ("last", &last.1),
                ("to", &last.0),
                ("change", &format!("{change:+}")),
                ("days", &self.scores.len()),
            ],
        ))
    }

    /// The first day the breach `f` was seen, if known.
    pub fn first_seen(&self, f: &Finding) -> Option<Day> {
        self.first_seen.get(&key_of(f)).copied()
    }
}

/// A ministry then and now.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Biennial {
    /// The earlier day.
    pub from: Day,
    /// The later day.
    pub to: Day,
    /// The score then.
    pub score_then: u8,
    /// The score now.
    pub score_now: u8,
    /// Now minus then.
    pub change: i16,
    /// Denials then.
    pub denials_then: u32,
    /// Denials now.
    pub denials_now: u32,
}

/// Histories from saved JSON reports (`govkh report -f json`), replayed in date order: what
/// `govkh report --history DIR` draws. A report that is not one names its problem.
pub fn from_reports(
    reports: &[(String, serde_json::Value)],
) -> Result<BTreeMap<String, History>, String> {
    let mut days: Vec<(Day, &str, SavedReport)> = Vec::new();
    for (name, r) in reports {
        if r["schemaVersion"] != super::REPORT_SCHEMA_VERSION {
            return Err(format!(
                "{name}: not a govkh report (schemaVersion {} where {} was expected)",
                r["schemaVersion"],
                super::REPORT_SCHEMA_VERSION
            ));
        }
        let saved = SavedReport::deserialize(r).map_err(|e| format!("{name}: {e}"))?;
        days.push((saved.as_of, name, saved));
    }
    days.sort_by_key(|(d, _, _)| *d);
    let mut out: BTreeMap<String, History> = BTreeMap::new();
    for (day, name, r) in days {
        for m in r.ministries {
            let (code, o) = m.observation(day).map_err(|e| format!("{name}: {e}"))?;
            out.entry(code).or_default().record(o);
        }
    }
    Ok(out)
}

/// A saved report, as far as a history reads it: its day and each ministry's standing.
#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct SavedReport {
    as_of: Day,
    ministries: Vec<SavedMinistry>,
}

/// A saved report's ministry: its score, counts, findings by article and tenancies.
#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct SavedMinistry {
    code: String,
    /// Read wide, so a score out of range is named as such.
    score: u64,
    #[serde(default)]
    findings: Counts,
    #[serde(default)]
    findings_by_article: BTreeMap<String, Vec<SavedFinding>>,
    #[serde(default)]
    tenancies: Vec<SavedTenancy>,
}

/// A saved finding: what a history keeps of it (its action, articles, and its breach key).
#[derive(Deserialize)]
struct SavedFinding {
    action: Action,
    policy: String,
    #[serde(default)]
    articles: Vec<String>,
    /// The same object as a live finding's, so the breach key is the same.
    #[serde(default)]
    resource: crate::finding::ResourceRef,
}

/// A saved tenancy: its clock state.
#[derive(Deserialize)]
struct SavedTenancy {
    state: Option<String>,
}

impl SavedMinistry {
    /// What it showed on `day`.
    fn observation(self, day: Day) -> Result<(String, Observation), String> {
        let Some(score) = u8::try_from(self.score).ok().filter(|s| *s <= 100) else {
            return Err(format!("ministry {}: no score from 0 to 100", self.code));
        };
        let mut articles: BTreeMap<String, u32> = BTreeMap::new();
        let mut open = Vec::new();
        for f in self.findings_by_article.into_values().flatten() {
            if f.action == Action::Dryrun {
                continue;
            }
            for a in f.articles {
                *articles.entry(a).or_default() += 1;
            }
            open.push(breach_key(&f.policy, &f.resource.display()));
        }
        let mut tenancies: BTreeMap<String, u32> = BTreeMap::new();
        for state in self.tenancies.into_iter().filter_map(|t| t.state) {
            *tenancies.entry(state).or_default() += 1;
        }
        let record = DayRecord {
            day,
            score,
            findings: self.findings,
            articles,
            tenancies,
        };
        Ok((self.code, Observation { record, open }))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn saved(ministry: serde_json::Value) -> serde_json::Value {
        json!({"schemaVersion": super::super::REPORT_SCHEMA_VERSION, "asOf": "2026-11-26",
               "ministries": [ministry]})
    }

    #[test]
    fn a_saved_report_gives_the_days_record_and_its_open_breaches() {
        let r = saved(
            json!({"code": "moh", "score": 70, "findings": {"deny": 1, "warn": 1, "dryrun": 1},
            "findingsByArticle": {"26": [
                {"action": "deny", "policy": "placement", "articles": ["25", "26"],
                 "resource": {"kind": "Deployment", "namespace": "moh-records", "name": "db"}},
                {"action": "dryrun", "policy": "later", "articles": ["26"]}]},
            "tenancies": [{"state": "Compliant"}, {"state": "Compliant"}, {}]}),
        );
        let h = from_reports(&[("a.json".into(), r)]).unwrap();
        let moh = &h["moh"];
        assert_eq!(moh.days.len(), 1);
        let d = &moh.days[0];
        assert_eq!(d.day.to_string(), "2026-11-26");
        assert_eq!((d.score, d.findings.deny, d.findings.dryrun), (70, 1, 1));
        // The dry-run finding counts in the totals, not among the articles or the breaches.
        assert_eq!(
            d.articles,
            BTreeMap::from([("25".to_string(), 1), ("26".to_string(), 1)])
        );
        assert_eq!(d.tenancies, BTreeMap::from([("Compliant".to_string(), 2)]));
        let key = breach_key(
            "placement",
            &crate::finding::ResourceRef {
                kind: Some("Deployment".into()),
                namespace: Some("moh-records".into()),
                name: Some("db".into()),
                api_version: None,
            }
            .display(),
        );
        assert_eq!(moh.open.keys().collect::<Vec<_>>(), vec![&key]);
    }

    #[test]
    fn a_file_that_is_not_a_saved_report_is_named_with_its_problem() {
        let cases = [
            (
                json!({"schemaVersion": "v0", "asOf": "2026-11-26", "ministries": []}),
                "not a govkh report",
            ),
            (
                json!({"schemaVersion": super::super::REPORT_SCHEMA_VERSION, "ministries": []}),
                "asOf",
            ),
            (
                json!({"schemaVersion": super::super::REPORT_SCHEMA_VERSION, "asOf": "2026-11-26"}),
                "ministries",
            ),
            (saved(json!({"score": 50})), "code"),
            (
                saved(json!({"code": "moh", "score": 101})),
                "ministry moh: no score from 0 to 100",
            ),
            (
                saved(json!({"code": "moh", "score": 300})),
                "ministry moh: no score from 0 to 100",
            ),
            (
                saved(json!({"code": "moh", "score": 5,
                "findingsByArticle": {"26": [{"action": "bogus", "policy": "p"}]}})),
                "bogus",
            ),
            (
                saved(json!({"code": "moh", "score": 5,
                "findingsByArticle": {"26": [{"action": "deny"}]}})),
                "policy",
            ),
        ];
        for (report, problem) in cases {
            let err = from_reports(&[("old/r.json".into(), report.clone())]).unwrap_err();
            assert!(err.starts_with("old/r.json: "), "{err}");
            assert!(
                err.contains(problem),
                "{report}: {err} does not say {problem}"
            );
        }
    }
}
