# Art. 5, 25: the `digital.gov.kh/*` labels and annotations on a namespace say which ministry it
# belongs to, which tenancy holds it and what class of data it holds by default; govkh derives
# them from the CloudTenancy and writes them itself. Anyone else who could set them could make a
# namespace a ministry's, or declassify it. Only govkh's own users (input.config.operatorUsers,
# its service account) may set, change or remove them. A file has no submitter: judged only at
# admission and by `check --as-user`.
package govkh.derived_labels

import data.govkh.lib

metadata := {
	"id": "derived-labels",
	"title": "Only govkh writes the labels that make a namespace a ministry's",
	"fix": "leave the digital.gov.kh/ labels and annotations of namespaces to govkh: declare the namespace in a CloudTenancy (or ask the platform to hand it over) and govkh labels it",
	"titleKm": "មានតែ govkh ទេ ដែលសរសេរស្លាកដែលធ្វើឱ្យ namespace ជារបស់ក្រសួង",
	"fixKm": "ទុកស្លាក និង annotation digital.gov.kh/ នៃ namespace ឱ្យ govkh៖ ប្រកាស namespace ក្នុង CloudTenancy (ឬស្នើវេទិកាឱ្យប្រគល់) ហើយ govkh នឹងដាក់ស្លាកវា",
	"articles": ["5", "25"],
	"configuration": ["groups"],
	"severity": "critical",
	"action": "deny",
	"kinds": ["Namespace"],
	"operations": ["CREATE", "UPDATE"],
}

derived(o, map) := {k: v | some k, v in lib.map_of(o, map); startswith(k, "digital.gov.kh/")}

before(map) := derived(lib.old, map) if lib.operation == "UPDATE"

before(map) := {} if lib.operation != "UPDATE"

changed contains k if {
	some map in ["labels", "annotations"]
	now := derived(lib.obj, map)
	was := before(map)
	some k in object.keys(now) | object.keys(was)
	object.get(now, k, null) != object.get(was, k, null)
}

violation contains {"msg": msg, "msg_km": msg_km} if {
	lib.obj.kind == "Namespace"
	lib.user
	not lib.is_operator
	count(changed) > 0
	msg := sprintf("%s (groups %s) may not set or change %s on namespace %s: govkh alone derives them from the CloudTenancy that holds it (Art. 5, 25)", [lib.user_name, lib.groups_text, concat(", ", sort(changed)), lib.obj.metadata.name])
	msg_km := sprintf("%s (ក្រុម %s) គ្មានសិទ្ធិកំណត់ ឬផ្លាស់ប្តូរ %s លើ namespace %s ទេ៖ មានតែ govkh ទេ ដែលទាញយកពួកវាពី CloudTenancy ដែលកាន់វា (មាត្រា 5, 25)", [lib.user_name, lib.groups_text, concat(", ", sort(changed)), lib.obj.metadata.name])
}
