//! What govkh makes in the cluster, as plain objects: the namespaces, quotas, network policies
//! and role bindings each owner kind provisions (`desired`), status conditions
//! (`conditions`), and the permissions the operator needs to do it (`rbac`).

pub mod admission_policies;
pub mod conditions;
pub mod desired;
pub mod rbac;
