//! What the leader writes back to the cluster after an audit: the findings as OpenReports (or
//! wgpolicyk8s) reports (`openreports`) and each ministry's daily record (`history`), both
//! applied only when they changed, and the Events that tell a Ministry its deadlines are near
//! (`deadlines`).

pub mod deadlines;
pub mod history;
pub mod openreports;
