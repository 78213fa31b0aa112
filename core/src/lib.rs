//! govkh-core: the Law on Digital Government of the Kingdom of Cambodia as data and decisions —
//! the API types, the statutory clock, manifest loading and schema validation, the inventory,
//! the Rego policy library, the one evaluation core, findings, output formats, the committee's
//! report, the objects the reconcilers provision and the verdicts they act on.
//!
//! Nothing here talks to a cluster: no kube client or runtime, no tokio, no HTTP (a test runs
//! `cargo tree` to keep it so). The `govkh` crate is the thin kube I/O around this crate.
#![forbid(unsafe_code)]

pub mod admission;
pub mod api;
pub mod apis;
pub mod audit;
pub mod clouds;
pub mod dependents;
pub mod evaluate;
pub mod fence;
pub mod finding;
pub mod inventory;
pub mod law;
pub mod loading;
pub mod message;
pub mod parallel;
pub mod policy;
pub mod printable;
pub mod provision;
pub mod render;
pub mod resources;
pub mod trace;
