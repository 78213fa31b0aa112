//! Prometheus metrics, in a registry owned by the operator's context (so tests can read it),
//! never in globals. Label values come from small fixed sets (controller names, outcomes),
//! never from object names.

use std::sync::Mutex;

use prometheus_client::{
    encoding::{EncodeLabelSet, text::encode},
    metrics::{counter::Counter, family::Family, histogram::Histogram},
    registry::Registry,
};

/// Labels of the reconcile metrics.
#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
pub struct ControllerLabels {
    /// The controller, e.g. `cloudtenancy`.
    pub controller: String,
}

/// The operator's metrics.
pub struct Metrics {
    registry: Mutex<Registry>,
    reconciles: Family<ControllerLabels, Counter>,
    failures: Family<ControllerLabels, Counter>,
    duration: Family<ControllerLabels, Histogram>,
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
        let failures = Family::<ControllerLabels, Counter>::default();
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
            "Reconciles that failed, by controller",
            failures.clone(),
        );
        registry.register(
            "reconcile_duration_seconds",
            "How long reconciles take, by controller",
            duration.clone(),
        );
        Metrics {
            registry: Mutex::new(registry),
            reconciles,
            failures,
            duration,
        }
    }

    /// Record one reconcile of `controller`.
    pub fn reconciled(&self, controller: &'static str, seconds: f64, ok: bool) {
        let labels = ControllerLabels {
            controller: controller.to_string(),
        };
        self.reconciles.get_or_create(&labels).inc();
        if !ok {
            self.failures.get_or_create(&labels).inc();
        }
        self.duration.get_or_create(&labels).observe(seconds);
    }

    /// The OpenMetrics text exposition.
    pub fn render(&self) -> String {
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
        m.reconciled("cloudtenancy", 0.02, true);
        m.reconciled("cloudtenancy", 0.3, false);
        let text = m.render();
        assert!(
            text.contains("govkh_reconciles_total{controller=\"cloudtenancy\"} 2"),
            "{text}"
        );
        assert!(
            text.contains("govkh_reconcile_failures_total{controller=\"cloudtenancy\"} 1"),
            "{text}"
        );
        assert!(
            text.contains("govkh_reconcile_duration_seconds_count{controller=\"cloudtenancy\"} 2"),
            "{text}"
        );
        assert!(text.ends_with("# EOF\n"));
    }
}
