//! The audit's findings as the reports Policy Reporter and other tools already read: OpenReports
//! (`openreports.io/v1alpha1` `Report` and `ClusterReport`, the successor of the Policy WG's
//! reports) or the older `wgpolicyk8s.io/v1alpha2` `PolicyReport` and `ClusterPolicyReport`
//! (the same shape under another group). One report per namespace holds the results for the
//! objects in it; one cluster report holds those for cluster-scoped objects (our kinds).
//!
//! These kinds are not ours: the types below say what govkh writes, and `crds()` generates the
//! OpenReports CRDs from them for clusters that have none (the chart installs them only when
//! asked). Building the reports is pure; `govkh run` writes them (the operator's `reports`).

use std::collections::{BTreeMap, BTreeSet};

use k8s_openapi::{
    api::core::v1::ObjectReference,
    apiextensions_apiserver::pkg::apis::apiextensions::v1::{
        CustomResourceColumnDefinition, CustomResourceDefinition, CustomResourceDefinitionNames,
        CustomResourceDefinitionSpec, CustomResourceDefinitionVersion, CustomResourceValidation,
        JSONSchemaProps,
    },
    apimachinery::pkg::apis::meta::v1::{LabelSelector, ObjectMeta},
};
use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

use crate::{
    api::{FIELD_MANAGER, LABEL_MANAGED_BY},
    evaluate::Judged,
    finding::{Action, Finding, Severity},
    policy::{Library, Operation},
};

/// The name of every report govkh writes (one per namespace, one cluster report).
pub const NAME: &str = "govkh";
/// The `source` of every report and result.
pub const SOURCE: &str = "govkh";
/// The annotation saying how many results a report left out to stay under its size limit.
pub const ANNOTATION_OMITTED: &str = "digital.gov.kh/results-omitted";
/// The most a report's JSON may weigh: well under the API server's 1.5 MiB object limit, with
/// room for its managed fields.
pub const MAX_BYTES: usize = 768 * 1024;

/// Which report API to write.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Flavour {
    /// `openreports.io/v1alpha1` `Report` and `ClusterReport`.
    Openreports,
    /// `wgpolicyk8s.io/v1alpha2` `PolicyReport` and `ClusterPolicyReport`.
    Wgpolicyk8s,
}

impl Flavour {
    /// The API group.
    pub fn group(self) -> &'static str {
        match self {
            Flavour::Openreports => "openreports.io",
            Flavour::Wgpolicyk8s => "wgpolicyk8s.io",
        }
    }

    /// The version written.
    pub fn version(self) -> &'static str {
        match self {
            Flavour::Openreports => "v1alpha1",
            Flavour::Wgpolicyk8s => "v1alpha2",
        }
    }

    /// `group/version`.
    pub fn api_version(self) -> String {
        format!("{}/{}", self.group(), self.version())
    }

    /// The kind of a namespaced report (`namespaced`) or of the cluster report.
    pub fn kind(self, namespaced: bool) -> &'static str {
        match (self, namespaced) {
            (Flavour::Openreports, true) => "Report",
            (Flavour::Openreports, false) => "ClusterReport",
            (Flavour::Wgpolicyk8s, true) => "PolicyReport",
            (Flavour::Wgpolicyk8s, false) => "ClusterPolicyReport",
        }
    }

    /// The resource (plural) of a namespaced report or of the cluster report.
    pub fn plural(self, namespaced: bool) -> &'static str {
        match (self, namespaced) {
            (Flavour::Openreports, true) => "reports",
            (Flavour::Openreports, false) => "clusterreports",
            (Flavour::Wgpolicyk8s, true) => "policyreports",
            (Flavour::Wgpolicyk8s, false) => "clusterpolicyreports",
        }
    }
}

/// What goes into the reports.
#[derive(Clone, Copy, Debug)]
pub struct Options {
    /// The API written.
    pub flavour: Flavour,
    /// Also list `pass` results: each policy that judged an object and found nothing.
    pub pass: bool,
    /// The most results one report holds (the summary counts them all).
    pub max_results: usize,
}

/// A report of either flavour, namespaced or not: what govkh writes and reads back.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase")]
#[schemars(
    description = "A report of policy results for the objects in its namespace (Report) or for cluster-scoped objects (ClusterReport)."
)]
pub struct Report {
    /// APIVersion defines the versioned schema of this representation of an object.
    pub api_version: String,
    /// Kind is a string value representing the REST resource this object represents.
    pub kind: String,
    /// Standard object metadata.
    #[schemars(schema_with = "object_schema")]
    pub metadata: ObjectMeta,
    /// Source is an identifier for the source (e.g. a policy engine) that manages this report,
    /// when all its results come from one.
    pub source: String,
    /// Scope is an optional reference to the report's scope (e.g. a Deployment, Namespace or
    /// Node).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub scope: Option<ObjectReference>,
    /// ScopeSelector is an optional selector for several scopes (e.g. Pods); not both of Scope
    /// and ScopeSelector.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub scope_selector: Option<LabelSelector>,
    /// Configuration is an optional contract between report producers and consumers.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub configuration: Option<Configuration>,
    /// Summary counts the results by outcome.
    #[serde(default)]
    pub summary: Summary,
    /// Results are the individual policy results.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub results: Vec<ReportResult>,
}

/// A contract between the producer of a report and its readers.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct Configuration {
    /// Limits on what the report holds.
    pub limits: Limits,
}

/// Limits on what a report holds.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct Limits {
    /// MaxResults is the most results the report holds.
    #[serde(default)]
    pub max_results: i64,
    /// StatusFilter lists the outcomes the report holds (all when empty).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub status_filter: Vec<Outcome>,
}

/// The results counted by outcome.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
pub struct Summary {
    /// Pass counts the policies whose requirements were met.
    #[serde(default)]
    pub pass: i64,
    /// Fail counts the policies whose requirements were not met.
    #[serde(default)]
    pub fail: i64,
    /// Warn counts the unscored policies whose requirements were not met.
    #[serde(default)]
    pub warn: i64,
    /// Error counts the policies that could not be evaluated.
    #[serde(default)]
    pub error: i64,
    /// Skip counts the policies not selected for evaluation.
    #[serde(default)]
    pub skip: i64,
}

/// The outcome of one policy on one object.
#[derive(
    Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize, JsonSchema,
)]
#[serde(rename_all = "lowercase")]
pub enum Outcome {
    /// The requirements are not met (govkh: deny).
    Fail,
    /// The policy could not be evaluated.
    Error,
    /// The requirements are not met and the result is not scored (govkh: warn, dryrun).
    Warn,
    /// The requirements are met.
    Pass,
    /// The policy was not selected.
    Skip,
}

/// How severe a result is.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "lowercase")]
pub enum ResultSeverity {
    /// Critical.
    Critical,
    /// High.
    High,
    /// Medium.
    Medium,
    /// Low.
    Low,
    /// Information.
    Info,
}

/// When a result was first found.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
pub struct ResultTimestamp {
    /// Seconds of UTC time since the Unix epoch.
    pub seconds: i64,
    /// Non-negative fractions of a second, in nanoseconds.
    pub nanos: i32,
}

/// One policy's result on one object.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct ReportResult {
    /// Source identifies the engine that produced the result (overrides the report's).
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub source: String,
    /// Policy is the name or identifier of the policy.
    pub policy: String,
    /// Rule is the name or identifier of the rule within the policy.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub rule: Option<String>,
    /// Category groups the results (govkh: the article of the law, `Art. N`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub category: Option<String>,
    /// Severity of the result.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub severity: Option<ResultSeverity>,
    /// Timestamp is when the result was first found.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub timestamp: Option<ResultTimestamp>,
    /// Result is the outcome of the policy on the resources.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub result: Option<Outcome>,
    /// Scored says whether the result is scored.
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub scored: bool,
    /// Resources are the checked Kubernetes objects.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub resources: Vec<ObjectReference>,
    /// ResourceSelector selects the checked objects by label (instead of Resources).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub resource_selector: Option<LabelSelector>,
    /// Message is a short user-friendly description of the result.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub message: Option<String>,
    /// Properties hold further information about the result.
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub properties: BTreeMap<String, String>,
}

impl ReportResult {
    /// What identifies a result from one audit to the next: its policy, outcome and object.
    pub fn key(&self) -> String {
        let r = self.resources.first();
        let part = |s: Option<&String>| s.map(String::as_str).unwrap_or("").to_string();
        format!(
            "{}\u{0}{:?}\u{0}{}\u{0}{}\u{0}{}\u{0}{}",
            self.policy,
            self.result,
            part(r.and_then(|r| r.kind.as_ref())),
            part(r.and_then(|r| r.namespace.as_ref())),
            part(r.and_then(|r| r.name.as_ref())),
            self.message.as_deref().unwrap_or("")
        )
    }
}

fn object_schema(_: &mut schemars::SchemaGenerator) -> schemars::Schema {
    schemars::json_schema!({ "type": "object" })
}

impl Report {
    /// The namespace a report is in (None: the cluster report).
    pub fn namespace(&self) -> Option<&str> {
        self.metadata.namespace.as_deref()
    }

    /// The report with only what govkh sets: metadata reduced to name, namespace and govkh's
    /// own labels and annotations. Two reports with the same `comparable` need no write.
    pub fn comparable(&self) -> Report {
        let ours = |m: &Option<BTreeMap<String, String>>, keys: &[&str]| {
            m.as_ref()
                .map(|m| {
                    m.iter()
                        .filter(|(k, _)| keys.contains(&k.as_str()))
                        .map(|(k, v)| (k.clone(), v.clone()))
                        .collect::<BTreeMap<_, _>>()
                })
                .filter(|m| !m.is_empty())
        };
        Report {
            metadata: ObjectMeta {
                name: self.metadata.name.clone(),
                namespace: self.metadata.namespace.clone(),
                labels: ours(&self.metadata.labels, &[LABEL_MANAGED_BY]),
                annotations: ours(&self.metadata.annotations, &[ANNOTATION_OMITTED]),
                ..ObjectMeta::default()
            },
            ..self.clone()
        }
    }
}

fn outcome(action: Action) -> Outcome {
    match action {
        Action::Deny => Outcome::Fail,
        Action::Error => Outcome::Error,
        // A dry-run policy is being tried out: its breaches are not yet scored failures.
        Action::Warn | Action::Dryrun => Outcome::Warn,
    }
}

fn severity(s: Severity) -> ResultSeverity {
    match s {
        Severity::Critical => ResultSeverity::Critical,
        Severity::High => ResultSeverity::High,
        Severity::Medium => ResultSeverity::Medium,
        Severity::Low => ResultSeverity::Low,
    }
}

fn category(articles: &[String]) -> Option<String> {
    articles.first().map(|a| format!("Art. {a}"))
}

fn reference(
    api_version: Option<&String>,
    kind: Option<&String>,
    namespace: Option<&String>,
    name: Option<&String>,
    uid: Option<&String>,
) -> ObjectReference {
    ObjectReference {
        api_version: api_version.cloned(),
        kind: kind.cloned(),
        namespace: namespace.cloned(),
        name: name.cloned(),
        uid: uid.cloned(),
        ..ObjectReference::default()
    }
}

/// (kind, namespace, name): how a finding's object is matched with the judged objects.
type ObjectKey = (String, String, String);

fn object_key(
    kind: Option<&String>,
    namespace: Option<&String>,
    name: Option<&String>,
) -> ObjectKey {
    let s = |x: Option<&String>| x.cloned().unwrap_or_default();
    (s(kind), s(namespace), s(name))
}

/// One result for a finding; `uid` is its object's, when the audit judged it.
fn from_finding(f: &Finding, uid: Option<&String>) -> ReportResult {
    let r = &f.resource;
    let mut properties = BTreeMap::new();
    let mut put = |k: &str, v: Option<String>| {
        if let Some(v) = v.filter(|v| !v.is_empty()) {
            properties.insert(k.to_string(), v);
        }
    };
    put("action", Some(f.action.as_str().to_string()));
    put("articles", Some(f.articles.join(",")));
    put("ministry", f.ministry.clone());
    put("deadline", f.deadline.map(|d| d.to_string()));
    put("clockState", f.state.clone());
    put("excusedBy", f.excused_by.clone());
    put("fix", f.fix.clone());
    put("messageKm", f.km.as_ref().map(|k| k.message.clone()));
    if let Some(p) = &f.penalty {
        put("penaltyArticle", Some(p.article.clone()));
        put(
            "naturalPersonMaxRiel",
            p.natural_person_max_riel.map(|n| n.to_string()),
        );
        put(
            "legalPersonMaxRiel",
            p.legal_person_max_riel.map(|n| n.to_string()),
        );
        put("personMaxRiel", p.person_max_riel.map(|n| n.to_string()));
    }
    let outcome = outcome(f.action);
    ReportResult {
        source: SOURCE.to_string(),
        policy: f.policy.clone(),
        rule: None,
        category: category(&f.articles),
        severity: Some(severity(f.severity)),
        timestamp: None,
        result: Some(outcome),
        scored: outcome != Outcome::Warn,
        resources: if r.kind.is_some() || r.name.is_some() {
            vec![reference(
                r.api_version.as_ref(),
                r.kind.as_ref(),
                r.namespace.as_ref(),
                r.name.as_ref(),
                uid,
            )]
        } else {
            Vec::new()
        },
        resource_selector: None,
        message: Some(f.message.clone()),
        properties,
    }
}

/// The reports an audit's `findings` make, one per namespace with results and one for the
/// cluster (absent when it has none), in a fixed order; each result's `timestamp` is left for
/// the writer (when it was first found). With `options.pass`, every policy that judged one of
/// the `judged` objects (of our kinds, or in a ministry's namespace) and found nothing adds a
/// `pass` result. A report over
/// `options.max_results` results or `MAX_BYTES` keeps the most serious (fail, error, warn,
/// pass), says how many it left out (`ANNOTATION_OMITTED`), and its summary still counts all.
pub fn reports(
    findings: &[Finding],
    judged: &[Judged],
    library: &Library,
    options: &Options,
) -> Vec<Report> {
    let uids: BTreeMap<ObjectKey, &String> = judged
        .iter()
        .filter_map(|j| {
            let r = &j.resource;
            Some((
                object_key(r.kind.as_ref(), r.namespace.as_ref(), r.name.as_ref()),
                j.uid.as_ref()?,
            ))
        })
        .collect();
    let mut by_namespace: BTreeMap<Option<String>, Vec<ReportResult>> = BTreeMap::new();
    // (policy, object) pairs that found something: no pass for them.
    let mut found: BTreeSet<(String, ObjectKey)> = BTreeSet::new();
    for f in findings {
        let r = &f.resource;
        let key = object_key(r.kind.as_ref(), r.namespace.as_ref(), r.name.as_ref());
        let result = from_finding(f, uids.get(&key).copied());
        found.insert((f.policy.clone(), key));
        by_namespace
            .entry(r.namespace.clone())
            .or_default()
            .push(result);
    }
    if options.pass {
        let policies = library.policies();
        // A namespace no ministry holds is outside the law's reach: the policies passing its
        // objects would say nothing, and a report in every system namespace is noise.
        for j in judged
            .iter()
            .filter(|j| j.ministry.is_some() || j.resource.namespace.is_none())
        {
            let r = &j.resource;
            let Some(kind) = &r.kind else { continue };
            let key = object_key(r.kind.as_ref(), r.namespace.as_ref(), r.name.as_ref());
            for &i in library.applicable(kind, Operation::Create) {
                let Some(p) = policies.get(i) else { continue };
                if found.contains(&(p.meta.id.clone(), key.clone())) {
                    continue;
                }
                let mut properties = BTreeMap::new();
                properties.insert("articles".to_string(), p.meta.articles.join(","));
                by_namespace
                    .entry(r.namespace.clone())
                    .or_default()
                    .push(ReportResult {
                        source: SOURCE.to_string(),
                        policy: p.meta.id.clone(),
                        rule: None,
                        category: category(&p.meta.articles),
                        severity: Some(severity(p.meta.severity)),
                        timestamp: None,
                        result: Some(Outcome::Pass),
                        scored: true,
                        resources: vec![reference(
                            r.api_version.as_ref(),
                            r.kind.as_ref(),
                            r.namespace.as_ref(),
                            r.name.as_ref(),
                            j.uid.as_ref(),
                        )],
                        resource_selector: None,
                        message: Some(format!("{}: no violation", p.meta.title)),
                        properties,
                    });
            }
        }
    }
    by_namespace
        .into_iter()
        .map(|(namespace, results)| report(namespace, results, options))
        .collect()
}

/// One report from its results: sorted (most serious first, then by object and policy),
/// counted, and cut to the limits.
fn report(namespace: Option<String>, mut results: Vec<ReportResult>, options: &Options) -> Report {
    let mut summary = Summary::default();
    for r in &results {
        match r.result {
            Some(Outcome::Pass) => summary.pass += 1,
            Some(Outcome::Fail) => summary.fail += 1,
            Some(Outcome::Warn) => summary.warn += 1,
            Some(Outcome::Error) => summary.error += 1,
            Some(Outcome::Skip) | None => summary.skip += 1,
        }
    }
    results.sort_by(|a, b| {
        let object = |r: &ReportResult| {
            r.resources
                .first()
                .map(|o| (o.kind.clone(), o.name.clone()))
        };
        (a.result, object(a), &a.policy, &a.message).cmp(&(
            b.result,
            object(b),
            &b.policy,
            &b.message,
        ))
    });
    let total = results.len();
    results.truncate(options.max_results);
    let namespaced = namespace.is_some();
    let mut out = Report {
        api_version: options.flavour.api_version(),
        kind: options.flavour.kind(namespaced).to_string(),
        metadata: ObjectMeta {
            name: Some(NAME.to_string()),
            namespace,
            labels: Some([(LABEL_MANAGED_BY.to_string(), FIELD_MANAGER.to_string())].into()),
            ..ObjectMeta::default()
        },
        source: SOURCE.to_string(),
        configuration: Some(Configuration {
            limits: Limits {
                max_results: i64::try_from(options.max_results).unwrap_or(i64::MAX),
                status_filter: Vec::new(),
            },
        }),
        summary,
        results,
        ..Report::default()
    };
    // Over the size limit: drop the least serious tenth at a time until it fits.
    while out.results.len() > 1 && serde_json::to_vec(&out).map_or(0, |v| v.len()) > MAX_BYTES {
        let keep = out.results.len() - out.results.len().div_ceil(10);
        out.results.truncate(keep);
    }
    let omitted = total - out.results.len();
    if omitted > 0 {
        out.metadata.annotations =
            Some([(ANNOTATION_OMITTED.to_string(), omitted.to_string())].into());
    }
    out
}

/// The OpenReports CRDs (`reports.openreports.io`, `clusterreports.openreports.io`) generated
/// from `Report`, for a cluster that has none; the chart's `openreports.installCRDs`.
pub fn crds() -> Result<Vec<(&'static str, CustomResourceDefinition)>, serde_json::Error> {
    let generate = schemars::generate::SchemaSettings::openapi3()
        .with(|s| {
            s.inline_subschemas = true;
            s.meta_schema = None;
        })
        .with_transform(schemars::transform::AddNullable::default())
        .with_transform(kube::core::schema::StructuralSchemaRewriter)
        .with_transform(kube::core::schema::OptionalEnum)
        .into_generator();
    let mut schema: JSONSchemaProps = serde_json::from_value(serde_json::to_value(
        generate.into_root_schema_for::<Report>(),
    )?)?;
    // A structural schema may say nothing of `metadata` but `type: object` (the API server
    // refuses the CRD otherwise, "metadata is implicitly specified"); schemars would add the
    // field's doc comment as its description.
    if let Some(metadata) = schema
        .properties
        .as_mut()
        .and_then(|p| p.get_mut("metadata"))
    {
        *metadata = JSONSchemaProps {
            type_: Some("object".to_string()),
            ..JSONSchemaProps::default()
        };
    }
    let flavour = Flavour::Openreports;
    let column = |name: &str, path: &str, type_: &str, priority: Option<i32>| {
        CustomResourceColumnDefinition {
            name: name.to_string(),
            json_path: path.to_string(),
            type_: type_.to_string(),
            priority,
            ..CustomResourceColumnDefinition::default()
        }
    };
    let crd = |namespaced: bool, short: &str| {
        let plural = flavour.plural(namespaced);
        let kind = flavour.kind(namespaced);
        CustomResourceDefinition {
            metadata: ObjectMeta {
                name: Some(format!("{plural}.{}", flavour.group())),
                ..ObjectMeta::default()
            },
            spec: CustomResourceDefinitionSpec {
                group: flavour.group().to_string(),
                names: CustomResourceDefinitionNames {
                    kind: kind.to_string(),
                    list_kind: Some(format!("{kind}List")),
                    plural: plural.to_string(),
                    singular: Some(kind.to_lowercase()),
                    short_names: Some(vec![short.to_string()]),
                    ..CustomResourceDefinitionNames::default()
                },
                scope: if namespaced { "Namespaced" } else { "Cluster" }.to_string(),
                versions: vec![CustomResourceDefinitionVersion {
                    name: flavour.version().to_string(),
                    served: true,
                    storage: true,
                    schema: Some(CustomResourceValidation {
                        open_api_v3_schema: Some(schema.clone()),
                    }),
                    additional_printer_columns: Some(vec![
                        column("Kind", ".scope.kind", "string", Some(1)),
                        column("Name", ".scope.name", "string", Some(1)),
                        column("Pass", ".summary.pass", "integer", None),
                        column("Fail", ".summary.fail", "integer", None),
                        column("Warn", ".summary.warn", "integer", None),
                        column("Error", ".summary.error", "integer", None),
                        column("Skip", ".summary.skip", "integer", None),
                        column("Age", ".metadata.creationTimestamp", "date", None),
                    ]),
                    ..CustomResourceDefinitionVersion::default()
                }],
                ..CustomResourceDefinitionSpec::default()
            },
            status: None,
        }
    };
    Ok(vec![
        (
            "openreports.io_reports.yaml",
            crate::api::crdgen::for_kubernetes(crd(true, "reps")),
        ),
        (
            "openreports.io_clusterreports.yaml",
            crate::api::crdgen::for_kubernetes(crd(false, "creps")),
        ),
    ])
}

/// Header of the generated OpenReports CRDs.
pub const HEADER: &str = "# Generated by `govkh crds --openreports` from core/src/render/openreports.rs: do not edit by hand.\n";

/// The chart's template installing the OpenReports CRDs when `openreports.installCRDs` is set:
/// `govkh crds --openreports`, behind that condition.
pub fn chart_template() -> Result<String, String> {
    let mut out = String::from("{{- if .Values.openreports.installCRDs }}\n");
    for (_, crd) in crds().map_err(|e| e.to_string())? {
        out.push_str("---\n");
        out.push_str(&crate::api::crdgen::to_yaml_with(&crd, HEADER).map_err(|e| e.to_string())?);
    }
    out.push_str("{{- end }}\n");
    Ok(out)
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

    use super::*;

    fn result(outcome: Outcome, name: &str, message: &str) -> ReportResult {
        ReportResult {
            source: SOURCE.to_string(),
            policy: "p".to_string(),
            rule: None,
            category: Some("Art. 26".to_string()),
            severity: Some(ResultSeverity::High),
            timestamp: None,
            result: Some(outcome),
            scored: true,
            resources: vec![ObjectReference {
                kind: Some("ConfigMap".to_string()),
                name: Some(name.to_string()),
                namespace: Some("ns".to_string()),
                ..ObjectReference::default()
            }],
            resource_selector: None,
            message: Some(message.to_string()),
            properties: BTreeMap::new(),
        }
    }

    fn options(max_results: usize) -> Options {
        Options {
            flavour: Flavour::Openreports,
            pass: true,
            max_results,
        }
    }

    #[test]
    fn a_report_over_its_result_limit_keeps_the_most_serious_and_counts_all() {
        let results = vec![
            result(Outcome::Pass, "a", "fine"),
            result(Outcome::Warn, "b", "look"),
            result(Outcome::Fail, "c", "breach"),
            result(Outcome::Error, "d", "unknown"),
            result(Outcome::Pass, "e", "fine"),
        ];
        let r = report(Some("ns".to_string()), results, &options(3));
        let kept: Vec<Option<Outcome>> = r.results.iter().map(|r| r.result).collect();
        assert_eq!(
            kept,
            vec![
                Some(Outcome::Fail),
                Some(Outcome::Error),
                Some(Outcome::Warn)
            ]
        );
        assert_eq!(
            r.summary,
            Summary {
                pass: 2,
                fail: 1,
                warn: 1,
                error: 1,
                skip: 0
            }
        );
        assert_eq!(
            r.metadata
                .annotations
                .as_ref()
                .and_then(|a| a.get(ANNOTATION_OMITTED))
                .map(String::as_str),
            Some("2")
        );
        assert_eq!(r.configuration.unwrap().limits.max_results, 3);
        assert_eq!(r.kind, "Report");
    }

    #[test]
    fn a_report_stays_under_the_size_limit_whatever_its_results_weigh() {
        let long = "x".repeat(2000);
        let results: Vec<ReportResult> = (0..2000)
            .map(|i| result(Outcome::Fail, &format!("cm-{i:04}"), &long))
            .collect();
        let r = report(None, results, &options(100_000));
        let size = serde_json::to_vec(&r).unwrap().len();
        assert!(size <= MAX_BYTES, "{size} bytes");
        assert!(r.results.len() > 100, "cut too far: {}", r.results.len());
        let omitted: usize = r.metadata.annotations.as_ref().unwrap()[ANNOTATION_OMITTED]
            .parse()
            .unwrap();
        assert_eq!(omitted + r.results.len(), 2000);
        assert_eq!(r.summary.fail, 2000);
        assert_eq!(r.kind, "ClusterReport");
    }

    #[test]
    fn a_report_within_its_limits_says_nothing_was_omitted() {
        let r = report(
            Some("ns".to_string()),
            vec![result(Outcome::Fail, "a", "breach")],
            &options(10),
        );
        assert!(r.metadata.annotations.is_none());
        assert_eq!(r.results.len(), 1);
    }

    #[test]
    fn each_flavour_names_its_own_kinds() {
        assert_eq!(
            Flavour::Openreports.api_version(),
            "openreports.io/v1alpha1"
        );
        assert_eq!(
            Flavour::Wgpolicyk8s.api_version(),
            "wgpolicyk8s.io/v1alpha2"
        );
        assert_eq!(Flavour::Wgpolicyk8s.kind(false), "ClusterPolicyReport");
        assert_eq!(Flavour::Openreports.plural(false), "clusterreports");
    }
}
