//! Fuzz target `admission`: see tests/fuzz_targets.rs.
#![no_main]

#[path = "../../tests/fuzz_targets.rs"]
mod targets;

libfuzzer_sys::fuzz_target!(|data: &[u8]| targets::admission(data));
