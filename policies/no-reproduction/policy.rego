# Art. 26: the reproduction of top-secret data is prohibited; that of confidential data needs
# the authorisation of the committee or the owning ministry. A VolumeSnapshot of, or a volume
# claim cloned from, a top-secret volume is refused; a copy of a confidential volume is allowed
# to the owning ministry, or to a ministry holding an active DataAccessGrant for it.
#
# Secrets and ConfigMaps are copied between namespaces by replication controllers, told by
# annotations: emberstack's Reflector (`reflector.v1.k8s.emberstack.com/…`), mittwald's
# kubernetes-replicator (`replicator.v1.mittwald.de/…`) and AppsCode's config-syncer
# (`kubed.appscode.com/sync`). A top-secret Secret or ConfigMap that asks to be copied, and a
# copy that names a top-secret source, are refused; a confidential one may be copied into the
# owning ministry's namespaces, or another ministry's under an active DataAccessGrant — so a
# copy "to every namespace" (no list, a pattern, a label selector) is refused.
package govkh.no_reproduction

import data.govkh.lib

metadata := {
	"id": "no-reproduction",
	"title": "No reproduction of top-secret data; confidential only with authorisation",
	"fix": "delete the copy: top-secret data is never copied; confidential data only under an active DataAccessGrant",
	"titleKm": "គ្មានការថតចម្លងទិន្នន័យសម្ងាត់បំផុត; ទិន្នន័យសម្ងាត់តែនៅពេលមានការអនុញ្ញាត",
	"fixKm": "លុបច្បាប់ចម្លងចោល៖ ទិន្នន័យសម្ងាត់បំផុតមិនត្រូវថតចម្លងឡើយ; ទិន្នន័យសម្ងាត់ តែក្រោម DataAccessGrant ដែលនៅមានសុពលភាព",
	"articles": ["26"],
	"configuration": ["data-class-handling"],
	"readings": ["top-secret-use", "copies-by-annotation"],
	"severity": "critical",
	"action": "deny",
	"penalty": {
		"article": "40",
		"naturalPerson": {"top-secret": 20000000, "confidential": 10000000},
		"legalPerson": {"top-secret": 500000000, "confidential": 100000000},
	},
	"kinds": ["VolumeSnapshot", "PersistentVolumeClaim", "Secret", "ConfigMap"],
}

# The copy's source: [namespace, claim name].
source := [lib.namespace, lib.obj.spec.source.persistentVolumeClaimName] if lib.obj.kind == "VolumeSnapshot"

# dataSourceRef supersedes dataSource when both are set.
copy_ref := lib.obj.spec.dataSourceRef

copy_ref := lib.obj.spec.dataSource if not lib.obj.spec.dataSourceRef

source := [object.get(copy_ref, "namespace", lib.namespace), copy_ref.name] if {
	lib.obj.kind == "PersistentVolumeClaim"
	copy_ref.kind == "PersistentVolumeClaim"
}

source_class := lib.volume_class(source[0], source[1])

source_spec := lib.class_spec(source_class)

owner := input.inventory.namespaces[source[0]].ministry

violation contains {"msg": msg, "msg_km": msg_km, "level": source_spec.level} if {
	source_spec.reproduction == "Prohibited"
	msg := sprintf("%s %s copies volume %s/%s, which holds %s data: its reproduction is prohibited (Art. 26)", [lib.obj.kind, lib.obj.metadata.name, source[0], source[1], source_class])
	msg_km := sprintf("%s %s ថតចម្លងឧបករណ៍ផ្ទុក %s/%s ដែលផ្ទុកទិន្នន័យ %s៖ ការថតចម្លងទិន្នន័យនេះត្រូវហាមឃាត់ (មាត្រា 26)", [lib.obj.kind, lib.obj.metadata.name, source[0], source[1], source_class])
}

violation contains {"msg": msg, "msg_km": msg_km, "level": source_spec.level} if {
	source_spec.reproduction == "WithAuthorization"
	lib.ministry != owner
	not lib.active_grant(owner, lib.ministry, source[0])
	msg := sprintf("%s %s copies %s's volume %s/%s (%s data) into %s's namespace without an active DataAccessGrant: reproduction needs the owner's or the committee's authorisation (Art. 26)", [lib.obj.kind, lib.obj.metadata.name, owner, source[0], source[1], source_class, lib.ministry])
	msg_km := sprintf("%s %s ថតចម្លងឧបករណ៍ផ្ទុករបស់ %s ឈ្មោះ %s/%s (ទិន្នន័យ %s) ចូលទៅ namespace របស់ %s ដោយគ្មានការអនុញ្ញាតចូលប្រើទិន្នន័យដែលនៅមានសុពលភាព៖ ការថតចម្លងត្រូវមានការអនុញ្ញាតពីម្ចាស់ ឬពីគណៈកម្មាធិការ (មាត្រា 26)", [lib.obj.kind, lib.obj.metadata.name, owner, source[0], source[1], source_class, lib.ministry])
}

# === Secrets and ConfigMaps copied by replication controllers ===

reflector := "reflector.v1.k8s.emberstack.com/"

replicator := "replicator.v1.mittwald.de/"

annotations := lib.map_of(lib.obj, "annotations") if lib.obj.kind in {"Secret", "ConfigMap"}

on(key) if lower(trim_space(annotations[key])) == "true"

# The namespaces an annotation lists; "all" when it lists none, or any entry is a pattern.
listed(value) := "all" if {
	names := [n | some part in split(value, ","); n := trim_space(part); n != ""]
	count(names) == 0
}

listed(value) := "all" if {
	some part in split(value, ",")
	not regex.match(`^[a-z0-9]([-a-z0-9]*[a-z0-9])?$`, trim_space(part))
	trim_space(part) != ""
}

listed(value) := {n | some part in split(value, ","); n := trim_space(part); n != ""} if {
	every part in split(value, ",") {
		regex.match(`^([a-z0-9]([-a-z0-9]*[a-z0-9])?)?$`, trim_space(part))
	}
	count([n | some part in split(value, ","); n := trim_space(part); n != ""]) > 0
}

# Where this object asks to be copied: [the tool's annotation, its targets ("all" or a set)].
copied_to contains [sprintf("%sreflection-allowed", [reflector]), listed(object.get(annotations, sprintf("%sreflection-allowed-namespaces", [reflector]), ""))] if on(sprintf("%sreflection-allowed", [reflector]))

copied_to contains [sprintf("%sreflection-auto-enabled", [reflector]), listed(object.get(annotations, sprintf("%sreflection-auto-namespaces", [reflector]), ""))] if on(sprintf("%sreflection-auto-enabled", [reflector]))

copied_to contains [sprintf("%sreplicate-to", [replicator]), listed(annotations[sprintf("%sreplicate-to", [replicator])])] if annotations[sprintf("%sreplicate-to", [replicator])]

copied_to contains [sprintf("%sreplicate-to-matching", [replicator]), "all"] if annotations[sprintf("%sreplicate-to-matching", [replicator])]

copied_to contains [sprintf("%sreplication-allowed", [replicator]), listed(object.get(annotations, sprintf("%sreplication-allowed-namespaces", [replicator]), ""))] if on(sprintf("%sreplication-allowed", [replicator]))

copied_to contains ["kubed.appscode.com/sync", "all"] if "kubed.appscode.com/sync" in object.keys(annotations)

own_spec := lib.class_spec(lib.data_class) if annotations

violation contains {"msg": msg, "msg_km": msg_km, "level": own_spec.level} if {
	own_spec.reproduction == "Prohibited"
	some [key, _] in copied_to
	msg := sprintf("%s %s/%s holds %s data and asks for copies in other namespaces (annotation %s): its reproduction is prohibited (Art. 26)", [lib.obj.kind, lib.namespace, lib.obj.metadata.name, lib.data_class, key])
	msg_km := sprintf("%s %s/%s ផ្ទុកទិន្នន័យ %s ហើយស្នើឱ្យថតចម្លងទៅ namespace ផ្សេង (annotation %s)៖ ការថតចម្លងទិន្នន័យនេះត្រូវហាមឃាត់ (មាត្រា 26)", [lib.obj.kind, lib.namespace, lib.obj.metadata.name, lib.data_class, key])
}

violation contains {"msg": msg, "msg_km": msg_km, "level": own_spec.level} if {
	own_spec.reproduction == "WithAuthorization"
	some [key, "all"] in copied_to
	msg := sprintf("%s %s/%s holds %s data and asks for copies in every namespace (annotation %s, without a list of namespace names): reproduction outside the owning ministry needs its or the committee's authorisation; list the namespaces (Art. 26)", [lib.obj.kind, lib.namespace, lib.obj.metadata.name, lib.data_class, key])
	msg_km := sprintf("%s %s/%s ផ្ទុកទិន្នន័យ %s ហើយស្នើឱ្យថតចម្លងទៅគ្រប់ namespace (annotation %s ដោយគ្មានបញ្ជីឈ្មោះ namespace)៖ ការថតចម្លងនៅក្រៅក្រសួងម្ចាស់ត្រូវមានការអនុញ្ញាតពីម្ចាស់ ឬពីគណៈកម្មាធិការ។ សូមរាយឈ្មោះ namespace (មាត្រា 26)", [lib.obj.kind, lib.namespace, lib.obj.metadata.name, lib.data_class, key])
}

violation contains {"msg": msg, "msg_km": msg_km, "level": own_spec.level} if {
	own_spec.reproduction == "WithAuthorization"
	some [key, targets] in copied_to
	is_set(targets)
	some ns in targets
	to := object.get(input.inventory.namespaces, [ns, "ministry"], "")
	to != lib.ministry
	not lib.active_grant(lib.ministry, to, lib.namespace)
	msg := sprintf("%s %s/%s holds %s data and asks for a copy in namespace %s (annotation %s), %s: reproduction outside the owning ministry needs an active DataAccessGrant from %s (Art. 26)", [lib.obj.kind, lib.namespace, lib.obj.metadata.name, lib.data_class, ns, key, whose(to), lib.ministry])
	msg_km := sprintf("%s %s/%s ផ្ទុកទិន្នន័យ %s ហើយស្នើឱ្យថតចម្លងទៅ namespace %s (annotation %s) %s៖ ការថតចម្លងនៅក្រៅក្រសួងម្ចាស់ត្រូវមាន DataAccessGrant ដែលនៅមានសុពលភាពពី %s (មាត្រា 26)", [lib.obj.kind, lib.namespace, lib.obj.metadata.name, lib.data_class, ns, key, whose_km(to), lib.ministry])
}

whose(m) := sprintf("Ministry %s's", [m]) if m != ""

whose("") := "which is no ministry's namespace"

whose_km(m) := sprintf("ជារបស់ក្រសួង %s", [m]) if m != ""

whose_km("") := "ដែលមិនមែនជា namespace របស់ក្រសួងណាមួយ"

# A copy names its source "<namespace>/<name>" (a name alone: its own namespace).
copy_of := [key, annotations[key]] if {
	key := sprintf("%sreflects", [reflector])
	annotations[key]
}

copy_of := [key, annotations[key]] if {
	key := sprintf("%sreplicate-from", [replicator])
	annotations[key]
}

copy_source := [parts[0], parts[1]] if {
	parts := split(trim_space(copy_of[1]), "/")
	count(parts) == 2
}

copy_source := [lib.namespace, parts[0]] if {
	parts := split(trim_space(copy_of[1]), "/")
	count(parts) == 1
}

copy_source_class := input.inventory.namespaces[copy_source[0]].dataClass

copy_source_spec := lib.class_spec(copy_source_class)

copy_owner := input.inventory.namespaces[copy_source[0]].ministry

violation contains {"msg": msg, "msg_km": msg_km, "level": copy_source_spec.level} if {
	copy_source_spec.reproduction == "Prohibited"
	msg := sprintf("%s %s/%s is a copy of %s/%s (annotation %s), which holds %s data: its reproduction is prohibited (Art. 26)", [lib.obj.kind, lib.namespace, lib.obj.metadata.name, copy_source[0], copy_source[1], copy_of[0], copy_source_class])
	msg_km := sprintf("%s %s/%s ជាច្បាប់ចម្លងនៃ %s/%s (annotation %s) ដែលផ្ទុកទិន្នន័យ %s៖ ការថតចម្លងទិន្នន័យនេះត្រូវហាមឃាត់ (មាត្រា 26)", [lib.obj.kind, lib.namespace, lib.obj.metadata.name, copy_source[0], copy_source[1], copy_of[0], copy_source_class])
}

violation contains {"msg": msg, "msg_km": msg_km, "level": copy_source_spec.level} if {
	copy_source_spec.reproduction == "WithAuthorization"
	lib.ministry != copy_owner
	not lib.active_grant(copy_owner, lib.ministry, copy_source[0])
	msg := sprintf("%s %s/%s is a copy of %s's %s/%s (annotation %s, %s data) without an active DataAccessGrant: reproduction needs the owner's or the committee's authorisation (Art. 26)", [lib.obj.kind, lib.namespace, lib.obj.metadata.name, copy_owner, copy_source[0], copy_source[1], copy_of[0], copy_source_class])
	msg_km := sprintf("%s %s/%s ជាច្បាប់ចម្លងនៃ %s/%s របស់ %s (annotation %s ទិន្នន័យ %s) ដោយគ្មាន DataAccessGrant ដែលនៅមានសុពលភាព៖ ការថតចម្លងត្រូវមានការអនុញ្ញាតពីម្ចាស់ ឬពីគណៈកម្មាធិការ (មាត្រា 26)", [lib.obj.kind, lib.namespace, lib.obj.metadata.name, copy_source[0], copy_source[1], copy_owner, copy_of[0], copy_source_class])
}
