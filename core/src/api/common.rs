//! Types shared by several kinds of the `digital.gov.kh` API: calendar days, ports, the
//! placements of Art. 10, condition constants and the labels govkh reads and writes.
//!
//! Nothing here talks to a cluster; these are plain data types with their schemas.

use std::{borrow::Cow, fmt, str::FromStr};

use k8s_openapi::jiff::civil::Date;
use schemars::{JsonSchema, Schema, SchemaGenerator, json_schema};
use serde::{Deserialize, Deserializer, Serialize, Serializer};

/// The API group of every govkh kind.
pub const GROUP: &str = "digital.gov.kh";
/// The served and stored version of every govkh kind.
pub const VERSION: &str = "v1alpha1";
/// `apiVersion` of every govkh object.
pub const API_VERSION: &str = "digital.gov.kh/v1alpha1";

/// Label naming the ministry a namespace (or any object) belongs to.
pub const LABEL_MINISTRY: &str = "digital.gov.kh/ministry";
/// Label naming the DataClass of what an object (or a namespace, by default) holds.
pub const LABEL_DATA_CLASS: &str = "digital.gov.kh/data-class";
/// Label marking a namespace that holds personal data (`"true"`), Art. 29.
pub const LABEL_PERSONAL_DATA: &str = "digital.gov.kh/personal-data";
/// Label naming the placement of a provisioned namespace.
pub const LABEL_PLACEMENT: &str = "digital.gov.kh/placement";
/// The field manager of govkh's own writes (status, finalizers); what a tenancy, link or grant
/// provisions is applied under that owner's manager (`provision::desired::field_manager`), so
/// two owners never take each other's fields.
pub const FIELD_MANAGER: &str = "govkh";
/// Label naming the CloudTenancy that holds a namespace (written by govkh alone; a name longer
/// than a label allows is shortened by `label_value`).
pub const LABEL_TENANCY: &str = "digital.gov.kh/tenancy";
/// Annotation govkh writes on a namespace it created for a tenancy, naming that tenancy: only
/// such a namespace is deleted with a `deletionPolicy: Delete` tenancy; a namespace handed over
/// by the platform (`adopt`) never is.
pub const ANNOTATION_CREATED_BY: &str = "digital.gov.kh/created-by";
/// Annotation of a PrivateNetworkLink by which the receiving ministry's DTU agrees to it: the
/// `metadata.generation` of the link it agreed to. A change of the link's spec makes a new
/// generation, which must be agreed to again.
pub const ANNOTATION_ACCEPTED_GENERATION: &str = "digital.gov.kh/accepted-generation";
/// The prefix of the labels and annotations govkh derives on namespaces (ministry, tenancy,
/// placement, data class, domain, ...): only govkh's own service account writes them there.
pub const DERIVED_PREFIX: &str = "digital.gov.kh/";
/// `app.kubernetes.io/managed-by` on everything govkh applies.
pub const LABEL_MANAGED_BY: &str = "app.kubernetes.io/managed-by";

/// `s` as a label value: itself when it fits a label (63 characters), else its first 54
/// characters, `-` and 8 hex digits of its FNV-1a hash — stable, so the same owner always
/// finds its children.
pub fn label_value(s: &str) -> String {
    bounded(s, 63)
}

/// `s` within `max` characters: itself when it fits, else its head, `-` and 8 hex digits of the
/// FNV-1a hash of the whole — stable, and two long names that share their head still differ.
pub fn bounded(s: &str, max: usize) -> String {
    if s.len() <= max {
        return s.to_string();
    }
    let hash = s.bytes().fold(0x811c_9dc5_u32, |h, b| {
        (h ^ u32::from(b)).wrapping_mul(0x0100_0193)
    });
    let head: String = s.chars().take(max.saturating_sub(9)).collect();
    format!("{}-{hash:08x}", head.trim_end_matches(['-', '.']))
}

/// Names of the status conditions govkh sets, in one place so every writer agrees.
pub mod conditions {
    /// The object's desired state has been reconciled into the cluster.
    pub const READY: &str = "Ready";
    /// The last apply of the objects the operator owns succeeded.
    pub const SYNCED: &str = "Synced";
    /// The object complies with the law as of the evaluation date.
    pub const COMPLIANT: &str = "Compliant";
    /// A tenancy holds every namespace it declares, and no other tenancy declares one of them
    /// (False names each that is reserved, contested, another's or not handed over).
    pub const NAMESPACES_CLAIMED: &str = "NamespacesClaimed";
}

/// A calendar day (`YYYY-MM-DD`) in Asia/Phnom_Penh, the unit in which the law counts its
/// deadlines. Serialized as the ISO 8601 date string.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Day(pub Date);

impl Day {
    /// The underlying civil date.
    pub fn date(self) -> Date {
        self.0
    }
}

impl From<Date> for Day {
    fn from(d: Date) -> Self {
        Day(d)
    }
}

impl fmt::Display for Day {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        // jiff prints civil dates as YYYY-MM-DD, the form the API uses.
        write!(f, "{}", self.0)
    }
}

/// Why a string is not a valid [`Day`].
#[derive(Debug, thiserror::Error)]
#[error("`{input}` is not a calendar date in the form YYYY-MM-DD ({reason})")]
pub struct DayParseError {
    input: String,
    reason: String,
}

impl FromStr for Day {
    type Err = DayParseError;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        let err = |reason: String| DayParseError {
            input: s.to_string(),
            reason,
        };
        // jiff also accepts some extended forms; the API only takes the plain one.
        let b = s.as_bytes();
        let shape_ok = b.len() == 10
            && b[4] == b'-'
            && b[7] == b'-'
            && b.iter()
                .enumerate()
                .all(|(i, c)| i == 4 || i == 7 || c.is_ascii_digit());
        if !shape_ok {
            return Err(err("expected exactly 10 characters like 2026-03-01".into()));
        }
        s.parse::<Date>().map(Day).map_err(|e| err(e.to_string()))
    }
}

impl Serialize for Day {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.collect_str(self)
    }
}

impl<'de> Deserialize<'de> for Day {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let s = Cow::<str>::deserialize(d)?;
        s.parse().map_err(serde::de::Error::custom)
    }
}

impl JsonSchema for Day {
    fn schema_name() -> Cow<'static, str> {
        "Day".into()
    }

    fn inline_schema() -> bool {
        true
    }

    fn json_schema(_: &mut SchemaGenerator) -> Schema {
        json_schema!({
            "type": "string",
            "format": "date",
            "pattern": "^[0-9]{4}-[0-9]{2}-[0-9]{2}$",
        })
    }
}

/// Where a ministry's workloads run (Art. 10).
#[derive(
    Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize, JsonSchema,
)]
#[serde(rename_all = "kebab-case")]
pub enum Placement {
    /// The government private cloud operated by MPTC (Art. 10): inside the government cloud.
    GovernmentPrivate,
    /// A cloud leased by the government; inside the government cloud only when the Royal
    /// Government approved its provider (`GovernmentCloud.spec.approvedLeasedProviders`).
    GovernmentLeased,
    /// The ministry's own private cloud: allowed for ministries with `full` resources, outside
    /// the government cloud for ministries with `limited` resources (Art. 10).
    MinistryPrivate,
    /// Any other cloud: outside the government cloud (Art. 10).
    External,
}

impl Placement {
    /// The name used in manifests and labels.
    pub fn as_str(self) -> &'static str {
        match self {
            Placement::GovernmentPrivate => "government-private",
            Placement::GovernmentLeased => "government-leased",
            Placement::MinistryPrivate => "ministry-private",
            Placement::External => "external",
        }
    }
}

impl fmt::Display for Placement {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// A network protocol a port is opened for.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize, JsonSchema, Default)]
pub enum Protocol {
    /// TCP (the default).
    #[default]
    #[serde(rename = "TCP")]
    Tcp,
    /// UDP.
    #[serde(rename = "UDP")]
    Udp,
    /// SCTP.
    #[serde(rename = "SCTP")]
    Sctp,
}

/// One port opened on a network path.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
pub struct Port {
    /// Protocol of the port: TCP (default), UDP or SCTP.
    #[serde(default)]
    pub protocol: Protocol,
    /// Port number, 1 to 65535.
    #[schemars(range(min = 1, max = 65535))]
    pub port: i32,
}

/// Asia/Phnom_Penh: UTC+7 all year, no daylight saving time.
pub const PHNOM_PENH_OFFSET_HOURS: i8 = 7;

fn phnom_penh() -> k8s_openapi::jiff::tz::TimeZone {
    k8s_openapi::jiff::tz::TimeZone::fixed(k8s_openapi::jiff::tz::Offset::constant(
        PHNOM_PENH_OFFSET_HOURS,
    ))
}

impl Day {
    /// The calendar day in Asia/Phnom_Penh at the instant `ts`.
    pub fn in_phnom_penh(ts: k8s_openapi::jiff::Timestamp) -> Day {
        Day(ts.to_zoned(phnom_penh()).date())
    }

    /// The instant this day begins in Asia/Phnom_Penh (00:00 UTC+7): when a state that changes
    /// "on" this day changes.
    pub fn start(self) -> k8s_openapi::jiff::Timestamp {
        // A fixed offset has no gaps, so midnight always exists; the fallback only guards the
        // representable range's edges.
        self.0
            .to_zoned(phnom_penh())
            .map(|z| z.timestamp())
            .unwrap_or(k8s_openapi::jiff::Timestamp::MAX)
    }

    /// This day plus `n` calendar days, saturating at the end of the representable range.
    pub fn plus_days(self, n: i64) -> Day {
        Day(self
            .0
            .checked_add(k8s_openapi::jiff::Span::new().days(n))
            .unwrap_or(Date::MAX))
    }

    /// This day plus `n` calendar months. When the target month has no such day (31 Jan + 1
    /// month, 29 Feb + 12 months), the result is that month's last day: a period counted in
    /// months or years never runs past the corresponding month.
    pub fn plus_months(self, n: i64) -> Day {
        Day(self
            .0
            .checked_add(k8s_openapi::jiff::Span::new().months(n))
            .unwrap_or(Date::MAX))
    }

    /// The next calendar day.
    pub fn next(self) -> Day {
        self.plus_days(1)
    }
}
