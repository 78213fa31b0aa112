//! Fuzz target `load`: see operator/tests/common/fuzz_targets.rs.
#![no_main]

#[path = "../../operator/tests/common/fuzz_targets.rs"]
mod targets;

libfuzzer_sys::fuzz_target!(|data: &[u8]| targets::load(data));
