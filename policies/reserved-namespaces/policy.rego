# Art. 10, 25: some namespaces are no ministry's: the system's (`kube-*`), `default`, govkh's own
# and the installation's exempt ones (input.config.reservedNamespaces). A tenancy declaring one
# would put the ministry's quota, network policies and DTU administrators into it.
package govkh.reserved_namespaces

import data.govkh.lib

metadata := {
	"id": "reserved-namespaces",
	"title": "No tenancy declares a system or reserved namespace",
	"fix": "declare namespaces of the ministry's own (e.g. <ministry>-<system>); kube-*, default, govkh's own and the platform's exempt namespaces are no ministry's",
	"titleKm": "គ្មាន tenancy ណាប្រកាស namespace របស់ប្រព័ន្ធ ឬដែលបានបម្រុងទុកទេ",
	"fixKm": "ប្រកាស namespace ផ្ទាល់ខ្លួនរបស់ក្រសួង (ឧ. <ក្រសួង>-<ប្រព័ន្ធ>); kube-*, default, namespace របស់ govkh និង namespace ដែលវេទិកាលើកលែង មិនមែនជារបស់ក្រសួងណាទេ",
	"articles": ["10", "25"],
	"severity": "critical",
	"action": "deny",
	"kinds": ["CloudTenancy"],
	"operations": ["CREATE", "UPDATE"],
}

reserved(ns) if ns == "default"

reserved(ns) if startswith(ns, "kube-")

reserved(ns) if ns in object.get(lib.config, "reservedNamespaces", [])

violation contains {"msg": msg, "msg_km": msg_km} if {
	lib.obj.kind == "CloudTenancy"
	some ns in lib.obj.spec.namespaces
	reserved(ns.name)
	msg := sprintf("CloudTenancy %s declares namespace %s, which is reserved (the system's, default, govkh's own or exempt) and never a ministry's (Art. 10, 25)", [lib.obj.metadata.name, ns.name])
	msg_km := sprintf("CloudTenancy %s ប្រកាស namespace %s ដែលត្រូវបានបម្រុងទុក (របស់ប្រព័ន្ធ default របស់ govkh ឬដែលបានលើកលែង) ហើយមិនដែលជារបស់ក្រសួងណាទេ (មាត្រា 10, 25)", [lib.obj.metadata.name, ns.name])
}
