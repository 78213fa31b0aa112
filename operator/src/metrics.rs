//! Prometheus metrics, in a registry owned by the operator's context (so tests can read it),
//! never in globals. Label values come from bounded sets — controller names, ministry codes,
//! article numbers, actions, clock states, and the names of CloudTenancies and Approvals (a
//! series each, only while a statutory deadline runs) — never from the names of workloads or
//! namespaces.

use std::sync::Mutex;

use prometheus_client::{
    encoding::{EncodeLabelSet, text::encode},
    metrics::{counter::Counter, family::Family, gauge::Gauge, histogram::Histogram},
    registry::Registry,
};

/// Labels of the reconcile metrics.
#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
pub struct ControllerLabels {
    /// The controller, e.g. `cloudtenancy`.
    pub controller: String,
}

/// Labels of the findings gauge.
#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
pub struct FindingLabels {
    /// The ministry's code, or `none`.
    pub ministry: String,
    /// The article, e.g. `10`, or `none`.
    pub article: String,
    /// `deny`, `warn`, `dryrun` or `error`.
    pub action: String,
}

/// Labels of the per-ministry gauges.
#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
pub struct MinistryLabels {
    /// The ministry's code.
    pub ministry: String,
}

/// Labels of the per-tenancy deadline gauge.
#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
pub struct DeadlineLabels {
    /// The tenancy's ministry.
    pub ministry: String,
    /// The CloudTenancy.
    pub tenancy: String,
    /// `application`, `migration` or `approval-expiry`.
    pub deadline: String,
    /// The approval in force whose end it is (`approval-expiry`), else empty.
    pub approval: String,
}

/// Labels of the tenancy-state gauge.
#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
pub struct StateLabels {
    /// The statutory clock's state.
    pub state: String,
}

/// Labels of the failure counter.
#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
pub struct FailureLabels {
    /// The controller.
    pub controller: String,
    /// The failure's category (`controller::Error::category`).
    pub category: String,
}

/// Labels of the admission counter.
#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
pub struct AdmissionLabels {
    /// `allowed`, `warned`, `denied`, `not-judged`, `unverified` or `malformed`.
    pub result: String,
}

/// The operator's metrics.
pub struct Metrics {
    registry: Mutex<Registry>,
    reconciles: Family<ControllerLabels, Counter>,
    failures: Family<FailureLabels, Counter>,
    duration: Family<ControllerLabels, Histogram>,
    findings: Family<FindingLabels, Gauge>,
    deadline_days: Family<MinistryLabels, Gauge>,
    tenancy_deadline_days: Family<DeadlineLabels, Gauge>,
    score: Family<MinistryLabels, Gauge>,
    undeclared_clouds: Family<MinistryLabels, Gauge>,
    tenancies: Family<StateLabels, Gauge>,
    refused: Family<MinistryLabels, Gauge>,
    audits: Counter,
    audit_failures: Counter,
    admissions: Family<AdmissionLabels, Counter>,
    admission_duration: Histogram,
    reads_through: Counter,
    heap: Gauge,
}

impl std::fmt::Debug for Metrics {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Metrics").finish_non_exhaustive()
    }
}

impl Default for Metrics {
    fn default() -> Self {
        Self::new()
    }
}

impl Metrics {
    /// A fresh registry with govkh's metrics.
    pub fn new() -> Self {
        let mut registry = Registry::with_prefix("govkh");
        let reconciles = Family::<ControllerLabels, Counter>::default();
        let failures = Family::<FailureLabels, Counter>::default();
        let duration = Family::<ControllerLabels, Histogram>::new_with_constructor(|| {
            Histogram::new([
                0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0,
            ])
        });
        registry.register(
            "reconciles",
            "Reconciles run, by controller",
            reconciles.clone(),
        );
        registry.register(
            "reconcile_failures",
            "Reconciles that failed, by controller and category (invalid, conflict, not-found, forbidden, unavailable, api)",
            failures.clone(),
        );
        registry.register(
            "reconcile_duration_seconds",
            "How long reconciles take, by controller",
            duration.clone(),
        );
        let findings = Family::<FindingLabels, Gauge>::default();
        registry.register(
            "findings",
            "Findings of the last audit, by ministry, article and action",
            findings.clone(),
        );
        let deadline_days = Family::<MinistryLabels, Gauge>::default();
        registry.register(
            "deadline_days",
            "Days from the last audit's day to the ministry's nearest running statutory deadline",
            deadline_days.clone(),
        );
        let tenancy_deadline_days = Family::<DeadlineLabels, Gauge>::default();
        registry.register(
            "tenancy_deadline_days",
            "Days from the last audit's day to each tenancy's nearest running statutory deadline: the last day to apply, to have migrated, or of the approval in force (Art. 10)",
            tenancy_deadline_days.clone(),
        );
        let score = Family::<MinistryLabels, Gauge>::default();
        registry.register(
            "compliance_score",
            "The ministry's 0-100 compliance score at the last audit",
            score.clone(),
        );
        let undeclared_clouds = Family::<MinistryLabels, Gauge>::default();
        registry.register(
            "undeclared_cloud_resources",
            "The ministry's cloud resources that no CloudTenancy in order covers, at the last audit (Art. 10)",
            undeclared_clouds.clone(),
        );
        let tenancies = Family::<StateLabels, Gauge>::default();
        registry.register(
            "tenancies",
            "CloudTenancies by statutory clock state at the last audit",
            tenancies.clone(),
        );
        let refused = Family::<MinistryLabels, Gauge>::default();
        registry.register(
            "admission_refused_last_day",
            "Requests this replica refused at admission in the last 24 hours, by ministry (sum over the replicas for the total)",
            refused.clone(),
        );
        let audits = Counter::default();
        registry.register("audits", "Audits of the cluster run", audits.clone());
        let audit_failures = Counter::default();
        registry.register(
            "audit_failures",
            "Audits that could not read the cluster",
            audit_failures.clone(),
        );
        let admissions = Family::<AdmissionLabels, Counter>::default();
        registry.register(
            "admission_reviews",
            "Admission reviews answered by the webhook, by result",
            admissions.clone(),
        );
        // Admission must answer within the webhook's timeout (10 s in the chart); the buckets
        // resolve the milliseconds a review should take and the seconds it must never reach.
        let admission_duration = Histogram::new([
            0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0,
        ]);
        registry.register(
            "admission_duration_seconds",
            "How long the webhook takes to answer an admission review, reads through included",
            admission_duration.clone(),
        );
        let reads_through = Counter::default();
        registry.register(
            "admission_reads_through",
            "Objects admission fetched from the API server because the live index did not hold them yet",
            reads_through.clone(),
        );
        // What the allocator says the process holds, read when scraped: beside the kernel's RSS
        // it tells a leak (this grows) from the allocator's free pages (only RSS moves).
        let heap = Gauge::default();
        registry.register(
            "heap_bytes",
            "Bytes the process holds in allocations at the scrape, as the allocator counts them (each thread's last MiB of change may be uncounted; RSS adds the allocator's free pages, code and stacks)",
            heap.clone(),
        );
        Metrics {
            heap,
            admissions,
            admission_duration,
            reads_through,
            registry: Mutex::new(registry),
            reconciles,
            failures,
            duration,
            findings,
            deadline_days,
            tenancy_deadline_days,
            score,
            undeclared_clouds,
            tenancies,
            refused,
            audits,
            audit_failures,
        }
    }

    /// Publish the refusals of the last day, per ministry (every replica its own).
    pub fn refused_last_day(&self, refused: &std::collections::BTreeMap<String, u32>) {
        self.refused.clear();
        for (ministry, n) in refused {
            self.refused
                .get_or_create(&MinistryLabels {
                    ministry: ministry.clone(),
                })
                .set(i64::from(*n));
        }
    }

    /// Replace the audit gauges with what `audit` found: series of ministries, articles or
    /// states that no longer occur disappear rather than keep their last value.
    pub fn audited(&self, audit: &govkh_core::audit::Audit) {
        self.audits.inc();
        self.findings.clear();
        for ((ministry, article, action), n) in &audit.findings {
            self.findings
                .get_or_create(&FindingLabels {
                    ministry: ministry.clone(),
                    article: article.clone(),
                    action: (*action).to_string(),
                })
                .set(i64::from(*n));
        }
        self.deadline_days.clear();
        for (ministry, days) in audit.days_to_deadline() {
            self.deadline_days
                .get_or_create(&MinistryLabels { ministry })
                .set(days);
        }
        self.tenancy_deadline_days.clear();
        for d in &audit.deadlines {
            self.tenancy_deadline_days
                .get_or_create(&DeadlineLabels {
                    ministry: d.ministry.clone(),
                    tenancy: d.tenancy.clone(),
                    deadline: d.kind.as_str().to_string(),
                    approval: d.approval.clone().unwrap_or_default(),
                })
                .set(d.days_left);
        }
        self.score.clear();
        self.undeclared_clouds.clear();
        for (ministry, s) in &audit.ministries {
            let labels = MinistryLabels {
                ministry: ministry.clone(),
            };
            self.score.get_or_create(&labels).set(i64::from(s.score));
            self.undeclared_clouds
                .get_or_create(&labels)
                .set(i64::from(s.undeclared_cloud_resources));
        }
        self.tenancies.clear();
        for (state, n) in &audit.tenancy_states {
            self.tenancies
                .get_or_create(&StateLabels {
                    state: (*state).to_string(),
                })
                .set(i64::from(*n));
        }
    }

    /// Record one admission review's result.
    pub fn admitted(&self, result: &str) {
        self.admissions
            .get_or_create(&AdmissionLabels {
                result: result.to_string(),
            })
            .inc();
    }

    /// Record how long one admission review took.
    pub fn admission_took(&self, seconds: f64) {
        self.admission_duration.observe(seconds);
    }

    /// Record objects fetched for admission past the index.
    pub fn read_through(&self, n: usize) {
        self.reads_through
            .inc_by(u64::try_from(n).unwrap_or(u64::MAX));
    }

    /// Record an audit that could not read the cluster.
    pub fn audit_failed(&self) {
        self.audit_failures.inc();
    }

    /// Record one reconcile of `controller`; `failed` is the failure's category, if it failed.
    pub fn reconciled(&self, controller: &'static str, seconds: f64, failed: Option<&'static str>) {
        let labels = ControllerLabels {
            controller: controller.to_string(),
        };
        self.reconciles.get_or_create(&labels).inc();
        if let Some(category) = failed {
            self.failures
                .get_or_create(&FailureLabels {
                    controller: controller.to_string(),
                    category: category.to_string(),
                })
                .inc();
        }
        self.duration.get_or_create(&labels).observe(seconds);
    }

    /// The OpenMetrics text exposition.
    pub fn render(&self) -> String {
        let held = regorus_mimalloc::global_allocation_stats_snapshot().allocated;
        self.heap.set(i64::try_from(held).unwrap_or(i64::MAX));
        let mut out = String::new();
        if let Ok(registry) = self.registry.lock() {
            let _ = encode(&mut out, &registry);
        }
        out
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reconciles_and_failures_are_counted_per_controller() {
        let m = Metrics::new();
        m.reconciled("cloudtenancy", 0.02, None);
        m.reconciled("cloudtenancy", 0.3, Some("unavailable"));
        let text = m.render();
        assert!(
            text.contains("govkh_reconciles_total{controller=\"cloudtenancy\"} 2"),
            "{text}"
        );
        assert!(
            text.contains(
                "govkh_reconcile_failures_total{controller=\"cloudtenancy\",category=\"unavailable\"} 1"
            ),
            "{text}"
        );
        assert!(
            text.contains("govkh_reconcile_duration_seconds_count{controller=\"cloudtenancy\"} 2"),
            "{text}"
        );
        assert!(text.ends_with("# EOF\n"));
    }

    #[test]
    fn admission_latency_is_a_histogram() {
        let m = Metrics::new();
        m.admission_took(0.0012);
        m.admission_took(0.2);
        m.read_through(2);
        let text = m.render();
        for line in [
            "govkh_admission_duration_seconds_count 2",
            "govkh_admission_duration_seconds_bucket{le=\"0.0025\"} 1",
            "govkh_admission_reads_through_total 2",
        ] {
            assert!(text.contains(line), "{line} in {text}");
        }
    }

    #[test]
    fn the_heap_gauge_follows_what_the_process_holds() {
        fn heap(text: &str) -> i64 {
            text.lines()
                .find_map(|l| l.strip_prefix("govkh_heap_bytes "))
                .and_then(|v| v.parse().ok())
                .unwrap_or_else(|| panic!("no govkh_heap_bytes in {text}"))
        }
        let m = Metrics::new();
        let before = heap(&m.render());
        assert!(before > 0, "{before}");
        // 64 MiB written to, so that it is held; other tests in this process may allocate or
        // free meanwhile, so only half of it is asserted.
        let block = vec![1u8; 64 << 20];
        let during = heap(&m.render());
        assert!(during - before > 32 << 20, "{before} then {during}");
        drop(block);
        let after = heap(&m.render());
        assert!(during - after > 32 << 20, "{during} then {after}");
    }

    #[test]
    fn an_audit_replaces_the_previous_series() {
        let m = Metrics::new();
        let mut a = govkh_core::audit::Audit::default();
        a.findings.insert(("mef".into(), "10".into(), "deny"), 2);
        a.tenancy_states.insert("MigrationOverdue", 1);
        a.today = Some("2026-11-26".parse().unwrap());
        a.ministries.insert(
            "mef".into(),
            govkh_core::api::ComplianceSummary {
                score: 70,
                next_deadline: Some("2027-03-01".parse().unwrap()),
                undeclared_cloud_resources: 3,
                ..Default::default()
            },
        );
        a.deadlines.push(govkh_core::audit::Deadline {
            ministry: "mef".into(),
            tenancy: "mef-workloads".into(),
            kind: govkh_core::law::clock::DeadlineKind::ApprovalExpiry,
            approval: Some("mef-aws".into()),
            day: "2027-05-10".parse().unwrap(),
            days_left: 165,
        });
        m.audited(&a);
        let text = m.render();
        for line in [
            "govkh_tenancy_deadline_days{ministry=\"mef\",tenancy=\"mef-workloads\",deadline=\"approval-expiry\",approval=\"mef-aws\"} 165",
            "govkh_findings{ministry=\"mef\",article=\"10\",action=\"deny\"} 2",
            "govkh_tenancies{state=\"MigrationOverdue\"} 1",
            "govkh_deadline_days{ministry=\"mef\"} 95",
            "govkh_undeclared_cloud_resources{ministry=\"mef\"} 3",
            "govkh_compliance_score{ministry=\"mef\"} 70",
            "govkh_audits_total 1",
        ] {
            assert!(text.contains(line), "{line} in {text}");
        }
        a.findings.clear();
        a.findings.insert(("moh".into(), "29".into(), "warn"), 1);
        a.deadlines.clear();
        m.audited(&a);
        let text = m.render();
        assert!(!text.contains("tenancy=\"mef-workloads\""), "{text}");
        assert!(!text.contains("ministry=\"mef\",article=\"10\""), "{text}");
        assert!(text.contains("govkh_findings{ministry=\"moh\",article=\"29\",action=\"warn\"} 1"));
    }
}
