//! Status conditions, set the Kubernetes way: one entry per type, carrying the generation it
//! describes, and a `lastTransitionTime` that moves only when the status does — so an unchanged
//! object's status stays byte-for-byte the same and a second reconcile writes nothing. The time
//! is given, never read here.

use k8s_openapi::{
    apimachinery::pkg::apis::meta::v1::{Condition, Time},
    jiff::Timestamp,
};

/// Set condition `type_` in `conditions`. Returns whether anything changed.
pub fn set(
    conditions: &mut Vec<Condition>,
    type_: &str,
    status: bool,
    reason: &str,
    message: &str,
    generation: Option<i64>,
    now: Timestamp,
) -> bool {
    let status = if status { "True" } else { "False" }.to_string();
    if let Some(c) = conditions.iter_mut().find(|c| c.type_ == type_) {
        let unchanged = c.status == status
            && c.reason == reason
            && c.message == message
            && c.observed_generation == generation;
        if unchanged {
            return false;
        }
        if c.status != status {
            c.last_transition_time = Time(now);
        }
        c.status = status;
        c.reason = reason.to_string();
        c.message = message.to_string();
        c.observed_generation = generation;
        return true;
    }
    conditions.push(Condition {
        type_: type_.to_string(),
        status,
        reason: reason.to_string(),
        message: message.to_string(),
        observed_generation: generation,
        last_transition_time: Time(now),
    });
    true
}

#[cfg(test)]
mod tests {
    use super::*;

    fn at(s: &str) -> Timestamp {
        s.parse().unwrap()
    }

    #[test]
    fn the_transition_time_moves_only_when_the_status_does() {
        let mut cs = Vec::new();
        assert!(set(
            &mut cs,
            "Compliant",
            false,
            "WithinApplicationWindow",
            "apply by 2026-05-30",
            Some(1),
            at("2026-04-01T00:00:00Z")
        ));
        assert!(
            !set(
                &mut cs,
                "Compliant",
                false,
                "WithinApplicationWindow",
                "apply by 2026-05-30",
                Some(1),
                at("2026-04-02T00:00:00Z")
            ),
            "nothing changed"
        );
        assert_eq!(cs[0].last_transition_time.0, at("2026-04-01T00:00:00Z"));
        assert!(set(
            &mut cs,
            "Compliant",
            false,
            "ApplicationWindowMissed",
            "migrate by 2027-03-01",
            Some(1),
            at("2026-05-31T00:00:00Z")
        ));
        assert_eq!(
            cs[0].last_transition_time.0,
            at("2026-04-01T00:00:00Z"),
            "same status, new reason"
        );
        assert!(set(
            &mut cs,
            "Compliant",
            true,
            "Compliant",
            "inside",
            Some(2),
            at("2026-06-01T00:00:00Z")
        ));
        assert_eq!(cs[0].last_transition_time.0, at("2026-06-01T00:00:00Z"));
        assert_eq!(cs[0].observed_generation, Some(2));
        assert_eq!(cs.len(), 1);
        assert!(set(
            &mut cs,
            "Ready",
            true,
            "Reconciled",
            "",
            Some(2),
            at("2026-06-01T00:00:00Z")
        ));
        assert_eq!(cs.len(), 2);
    }
}
