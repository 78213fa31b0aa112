//! The documents govkh gives people and tools, rendered from decided values and never deciding:
//! `govkh check`'s text, JSON and SARIF (`check`), the policy catalogue (`catalogue`), the
//! committee's report (`report`), and the audit as OpenReports (`openreports`); `columns` lays
//! out their plain-text tables. Their sentences come from `message`.

pub mod catalogue;
pub mod check;
pub mod columns;
pub mod openreports;
pub mod report;
