//! The `govkh` binary.
#![forbid(unsafe_code)]
fn main() {
    let _ = govkh::crdgen::all_yaml().map(|y| print!("{y}"));
}
