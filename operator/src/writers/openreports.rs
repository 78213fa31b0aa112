//! The leader's report writer: after each audit, the reports `openreports::reports` built
//! (one per namespace with results, one for the cluster) are applied by server-side apply, only
//! those that changed; a report whose namespace no longer has results is deleted. Each result
//! keeps the timestamp of the audit that first found it, so an unchanged cluster writes nothing.
//! The report kinds are not ours: when the API server does not serve them, the writer says so
//! once and writes nothing (and looks again now and then).

use std::{
    collections::{BTreeMap, HashMap},
    time::{Duration, Instant},
};

use govkh_core::{
    provision::desired::{FIELD_MANAGER, LABEL_MANAGED_BY},
    render::openreports::{Flavour, NAME, Report, ResultTimestamp},
};
use k8s_openapi::jiff::Timestamp;
use kube::{
    Api, Client,
    api::{DeleteParams, ListParams, Patch, PatchParams},
    core::{ApiResource, DynamicObject, GroupVersionKind},
};

/// How often the writer looks again for report kinds it found absent.
pub const RECHECK: Duration = Duration::from_secs(300);

/// What went wrong writing reports.
#[derive(Debug, thiserror::Error)]
pub enum Error {
    /// The API server refused or could not be reached.
    #[error("{what}: {source}")]
    Api {
        /// What was being done.
        what: String,
        /// The error.
        source: kube::Error,
    },
    /// A report could not be encoded or decoded.
    #[error("{what}: {source}")]
    Json {
        /// Which report.
        what: String,
        /// The error.
        source: serde_json::Error,
    },
}

/// What one round of writing did.
#[derive(Debug, Default, PartialEq, Eq)]
pub struct Written {
    /// Reports applied (created or changed).
    pub applied: usize,
    /// Reports deleted (their namespace had no results left).
    pub deleted: usize,
    /// Reports not written because their namespace is gone (it will not come back by retrying).
    pub skipped: usize,
}

/// Whether the API server serves the report kinds.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Served {
    Unknown,
    Absent(Instant),
    Present,
}

/// The leader's writer: what each report last held as written, and when each result was first
/// found.
pub struct Writer {
    flavour: Flavour,
    served: Served,
    /// By namespace (None: the cluster report): the report as written, `comparable`.
    written: Option<BTreeMap<Option<String>, String>>,
    /// By result key: when it was first found.
    found: HashMap<String, ResultTimestamp>,
}

impl Writer {
    /// A writer of `flavour` reports that has written nothing yet.
    pub fn new(flavour: Flavour) -> Self {
        Writer {
            flavour,
            served: Served::Unknown,
            written: None,
            found: HashMap::new(),
        }
    }

    fn resource(&self, namespaced: bool) -> ApiResource {
        let gvk = GroupVersionKind::gvk(
            self.flavour.group(),
            self.flavour.version(),
            self.flavour.kind(namespaced),
        );
        ApiResource::from_gvk_with_plural(&gvk, self.flavour.plural(namespaced))
    }

    fn api(&self, client: &Client, namespace: Option<&str>) -> Api<DynamicObject> {
        match namespace {
            Some(ns) => Api::namespaced_with(client.clone(), ns, &self.resource(true)),
            None => Api::all_with(client.clone(), &self.resource(false)),
        }
    }

    /// Whether the API server serves both report kinds; asked once, and again every `RECHECK`
    /// while they are absent. Absence is logged once each time it is found.
    async fn served(&mut self, client: &Client) -> Result<bool, Error> {
        match self.served {
            Served::Present => return Ok(true),
            Served::Absent(since) if since.elapsed() < RECHECK => return Ok(false),
            _ => {}
        }
        let api_version = self.flavour.api_version();
        let present = match client.list_api_group_resources(&api_version).await {
            Ok(list) => [true, false].iter().all(|&namespaced| {
                let plural = self.flavour.plural(namespaced);
                list.resources.iter().any(|r| r.name == plural)
            }),
            Err(kube::Error::Api(s)) if s.code == 404 => false,
            Err(source) => {
                return Err(Error::Api {
                    what: format!("discovering {api_version}"),
                    source,
                });
            }
        };
        if present {
            if self.served != Served::Present {
                tracing::info!(api = %api_version, "writing compliance reports");
            }
            self.served = Served::Present;
        } else {
            if !matches!(self.served, Served::Absent(_)) {
                tracing::warn!(
                    api = %api_version,
                    "the API server does not serve {} and {}: compliance reports are not written (install their CRDs, e.g. the chart's openreports.installCRDs=true, or run with --reports=none)",
                    self.flavour.plural(true),
                    self.flavour.plural(false),
                );
            }
            self.served = Served::Absent(Instant::now());
        }
        Ok(present)
    }

    /// Read the reports govkh wrote before (a restart, another leader): what they hold counts
    /// as written, and their results keep the time they were first found.
    async fn load(&mut self, client: &Client) -> Result<BTreeMap<Option<String>, String>, Error> {
        let mut written = BTreeMap::new();
        let lp = ListParams::default().labels(&format!("{LABEL_MANAGED_BY}={FIELD_MANAGER}"));
        for namespaced in [true, false] {
            let api: Api<DynamicObject> = Api::all_with(client.clone(), &self.resource(namespaced));
            let list = api.list(&lp).await.map_err(|source| Error::Api {
                what: format!("listing {}", self.flavour.plural(namespaced)),
                source,
            })?;
            for item in list.items {
                if item.metadata.name.as_deref() != Some(NAME) {
                    continue;
                }
                let what = format!(
                    "{} {}/{NAME}",
                    self.flavour.kind(namespaced),
                    item.metadata.namespace.as_deref().unwrap_or("")
                );
                let report: Report = serde_json::to_value(&item)
                    .and_then(serde_json::from_value)
                    .map_err(|source| Error::Json {
                        what: what.clone(),
                        source,
                    })?;
                for r in &report.results {
                    if let Some(t) = r.timestamp {
                        self.found.insert(r.key(), t);
                    }
                }
                let text = serde_json::to_string(&report.comparable())
                    .map_err(|source| Error::Json { what, source })?;
                written.insert(report.metadata.namespace.clone(), text);
            }
        }
        Ok(written)
    }

    /// Write `reports` as of `now`: apply those that differ from what was written, delete those
    /// no longer desired. Nothing is written when the report kinds are not served.
    pub async fn write(
        &mut self,
        client: &Client,
        mut reports: Vec<Report>,
        now: Timestamp,
    ) -> Result<Written, Error> {
        let mut done = Written::default();
        if !self.served(client).await? {
            return Ok(done);
        }
        let mut written = match self.written.take() {
            Some(w) => w,
            None => self.load(client).await?,
        };
        self.stamp(&mut reports, now);
        let params = PatchParams::apply(FIELD_MANAGER).force();
        let mut desired = std::collections::BTreeSet::new();
        let mut failed = None;
        for report in &reports {
            let namespace = report.metadata.namespace.clone();
            desired.insert(namespace.clone());
            let what = format!(
                "{} {}/{NAME}",
                report.kind,
                namespace.as_deref().unwrap_or("")
            );
            let text =
                serde_json::to_string(&report.comparable()).map_err(|source| Error::Json {
                    what: what.clone(),
                    source,
                })?;
            if written.get(&namespace) == Some(&text) {
                continue;
            }
            let api = self.api(client, namespace.as_deref());
            match api.patch(NAME, &params, &Patch::Apply(report)).await {
                Ok(_) => {
                    written.insert(namespace, text);
                    done.applied += 1;
                }
                // The namespace was deleted since the audit, or is being deleted (the API
                // server refuses new content there): its results go with it.
                Err(e) if namespace.is_some() && namespace_going(&e) => {
                    done.skipped += 1;
                }
                Err(source) => {
                    // The report kinds may have been removed: look again before the next write.
                    if matches!(&source, kube::Error::Api(s) if s.code == 404) {
                        self.served = Served::Unknown;
                    }
                    // Keep going: one report refused is no reason to leave the others stale.
                    failed.get_or_insert(Error::Api { what, source });
                }
            }
        }
        self.delete_stale(client, &mut written, &desired, &mut done, &mut failed)
            .await;
        self.written = Some(written);
        match failed {
            Some(e) => Err(e),
            None => Ok(done),
        }
    }

    /// Give each result the time it was first found (kept across writes, so an unchanged
    /// result does not change its report).
    fn stamp(&mut self, reports: &mut [Report], now: Timestamp) {
        let stamp = ResultTimestamp {
            seconds: now.as_second(),
            nanos: 0,
        };
        let mut found = HashMap::new();
        for report in reports.iter_mut() {
            for r in &mut report.results {
                let key = r.key();
                let t = self.found.get(&key).copied().unwrap_or(stamp);
                r.timestamp = Some(t);
                found.insert(key, t);
            }
        }
        self.found = found;
    }

    /// Delete the reports of namespaces that have no result any more.
    async fn delete_stale(
        &self,
        client: &Client,
        written: &mut std::collections::BTreeMap<Option<String>, String>,
        desired: &std::collections::BTreeSet<Option<String>>,
        done: &mut Written,
        failed: &mut Option<Error>,
    ) {
        let stale: Vec<Option<String>> = written
            .keys()
            .filter(|ns| !desired.contains(*ns))
            .cloned()
            .collect();
        for namespace in stale {
            let api = self.api(client, namespace.as_deref());
            match api.delete(NAME, &DeleteParams::default()).await {
                Ok(_) => {
                    written.remove(&namespace);
                    done.deleted += 1;
                }
                Err(kube::Error::Api(s)) if s.code == 404 => {
                    written.remove(&namespace);
                }
                Err(source) => {
                    failed.get_or_insert(Error::Api {
                        what: format!(
                            "deleting {} {}/{NAME}",
                            self.flavour.kind(namespace.is_some()),
                            namespace.as_deref().unwrap_or("")
                        ),
                        source,
                    });
                }
            }
        }
    }
}

/// Whether a write failed because its namespace is gone (404) or going: a namespace being
/// deleted refuses new objects with 403 and the cause `NamespaceTerminating`.
pub fn namespace_going(e: &kube::Error) -> bool {
    match e {
        kube::Error::Api(s) => {
            s.code == 404
                || (s.code == 403
                    && s.details.as_ref().is_some_and(|d| {
                        d.causes.iter().any(|c| c.reason == "NamespaceTerminating")
                    }))
        }
        _ => false,
    }
}
