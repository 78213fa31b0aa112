# Art. 9, 26, 28: a link or grant opens a path only between namespaces that belong to the
# ministries it names — a link's source namespaces to its source ministry, its destination's to
# its destination ministry, a grant's to the data's owner — and a link to a shared service only
# to addresses inside the government private network (the GovernmentCloud's CIDRs). A namespace
# that does not exist yet and no other ministry declares is waited for, not refused.
package govkh.path_ownership

import data.govkh.lib

metadata := {
	"id": "path-ownership",
	"title": "Paths only between the named ministries' own namespaces, inside the private network",
	"fix": "name only namespaces of the ministry on that side (its tenancies' namespaces), and only CIDRs inside the government private network",
	"titleKm": "ផ្លូវតែរវាង namespace ផ្ទាល់ខ្លួនរបស់ក្រសួងដែលបានដាក់ឈ្មោះ នៅក្នុងបណ្តាញឯកជន",
	"fixKm": "ដាក់ឈ្មោះតែ namespace របស់ក្រសួងនៅខាងនោះ (namespace នៃ tenancy របស់ខ្លួន) និងតែ CIDR នៅក្នុងបណ្តាញឯកជនរបស់រាជរដ្ឋាភិបាលប៉ុណ្ណោះ",
	"articles": ["9", "26", "28"],
	"severity": "critical",
	"action": "deny",
	"kinds": ["PrivateNetworkLink", "DataAccessGrant"],
	"operations": ["CREATE", "UPDATE"],
}

# Namespace ns may carry a path of ministry m: it is m's, or it is nobody's, does not exist and
# no tenancy declares it (the path waits for it).
belongs(ns, m) if input.inventory.namespaces[ns].ministry == m

belongs(ns, _) if {
	not input.inventory.namespaces[ns]
	not startswith(ns, "kube-")
	ns != "default"
}

belongs(ns, _) if {
	info := input.inventory.namespaces[ns]
	not info.ministry
	not info.exists
	count(object.get(info, "claimants", [])) == 0
}

owner_of(ns) := m if m := input.inventory.namespaces[ns].ministry

owner_of(ns) := "no ministry" if not input.inventory.namespaces[ns].ministry

owner_of_km(ns) := m if m := input.inventory.namespaces[ns].ministry

owner_of_km(ns) := "គ្មានក្រសួង" if not input.inventory.namespaces[ns].ministry

# Each namespace the object names, with the ministry it must belong to.
named contains [ns, lib.obj.spec.from.ministry] if {
	lib.obj.kind == "PrivateNetworkLink"
	some ns in lib.obj.spec.from.namespaces
}

named contains [ns, lib.obj.spec.to.ministry] if {
	lib.obj.kind == "PrivateNetworkLink"
	some ns in lib.obj.spec.to.namespaces
}

named contains [ns, lib.obj.spec.owner] if {
	lib.obj.kind == "DataAccessGrant"
	some ns in lib.obj.spec.namespaces
}

violation contains {"msg": msg, "msg_km": msg_km} if {
	some pair in named
	[ns, m] := pair
	not belongs(ns, m)
	msg := sprintf("%s %s names namespace %s for Ministry %s, but it belongs to %s: a path opens only into the named ministry's own namespaces (Art. 9, 26, 28)", [lib.obj.kind, lib.obj.metadata.name, ns, m, owner_of(ns)])
	msg_km := sprintf("%s %s ដាក់ឈ្មោះ namespace %s សម្រាប់ក្រសួង %s ប៉ុន្តែវាជារបស់ %s៖ ផ្លូវបើកតែចូលទៅក្នុង namespace ផ្ទាល់ខ្លួនរបស់ក្រសួងដែលបានដាក់ឈ្មោះប៉ុណ្ណោះ (មាត្រា 9, 26, 28)", [lib.obj.kind, lib.obj.metadata.name, ns, m, owner_of_km(ns)])
}

private_cidrs := object.get(object.get(input.inventory, "governmentCloud", {}), ["spec", "privateNetwork", "cidrs"], [])

inside(cidr) if {
	some p in private_cidrs
	net.cidr_contains(p, cidr)
}

violation contains {"msg": msg, "msg_km": msg_km} if {
	lib.obj.kind == "PrivateNetworkLink"
	some cidr in lib.obj.spec.to.cidrs
	not inside(cidr)
	msg := sprintf("PrivateNetworkLink %s leads to %s, outside the government private network (%s): a link carries traffic on the private network only (Art. 9)", [lib.obj.metadata.name, cidr, concat(", ", private_cidrs)])
	msg_km := sprintf("PrivateNetworkLink %s នាំទៅ %s ដែលនៅក្រៅបណ្តាញឯកជនរបស់រាជរដ្ឋាភិបាល (%s)៖ តំណដឹកចរាចរណ៍តែលើបណ្តាញឯកជនប៉ុណ្ណោះ (មាត្រា 9)", [lib.obj.metadata.name, cidr, concat(", ", private_cidrs)])
}
