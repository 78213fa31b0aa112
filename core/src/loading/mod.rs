//! Reading what people and clusters give govkh: manifests from files, directories and
//! standard input (`manifest`), one YAML document to JSON (`yaml`), and validation against the
//! CRDs' schemas and CEL rules (`schema`). Everything here is bounded and fuzzed.

pub mod manifest;
pub mod schema;
pub mod yaml;
