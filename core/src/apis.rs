//! The committee's register of APIs (Art. 27): every Service, Ingress or HTTPRoute a ministry
//! declares as an API (`digital.gov.kh/api`), with its owner, versions, specification and
//! life-cycle, as `govkh apis` and the committee's report list it; and what can only be told
//! with the objects at hand — a specification in a ConfigMap that is not there, or that is no
//! OpenAPI document — as findings of `api-register` (the policy of the same name judges the
//! annotations themselves, at admission and in every audit). Pure.

use std::collections::BTreeMap;

use serde::Serialize;
use serde_json::Value;

use crate::{
    finding::{Action, Finding, Khmer, ResourceRef, Severity},
    inventory::{Inventory, other_key},
};

/// The policy id of the register's findings (the Rego policy's too).
pub const POLICY_APIS: &str = "api-register";
/// The annotation that declares an API: its name.
pub const ANNOTATION_API: &str = "digital.gov.kh/api";
/// Where its specification is: an https URL, or `configmap:<name>[/<key>]`.
pub const ANNOTATION_SPECIFICATION: &str = "digital.gov.kh/api-specification";
/// The versions it serves, comma-separated.
pub const ANNOTATION_VERSIONS: &str = "digital.gov.kh/api-versions";
/// Where it stands: experimental, beta, stable, deprecated or retired.
pub const ANNOTATION_LIFECYCLE: &str = "digital.gov.kh/api-lifecycle";

/// The keys a specification ConfigMap is read from, when the reference names none.
const DOCUMENT_KEYS: &[&str] = &[
    "openapi.yaml",
    "openapi.yml",
    "openapi.json",
    "swagger.json",
];

/// Kinds that expose an API.
const KINDS: &[&str] = &["Service", "Ingress", "HTTPRoute"];

/// What is known of an API's specification.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase", tag = "state")]
pub enum Specification {
    /// None given.
    Missing,
    /// An https URL (not fetched: govkh reaches no outside address).
    Url {
        /// The URL.
        url: String,
    },
    /// An OpenAPI (or Swagger) document in a ConfigMap of the API's namespace.
    Found {
        /// `<configmap>/<key>`.
        at: String,
    },
    /// A ConfigMap whose contents were not read (the cluster is read as metadata only).
    NotRead {
        /// The ConfigMap.
        configmap: String,
    },
    /// Named but not usable: the reason.
    Broken {
        /// What was named.
        named: String,
        /// Why it is no specification.
        reason: String,
    },
}

/// One API in the register.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct ApiEntry {
    /// The API's name, as declared.
    pub api: String,
    /// The ministry whose namespace exposes it.
    pub ministry: String,
    /// The namespace.
    pub namespace: String,
    /// `Service/name`, `Ingress/name` or `HTTPRoute/name`.
    pub exposed_by: String,
    /// The versions it serves.
    pub versions: Vec<String>,
    /// Its life-cycle, as declared (empty when none).
    pub lifecycle: String,
    /// Its specification.
    pub specification: Specification,
}

/// The register: every declared API of a ministry's namespace, by ministry, then API name.
pub fn register(inv: &Inventory) -> Vec<ApiEntry> {
    let mut out = Vec::new();
    for o in inv.others.values() {
        if !KINDS.contains(&o.kind.as_str()) {
            continue;
        }
        let Some(ns) = o.namespace.as_deref() else {
            continue;
        };
        let Some(ministry) = inv.namespaces.get(ns).and_then(|n| n.ministry.clone()) else {
            continue;
        };
        let Ok(value) = o.value() else {
            continue;
        };
        let annotation = |k: &str| {
            value["metadata"]["annotations"][k]
                .as_str()
                .map(|s| s.trim().to_string())
                .unwrap_or_default()
        };
        let api = annotation(ANNOTATION_API);
        if api.is_empty() {
            continue;
        }
        out.push(ApiEntry {
            api,
            ministry,
            namespace: ns.to_string(),
            exposed_by: format!("{}/{}", o.kind, o.name),
            versions: annotation(ANNOTATION_VERSIONS)
                .split(',')
                .map(str::trim)
                .filter(|v| !v.is_empty())
                .map(str::to_string)
                .collect(),
            lifecycle: annotation(ANNOTATION_LIFECYCLE).to_lowercase(),
            specification: specification(inv, ns, &annotation(ANNOTATION_SPECIFICATION)),
        });
    }
    out.sort_by(|a, b| {
        (&a.ministry, &a.api, &a.namespace, &a.exposed_by).cmp(&(
            &b.ministry,
            &b.api,
            &b.namespace,
            &b.exposed_by,
        ))
    });
    out
}

/// What `named` (the annotation's value) gives, read in the namespace `ns`.
fn specification(inv: &Inventory, ns: &str, named: &str) -> Specification {
    if named.is_empty() {
        return Specification::Missing;
    }
    if named.starts_with("https://") {
        return Specification::Url {
            url: named.to_string(),
        };
    }
    let broken = |reason: &str| Specification::Broken {
        named: named.to_string(),
        reason: reason.to_string(),
    };
    let Some(reference) = named.strip_prefix("configmap:") else {
        return broken("neither an https URL nor configmap:<name>[/<key>]");
    };
    let (name, key) = match reference.split_once('/') {
        Some((n, k)) => (n, Some(k)),
        None => (reference, None),
    };
    let Some(cm) = inv
        .others
        .get(&other_key("v1", "ConfigMap", Some(ns), name))
    else {
        return broken(&format!("ConfigMap {ns}/{name} does not exist"));
    };
    let Ok(value) = cm.value() else {
        return broken(&format!("ConfigMap {ns}/{name} cannot be read"));
    };
    let Some(data) = value.get("data").and_then(Value::as_object) else {
        if value.get("binaryData").is_some() {
            return broken(&format!(
                "ConfigMap {ns}/{name} holds only binaryData, no readable document"
            ));
        }
        // A cluster read as metadata only: the contents are not here to judge.
        return Specification::NotRead {
            configmap: format!("{ns}/{name}"),
        };
    };
    let found = match key {
        Some(k) => data.get(k).map(|d| (k, d)),
        None => DOCUMENT_KEYS
            .iter()
            .find_map(|k| data.get(*k).map(|d| (*k, d))),
    };
    let Some((key, document)) = found else {
        return broken(&match key {
            Some(k) => format!("ConfigMap {ns}/{name} has no key {k}"),
            None => format!(
                "ConfigMap {ns}/{name} has none of the keys {}",
                DOCUMENT_KEYS.join(", ")
            ),
        });
    };
    let Some(text) = document.as_str() else {
        return broken(&format!("{ns}/{name}/{key} is not text"));
    };
    // The ConfigMap was bounded when it was loaded (`MAX_OBJECT_BYTES`); YAML reads JSON too.
    match crate::loading::yaml::from_str(text) {
        Ok(doc) if doc.get("openapi").is_some_and(Value::is_string) => Specification::Found {
            at: format!("{name}/{key}"),
        },
        Ok(doc) if doc.get("swagger").is_some_and(Value::is_string) => Specification::Found {
            at: format!("{name}/{key}"),
        },
        Ok(_) => broken(&format!(
            "{ns}/{name}/{key} is not an OpenAPI document (no openapi or swagger version field)"
        )),
        Err(e) => broken(&format!(
            "{ns}/{name}/{key} cannot be parsed: {}",
            e.lines().next().unwrap_or_default()
        )),
    }
}

/// The register's findings: a specification named but unusable (a missing ConfigMap, one
/// without the document, a document that is not OpenAPI). A missing or ill-written annotation
/// is the Rego policy's finding, not repeated here.
pub fn findings(inv: &Inventory) -> Vec<Finding> {
    let sources: BTreeMap<String, _> = inv
        .others
        .values()
        .filter(|o| KINDS.contains(&o.kind.as_str()))
        .map(|o| {
            (
                format!(
                    "{}/{}/{}",
                    o.namespace.as_deref().unwrap_or(""),
                    o.kind,
                    o.name
                ),
                o,
            )
        })
        .collect();
    register(inv)
        .into_iter()
        .filter_map(|e| {
            let Specification::Broken { named, reason } = &e.specification else {
                return None;
            };
            if !named.starts_with("configmap:") {
                return None;
            }
            let (kind, name) = e.exposed_by.split_once('/')?;
            let o = sources.get(&format!("{}/{}", e.namespace, e.exposed_by))?;
            Some(Finding {
                policy: POLICY_APIS.into(),
                action: Action::Warn,
                severity: Severity::Medium,
                articles: vec!["27".into()],
                resource: ResourceRef {
                    api_version: Some(o.api_version.clone()),
                    kind: Some(kind.to_string()),
                    name: Some(name.to_string()),
                    namespace: Some(e.namespace.clone()),
                },
                source: Some(o.source.clone()),
                ministry: Some(e.ministry.clone()),
                message: format!(
                    "{} {}/{} names the specification of the API {:?} as {named}, but {reason}: the committee's register needs the API's specification (Art. 27)",
                    kind, e.namespace, name, e.api
                ),
                state: None,
                deadline: None,
                penalty: None,
                awaits: None,
                excused_by: None,
                fix: Some(
                    "put the OpenAPI document in the ConfigMap the annotation names (key openapi.yaml or openapi.json), or name an https URL".into(),
                ),
                km: Some(Khmer {
                    message: format!(
                        "{} {}/{} ដាក់ឈ្មោះលក្ខណៈបច្ចេកទេសនៃ API {:?} ជា {named} ប៉ុន្តែ {reason}៖ បញ្ជី API របស់គណៈកម្មាធិការត្រូវការលក្ខណៈបច្ចេកទេសនៃ API (មាត្រា 27)",
                        kind, e.namespace, name, e.api
                    ),
                    fix: Some(
                        "ដាក់ឯកសារ OpenAPI ក្នុង ConfigMap ដែល annotation ដាក់ឈ្មោះ (key openapi.yaml ឬ openapi.json) ឬដាក់ឈ្មោះ URL https".into(),
                    ),
                }),
            })
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::loading::manifest::Loader;

    fn inventory(yaml: &str) -> Inventory {
        let mut loaded = crate::loading::manifest::LoadResult::default();
        Loader::new().load_text("test.yaml", yaml, false, &mut loaded);
        assert!(loaded.errors.is_empty(), "{:?}", loaded.errors);
        Inventory::build(loaded.objects).0
    }

    const CONTEXT: &str = "\
apiVersion: digital.gov.kh/v1alpha1
kind: Ministry
metadata: {name: mef}
spec: {displayName: MEF, domain: mef.gov.kh, resourceLevel: full, digitalTransformationUnit: {contactEmail: dtu@mef.gov.kh, groups: [mef-dtu]}}
---
apiVersion: digital.gov.kh/v1alpha1
kind: CloudTenancy
metadata: {name: mef-core}
spec: {ministry: mef, placement: government-private, namespaces: [{name: mef-tax, dataClass: confidential}]}
";

    fn service(name: &str, spec: &str) -> String {
        format!(
            "---
apiVersion: v1
kind: Service
metadata:
  name: {name}
  namespace: mef-tax
  annotations:
    digital.gov.kh/api: {name}
    digital.gov.kh/api-versions: v1, v2
    digital.gov.kh/api-lifecycle: Stable
    digital.gov.kh/api-specification: \"{spec}\"
spec: {{ports: [{{port: 443}}]}}
"
        )
    }

    #[test]
    fn the_register_reads_each_kind_of_specification_and_says_what_is_wrong() {
        let yaml = [
            CONTEXT.to_string(),
            service("by-url", "https://api.mef.gov.kh/openapi.json"),
            service("in-configmap", "configmap:tax-openapi"),
            service("keyed", "configmap:tax-openapi/other.json"),
            service("not-openapi", "configmap:notes"),
            service("unparsable", "configmap:broken"),
            service("absent", "configmap:nowhere"),
            service("ftp", "ftp://x"),
            "---
apiVersion: v1
kind: ConfigMap
metadata: {name: tax-openapi, namespace: mef-tax}
data:
  openapi.yaml: \"openapi: 3.1.0\\ninfo: {title: tax, version: v2}\\n\"
---
apiVersion: v1
kind: ConfigMap
metadata: {name: notes, namespace: mef-tax}
data: {openapi.json: '{\"title\": \"not a specification\"}'}
---
apiVersion: v1
kind: ConfigMap
metadata: {name: broken, namespace: mef-tax}
data: {openapi.yaml: \"openapi: [\"}
"
            .to_string(),
        ]
        .concat();
        let inv = inventory(&yaml);
        let reg = register(&inv);
        let by = |name: &str| {
            reg.iter()
                .find(|e| e.api == name)
                .unwrap_or_else(|| panic!("{name}: {reg:#?}"))
                .clone()
        };
        assert_eq!(reg.len(), 7);
        assert_eq!(by("by-url").versions, ["v1", "v2"]);
        assert_eq!(by("by-url").lifecycle, "stable");
        assert_eq!(
            by("in-configmap").specification,
            Specification::Found {
                at: "tax-openapi/openapi.yaml".into()
            }
        );
        let reason = |name: &str| match by(name).specification {
            Specification::Broken { reason, .. } => reason,
            other => panic!("{name}: {other:?}"),
        };
        assert_eq!(
            reason("keyed"),
            "ConfigMap mef-tax/tax-openapi has no key other.json"
        );
        assert!(reason("not-openapi").contains("is not an OpenAPI document"));
        assert!(reason("unparsable").contains("cannot be parsed"));
        assert_eq!(reason("absent"), "ConfigMap mef-tax/nowhere does not exist");
        assert!(reason("ftp").contains("neither an https URL"));
        // Findings for the ConfigMaps named but unusable; the ill-written annotation is the
        // Rego policy's to report.
        let found: Vec<String> = findings(&inv)
            .iter()
            .map(|f| f.resource.display())
            .collect();
        assert_eq!(
            found,
            [
                "Service/mef-tax/absent",
                "Service/mef-tax/keyed",
                "Service/mef-tax/not-openapi",
                "Service/mef-tax/unparsable",
            ]
        );
    }

    #[test]
    fn contents_not_read_are_said_as_such_and_objects_of_no_ministry_are_not_registered() {
        let yaml = [
            CONTEXT.to_string(),
            service("metadata-only", "configmap:tax-openapi"),
            "---
apiVersion: v1
kind: ConfigMap
metadata: {name: tax-openapi, namespace: mef-tax}
---
apiVersion: v1
kind: Service
metadata:
  name: elsewhere
  namespace: kube-system
  annotations: {digital.gov.kh/api: elsewhere}
spec: {ports: [{port: 443}]}
"
            .to_string(),
        ]
        .concat();
        let inv = inventory(&yaml);
        let reg = register(&inv);
        assert_eq!(reg.len(), 1, "{reg:#?}");
        assert_eq!(
            reg[0].specification,
            Specification::NotRead {
                configmap: "mef-tax/tax-openapi".into()
            }
        );
        assert!(findings(&inv).is_empty());
    }
}
