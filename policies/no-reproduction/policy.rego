# Art. 26: the reproduction of top-secret data is prohibited; that of confidential data needs
# the authorisation of the committee or the owning ministry. A VolumeSnapshot of, or a volume
# claim cloned from, a top-secret volume is refused; a copy of a confidential volume is allowed
# to the owning ministry, or to a ministry holding an active DataAccessGrant for it.
package govkh.no_reproduction

import data.govkh.lib

metadata := {
	"id": "no-reproduction",
	"title": "No reproduction of top-secret data; confidential only with authorisation",
	"fix": "delete the copy: top-secret data is never copied; confidential data only under an active DataAccessGrant",
	"titleKm": "គ្មានការថតចម្លងទិន្នន័យសម្ងាត់បំផុត; ទិន្នន័យសម្ងាត់តែនៅពេលមានការអនុញ្ញាត",
	"fixKm": "លុបច្បាប់ចម្លងចោល៖ ទិន្នន័យសម្ងាត់បំផុតមិនត្រូវថតចម្លងឡើយ; ទិន្នន័យសម្ងាត់ តែក្រោម DataAccessGrant ដែលនៅមានសុពលភាព",
	"articles": ["26"],
	"severity": "critical",
	"action": "deny",
	"penalty": {
		"article": "40",
		"naturalPerson": {"top-secret": 20000000, "confidential": 10000000},
		"legalPerson": {"top-secret": 500000000, "confidential": 100000000},
	},
	"kinds": ["VolumeSnapshot", "PersistentVolumeClaim"],
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
