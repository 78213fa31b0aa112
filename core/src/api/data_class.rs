//! `DataClass`: the handling rules for one of the law's data levels (Art. 25): top-secret,
//! confidential or open, and what Art. 26 allows for each.

use k8s_openapi::apimachinery::pkg::apis::meta::v1::Condition;
use kube::{CustomResource, KubeSchema};
use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

use super::common::Placement;

/// Handling rules for a data level (Art. 25, 26).
#[derive(CustomResource, KubeSchema, Serialize, Deserialize, Clone, Debug, PartialEq)]
#[kube(
    group = "digital.gov.kh",
    version = "v1alpha1",
    kind = "DataClass",
    plural = "dataclasses",
    shortname = "dc",
    category = "govkh",
    status = "DataClassStatus",
    derive = "PartialEq",
    doc = "Handling rules for one statutory data level (Art. 25, 26): where it may be placed, whether it may be reproduced, shared or exposed. Objects join a class with the label digital.gov.kh/data-class.",
    printcolumn(name = "Level", type_ = "string", json_path = ".spec.level"),
    printcolumn(
        name = "Reproduction",
        type_ = "string",
        json_path = ".spec.reproduction"
    ),
    printcolumn(name = "Sharing", type_ = "string", json_path = ".spec.sharing"),
    printcolumn(name = "Public", type_ = "boolean", json_path = ".spec.publicExposure"),
    printcolumn(
        name = "Age",
        type_ = "date",
        json_path = ".metadata.creationTimestamp"
    )
)]
#[x_kube(validation = Rule::new("self.level != 'top-secret' || (self.reproduction == 'Prohibited' && self.sharing == 'Prohibited' && !(has(self.publicExposure) && self.publicExposure))").message("the reproduction, dissemination or use of top-secret data is prohibited (Art. 26): reproduction and sharing must be Prohibited and publicExposure false"))]
#[x_kube(validation = Rule::new("self.level != 'confidential' || (self.reproduction != 'Allowed' && self.sharing != 'Allowed' && !(has(self.publicExposure) && self.publicExposure))").message("confidential data may be reproduced or shared only with the authorisation of the committee or the owning ministry (Art. 26): use WithAuthorization / WithGrant, and publicExposure false"))]
#[serde(rename_all = "camelCase")]
pub struct DataClassSpec {
    /// The statutory level (Art. 25): `top-secret`, `confidential` or `open`.
    pub level: DataLevel,
    /// What data belongs in this class.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schemars(length(max = 4096))]
    pub description: Option<String>,
    /// Placements (Art. 10) where data of this class may be stored and processed.
    #[schemars(length(min = 1, max = 4))]
    pub allowed_placements: Vec<Placement>,
    /// Snapshots, clones and copies (Art. 26): `Prohibited`, `WithAuthorization` or `Allowed`.
    pub reproduction: Reproduction,
    /// Access by other ministries (Art. 26, 28): `Prohibited`, `WithGrant` or `Allowed`.
    pub sharing: Sharing,
    /// Whether workloads holding this data may be exposed publicly (LoadBalancer, NodePort,
    /// Ingress) without more. Never for top-secret or confidential data (Art. 26): confidential
    /// data is exposed only under its owner's DataAccessGrant to the public (`grantee.public`).
    #[serde(default)]
    pub public_exposure: bool,
    /// Whether the data must be backed up to the National Data Repository (Art. 12). Declared
    /// only: no policy checks it yet (the report's annex does not cite Art. 12; see
    /// docs/status.md).
    #[serde(default)]
    pub backup_to_national_repository: bool,
}

/// The data levels of Art. 25.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "kebab-case")]
pub enum DataLevel {
    /// No reproduction, modification, dissemination or use (Art. 26 para. 2).
    TopSecret,
    /// Only with the authorisation of the committee or the owning ministry (Art. 26 para. 3).
    Confidential,
    /// Open data.
    Open,
}

/// Whether data may be reproduced (Art. 26).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
pub enum Reproduction {
    /// Never.
    Prohibited,
    /// Only by the owning ministry or under an active DataAccessGrant.
    WithAuthorization,
    /// Freely.
    Allowed,
}

/// Whether data may be accessed by other ministries (Art. 26, 28, 29).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
pub enum Sharing {
    /// Never.
    Prohibited,
    /// Only under an active DataAccessGrant.
    WithGrant,
    /// Freely.
    Allowed,
}

/// Observed state of a data class.
#[derive(Serialize, Deserialize, Clone, Debug, PartialEq, Default, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct DataClassStatus {
    /// Conditions: `Ready`.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub conditions: Vec<Condition>,
    /// The `metadata.generation` this status describes.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub observed_generation: Option<i64>,
}
