# Helpers shared by the govkh policies: where an object lives, which ministry and data class
# it belongs to, and what the inventory says about them.
package govkh.lib

obj := input.review.object

namespace := obj.metadata.namespace

# The ministry whose namespace the object is in.
ministry := input.inventory.namespaces[namespace].ministry

ministry_spec := input.inventory.ministries[ministry].spec

# Kinds that run pods.
workload_kinds := {"Pod", "Deployment", "StatefulSet", "DaemonSet", "ReplicaSet", "Job", "CronJob"}

is_workload if workload_kinds[obj.kind]

# Labels of the pods an object runs (its pod template), else its own.
pod_labels := obj.spec.template.metadata.labels if obj.kind != "CronJob"

pod_labels := obj.spec.jobTemplate.spec.template.metadata.labels if obj.kind == "CronJob"

own_class := obj.metadata.labels["digital.gov.kh/data-class"]

template_class := pod_labels["digital.gov.kh/data-class"]

namespace_class := input.inventory.namespaces[namespace].dataClass

# The object's data class: its own label, its pod template's, else its namespace's default.
data_class := own_class

data_class := template_class if not own_class

data_class := namespace_class if {
	not own_class
	not template_class
}

class_spec(name) := input.inventory.dataClasses[name].spec

# The data class of a volume claim "<ns>/<name>", else of its namespace.
volume_class(ns, name) := input.inventory.volumes[sprintf("%s/%s", [ns, name])].dataClass

volume_class(ns, name) := input.inventory.namespaces[ns].dataClass if {
	not input.inventory.volumes[sprintf("%s/%s", [ns, name])].dataClass
}

# An active grant from the owner ministry to the grantee ministry covering namespace ns (the
# first by name, when several do). govkh indexes them once per evaluation: no scan per object.
active_grant(owner, grantee, ns) := input.inventory.activeGrants[sprintf("%s/%s/%s", [owner, grantee, ns])][0]

# The namespaces of a ministry (indexed once per evaluation).
ministry_namespaces(ministry) := object.get(input.inventory, ["ministryNamespaces", ministry], [])

# The ministry an Approval o is about: the one whose tenancy, or whose link (its `from` side),
# is its subject. Undefined when the subject is in no inventory.
approval_ministry(o) := input.inventory.tenancies[o.spec.subject.name].spec.ministry if o.spec.subject.kind == "CloudTenancy"

approval_ministry(o) := input.inventory.links[o.spec.subject.name].spec.from.ministry if o.spec.subject.kind == "PrivateNetworkLink"

# Whether host is the domain itself or inside it.
in_domain(host, domain) if host == domain

in_domain(host, domain) if endswith(host, concat("", [".", domain]))

# === The requester (admission, `check --as-user`; absent for the audit) ===

user := input.review.userInfo

operation := input.review.operation

old := input.review.oldObject

user_groups := {g | some g in object.get(user, "groups", [])}

user_name := object.get(user, "username", "this user")

config := object.get(input, "config", {})

platform_groups := object.get(config, "platformGroups", ["govkh-platform", "system:masters"])

committee_groups := object.get(config, "committeeGroups", ["digital-government-committee"])

# The platform of the government cloud.
is_platform if {
	some g in platform_groups
	g in user_groups
}

# The Digital Government Committee.
is_committee if {
	some g in committee_groups
	g in user_groups
}

# govkh itself (its service account).
is_operator if user.username in object.get(config, "operatorUsers", [])

# A member of ministry m's Digital Transformation Unit (its Ministry's groups).
in_dtu(m) if {
	some g in object.get(input.inventory.ministries[m].spec.digitalTransformationUnit, "groups", [])
	g in user_groups
}

# The requester's groups, for messages.
groups_text := concat(", ", sort([g | some g in user_groups])) if count(user_groups) > 0

groups_text := "none" if count(user_groups) == 0

# An object's labels or annotations (`map`), {} when it has none (or null).
map_of(o, map) := m if {
	m := o.metadata[map]
	is_object(m)
}

map_of(o, map) := {} if not is_object(o.metadata[map])
