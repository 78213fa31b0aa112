# Art. 21: ministries create email under the government domain and use it for official
# purposes. The DTU's contact address, and the address a written request to the committee is
# made from, are on the ministry's own .gov.kh domain.
package govkh.official_email

import data.govkh.lib

metadata := {
	"id": "official-email",
	"title": "Official email under the ministry's own .gov.kh domain",
	"fix": "use an address in the ministry's own domain for the DTU contact and for requests to the committee",
	"titleKm": "អ៊ីមែលផ្លូវការនៅក្រោមដែន .gov.kh របស់ក្រសួងផ្ទាល់",
	"fixKm": "ប្រើអាសយដ្ឋានក្នុងដែនរបស់ក្រសួងផ្ទាល់ សម្រាប់ទំនាក់ទំនងអង្គភាពផ្លាស់ប្តូរឌីជីថល និងសម្រាប់សំណើទៅគណៈកម្មាធិការ",
	"articles": ["21"],
	"configuration": ["ministry-domains"],
	"readings": ["own-domain-request"],
	"severity": "medium",
	"action": "deny",
	"penalty": {"article": "38", "person": 200000},
	"kinds": ["Ministry", "Approval"],
}

email_domain(address) := lower(parts[1]) if {
	parts := split(address, "@")
	count(parts) == 2
}

violation contains {"msg": msg, "msg_km": msg_km} if {
	lib.obj.kind == "Ministry"
	address := lib.obj.spec.digitalTransformationUnit.contactEmail
	domain := lib.obj.spec.domain
	not lib.in_domain(email_domain(address), domain)
	msg := sprintf("the Digital Transformation Unit's contact %q is not on the ministry's domain %s: official email uses the ministry's .gov.kh domain (Art. 21)", [address, domain])
	msg_km := sprintf("អាសយដ្ឋានទំនាក់ទំនងរបស់អង្គភាពផ្លាស់ប្តូរឌីជីថល %q មិនស្ថិតក្នុងដែនរបស់ក្រសួង %s ទេ៖ អ៊ីមែលផ្លូវការប្រើដែន .gov.kh របស់ក្រសួង (មាត្រា 21)", [address, domain])
}

# A written request names its sender; when it is an email address, it is on the domain of the
# ministry the request is for (the ministry whose tenancy or link is its subject): a request
# for MEF sent from moh.gov.kh is not MEF's official email, though it is a .gov.kh address.
violation contains {"msg": msg, "msg_km": msg_km} if {
	lib.obj.kind == "Approval"
	address := lib.obj.spec.request.requestedBy
	contains(address, "@")
	m := lib.approval_ministry(lib.obj)
	domain := input.inventory.ministries[m].spec.domain
	not lib.in_domain(email_domain(address), lower(domain))
	msg := sprintf("the written request %s for Ministry %s was sent from %q, not from an address on the ministry's own domain %s (Art. 21)", [lib.obj.spec.request.document, m, address, domain])
	msg_km := sprintf("សំណើជាលាយលក្ខណ៍អក្សរ %s សម្រាប់ក្រសួង %s ត្រូវបានផ្ញើពី %q មិនមែនពីអាសយដ្ឋានក្នុងដែនរបស់ក្រសួងផ្ទាល់ %s ទេ (មាត្រា 21)", [lib.obj.spec.request.document, m, address, domain])
}

# Whose request it is cannot be told (its subject is in no inventory: the ministry-authority
# policy says so at admission): at least an official .gov.kh address.
violation contains {"msg": msg, "msg_km": msg_km} if {
	lib.obj.kind == "Approval"
	address := lib.obj.spec.request.requestedBy
	contains(address, "@")
	not approval_domain(lib.obj)
	not endswith(email_domain(address), ".gov.kh")
	msg := sprintf("the written request %s was sent from %q, not from an official .gov.kh address (Art. 21)", [lib.obj.spec.request.document, address])
	msg_km := sprintf("សំណើជាលាយលក្ខណ៍អក្សរ %s ត្រូវបានផ្ញើពី %q មិនមែនពីអាសយដ្ឋាន .gov.kh ផ្លូវការទេ (មាត្រា 21)", [lib.obj.spec.request.document, address])
}

approval_domain(o) := input.inventory.ministries[lib.approval_ministry(o)].spec.domain
