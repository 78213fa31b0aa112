//! govkh: the Law on Digital Government of the Kingdom of Cambodia as a Kubernetes API,
//! reconciled cluster state, enforced policies and compliance reports.
//!
//! The crate keeps a kube-free core (API types, the statutory clock, manifest loading, the
//! inventory, evaluation, findings, output) apart from the kube I/O, so that the core is
//! testable without a cluster.
#![forbid(unsafe_code)]

pub mod api;
pub mod audit;
pub mod cli;
pub mod clock;
pub mod cluster;
pub mod conditions;
pub mod controller;
pub mod crdgen;
pub mod desired;
pub mod evaluate;
pub mod finding;
pub mod inventory;
pub mod lease;
pub mod manifest;
pub mod metrics;
pub mod output;
pub mod policy;
pub mod rbac;
pub mod report;
pub mod run;
pub mod schema;
pub mod serve;
pub mod webhook;
