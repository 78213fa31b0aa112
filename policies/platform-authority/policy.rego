# Art. 4, 5, 10, 25: the platform of the government cloud (input.config.platformGroups) writes
# what is national: the GovernmentCloud, the DataClasses and the Ministries (which ministries
# exist, their domains, resource levels and DTU groups: who may act in their name). A ministry's
# Digital Transformation Unit may amend its own Ministry's other fields (names, contact, social-
# media accounts). Only the platform hands a namespace that exists over to a tenancy (`adopt`).
# A file has no submitter: judged only at admission and by `check --as-user`.
package govkh.platform_authority

import data.govkh.lib

metadata := {
	"id": "platform-authority",
	"title": "Only the platform writes the national objects and hands namespaces over",
	"fix": "ask the platform team of the government cloud (its groups: govkh-platform): they write the GovernmentCloud, DataClasses and Ministries and hand existing namespaces over; a ministry's DTU may amend only its own Ministry's names, contact and accounts",
	"titleKm": "មានតែវេទិកាទេ ដែលសរសេរវត្ថុជាតិ និងប្រគល់ namespace",
	"fixKm": "សូមទាក់ទងក្រុមវេទិកានៃក្លោដរាជរដ្ឋាភិបាល (ក្រុម govkh-platform)៖ ពួកគេសរសេរ GovernmentCloud, DataClass និងក្រសួង ហើយប្រគល់ namespace ដែលមានស្រាប់; អង្គភាពផ្លាស់ប្តូរឌីជីថលនៃក្រសួងអាចកែប្រែបានតែឈ្មោះ ទំនាក់ទំនង និងគណនីរបស់ក្រសួងខ្លួនប៉ុណ្ណោះ",
	"articles": ["4", "5", "10", "25"],
	"configuration": ["groups"],
	"severity": "critical",
	"action": "deny",
	"kinds": ["GovernmentCloud", "DataClass", "Ministry", "CloudTenancy"],
	"operations": ["CREATE", "UPDATE", "DELETE"],
}

operation_km := {"CREATE": "បង្កើត", "UPDATE": "កែប្រែ", "DELETE": "លុប", "CONNECT": "ភ្ជាប់"}

national_kinds := {"GovernmentCloud", "DataClass"}

# What only the platform changes on a Ministry: who it is and who acts in its name.
protected(m) := [m.spec.domain, m.spec.resourceLevel, object.get(m.spec.digitalTransformationUnit, "groups", [])]

# The ministry's own DTU, as it stood before the request.
own_dtu if {
	some g in object.get(lib.old.spec.digitalTransformationUnit, "groups", [])
	g in lib.user_groups
}

# What the request does that only the platform may do, in English and Khmer.
platform_only contains [sprintf("%s %s %s", [lower(lib.operation), lib.obj.kind, lib.obj.metadata.name]), sprintf("%s %s %s", [operation_km[lib.operation], lib.obj.kind, lib.obj.metadata.name])] if {
	lib.obj.kind in national_kinds
}

platform_only contains [sprintf("%s Ministry %s", [lower(lib.operation), lib.obj.metadata.name]), sprintf("%s ក្រសួង %s", [operation_km[lib.operation], lib.obj.metadata.name])] if {
	lib.obj.kind == "Ministry"
	lib.operation in {"CREATE", "DELETE"}
}

platform_only contains [sprintf("change the domain, resource level or DTU groups of Ministry %s", [lib.obj.metadata.name]), sprintf("ផ្លាស់ប្តូរដែន កម្រិតធនធាន ឬក្រុមអង្គភាពផ្លាស់ប្តូរឌីជីថលនៃក្រសួង %s", [lib.obj.metadata.name])] if {
	lib.obj.kind == "Ministry"
	lib.operation == "UPDATE"
	protected(lib.obj) != protected(lib.old)
}

platform_only contains [sprintf("change Ministry %s, which is not theirs", [lib.obj.metadata.name]), sprintf("កែប្រែក្រសួង %s ដែលមិនមែនជារបស់ខ្លួន", [lib.obj.metadata.name])] if {
	lib.obj.kind == "Ministry"
	lib.operation == "UPDATE"
	protected(lib.obj) == protected(lib.old)
	not own_dtu
}

# Namespaces of a tenancy newly marked `adopt` (handed over).
adopted_before(name) if {
	lib.operation == "UPDATE"
	some n in lib.old.spec.namespaces
	n.name == name
	object.get(n, "adopt", false)
}

newly_adopted contains n.name if {
	lib.obj.kind == "CloudTenancy"
	lib.operation in {"CREATE", "UPDATE"}
	some n in lib.obj.spec.namespaces
	object.get(n, "adopt", false)
	not adopted_before(n.name)
}

platform_only contains [sprintf("hand namespace %s over to CloudTenancy %s (adopt)", [name, lib.obj.metadata.name]), sprintf("ប្រគល់ namespace %s ទៅ CloudTenancy %s (adopt)", [name, lib.obj.metadata.name])] if {
	some name in newly_adopted
}

violation contains {"msg": msg, "msg_km": msg_km} if {
	lib.user
	not lib.is_platform
	some pair in platform_only
	[what, what_km] := pair
	msg := sprintf("%s (groups %s) may not %s: only the platform of the government cloud (groups %s) may (Art. 4, 5, 10, 25)", [lib.user_name, lib.groups_text, what, concat(", ", lib.platform_groups)])
	msg_km := sprintf("%s (ក្រុម %s) គ្មានសិទ្ធិ%s ទេ៖ មានតែវេទិកានៃក្លោដរាជរដ្ឋាភិបាល (ក្រុម %s) ទេ ដែលមានសិទ្ធិ (មាត្រា 4, 5, 10, 25)", [lib.user_name, lib.groups_text, what_km, concat(", ", lib.platform_groups)])
}
