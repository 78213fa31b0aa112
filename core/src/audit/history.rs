//! Each ministry's compliance over time (Art. 34: the committee surveys digital government every
//! two years): a compact record per day — score, findings by action, by article and by offence
//! (the penalty article), tenancies by state — and, for every breach still open, the first day
//! it was seen; from the offences, the repeats Art. 42 punishes more heavily. Recorded from each day's
//! audit (the operator records one a day; `govkh report --history DIR` replays saved JSON
//! reports, `render::report::saved`), bounded, and drawn by the report as a trend and a
//! two-year view. Pure.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};

use crate::{
    api::Day,
    evaluate::TenancyClock,
    finding::ActionCounts,
    finding::{Action, Finding},
    law::clock::days_between,
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
    /// Deny, warn and error findings that carry a penalty, by penalty article (`"38"`, `"40"`):
    /// the offences of Chapter 10. `None` on a day recorded before govkh kept them: such a day
    /// says neither that an offence was found nor that none was (no repeat is read from it).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub offences: Option<BTreeMap<String, u32>>,
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
    /// What a ministry showed on `day`: its score, its `findings` (each once) and its
    /// `tenancies`' clock states.
    pub fn new(day: Day, score: u8, findings: &[&Finding], tenancies: &[TenancyClock]) -> Self {
        let mut articles: BTreeMap<String, u32> = BTreeMap::new();
        let mut offences: BTreeMap<String, u32> = BTreeMap::new();
        let mut open = Vec::new();
        for f in findings.iter().filter(|f| f.action != Action::Dryrun) {
            for a in &f.articles {
                *articles.entry(a.clone()).or_default() += 1;
            }
            if let Some(p) = &f.penalty {
                *offences.entry(p.article.clone()).or_default() += 1;
            }
            open.push(key_of(f));
        }
        let mut states: BTreeMap<String, u32> = BTreeMap::new();
        for t in tenancies {
            *states.entry(t.state.as_str().to_string()).or_default() += 1;
        }
        let counts = ActionCounts::of_refs(findings);
        Observation {
            record: DayRecord {
                day,
                score,
                findings: Counts::from(&counts),
                articles,
                tenancies: states,
                offences: Some(offences),
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

    /// The offences found on the last day that were found before, then not found on a later
    /// day, and are found again (Art. 42: "still commits the same offense"). An offence is a
    /// penalty article (38, 39, 40): the law punishes its repeat, whatever the object. Days
    /// recorded without offences (before govkh kept them) are skipped, not read as clean.
    pub fn repeats(&self) -> Vec<Repeat> {
        let known: Vec<(Day, &BTreeMap<String, u32>)> = self
            .days
            .iter()
            .filter_map(|r| Some((r.day, r.offences.as_ref()?)))
            .collect();
        let Some((_, last)) = known.last() else {
            return Vec::new();
        };
        let found = |o: &BTreeMap<String, u32>, a: &str| o.get(a).is_some_and(|n| *n > 0);
        let mut out = Vec::new();
        for article in last.keys().filter(|a| found(last, a)) {
            // Runs of days with the offence, in order: (first day, last day).
            let mut runs: Vec<(Day, Day)> = Vec::new();
            let mut in_run = false;
            for (day, o) in &known {
                match (found(o, article), in_run) {
                    (true, false) => runs.push((*day, *day)),
                    (true, true) => {
                        if let Some(r) = runs.last_mut() {
                            r.1 = *day;
                        }
                    }
                    _ => {}
                }
                in_run = found(o, article);
            }
            if let (Some(first), Some(current)) = (runs.first(), runs.last())
                && runs.len() > 1
            {
                out.push(Repeat {
                    article: article.clone(),
                    first_found: first.0,
                    times: runs.len(),
                    again_since: current.0,
                });
            }
        }
        out
    }

    /// What the report draws of this history.
    pub fn trend(&self) -> Trend {
        Trend {
            scores: self.days.iter().map(|r| (r.day, r.score)).collect(),
            first_seen: self.open.clone(),
            biennial: self.biennial(),
            repeats: self.repeats(),
        }
    }
}

/// An offence found again after it had ended (Art. 42).
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Repeat {
    /// The penalty article of the offence (`"38"`, `"39"`, `"40"`).
    pub article: String,
    /// The first day it was ever found, in the history.
    pub first_found: Day,
    /// How many separate times it has been found (runs of days), this one included.
    pub times: usize,
    /// The first day of the present run.
    pub again_since: Day,
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
    /// Offences committed again (Art. 42).
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub repeats: Vec<Repeat>,
}

impl Trend {
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

#[cfg(test)]
mod tests {
    use super::*;

    fn day(s: &str) -> Day {
        s.parse().unwrap()
    }

    /// A day on which `offences` (penalty article, count) were found; `None`: a record of
    /// before govkh kept offences.
    fn record(h: &mut History, d: &str, offences: Option<&[(&str, u32)]>) {
        h.record(Observation {
            record: DayRecord {
                day: day(d),
                score: 100,
                findings: Counts::default(),
                articles: BTreeMap::new(),
                tenancies: BTreeMap::new(),
                offences: offences.map(|o| o.iter().map(|(a, n)| ((*a).to_string(), *n)).collect()),
            },
            open: Vec::new(),
        });
    }

    #[test]
    fn an_offence_found_again_after_it_ended_is_a_repeat_and_a_lasting_one_is_not() {
        let mut h = History::default();
        record(&mut h, "2026-01-01", Some(&[("38", 1), ("40", 2)]));
        record(&mut h, "2026-01-02", Some(&[("38", 1), ("40", 2)]));
        record(&mut h, "2026-02-01", Some(&[("40", 1)]));
        record(&mut h, "2026-03-01", Some(&[("38", 2), ("40", 1)]));
        // Art. 40 never ended: no repeat. Art. 38 ended on 2026-02-01 and came back.
        assert_eq!(
            h.repeats(),
            [Repeat {
                article: "38".into(),
                first_found: day("2026-01-01"),
                times: 2,
                again_since: day("2026-03-01"),
            }]
        );
        // Ended again, then a third time; the trend carries it.
        record(&mut h, "2026-04-01", Some(&[("40", 1)]));
        record(&mut h, "2026-05-01", Some(&[("38", 1), ("40", 1)]));
        let t = h.trend();
        assert_eq!(t.repeats.len(), 1);
        assert_eq!(
            (t.repeats[0].times, t.repeats[0].again_since),
            (3, day("2026-05-01"))
        );
        // Not found on the last day: nothing to mark today.
        record(&mut h, "2026-06-01", Some(&[]));
        assert_eq!(h.repeats(), []);
    }

    #[test]
    fn days_recorded_before_offences_were_kept_are_not_read_as_clean() {
        let mut h = History::default();
        record(&mut h, "2026-01-01", Some(&[("39", 1)]));
        record(&mut h, "2026-01-02", None);
        record(&mut h, "2026-01-03", Some(&[("39", 1)]));
        assert_eq!(h.repeats(), []);
        // A stored day without the field reads as unknown, not as zero offences.
        let old: DayRecord =
            serde_json::from_str(r#"{"day": "2026-01-02", "score": 90, "findings": {}}"#).unwrap();
        assert_eq!(old.offences, None);
    }
}
