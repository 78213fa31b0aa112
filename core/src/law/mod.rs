//! The law's own logic, free of input and output: the statutory clock of Art. 10 and the
//! states of approvals and grants (`clock`), the reconcilers' verdicts (`verdict`), and the
//! references between the kinds with the articles each one serves (`references`). Deciding
//! code returns values with their facts; the messages turn them into sentences.

pub mod clock;
pub mod references;
pub mod verdict;
