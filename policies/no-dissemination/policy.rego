# Art. 26, 28: top-secret data is not disseminated; confidential data only with authorisation,
# and sharing is done securely. Workloads whose data class forbids public exposure are not
# exposed (Service LoadBalancer/NodePort, Ingress, HTTPRoute) unless, for confidential data,
# the owner granted it to the public; a PrivateNetworkLink from
# any namespace (of another ministry, or of the same) into namespaces holding data whose
# sharing is Prohibited is refused, and from another ministry into WithGrant data only with an
# active DataAccessGrant; and no DataAccessGrant is made of
# data whose sharing is Prohibited (top-secret), or into a namespace holding such data.
package govkh.no_dissemination

import data.govkh.lib

metadata := {
	"id": "no-dissemination",
	"title": "No public exposure or cross-ministry paths to protected data without a grant",
	"fix": "remove the public exposure (a ClusterIP Service, no Ingress or route) or the link; for confidential data, obtain an active DataAccessGrant first",
	"titleKm": "គ្មានការបើកជាសាធារណៈ ឬផ្លូវឆ្លងក្រសួងទៅកាន់ទិន្នន័យដែលត្រូវការពារ ដោយគ្មានការអនុញ្ញាត",
	"fixKm": "ដកការបើកជាសាធារណៈចេញ (Service ប្រភេទ ClusterIP គ្មាន Ingress ឬ route) ឬដកតំណចេញ; សម្រាប់ទិន្នន័យសម្ងាត់ ត្រូវមាន DataAccessGrant ដែលនៅមានសុពលភាពជាមុនសិន",
	"articles": ["26", "28"],
	"configuration": ["data-class-handling"],
	"readings": ["top-secret-use", "public-grant"],
	"severity": "critical",
	"action": "deny",
	"penalty": {
		"article": "40",
		"naturalPerson": {"top-secret": 20000000, "confidential": 10000000},
		"legalPerson": {"top-secret": 500000000, "confidential": 100000000},
	},
	"kinds": ["Service", "Ingress", "HTTPRoute", "PrivateNetworkLink", "DataAccessGrant"],
}

public_service if {
	lib.obj.kind == "Service"
	lib.obj.spec.type in {"LoadBalancer", "NodePort"}
}

exposure := sprintf("Service type %s", [lib.obj.spec.type]) if public_service

exposure := lib.obj.kind if lib.obj.kind in {"Ingress", "HTTPRoute"}

exposure_km := sprintf("Service ប្រភេទ %s", [lib.obj.spec.type]) if public_service

exposure_km := lib.obj.kind if lib.obj.kind in {"Ingress", "HTTPRoute"}

# Public exposure of data that may be shared with a grant (confidential) is the owner's to
# authorise (Art. 26 para. 3): an active DataAccessGrant to the public (grantee.public) for
# the namespace, with the subjects' consent where the namespace holds personal data (Art. 29).
# Data that is never shared (top-secret) is never exposed, whatever is granted.
publicly_authorised if {
	spec := lib.class_spec(lib.data_class)
	spec.sharing == "WithGrant"
	grants := object.get(input.inventory, [public_grants_key, sprintf("%s/%s", [lib.ministry, lib.namespace])], [])
	count(grants) > 0
}

public_grants_key := "publicConsentGrants" if input.inventory.namespaces[lib.namespace].personalData

public_grants_key := "publicGrants" if not input.inventory.namespaces[lib.namespace].personalData

violation contains {"msg": msg, "msg_km": msg_km, "level": spec.level} if {
	exposure
	class := lib.data_class
	spec := lib.class_spec(class)
	not spec.publicExposure
	not publicly_authorised
	msg := sprintf("%s %s exposes namespace %s, which holds %s data, to the public (%s): dissemination of this data is prohibited or needs authorisation — for confidential data, an active DataAccessGrant from its owner to the public (grantee.public: true) for this namespace, with consent where it holds personal data (Art. 26, 28)", [lib.obj.kind, lib.obj.metadata.name, lib.namespace, class, exposure])
	msg_km := sprintf("%s %s បើក namespace %s ដែលផ្ទុកទិន្នន័យ %s ជាសាធារណៈ (%s)៖ ការផ្សព្វផ្សាយទិន្នន័យនេះត្រូវហាមឃាត់ ឬត្រូវមានការអនុញ្ញាត — សម្រាប់ទិន្នន័យសម្ងាត់ គឺ DataAccessGrant ដែលនៅមានសុពលភាពពីម្ចាស់ទៅសាធារណជន (grantee.public: true) សម្រាប់ namespace នេះ ជាមួយការយល់ព្រម ប្រសិនបើវាផ្ទុកទិន្នន័យផ្ទាល់ខ្លួន (មាត្រា 26, 28)", [lib.obj.kind, lib.obj.metadata.name, lib.namespace, class, exposure_km])
}

link := lib.obj.spec if lib.obj.kind == "PrivateNetworkLink"

# The namespaces a link reaches: those named, else all of the target ministry's.
target_namespaces contains ns if {
	some ns in link.to.namespaces
}

target_namespaces contains ns if {
	count(object.get(link.to, "namespaces", [])) == 0
	some ns in lib.ministry_namespaces(link.to.ministry)
}

# Into top-secret data no path opens, not even from the owner's other namespaces: the data
# would leave its namespace (Art. 26 para. 2), as the link reconciler reads it too.
violation contains {"msg": msg, "msg_km": msg_km, "level": spec.level} if {
	some ns in target_namespaces
	class := input.inventory.namespaces[ns].dataClass
	spec := lib.class_spec(class)
	spec.sharing == "Prohibited"
	msg := sprintf("PrivateNetworkLink %s opens a path from %s into %s's namespace %s, which holds %s data: its dissemination is prohibited (Art. 26)", [lib.obj.metadata.name, link.from.ministry, link.to.ministry, ns, class])
	msg_km := sprintf("PrivateNetworkLink %s បើកផ្លូវពី %s ចូលទៅ namespace របស់ %s ឈ្មោះ %s ដែលផ្ទុកទិន្នន័យ %s៖ ការផ្សព្វផ្សាយទិន្នន័យនេះត្រូវហាមឃាត់ (មាត្រា 26)", [lib.obj.metadata.name, link.from.ministry, link.to.ministry, ns, class])
}

# The link reconciler opens nothing until such a grant is active (AwaitingGrant): admission
# admits the link, so a link and its grant need no order.
violation contains {"msg": msg, "msg_km": msg_km, "level": spec.level, "awaits": "DataAccessGrant"} if {
	link.to.ministry != link.from.ministry
	some ns in target_namespaces
	class := input.inventory.namespaces[ns].dataClass
	spec := lib.class_spec(class)
	spec.sharing == "WithGrant"
	not lib.active_grant(link.to.ministry, link.from.ministry, ns)
	msg := sprintf("PrivateNetworkLink %s opens a path from %s into %s's namespace %s (%s data) without an active DataAccessGrant from %s (Art. 26, 28)", [lib.obj.metadata.name, link.from.ministry, link.to.ministry, ns, class, link.to.ministry])
	msg_km := sprintf("PrivateNetworkLink %s បើកផ្លូវពី %s ចូលទៅ namespace របស់ %s ឈ្មោះ %s (ទិន្នន័យ %s) ដោយគ្មានការអនុញ្ញាតចូលប្រើទិន្នន័យ (DataAccessGrant) ដែលនៅមានសុពលភាពពី %s (មាត្រា 26, 28)", [lib.obj.metadata.name, link.from.ministry, link.to.ministry, ns, class, link.to.ministry])
}

grant := lib.obj.spec if lib.obj.kind == "DataAccessGrant"

# A class whose data is never shared: its DataClass says so, or (no such DataClass) it is named
# top-secret, as the reconcilers read it too (fail closed).
never_shared(class) := lib.class_spec(class).level if lib.class_spec(class).sharing == "Prohibited"

never_shared(class) := "top-secret" if {
	not lib.class_spec(class)
	class == "top-secret"
}

violation contains {"msg": msg, "msg_km": msg_km, "level": level} if {
	level := never_shared(grant.dataClass)
	msg := sprintf("DataAccessGrant %s grants %s data (class %s), whose dissemination and use by others is prohibited: no one may be granted it (Art. 26)", [lib.obj.metadata.name, level, grant.dataClass])
	msg_km := sprintf("DataAccessGrant %s ផ្តល់ទិន្នន័យ %s (ថ្នាក់ %s) ដែលការផ្សព្វផ្សាយ និងការប្រើប្រាស់ដោយអ្នកដទៃត្រូវហាមឃាត់៖ គ្មាននរណាអាចទទួលបានវាទេ (មាត្រា 26)", [lib.obj.metadata.name, level, grant.dataClass])
}

violation contains {"msg": msg, "msg_km": msg_km, "level": level} if {
	some ns in grant.namespaces
	class := input.inventory.namespaces[ns].dataClass
	level := never_shared(class)
	msg := sprintf("DataAccessGrant %s opens namespace %s, which holds %s data (class %s): its dissemination and use by others is prohibited (Art. 26)", [lib.obj.metadata.name, ns, level, class])
	msg_km := sprintf("DataAccessGrant %s បើក namespace %s ដែលផ្ទុកទិន្នន័យ %s (ថ្នាក់ %s)៖ ការផ្សព្វផ្សាយ និងការប្រើប្រាស់ដោយអ្នកដទៃត្រូវហាមឃាត់ (មាត្រា 26)", [lib.obj.metadata.name, ns, level, class])
}
