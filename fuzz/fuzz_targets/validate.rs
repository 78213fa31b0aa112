//! Fuzz target `validate`: see operator/tests/common/fuzz_targets.rs.
#![no_main]

#[path = "../../operator/tests/common/fuzz_targets.rs"]
mod targets;

libfuzzer_sys::fuzz_target!(|data: &[u8]| targets::validate(data));
