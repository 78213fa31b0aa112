# Art. 10, 25: a tenancy creates the namespaces it declares, or keeps those govkh made for it;
# it never takes a namespace that exists and was not made for it (another ministry's, the
# platform's, anyone's with data in it) unless the platform hands it over (`adopt`), and a
# namespace belongs to one tenancy. Judged on every tenancy, at admission and in the audit: a
# namespace two tenancies declare is a breach on both, whatever their names.
package govkh.namespace_claims

import data.govkh.lib

metadata := {
	"id": "namespace-claims",
	"title": "A tenancy takes only namespaces that are its own",
	"fix": "declare a namespace that does not exist yet (govkh creates it), or ask the platform to hand an existing one over (adopt); remove a namespace another tenancy declares",
	"titleKm": "tenancy យកបានតែ namespace ដែលជារបស់ខ្លួន",
	"fixKm": "ប្រកាស namespace ដែលមិនទាន់មាន (govkh បង្កើតវា) ឬស្នើវេទិកាឱ្យប្រគល់ namespace ដែលមានស្រាប់ (adopt); ដក namespace ដែល tenancy ផ្សេងទៀតបានប្រកាសចេញ",
	"articles": ["10", "25"],
	"configuration": ["groups"],
	"severity": "critical",
	"action": "deny",
	"kinds": ["CloudTenancy"],
	"operations": ["CREATE", "UPDATE"],
}

name := lib.obj.metadata.name

reserved(ns) if ns == "default"

reserved(ns) if startswith(ns, "kube-")

reserved(ns) if ns in object.get(lib.config, "reservedNamespaces", [])

violation contains {"msg": msg, "msg_km": msg_km} if {
	lib.obj.kind == "CloudTenancy"
	some ns in lib.obj.spec.namespaces
	not reserved(ns.name)
	others := [c | some c in input.inventory.namespaces[ns.name].claimants; c != name]
	count(others) > 0
	msg := sprintf("CloudTenancy %s declares namespace %s, which CloudTenancy %s declares too: a namespace belongs to one tenancy, and neither is given it while both claim it (Art. 10, 25)", [name, ns.name, concat(", ", sort(others))])
	msg_km := sprintf("CloudTenancy %s ប្រកាស namespace %s ដែល CloudTenancy %s ក៏បានប្រកាសដែរ៖ namespace មួយជារបស់ tenancy តែមួយ ហើយគ្មាននរណាទទួលបានវាទេ ខណៈដែលទាំងពីរទាមទារ (មាត្រា 10, 25)", [name, ns.name, concat(", ", sort(others))])
}

# The namespace exists, and govkh did not record it for this tenancy (of this ministry): the
# tenancy holding it (`tenancy`, when the inventory holds this one), else the label govkh
# recorded on it (`recorded`: the name, shortened past 63 characters).
recorded_for_it(info) if info.tenancy == name

recorded_for_it(info) if info.recorded == name

not_its_own(ns) if {
	info := input.inventory.namespaces[ns.name]
	info.exists
	not recorded_for_it(info)
}

not_its_own(ns) if {
	info := input.inventory.namespaces[ns.name]
	info.exists
	info.recorded == name
	info.ministry
	info.ministry != lib.obj.spec.ministry
}

violation contains {"msg": msg, "msg_km": msg_km} if {
	lib.obj.kind == "CloudTenancy"
	some ns in lib.obj.spec.namespaces
	not reserved(ns.name)
	not object.get(ns, "adopt", false)
	not_its_own(ns)
	msg := sprintf("CloudTenancy %s declares namespace %s, which exists and was not made by govkh for this tenancy: a ministry takes no namespace it did not make; only the platform can hand it over (adopt) (Art. 10, 25)", [name, ns.name])
	msg_km := sprintf("CloudTenancy %s ប្រកាស namespace %s ដែលមានស្រាប់ ហើយ govkh មិនបានបង្កើតសម្រាប់ tenancy នេះទេ៖ ក្រសួងមិនអាចយក namespace ដែលខ្លួនមិនបានបង្កើតទេ; មានតែវេទិកាទេ ដែលអាចប្រគល់វាបាន (adopt) (មាត្រា 10, 25)", [name, ns.name])
}
