//! Objects held packed: their compact JSON text compressed with LZ4 (block format, its length
//! first). A workload is read only when the audit judges it, so between audits it costs its
//! packed size: 50,000 Deployments of 3-6 KB (20-60 env entries) held as plain compact text
//! took the process to 352 MiB on the real control plane, most of it that text (the numbers:
//! docs/performance.md). LZ4 rather than a stronger codec because the audit unpacks every
//! held object each time it runs: it unpacks at several GB/s, far faster than the JSON is
//! parsed after it. `lz4_flex` in its safe mode is pure Rust, without unsafe code.

use std::sync::Arc;

use serde_json::Value;

/// An object's compact JSON text, LZ4-compressed; cheap to clone (shared).
#[derive(Clone, PartialEq, Eq)]
pub struct Packed(Arc<[u8]>);

impl Packed {
    /// `value` packed.
    pub fn of(value: &Value) -> Packed {
        Packed::from_text(&value.to_string())
    }

    /// JSON `text` packed as it is.
    pub fn from_text(text: &str) -> Packed {
        Packed(lz4_flex::block::compress_prepend_size(text.as_bytes()).into())
    }

    /// The JSON text, unpacked; an error says why it cannot be (it was packed here, so that
    /// would be a defect, said out loud by the caller rather than skipped).
    pub fn text(&self) -> Result<String, String> {
        let bytes = lz4_flex::block::decompress_size_prepended(&self.0)
            .map_err(|e| format!("cannot unpack the object held packed: {e}"))?;
        String::from_utf8(bytes).map_err(|e| format!("the object held packed is not UTF-8: {e}"))
    }

    /// The object, unpacked and parsed.
    pub fn value(&self) -> Result<Value, String> {
        serde_json::from_str(&self.text()?)
            .map_err(|e| format!("cannot decode the object held packed: {e}"))
    }

    /// How many bytes it holds, packed.
    pub fn packed_len(&self) -> usize {
        self.0.len()
    }
}

impl std::fmt::Debug for Packed {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "Packed({} bytes)", self.0.len())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn a_packed_object_comes_back_as_it_was_and_smaller() {
        let env: Vec<Value> = (0..40)
            .map(|k| json!({"name": format!("SETTING_{k}"), "value": format!("value-7-{k}-abcdefghij")}))
            .collect();
        let deployment = json!({"apiVersion": "apps/v1", "kind": "Deployment",
            "metadata": {"name": "svc-7", "namespace": "mef-tax", "labels": {"app": "svc-7", "ឈ្មោះ": "ក្រសួង"}},
            "spec": {"template": {"spec": {"containers": [{"name": "app", "image": "registry.mptc.gov.kh/app:1", "env": env}]}}}});
        let packed = Packed::of(&deployment);
        assert_eq!(packed.value().unwrap(), deployment);
        assert_eq!(packed.text().unwrap(), deployment.to_string());
        let plain = deployment.to_string().len();
        assert!(
            packed.packed_len() * 3 < plain,
            "{} bytes packed of {plain}",
            packed.packed_len()
        );
        // Shared, not copied.
        assert_eq!(packed.clone(), packed);
    }

    #[test]
    fn damaged_bytes_are_an_error_not_a_panic() {
        let packed = Packed::of(&json!({"kind": "Service", "metadata": {"name": "x"}}));
        let mut bytes = packed.0.to_vec();
        let cut = bytes.len() / 2;
        bytes.truncate(cut);
        let damaged = Packed(bytes.into());
        assert!(damaged.value().is_err());
        // A length prefix that promises more than there is.
        let lying = Packed(vec![0xe8, 0x03, 0, 0, 0x10].into());
        assert!(lying.text().is_err());
    }
}
