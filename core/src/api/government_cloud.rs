//! `GovernmentCloud`: the singleton that states when the government cloud was established
//! (the "E" from which Art. 10 counts), the government private network (Art. 9) and the
//! leased clouds the Royal Government approved (Art. 10).

use k8s_openapi::apimachinery::pkg::apis::meta::v1::Condition;
use kube::{CustomResource, KubeSchema};
use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

use super::common::Day;

/// The only accepted name of the GovernmentCloud object.
pub const GOVERNMENT_CLOUD_NAME: &str = "national";

/// The government cloud of the Kingdom (Art. 8, 9, 10). There is exactly one, named `national`.
#[derive(CustomResource, KubeSchema, Serialize, Deserialize, Clone, Debug, PartialEq)]
#[kube(
    group = "digital.gov.kh",
    version = "v1alpha1",
    kind = "GovernmentCloud",
    plural = "governmentclouds",
    shortname = "gc",
    category = "govkh",
    status = "GovernmentCloudStatus",
    derive = "PartialEq",
    doc = "The government cloud and private network (Art. 8-10). One object, named `national`: its establishment date starts the statutory windows of Art. 10.",
    validation = Rule::new("self.metadata.name == 'national'").message("there is one government cloud: the GovernmentCloud must be named 'national' (Art. 10)"),
    printcolumn(name = "Established", type_ = "string", json_path = ".spec.establishedOn", description = "Date of establishment (Art. 10)"),
    printcolumn(name = "Operator", type_ = "string", json_path = ".spec.operator"),
    printcolumn(name = "Ministries", type_ = "integer", json_path = ".status.ministries"),
    printcolumn(name = "Overdue", type_ = "integer", json_path = ".status.tenancies.overdue", description = "Tenancies past the migration deadline"),
    printcolumn(name = "Age", type_ = "date", json_path = ".metadata.creationTimestamp")
)]
#[serde(rename_all = "camelCase")]
pub struct GovernmentCloudSpec {
    /// Date the data center and government cloud infrastructure was established (YYYY-MM-DD).
    /// Art. 10 counts from this day: 90 days to apply in writing to stay outside the government
    /// cloud, one year to migrate into it.
    pub established_on: Day,
    /// Code of the Ministry that operates the government cloud (Art. 10: the Ministry of Post
    /// and Telecommunications, `mptc`).
    #[schemars(
        length(min = 1, max = 63),
        regex(pattern = r"^[a-z0-9]([-a-z0-9]*[a-z0-9])?$")
    )]
    pub operator: String,
    /// The government private network (Art. 9).
    pub private_network: PrivateNetwork,
    /// Leased cloud providers approved by the Royal Government (Art. 10). A tenancy on
    /// `government-leased` with a provider not listed here is outside the government cloud.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    #[schemars(length(max = 64))]
    pub approved_leased_providers: Vec<String>,
    /// Deprecated: the windows of Art. 10 are the law's numbers (90 days, 12 months), not a
    /// setting; govkh counts with those whatever is written here. Kept so that a government
    /// cloud written before (its CRD filled in these defaults) still reads; any other number is
    /// refused. Leave it out.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub windows: Option<StatutoryWindows>,
}

/// The government private network (Art. 9).
#[derive(Serialize, Deserialize, Clone, Debug, PartialEq, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct PrivateNetwork {
    /// IPv4 or IPv6 CIDR blocks of the government private network, e.g. `10.80.0.0/12`.
    /// Egress outside them is flagged (Art. 9).
    #[schemars(
        length(min = 1, max = 64),
        inner(regex(pattern = r"^[0-9a-fA-F:.]+/[0-9]{1,3}$"))
    )]
    pub cidrs: Vec<String>,
}

/// Deprecated: the windows Art. 10 gives ministries outside the government cloud, once a field;
/// only the law's own numbers are accepted.
#[derive(Serialize, Deserialize, Clone, Debug, PartialEq, KubeSchema)]
#[serde(rename_all = "camelCase")]
#[x_kube(validation = Rule::new("(!has(self.applicationDays) || self.applicationDays == 90) && (!has(self.migrationMonths) || self.migrationMonths == 12)").message("the windows of Art. 10 are the law's: 90 days to apply, 12 months to migrate; they are not a setting (an amendment of the law comes as a new version of govkh): leave spec.windows out"))]
pub struct StatutoryWindows {
    /// Deprecated: the law's 90 days to apply in writing (Art. 10).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub application_days: Option<u32>,
    /// Deprecated: the law's 12 months to migrate (Art. 10: one year).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub migration_months: Option<u32>,
}

/// Observed state of the government cloud.
#[derive(Serialize, Deserialize, Clone, Debug, PartialEq, Default, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct GovernmentCloudStatus {
    /// Conditions: `Ready`.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub conditions: Vec<Condition>,
    /// The `metadata.generation` this status describes.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub observed_generation: Option<i64>,
    /// Number of Ministry objects.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub ministries: Option<u32>,
    /// Tenancies by position relative to the government cloud.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub tenancies: Option<TenancyCounts>,
}

/// Counts of CloudTenancies.
#[derive(Serialize, Deserialize, Clone, Debug, PartialEq, Default, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct TenancyCounts {
    /// All tenancies.
    pub total: u32,
    /// Tenancies inside the government cloud.
    pub inside: u32,
    /// Tenancies outside the government cloud (approved or not).
    pub outside: u32,
    /// Tenancies past the migration deadline without an exception in force.
    pub overdue: u32,
}
