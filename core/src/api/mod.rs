//! The `digital.gov.kh/v1alpha1` API: the seven kinds (described for people in `docs/api.md`)
//! as Rust types, from which the CRDs in `crds/` are generated (`govkh crds`). Every field's `///` becomes `kubectl explain`
//! text, so it is written for the ministries that fill it in.

// Each `printcolumn(...)` of kube's derive repeats keys such as `type_`; clippy reads the
// repetition as duplicated attributes.
#![allow(clippy::duplicated_attributes)]

pub mod approval;
pub mod common;
pub mod crdgen;
pub mod data_class;
pub mod government_cloud;
pub mod grant;
pub mod kind;
pub mod link;
pub mod ministry;
pub mod tenancy;

pub use approval::*;
pub use common::*;
pub use data_class::*;
pub use government_cloud::*;
pub use grant::*;
pub use kind::Kind;
pub use link::*;
pub use ministry::*;
pub use tenancy::*;
