//! govkh: the operator, the admission webhook and the CLI — the kube I/O around
//! `govkh_core`, which holds every decision (API types, clock, evaluation, findings, report).
//! What is here reads and writes the cluster, serves HTTP and wires the commands; it decides
//! nothing the core could not decide without a cluster.
#![forbid(unsafe_code)]

pub mod audit;
pub mod cli;
pub mod cluster;
pub mod connections;
pub mod context;
pub mod controller;
pub mod index;
pub mod lease;
pub mod metrics;
pub mod plugin;
pub mod run;
pub mod serve;
pub mod webhook;
pub mod writers;
