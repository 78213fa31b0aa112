//! Deadline notices: an Event on the Ministry when one of its tenancies' statutory deadlines
//! (the last day to apply, to have migrated, or of the approval in force) is a month, a week,
//! or no day away (`govkh_core::audit::NOTICE_DAYS`), so that `kubectl describe ministry` and
//! whatever collects Events tell the ministry before the clock turns against it. The leader
//! says them after an audit; the day turning in Phnom Penh brings that audit, so a notice comes
//! on its day even in an idle cluster.
//!
//! Each notice is said once by the process that leads: the notices said are kept in memory
//! (Events are not a record: the API server keeps them an hour by default), so a new leader
//! says the notice now due once more. The metric `govkh_tenancy_deadline_days` is the state;
//! these Events are the reminder.

use std::collections::HashSet;

use govkh_core::{
    api::Day,
    audit::{Deadline, notice_due},
    law::clock::DeadlineKind,
    message,
};

use crate::context::Context;

/// Which notice of which deadline: (tenancy, kind, day, the notice's days).
type Said = (String, DeadlineKind, Day, i64);

/// The notices this process has said.
#[derive(Debug, Default)]
pub struct Notices {
    said: HashSet<Said>,
}

/// A notice to say: the deadline and which of `NOTICE_DAYS` it has reached.
#[derive(Debug, PartialEq, Eq)]
pub struct Notice<'a> {
    /// The deadline.
    pub deadline: &'a Deadline,
    /// 30, 7 or 0.
    pub at: i64,
}

impl Notice<'_> {
    /// The Event's reason: `DeadlineToday` on the last day, `DeadlineApproaching` before.
    pub fn reason(&self) -> &'static str {
        if self.at == 0 {
            "DeadlineToday"
        } else {
            "DeadlineApproaching"
        }
    }

    /// A month ahead is news (`Normal`); a week ahead and the last day are warnings.
    pub fn warning(&self) -> bool {
        self.at < 30
    }

    /// The Event's note: the English sentence, then the Khmer.
    pub fn note(&self) -> String {
        let d = self.deadline;
        let args = (
            d.tenancy.as_str(),
            d.kind,
            d.approval.as_deref(),
            d.day,
            d.days_left,
        );
        format!(
            "{}\n{}",
            message::en::deadline_notice(args.0, args.1, args.2, args.3, args.4),
            message::km::deadline_notice(args.0, args.1, args.2, args.3, args.4)
        )
    }
}

impl Notices {
    /// The notices due after an audit whose running deadlines are `deadlines`: for each, the
    /// nearest of `NOTICE_DAYS` it has reached, unless said already. A deadline that no
    /// longer runs (met, renewed, moved) is forgotten, so memory holds only what runs.
    pub fn due<'a>(&mut self, deadlines: &'a [Deadline]) -> Vec<Notice<'a>> {
        let running: HashSet<(&str, DeadlineKind, Day)> = deadlines
            .iter()
            .map(|d| (d.tenancy.as_str(), d.kind, d.day))
            .collect();
        self.said
            .retain(|(t, k, day, _)| running.contains(&(t.as_str(), *k, *day)));
        deadlines
            .iter()
            .filter_map(|d| {
                let at = notice_due(d.days_left)?;
                self.said
                    .insert((d.tenancy.clone(), d.kind, d.day, at))
                    .then_some(Notice { deadline: d, at })
            })
            .collect()
    }

    /// Say the notices due as Events on their Ministries. A ministry the index does not hold
    /// is skipped (the audit reports the tenancy's missing reference); an Event that cannot be
    /// published is logged by `Context::event` and not tried again.
    pub async fn publish(&mut self, ctx: &Context, deadlines: &[Deadline]) {
        let due = self.due(deadlines);
        if due.is_empty() {
            return;
        }
        let inventory = ctx.index.inventory();
        for notice in due {
            let Some(ministry) = inventory.ministries.get(&notice.deadline.ministry) else {
                continue;
            };
            ctx.event(
                &ministry.object,
                notice.warning(),
                notice.reason(),
                &notice.note(),
            )
            .await;
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn deadline(tenancy: &str, days_left: i64) -> Deadline {
        Deadline {
            ministry: "mef".into(),
            tenancy: tenancy.into(),
            kind: DeadlineKind::Migration,
            approval: None,
            day: "2027-03-01".parse().unwrap(),
            days_left,
        }
    }

    fn said(n: &mut Notices, deadlines: &[Deadline]) -> Vec<(String, i64)> {
        n.due(deadlines)
            .into_iter()
            .map(|x| (x.deadline.tenancy.clone(), x.at))
            .collect()
    }

    #[test]
    fn each_notice_is_said_once_on_the_day_it_is_reached() {
        let mut n = Notices::default();
        assert!(said(&mut n, &[deadline("a", 95)]).is_empty());
        assert_eq!(said(&mut n, &[deadline("a", 30)]), [("a".into(), 30)]);
        // The same day audited again, and the days after: nothing new until a week is left.
        assert!(said(&mut n, &[deadline("a", 30)]).is_empty());
        assert!(said(&mut n, &[deadline("a", 8)]).is_empty());
        assert_eq!(said(&mut n, &[deadline("a", 7)]), [("a".into(), 7)]);
        assert!(said(&mut n, &[deadline("a", 1)]).is_empty());
        assert_eq!(said(&mut n, &[deadline("a", 0)]), [("a".into(), 0)]);
        assert!(said(&mut n, &[deadline("a", 0)]).is_empty());
    }

    #[test]
    fn a_start_within_a_week_says_only_the_weeks_notice() {
        let mut n = Notices::default();
        assert_eq!(
            said(&mut n, &[deadline("a", 5), deadline("b", 40)]),
            [("a".into(), 7)]
        );
    }

    #[test]
    fn a_deadline_that_no_longer_runs_is_forgotten_and_a_new_one_noticed() {
        let mut n = Notices::default();
        assert_eq!(said(&mut n, &[deadline("a", 7)]), [("a".into(), 7)]);
        // Its approval came: the tenancy's deadline is now the approval's end, a year away.
        let mut renewed = deadline("a", 20);
        renewed.kind = DeadlineKind::ApprovalExpiry;
        renewed.approval = Some("ap".into());
        renewed.day = "2027-12-31".parse().unwrap();
        assert_eq!(said(&mut n, &[renewed]), [("a".into(), 30)]);
        assert_eq!(n.said.len(), 1, "{:?}", n.said);
    }

    #[test]
    fn the_note_is_english_then_khmer_and_the_last_day_a_warning() {
        let d = deadline("gdt-legacy", 0);
        let notice = Notice {
            deadline: &d,
            at: 0,
        };
        assert_eq!(notice.reason(), "DeadlineToday");
        assert!(notice.warning());
        let note = notice.note();
        let (en, km) = note.split_once('\n').unwrap();
        assert_eq!(
            en,
            "CloudTenancy gdt-legacy runs outside the government cloud without an exception in force: it must have migrated to the government cloud; today (2027-03-01) is the last day (Art. 10)"
        );
        assert!(km.contains("ថ្ងៃចុងក្រោយ") && km.contains("មាត្រា 10"), "{km}");
        let month = deadline("x", 30);
        assert!(
            !Notice {
                deadline: &month,
                at: 30
            }
            .warning()
        );
    }
}
