//! What a policy says about itself in its `METADATA`: the articles, the action, the penalty the
//! law attaches (with its prose), and the kinds and operations it judges.

use crate::finding::Penalty;
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;

/// A fine in riels: one amount, or one per data level (Art. 40).
#[derive(Clone, Debug, PartialEq, Eq, Deserialize, Serialize)]
#[serde(untagged)]
pub enum Amount {
    /// The same maximum whatever the data.
    Fixed(u64),
    /// The maximum by data level (`top-secret`, `confidential`).
    ByLevel(BTreeMap<String, u64>),
}

impl Amount {
    fn for_level(&self, level: Option<&str>) -> Option<u64> {
        match self {
            Amount::Fixed(n) => Some(*n),
            Amount::ByLevel(m) => level.and_then(|l| m.get(l).copied()),
        }
    }
}

/// The penalty a policy's breaches carry (Art. 38-40).
#[derive(Clone, Debug, PartialEq, Eq, Deserialize, Serialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct PenaltyMeta {
    /// The penalty article.
    pub article: String,
    /// Maximum for each natural person.
    #[serde(default)]
    pub natural_person: Option<Amount>,
    /// Maximum for each legal person.
    #[serde(default)]
    pub legal_person: Option<Amount>,
    /// Maximum for any person, where the law names no kind of person (Art. 38: "a person").
    #[serde(default)]
    pub person: Option<Amount>,
}

impl PenaltyMeta {
    /// The penalty for people: `Art. 38: up to 200,000 riels per person`, amounts by
    /// level where they depend on the data (`20,000,000 (top-secret) / 10,000,000
    /// (confidential)`).
    pub fn describe(&self) -> String {
        fn amount(a: &Amount) -> String {
            match a {
                Amount::Fixed(n) => crate::finding::riels(*n),
                // The largest first (top-secret before confidential).
                Amount::ByLevel(m) => {
                    let mut levels: Vec<_> = m.iter().collect();
                    levels.sort_by(|a, b| b.1.cmp(a.1).then(a.0.cmp(b.0)));
                    levels
                        .iter()
                        .map(|(level, n)| format!("{} ({level})", crate::finding::riels(**n)))
                        .collect::<Vec<_>>()
                        .join(" / ")
                }
            }
        }
        let mut parts = Vec::new();
        if let Some(a) = &self.person {
            parts.push(format!("{} riels per person", amount(a)));
        }
        if let Some(a) = &self.natural_person {
            parts.push(format!("{} riels per natural person", amount(a)));
        }
        if let Some(a) = &self.legal_person {
            parts.push(format!("{} riels per legal person", amount(a)));
        }
        if parts.is_empty() {
            format!("Art. {}", self.article)
        } else {
            format!("Art. {}: up to {}", self.article, parts.join(", "))
        }
    }

    /// The penalty for a breach concerning data of `level` (if the amounts depend on it).
    pub fn for_level(&self, level: Option<&str>) -> Penalty {
        Penalty {
            article: self.article.clone(),
            natural_person_max_riel: self
                .natural_person
                .as_ref()
                .and_then(|a| a.for_level(level)),
            legal_person_max_riel: self.legal_person.as_ref().and_then(|a| a.for_level(level)),
            person_max_riel: self.person.as_ref().and_then(|a| a.for_level(level)),
        }
    }
}

/// Kinds a policy may name without a second look: ours and the ones govkh reads from a
/// cluster, plus the pods and replica sets controllers make from templates.
pub(crate) fn known_kinds() -> impl Iterator<Item = &'static str> {
    crate::resources::RESOURCES
        .iter()
        .map(|r| r.kind)
        .chain(["Pod", "ReplicaSet"])
}

/// What is wrong with a policy's declared kinds: a name that is not a kind, or one a letter or
/// two from a known kind (a typo would make the policy judge nothing, silently).
pub(crate) fn kinds_problem(kinds: &[String]) -> Option<String> {
    for kind in kinds {
        let well_formed = kind.chars().next().is_some_and(|c| c.is_ascii_uppercase())
            && kind.chars().all(|c| c.is_ascii_alphanumeric());
        if !well_formed {
            return Some(format!(
                "{kind:?} is not a kind name (like Deployment: a capital letter, then letters and digits)"
            ));
        }
        if known_kinds().any(|k| k == kind) {
            continue;
        }
        // One letter off, two for long names, or another case: short real kinds (Node, Role)
        // sit two letters from known ones and stay allowed.
        let close = |k: &str| {
            let d = crate::loading::manifest::edit_distance(k, kind);
            k.eq_ignore_ascii_case(kind)
                || (kind.len() >= 4 && d == 1)
                || (kind.len() >= 8 && d == 2)
        };
        if let Some(meant) = known_kinds().find(|k| close(k)) {
            return Some(format!(
                "{kind} is not a kind govkh knows: did you mean {meant}?"
            ));
        }
    }
    None
}
