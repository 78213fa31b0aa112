//! The committee's record over time (Art. 34): the leader keeps each ministry's daily record
//! (`report::history`) in ConfigMaps of its own namespace, one per ministry per year
//! (`govkh-history-<ministry>-<year>`, labelled `digital.gov.kh/history=true`, key
//! `history.json`; at most 366 days and the open breaches, well under the API server's 1 MiB).
//! After each audit it records the day and applies only the ConfigMaps whose content changed,
//! so an unchanged day writes nothing. `govkh report --cluster` reads them back.

use std::collections::BTreeMap;

use govkh_core::{
    api::Day,
    audit::history::{DayRecord, History, Observation},
    provision::desired::{FIELD_MANAGER, LABEL_MANAGED_BY},
};
use k8s_openapi::api::core::v1::ConfigMap;
use kube::{
    Api, Client,
    api::{ListParams, ObjectMeta, PatchParams},
};

/// The label that marks a history ConfigMap.
pub const LABEL: &str = "digital.gov.kh/history";
/// The label naming its ministry.
pub const LABEL_MINISTRY: &str = "digital.gov.kh/ministry";
/// The key holding the record.
pub const KEY: &str = "history.json";

/// A history ConfigMap's name.
pub fn name(ministry: &str, year: i16) -> String {
    format!("govkh-history-{ministry}-{year}")
}

/// What went wrong reading or writing the records.
#[derive(Debug, thiserror::Error)]
pub enum Error {
    /// The API server refused or could not be reached.
    #[error("history ConfigMaps in {namespace}: {source}")]
    Api {
        /// The namespace.
        namespace: String,
        /// The error.
        source: kube::Error,
    },
    /// A ConfigMap holds something that is not a record.
    #[error("ConfigMap {namespace}/{name}: {message}")]
    Malformed {
        /// The namespace.
        namespace: String,
        /// Its name.
        name: String,
        /// What is wrong.
        message: String,
    },
}

/// One year of one ministry's history, as stored.
#[derive(serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "camelCase")]
struct Stored {
    days: Vec<DayRecord>,
    #[serde(default)]
    open: BTreeMap<String, Day>,
}

/// The histories kept in `namespace`, by ministry (years joined; the open breaches are the
/// latest year's). A ConfigMap that is not a record is an error naming it: a trend with a hole
/// nobody sees is wrong.
pub async fn read(client: Client, namespace: &str) -> Result<BTreeMap<String, History>, Error> {
    let api: Api<ConfigMap> = Api::namespaced(client, namespace);
    let list = api
        .list(&ListParams::default().labels(&format!("{LABEL}=true")))
        .await
        .map_err(|source| Error::Api {
            namespace: namespace.to_string(),
            source,
        })?;
    let mut out: BTreeMap<String, History> = BTreeMap::new();
    let mut latest: BTreeMap<String, Day> = BTreeMap::new();
    for cm in list.items {
        let cm_name = cm.metadata.name.clone().unwrap_or_default();
        let malformed = |message: String| Error::Malformed {
            namespace: namespace.to_string(),
            name: cm_name.clone(),
            message,
        };
        let ministry = cm
            .metadata
            .labels
            .as_ref()
            .and_then(|l| l.get(LABEL_MINISTRY))
            .cloned()
            .ok_or_else(|| malformed(format!("no {LABEL_MINISTRY} label")))?;
        let text = cm
            .data
            .as_ref()
            .and_then(|d| d.get(KEY))
            .ok_or_else(|| malformed(format!("no {KEY}")))?;
        let stored: Stored = serde_json::from_str(text).map_err(|e| malformed(e.to_string()))?;
        let h = out.entry(ministry.clone()).or_default();
        let last = stored.days.iter().map(|d| d.day).max();
        if let Some(last) = last
            && latest.get(&ministry).is_none_or(|l| *l < last)
        {
            latest.insert(ministry.clone(), last);
            h.open = stored.open;
        }
        h.days.extend(stored.days);
    }
    for h in out.values_mut() {
        h.days.sort_by_key(|d| d.day);
        h.days.dedup_by_key(|d| d.day);
    }
    Ok(out)
}

/// The ConfigMaps that hold `histories` in `namespace`: one per ministry per year of its
/// records; the open breaches in the latest year's.
pub fn config_maps(
    histories: &BTreeMap<String, History>,
    namespace: &str,
) -> Result<Vec<ConfigMap>, serde_json::Error> {
    let mut out = Vec::new();
    for (ministry, h) in histories {
        let mut years: BTreeMap<i16, Vec<DayRecord>> = BTreeMap::new();
        for d in &h.days {
            years
                .entry(d.day.date().year())
                .or_default()
                .push(d.clone());
        }
        let last_year = years.keys().next_back().copied();
        for (year, days) in years {
            let stored = Stored {
                days,
                open: if Some(year) == last_year {
                    h.open.clone()
                } else {
                    BTreeMap::new()
                },
            };
            out.push(ConfigMap {
                metadata: ObjectMeta {
                    name: Some(name(ministry, year)),
                    namespace: Some(namespace.to_string()),
                    labels: Some(
                        [
                            (LABEL.to_string(), "true".to_string()),
                            (LABEL_MINISTRY.to_string(), ministry.clone()),
                            (LABEL_MANAGED_BY.to_string(), FIELD_MANAGER.to_string()),
                        ]
                        .into(),
                    ),
                    ..Default::default()
                },
                data: Some([(KEY.to_string(), serde_json::to_string(&stored)?)].into()),
                ..Default::default()
            });
        }
    }
    Ok(out)
}

/// The leader's record keeper: the histories as last read or written, and what each ConfigMap
/// last held, so only a change is applied.
#[derive(Default)]
pub struct Keeper {
    histories: Option<BTreeMap<String, History>>,
    written: BTreeMap<String, String>,
}

impl Keeper {
    /// Record an audit's observations and apply the ConfigMaps that changed (read the stored
    /// records first, once). Returns how many were written.
    pub async fn record(
        &mut self,
        client: Client,
        namespace: &str,
        observations: &BTreeMap<String, Observation>,
    ) -> Result<usize, Error> {
        let histories = match &mut self.histories {
            Some(h) => h,
            None => {
                let read = read(client.clone(), namespace).await?;
                let maps = config_maps(&read, namespace).map_err(|e| Error::Malformed {
                    namespace: namespace.to_string(),
                    name: String::new(),
                    message: e.to_string(),
                })?;
                // What is stored now counts as written: re-applying it would change nothing.
                self.written = maps
                    .into_iter()
                    .filter_map(|cm| Some((cm.metadata.name?, cm.data?.remove(KEY)?)))
                    .collect();
                self.histories.insert(read)
            }
        };
        for (ministry, o) in observations {
            histories
                .entry(ministry.clone())
                .or_default()
                .record(o.clone());
        }
        let maps = config_maps(histories, namespace).map_err(|e| Error::Malformed {
            namespace: namespace.to_string(),
            name: String::new(),
            message: e.to_string(),
        })?;
        let api: Api<ConfigMap> = Api::namespaced(client, namespace);
        let params = PatchParams::apply(FIELD_MANAGER).force();
        let mut n = 0;
        for cm in maps {
            let (Some(cm_name), Some(text)) = (
                cm.metadata.name.clone(),
                cm.data.as_ref().and_then(|d| d.get(KEY)).cloned(),
            ) else {
                continue;
            };
            if self.written.get(&cm_name) == Some(&text) {
                continue;
            }
            let mut body = cm;
            body.metadata.managed_fields = None;
            let patch = serde_json::json!({
                "apiVersion": "v1",
                "kind": "ConfigMap",
                "metadata": body.metadata,
                "data": body.data,
            });
            api.patch(&cm_name, &params, &kube::api::Patch::Apply(&patch))
                .await
                .map_err(|source| Error::Api {
                    namespace: namespace.to_string(),
                    source,
                })?;
            self.written.insert(cm_name, text);
            n += 1;
        }
        Ok(n)
    }
}
