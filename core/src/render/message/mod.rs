//! Messages for people, rendered from decisions. The deciding code (`clock`, `references`,
//! `verdict`) returns values with their facts and never formats; this module
//! is the one place where those values become sentences, one submodule per language, so a
//! message exists once in each language and a change of wording cannot change a decision.
//!
//! English (`en`) and Khmer (`km`) render the same values; a finding carries both texts, and
//! each output picks one (`--lang`).

pub mod en;
pub mod km;
pub mod words;
