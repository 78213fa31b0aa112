//! Everything govkh shows people and tools, rendered from decided values and never deciding:
//! messages in English and Khmer (`message`), `govkh check`'s text, JSON and SARIF (`check`),
//! the policy catalogue (`catalogue`),
//! the committee's report (`report`), the audit as OpenReports (`openreports`), and text
//! helpers for names shown to people (`text`).

pub mod catalogue;
pub mod check;
pub mod message;
pub mod openreports;
pub mod report;
pub mod text;
