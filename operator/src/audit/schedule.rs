//! When the audit runs: when something it depends on changed (paced: at least `AUDIT_MIN_GAP`
//! and `AUDIT_DUTY` times the last audit's duration apart), when the day turns in Phnom Penh,
//! and looking again every interval — never on an unchanged cluster. The loop keeps the result
//! in the context and has the leader write the history and the compliance reports, and say the
//! deadline notices due.

use crate::{
    audit,
    context::Context,
    controller::{self},
};
use govkh_core::{api::Day, policy::Library};
use k8s_openapi::jiff::Timestamp;
use std::{
    sync::{
        Arc,
        atomic::{AtomicBool, Ordering},
    },
    time::Duration,
};

/// Least time between two audits, however often the inventory changes.
pub const AUDIT_MIN_GAP: Duration = Duration::from_secs(5);

/// Audit the live index at least every `interval`, and sooner (but not within
/// `AUDIT_MIN_GAP`) when it changes: keep the result in the context, publish the metrics while
/// `leading`, and signal `done`. The evaluation runs on a blocking thread; nothing is listed.
pub async fn audit_loop(
    ctx: Arc<Context>,
    policies: Arc<Library>,
    interval: Duration,
    leading: Arc<AtomicBool>,
    done: tokio::sync::watch::Sender<u64>,
    history_namespace: Option<String>,
    reports: Option<govkh_core::render::openreports::Options>,
) {
    let mut n = 0u64;
    let mut keeper = crate::writers::history::Keeper::default();
    let mut writer = reports.map(|o| crate::writers::openreports::Writer::new(o.flavour));
    let mut notices = crate::writers::deadlines::Notices::default();
    // An audit of an index that has not listed every kind would report an empty cluster.
    while !ctx.index.is_synced() {
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
    // What the last audit judged: the index's version and the day. The verdicts are a function
    // of the two (and of the leader's role, for what it writes), so an audit of the same pair
    // would find exactly the same: idle is idle.
    let mut judged: Option<(u64, Day, bool)> = None;
    loop {
        // Timing only paces the audits; it decides nothing.
        let started = std::time::Instant::now();
        let (index, lib, now) = (ctx.index.clone(), policies.clone(), (ctx.now)());
        let state = (
            index.version(),
            Day::in_phnom_penh(now),
            leading.load(Ordering::Relaxed),
        );
        if judged == Some(state) {
            // Only the count of the last day's refusals moves with the clock alone.
            ctx.metrics.refused_last_day(&index.refused_last_day(now));
            tracing::debug!("nothing changed since the last audit; not audited again");
            until_next_audit(index.notifier(), audit_due_in(now, interval), AUDIT_MIN_GAP).await;
            continue;
        }
        judged = Some(state);
        // Only the leader writes reports: the others do not build them.
        let build = reports.filter(|_| leading.load(Ordering::Relaxed));
        match tokio::task::spawn_blocking(move || {
            audit::with_reports(&index, &lib, now, build.as_ref())
        })
        .await
        {
            Ok((a, built)) => {
                tracing::info!(
                    ministries = a.ministries.len(),
                    findings = a.findings.values().sum::<u32>(),
                    problems = a.problems,
                    "audit complete"
                );
                let observations = a.observations.clone();
                if leading.load(Ordering::Relaxed) {
                    notices.publish(&ctx, &a.deadlines).await;
                }
                // Every replica counts the requests it answered: each publishes its own.
                ctx.metrics.refused_last_day(&a.refused_last_day);
                ctx.set_audit(a, leading.load(Ordering::Relaxed));
                // The leader alone writes the history and the reports; a failure is said and
                // tried again at the next interval even if nothing changes.
                if leading.load(Ordering::Relaxed)
                    && !publish(
                        &ctx,
                        history_namespace.as_deref(),
                        &mut keeper,
                        &observations,
                        writer.as_mut().filter(|_| build.is_some()),
                        built,
                        now,
                    )
                    .await
                {
                    judged = None;
                }
                n = n.wrapping_add(1);
                let _ = done.send(n);
            }
            Err(e) => {
                ctx.metrics.audit_failed();
                tracing::warn!(error = %e, "audit failed");
                judged = None;
            }
        }
        until_next_audit(
            ctx.index.notifier(),
            audit_due_in((ctx.now)(), interval),
            audit_gap(started.elapsed()),
        )
        .await;
    }
}

/// How long until the next audit is due if nothing changes: `interval`, or sooner when the day
/// turns in Phnom Penh first (the turn moves deadlines and clock states: a change too).
pub fn audit_due_in(now: Timestamp, interval: Duration) -> Duration {
    let day_turns = controller::until(now, Day::in_phnom_penh(now).next().start());
    interval.min(day_turns)
}

/// How many times an audit's own duration the next one waits, at least, after a change: a
/// cluster that keeps changing (a controller manager catching up on 10,000 Deployments) gets
/// an audit every few seconds at most, and the audit at most a tenth of a core.
pub const AUDIT_DUTY: u32 = 10;

/// The least time between two audits, after one that took `took`: `AUDIT_MIN_GAP`, or
/// `AUDIT_DUTY` times `took` when that is longer.
pub fn audit_gap(took: Duration) -> Duration {
    AUDIT_MIN_GAP.max(took.saturating_mul(AUDIT_DUTY))
}

/// Wait until the next audit is due: `interval` after the last, or `gap` after it if the index
/// changed meanwhile (a change during the audit counts: `Notify` keeps it).
pub async fn until_next_audit(changed: &tokio::sync::Notify, interval: Duration, gap: Duration) {
    let gap = gap.min(interval);
    tokio::time::sleep(gap).await;
    tokio::select! {
        () = tokio::time::sleep(interval.saturating_sub(gap)) => {}
        () = changed.notified() => {}
    }
}

/// What the leader writes after an audit: each ministry's day in its history (with
/// `--history-namespace`) and the compliance reports (with `--reports`). False when a write
/// failed (said in the log): the caller audits again at the next interval.
async fn publish(
    ctx: &Context,
    history_namespace: Option<&str>,
    keeper: &mut crate::writers::history::Keeper,
    observations: &std::collections::BTreeMap<String, govkh_core::audit::history::Observation>,
    writer: Option<&mut crate::writers::openreports::Writer>,
    built: Vec<govkh_core::render::openreports::Report>,
    now: Timestamp,
) -> bool {
    let mut written = true;
    if let Some(ns) = history_namespace {
        match keeper.record(ctx.client.clone(), ns, observations).await {
            Ok(0) => {}
            Ok(n) => tracing::info!(written = n, namespace = %ns, "history recorded"),
            Err(e) => {
                tracing::warn!(error = %e, "cannot record the history");
                written = false;
            }
        }
    }
    if let Some(w) = writer {
        match w.write(&ctx.client, built, now).await {
            Ok(crate::writers::openreports::Written {
                applied: 0,
                deleted: 0,
                ..
            }) => {}
            Ok(done) => tracing::info!(
                applied = done.applied,
                deleted = done.deleted,
                skipped = done.skipped,
                "compliance reports written"
            ),
            Err(e) => {
                tracing::warn!(error = %e, "cannot write the compliance reports");
                written = false;
            }
        }
    }
    written
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_day_turning_in_phnom_penh_brings_the_next_audit_forward() {
        let interval = Duration::from_secs(300);
        // 23:59:00 in Phnom Penh (UTC+7): the day turns in 60 s.
        let before_midnight: Timestamp = "2026-11-26T16:59:00Z".parse().unwrap();
        assert_eq!(audit_due_in(before_midnight, interval).as_secs(), 60);
        // Noon: the interval.
        let noon: Timestamp = "2026-11-26T05:00:00Z".parse().unwrap();
        assert_eq!(audit_due_in(noon, interval), interval);
    }

    #[tokio::test(start_paused = true)]
    async fn the_next_audit_comes_at_the_interval_or_soon_after_a_change() {
        let changed = tokio::sync::Notify::new();
        let interval = Duration::from_secs(300);
        let start = tokio::time::Instant::now();
        until_next_audit(&changed, interval, AUDIT_MIN_GAP).await;
        assert_eq!(start.elapsed(), interval, "nothing changed");
        let start = tokio::time::Instant::now();
        changed.notify_one();
        until_next_audit(&changed, interval, AUDIT_MIN_GAP).await;
        assert_eq!(
            start.elapsed(),
            AUDIT_MIN_GAP,
            "a change, but never sooner than the gap"
        );
        // An audit that took 1.4 s (10,000 Deployments): the next waits 14 s after a change,
        // never longer than the interval.
        let gap = audit_gap(Duration::from_millis(1400));
        assert_eq!(gap, Duration::from_secs(14));
        assert_eq!(audit_gap(Duration::from_millis(20)), AUDIT_MIN_GAP);
        let start = tokio::time::Instant::now();
        changed.notify_one();
        until_next_audit(&changed, interval, gap).await;
        assert_eq!(start.elapsed(), gap);
        let start = tokio::time::Instant::now();
        changed.notify_one();
        until_next_audit(&changed, Duration::from_secs(10), gap).await;
        assert_eq!(
            start.elapsed(),
            Duration::from_secs(10),
            "capped by the interval"
        );
    }
}
