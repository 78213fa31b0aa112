//! `Ministry`: a ministry or institution (Art. 2) with its official `.gov.kh` domain
//! (Art. 20, 21), its Digital Transformation Unit (Art. 5), its resource level (which decides
//! whether it may run a private cloud, Art. 10) and its social-media accounts (Art. 22).

use k8s_openapi::apimachinery::pkg::apis::meta::v1::Condition;
use kube::{CustomResource, KubeSchema};
use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

use super::common::Day;

/// A ministry or institution under the Law on Digital Government. `metadata.name` is its code.
#[derive(CustomResource, KubeSchema, Serialize, Deserialize, Clone, Debug, PartialEq)]
#[kube(
    group = "digital.gov.kh",
    version = "v1alpha1",
    kind = "Ministry",
    plural = "ministries",
    shortname = "min",
    category = "govkh",
    status = "MinistryStatus",
    derive = "PartialEq",
    doc = "A ministry or institution (Art. 2, 5, 20-22). The object's name is the ministry's code, a DNS label such as `mef`.",
    validation = Rule::new("self.metadata.name.matches('^[a-z0-9]([-a-z0-9]{0,30}[a-z0-9])?$')").message("a Ministry's name is its code: lower-case letters, digits and '-', at most 32 characters, e.g. 'mef'"),
    printcolumn(name = "Domain", type_ = "string", json_path = ".spec.domain"),
    printcolumn(name = "Resources", type_ = "string", json_path = ".spec.resourceLevel"),
    printcolumn(name = "Compliant", type_ = "string", json_path = ".status.conditions[?(@.type==\"Compliant\")].status"),
    printcolumn(name = "Score", type_ = "integer", json_path = ".status.compliance.score"),
    printcolumn(name = "Age", type_ = "date", json_path = ".metadata.creationTimestamp")
)]
#[x_kube(validation = Rule::new("self.digitalTransformationUnit.contactEmail.endsWith('@' + self.domain) || self.digitalTransformationUnit.contactEmail.endsWith('.' + self.domain)").message("the Digital Transformation Unit's contact email must be an address on the ministry's own .gov.kh domain (Art. 21)").field_path(".digitalTransformationUnit.contactEmail"))]
#[serde(rename_all = "camelCase")]
pub struct MinistrySpec {
    /// The ministry's name in English, e.g. `Ministry of Economy and Finance`.
    #[schemars(length(min = 1, max = 200))]
    pub display_name: String,
    /// The ministry's name in Khmer, e.g. `ក្រសួងសេដ្ឋកិច្ច និងហិរញ្ញវត្ថុ`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schemars(length(max = 200))]
    pub khmer_name: Option<String>,
    /// The ministry's official domain, under `.gov.kh` (Art. 20, 21), e.g. `mef.gov.kh`. Its
    /// websites and email addresses must be inside it.
    #[schemars(
        length(max = 253),
        regex(pattern = r"^([a-z0-9]([-a-z0-9]*[a-z0-9])?\.)+gov\.kh$")
    )]
    #[x_kube(validation = Rule::new("self.endsWith('.gov.kh')").message("a ministry's domain must be under .gov.kh (Art. 20)"))]
    pub domain: String,
    /// `full` if the ministry has the resources to run its own private cloud, `limited` if not.
    /// A `limited` ministry must use the government cloud (Art. 10).
    pub resource_level: ResourceLevel,
    /// The ministry's Digital Transformation Unit (Art. 5).
    pub digital_transformation_unit: DigitalTransformationUnit,
    /// Official social-media accounts notified to MPTC (Art. 22).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    #[schemars(length(max = 50))]
    pub social_media_accounts: Vec<SocialMediaAccount>,
}

/// Whether a ministry has the resources for its own private cloud (Art. 10).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "kebab-case")]
pub enum ResourceLevel {
    /// May establish a private cloud, following the Guidelines (Art. 10 para. 3).
    Full,
    /// Must use the government cloud (Art. 10 para. 4).
    Limited,
}

/// A ministry's Digital Transformation Unit (Art. 5).
#[derive(Serialize, Deserialize, Clone, Debug, PartialEq, KubeSchema)]
#[serde(rename_all = "camelCase")]
pub struct DigitalTransformationUnit {
    /// The unit's contact address, on the ministry's domain (Art. 21), e.g. `dtu@mef.gov.kh`.
    #[schemars(length(min = 3, max = 254), regex(pattern = r"^[^@\s]+@[^@\s]+$"))]
    pub contact_email: String,
    /// Kubernetes groups of the unit's staff: bound as `admin` in the ministry's namespaces, and
    /// the only users (beside the platform) who may write govkh objects in the ministry's name.
    /// Only the platform may change them. A `system:` group (e.g. `system:authenticated`,
    /// `system:masters`) is refused: it holds users who are not the unit's staff.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    #[schemars(length(max = 20), inner(length(min = 1, max = 253)))]
    #[x_kube(validation = Rule::new("self.all(g, !g.startsWith('system:'))").message("a DTU group cannot be a system: group (system:authenticated, system:masters, ...): name the groups of the unit's own staff (Art. 5)"))]
    pub groups: Vec<String>,
}

/// An official social-media account (Art. 22).
#[derive(Serialize, Deserialize, Clone, Debug, PartialEq, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct SocialMediaAccount {
    /// The platform, e.g. `facebook`, `telegram`, `youtube`.
    #[schemars(length(min = 1, max = 63))]
    pub platform: String,
    /// The account's handle or page name on that platform.
    #[schemars(length(min = 1, max = 253))]
    pub handle: String,
}

/// Observed state of a ministry.
#[derive(Serialize, Deserialize, Clone, Debug, PartialEq, Default, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct MinistryStatus {
    /// Conditions: `Ready`, `Compliant`.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub conditions: Vec<Condition>,
    /// The `metadata.generation` this status describes.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub observed_generation: Option<i64>,
    /// Namespaces provisioned for the ministry by its tenancies.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub namespaces: Vec<String>,
    /// Compliance summary, computed by the same evaluation as `govkh check`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub compliance: Option<ComplianceSummary>,
}

/// A ministry's compliance at a glance.
#[derive(Serialize, Deserialize, Clone, Debug, PartialEq, Default, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct ComplianceSummary {
    /// 0 (nothing complies) to 100 (no findings).
    pub score: u8,
    /// Findings by action.
    pub findings: FindingCounts,
    /// Articles of the law with at least one finding.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub articles: Vec<String>,
    /// The nearest statutory deadline still running.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub next_deadline: Option<Day>,
    /// Cloud resources of the ministry (Crossplane, ACK, Azure Service Operator, Config
    /// Connector, Cluster API or Terraform objects) that no CloudTenancy in order covers:
    /// declared by none of its tenancies, or by one whose statutory clock is not Compliant.
    /// Each is an Art. 10 finding with the clock's deadline.
    #[serde(default, skip_serializing_if = "is_zero")]
    pub undeclared_cloud_resources: u32,
}

fn is_zero(n: &u32) -> bool {
    *n == 0
}

/// Findings by action.
#[derive(Serialize, Deserialize, Clone, Debug, PartialEq, Default, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct FindingCounts {
    /// Findings that are refused at admission.
    pub deny: u32,
    /// Findings that are reported but allowed.
    pub warn: u32,
}
