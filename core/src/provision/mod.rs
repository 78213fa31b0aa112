//! What govkh makes in the cluster, as plain objects: the namespaces, quotas, network policies
//! and role bindings each owner kind provisions (`desired`), status conditions
//! (`conditions`), the permissions the operator needs to do it (`rbac`), and the
//! ValidatingAdmissionPolicies generated from the catalogue with the namespace annotations they
//! read (`admission_policies`).

pub mod admission_policies;
pub mod conditions;
pub mod desired;
pub mod rbac;
