//! The catalogue of cloud APIs (`policies/clouds.yaml`): which API groups make resources in a
//! cloud provider's infrastructure — Crossplane's provider families, AWS Controllers for
//! Kubernetes, Azure Service Operator, Config Connector, Cluster API's infrastructure
//! providers, tofu-controller — and which provider and what each kind is. Data, not code:
//! checked when it is read (a pattern that does not parse, two entries matching one group:
//! refused, naming the entry), then asked one question, `classify`.

use std::collections::BTreeMap;

use serde::Deserialize;

/// The built-in catalogue's text, embedded at build time.
pub const BUILTIN: &str = include_str!("../../policies/clouds.yaml");

/// The label (or annotation) through which any cloud object may name its provider where the
/// catalogue does not (a Terraform object, a Cluster API provider it does not list).
pub const PROVIDER_LABEL: &str = "digital.gov.kh/cloud-provider";

/// The file name the built-in catalogue is reported under.
pub const BUILTIN_FILE: &str = "policies/clouds.yaml";

/// What a kind of a cloud API is.
#[derive(Clone, Debug, PartialEq, Eq, Deserialize)]
#[serde(untagged)]
pub enum KindEntry {
    /// Only what it is (bucket, database, …; `config` for credentials).
    What(String),
    /// What it is and its provider, where the provider depends on the kind (Cluster API).
    Full {
        /// What it is.
        what: String,
        /// Its provider.
        #[serde(default)]
        provider: Option<String>,
    },
}

/// One family of API groups.
#[derive(Clone, Debug, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct CloudApi {
    /// Its name, for messages.
    pub name: String,
    /// Exact groups, or `*.suffix`.
    pub groups: Vec<String>,
    /// The provider of every kind (unless the kind says otherwise).
    #[serde(default)]
    pub provider: Option<String>,
    /// Kinds known by name.
    #[serde(default)]
    pub kinds: BTreeMap<String, KindEntry>,
    /// A label or annotation through which an object may name its provider (default:
    /// `PROVIDER_LABEL`); the catalogue's own provider, where it gives one, comes first.
    #[serde(default)]
    pub provider_label: Option<String>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct File {
    apis: Vec<CloudApi>,
}

/// The catalogue, checked.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Catalogue {
    apis: Vec<CloudApi>,
}

/// An object the catalogue recognises.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Classified {
    /// The catalogue entry (`crossplane-aws`, …).
    pub api: String,
    /// Its provider; None when neither the catalogue nor the object says.
    pub provider: Option<String>,
    /// What it is, where the catalogue knows (`bucket`, `database`, `config`, …).
    pub what: Option<String>,
}

impl Classified {
    /// Whether the object holds credentials for its provider (a ProviderConfig).
    pub fn is_config(&self) -> bool {
        self.what.as_deref() == Some("config")
    }
}

/// Why a catalogue is refused.
#[derive(Debug, thiserror::Error, PartialEq, Eq)]
pub enum Error {
    /// The text is not a catalogue.
    #[error("{file}: not a catalogue of cloud APIs: {message}")]
    Parse {
        /// The file.
        file: String,
        /// What the parser said.
        message: String,
    },
    /// A group pattern is not an API group nor `*.` and one.
    #[error(
        "{file}: entry {entry}: group pattern {pattern:?} is neither an API group nor `*.` followed by one"
    )]
    Pattern {
        /// The file.
        file: String,
        /// The entry.
        entry: String,
        /// The pattern.
        pattern: String,
    },
    /// Two entries (or one entry twice) match a same group.
    #[error(
        "{file}: entries {first} ({a}) and {second} ({b}) overlap: a group matching both would have two providers"
    )]
    Overlap {
        /// The file.
        file: String,
        /// The first entry.
        first: String,
        /// Its pattern.
        a: String,
        /// The second entry.
        second: String,
        /// Its pattern.
        b: String,
    },
    /// An entry names no group, or two entries share a name.
    #[error("{file}: entry {entry}: {message}")]
    Entry {
        /// The file.
        file: String,
        /// The entry.
        entry: String,
        /// The problem.
        message: String,
    },
}

/// Whether `s` is an API group (a DNS subdomain: lowercase labels separated by dots).
fn is_group(s: &str) -> bool {
    !s.is_empty()
        && s.len() <= 253
        && s.split('.').all(|l| {
            !l.is_empty()
                && l.len() <= 63
                && l.bytes()
                    .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-')
                && !l.starts_with('-')
                && !l.ends_with('-')
        })
}

/// Whether `group` matches `pattern` (exact, or `*.suffix` for any group ending in `.suffix`).
fn matches(pattern: &str, group: &str) -> bool {
    match pattern.strip_prefix("*.") {
        Some(suffix) => group
            .strip_suffix(suffix)
            .is_some_and(|head| head.len() > 1 && head.ends_with('.')),
        None => pattern == group,
    }
}

/// Whether some group matches both patterns.
fn overlap(a: &str, b: &str) -> bool {
    match (a.strip_prefix("*."), b.strip_prefix("*.")) {
        (None, None) => a == b,
        (Some(_), None) => matches(a, b),
        (None, Some(_)) => matches(b, a),
        // `*.x` and `*.y` share a group when one suffix ends the other.
        (Some(x), Some(y)) => {
            x == y || x.ends_with(&format!(".{y}")) || y.ends_with(&format!(".{x}"))
        }
    }
}

impl Catalogue {
    /// The built-in catalogue.
    pub fn builtin() -> Result<Catalogue, Error> {
        Self::parse(BUILTIN, BUILTIN_FILE)
    }

    /// Read and check a catalogue: every pattern an API group or `*.` and one, every entry
    /// with a group and a name of its own, no group matched by two patterns.
    pub fn parse(text: &str, file: &str) -> Result<Catalogue, Error> {
        let parsed: File = serde_saphyr::from_str(text).map_err(|e| Error::Parse {
            file: file.into(),
            message: crate::printable::one_line(&e.to_string()),
        })?;
        let mut seen: Vec<(&str, &str)> = Vec::new();
        let mut names = std::collections::BTreeSet::new();
        for api in &parsed.apis {
            let entry_error = |message: &str| Error::Entry {
                file: file.into(),
                entry: api.name.clone(),
                message: message.into(),
            };
            if !names.insert(api.name.as_str()) {
                return Err(entry_error("a second entry of that name"));
            }
            if api.groups.is_empty() {
                return Err(entry_error("no groups"));
            }
            for pattern in &api.groups {
                let group = pattern.strip_prefix("*.").unwrap_or(pattern);
                if !is_group(group) {
                    return Err(Error::Pattern {
                        file: file.into(),
                        entry: api.name.clone(),
                        pattern: pattern.clone(),
                    });
                }
                if let Some((first, a)) = seen.iter().find(|(_, p)| overlap(p, pattern)) {
                    return Err(Error::Overlap {
                        file: file.into(),
                        first: (*first).into(),
                        a: (*a).into(),
                        second: api.name.clone(),
                        b: pattern.clone(),
                    });
                }
                seen.push((api.name.as_str(), pattern.as_str()));
            }
        }
        Ok(Catalogue { apis: parsed.apis })
    }

    /// A CEL expression over the admission request that holds for an object of a group the
    /// catalogue knows: the `matchConditions` of the webhook that sends cloud resources to
    /// govkh (its rules cannot name groups by suffix).
    pub fn match_expression(&self) -> String {
        let mut terms = Vec::new();
        for pattern in self.apis.iter().flat_map(|a| &a.groups) {
            terms.push(match pattern.strip_prefix("*.") {
                Some(suffix) => format!("request.kind.group.endsWith('.{suffix}')"),
                None => format!("request.kind.group == '{pattern}'"),
            });
        }
        terms.join(" || ")
    }

    /// Whether objects of API group `group` are cloud resources the catalogue knows: the
    /// groups whose kinds the operator finds through discovery and watches.
    pub fn knows_group(&self, group: &str) -> bool {
        self.apis
            .iter()
            .any(|a| a.groups.iter().any(|p| matches(p, group)))
    }

    /// The entries.
    pub fn apis(&self) -> &[CloudApi] {
        &self.apis
    }

    /// What the catalogue says of an object of `api_version` and `kind`, with its `labels`
    /// and `annotations` (a Terraform object may name its provider there). None: not a cloud
    /// API the catalogue knows.
    pub fn classify(
        &self,
        api_version: &str,
        kind: &str,
        meta: &serde_json::Value,
    ) -> Option<Classified> {
        let group = api_version.rsplit_once('/')?.0;
        let api = self
            .apis
            .iter()
            .find(|a| a.groups.iter().any(|p| matches(p, group)))?;
        let (what, kind_provider) = match api.kinds.get(kind) {
            Some(KindEntry::What(w)) => (Some(w.clone()), None),
            Some(KindEntry::Full { what, provider }) => (Some(what.clone()), provider.clone()),
            None => (None, None),
        };
        let key = api.provider_label.as_deref().unwrap_or(PROVIDER_LABEL);
        let said = ["labels", "annotations"]
            .iter()
            .find_map(|m| meta[m][key].as_str())
            .map(|s| s.trim().to_lowercase())
            .filter(|s| !s.is_empty());
        Some(Classified {
            api: api.name.clone(),
            provider: kind_provider.or_else(|| api.provider.clone()).or(said),
            what,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn builtin() -> Catalogue {
        Catalogue::builtin().unwrap()
    }

    #[test]
    fn the_builtin_catalogue_reads_and_knows_each_source() {
        let c = builtin();
        let m = json!({});
        let p = |v: &str, k: &str| c.classify(v, k, &m).map(|x| (x.api, x.provider, x.what));
        assert_eq!(
            p("s3.aws.upbound.io/v1beta1", "Bucket"),
            Some((
                "crossplane-aws".into(),
                Some("aws".into()),
                Some("bucket".into())
            ))
        );
        assert_eq!(
            p("s3.aws.m.upbound.io/v1beta1", "Bucket")
                .unwrap()
                .1
                .as_deref(),
            Some("aws")
        );
        assert_eq!(
            p("aws.m.upbound.io/v1beta1", "ProviderConfig")
                .unwrap()
                .2
                .as_deref(),
            Some("config")
        );
        assert_eq!(
            p("s3.services.k8s.aws/v1alpha1", "Bucket").unwrap().0,
            "ack"
        );
        assert_eq!(
            p("dbforpostgresql.azure.com/v1api20230601", "FlexibleServer")
                .unwrap()
                .1
                .as_deref(),
            Some("azure")
        );
        assert_eq!(
            p("storage.cnrm.cloud.google.com/v1beta1", "StorageBucket")
                .unwrap()
                .1
                .as_deref(),
            Some("gcp")
        );
        assert_eq!(
            p("infrastructure.cluster.x-k8s.io/v1beta2", "AzureCluster")
                .unwrap()
                .1
                .as_deref(),
            Some("azure")
        );
        // A Cluster API provider the catalogue does not name: recognised, provider unknown.
        assert_eq!(
            p("infrastructure.cluster.x-k8s.io/v1beta1", "VSphereCluster")
                .unwrap()
                .1,
            None
        );
        // A service of a known family the catalogue never listed is still that cloud's.
        assert_eq!(
            p("newservice.gcp.upbound.io/v1beta1", "Thing")
                .unwrap()
                .1
                .as_deref(),
            Some("gcp")
        );
        assert!(c.knows_group("ec2.aws.upbound.io") && c.knows_group("infra.contrib.fluxcd.io"));
        assert!(!c.knows_group("apps") && !c.knows_group("upbound.io"));
        assert_eq!(p("apps/v1", "Deployment"), None);
        assert_eq!(p("v1", "ConfigMap"), None);
        assert_eq!(p("upbound.io/v1", "Thing"), None);
    }

    #[test]
    fn a_terraform_object_names_its_provider_or_is_unknown() {
        let c = builtin();
        let said = json!({"labels": {"digital.gov.kh/cloud-provider": "AWS"}});
        let t = c
            .classify("infra.contrib.fluxcd.io/v1alpha2", "Terraform", &said)
            .unwrap();
        assert_eq!(t.provider.as_deref(), Some("aws"));
        let silent = c
            .classify("infra.contrib.fluxcd.io/v1alpha2", "Terraform", &json!({}))
            .unwrap();
        assert_eq!(silent.provider, None);
        assert_eq!(silent.what.as_deref(), Some("infrastructure"));
    }

    #[test]
    fn overlapping_or_malformed_entries_are_refused_naming_them() {
        let two = "apis:\n  - {name: a, groups: ['*.aws.upbound.io'], provider: aws}\n  - {name: b, groups: ['s3.aws.upbound.io'], provider: x}\n";
        let e = Catalogue::parse(two, "c.yaml").unwrap_err();
        assert!(
            matches!(&e, Error::Overlap { first, second, .. } if first == "a" && second == "b"),
            "{e}"
        );
        assert!(e.to_string().contains("c.yaml"), "{e}");
        let nested = "apis:\n  - {name: a, groups: ['*.upbound.io']}\n  - {name: b, groups: ['*.aws.upbound.io']}\n";
        assert!(matches!(
            Catalogue::parse(nested, "c.yaml"),
            Err(Error::Overlap { .. })
        ));
        let bad = "apis:\n  - {name: a, groups: ['S3.AWS']}\n";
        assert!(
            matches!(Catalogue::parse(bad, "c.yaml"), Err(Error::Pattern { entry, .. }) if entry == "a")
        );
        let none = "apis:\n  - {name: a, groups: []}\n";
        assert!(matches!(
            Catalogue::parse(none, "c.yaml"),
            Err(Error::Entry { .. })
        ));
        let unknown = "apis:\n  - {name: a, groups: [x.io], cloud: aws}\n";
        assert!(matches!(
            Catalogue::parse(unknown, "c.yaml"),
            Err(Error::Parse { .. })
        ));
        let distinct = "apis:\n  - {name: a, groups: ['*.aws.upbound.io']}\n  - {name: b, groups: ['*.aws.m.upbound.io', aws.upbound.io]}\n";
        assert!(Catalogue::parse(distinct, "c.yaml").is_ok());
    }

    #[test]
    fn a_wildcard_needs_a_label_before_its_suffix() {
        assert!(matches("*.aws.upbound.io", "s3.aws.upbound.io"));
        assert!(!matches("*.aws.upbound.io", "aws.upbound.io"));
        assert!(!matches("*.aws.upbound.io", "xaws.upbound.io"));
        assert!(!matches("*.azure.com", "notazure.com"));
    }
}
