# Art. 5, 26: every govkh object names a ministry, and only that ministry's Digital
# Transformation Unit (the groups of its Ministry's digitalTransformationUnit) writes it — never
# another ministry's. The platform of the government cloud (input.config.platformGroups) may
# also write tenancies and links. A DataAccessGrant is the data owner's authorisation (Art. 26):
# written by the owner's DTU when it says `authorizedBy: owner-ministry`, by the committee
# (input.config.committeeGroups) when it says `committee`. An Approval's request is filed by the
# ministry whose tenancy or link it is about (or by the committee). A link's receiving ministry
# agrees to it by annotating it `digital.gov.kh/accepted-generation`: only its DTU may. govkh
# itself (input.config.operatorUsers) may update what it owns without changing a spec (its
# finalizers). A file has no submitter: judged only at admission and by `check --as-user`.
package govkh.ministry_authority

import data.govkh.lib

metadata := {
	"id": "ministry-authority",
	"title": "Each ministry writes only in its own name",
	"fix": "write objects only for your own ministry, as a member of its DTU groups (its Ministry's digitalTransformationUnit.groups); a receiving ministry agrees to a link itself, and the committee or the data owner authorises a grant",
	"titleKm": "ក្រសួងនីមួយៗសរសេរតែក្នុងនាមខ្លួនប៉ុណ្ណោះ",
	"fixKm": "សរសេរវត្ថុសម្រាប់តែក្រសួងរបស់អ្នក ក្នុងនាមជាសមាជិកក្រុមអង្គភាពផ្លាស់ប្តូរឌីជីថលរបស់ក្រសួងនោះ (digitalTransformationUnit.groups); ក្រសួងដែលទទួលយល់ព្រមលើតំណដោយខ្លួនឯង ហើយគណៈកម្មាធិការ ឬម្ចាស់ទិន្នន័យផ្តល់ការអនុញ្ញាតចូលប្រើ",
	"articles": ["5", "26"],
	"configuration": ["groups"],
	"severity": "critical",
	"action": "deny",
	"kinds": ["CloudTenancy", "PrivateNetworkLink", "DataAccessGrant", "Approval"],
	"operations": ["CREATE", "UPDATE", "DELETE"],
}

operation_km := {"CREATE": "បង្កើត", "UPDATE": "កែប្រែ", "DELETE": "លុប", "CONNECT": "ភ្ជាប់"}

acceptance_key := "digital.gov.kh/accepted-generation"

# The versions of the object the request touches (both for an update: neither may be another
# ministry's).
versions contains lib.obj

versions contains lib.old if lib.operation == "UPDATE"

# govkh updating what it owns without changing the spec (its finalizers).
operator_bookkeeping if {
	lib.is_operator
	lib.operation == "UPDATE"
	lib.obj.spec == lib.old.spec
}

# === Tenancies and links: the ministry named, or the platform ===

# What the request needs, as [who may, in English, in Khmer] for each ministry in question.
needs contains ["tenancy", m] if {
	lib.obj.kind == "CloudTenancy"
	some v in versions
	m := v.spec.ministry
}

acceptance(o) := object.get(lib.map_of(o, "annotations"), acceptance_key, null)

# Everything of a link but its acceptance.
terms(o) := [o.spec, lib.map_of(o, "labels"), object.remove(lib.map_of(o, "annotations"), [acceptance_key])]

accepts if {
	lib.operation == "CREATE"
	acceptance(lib.obj) != null
}

accepts if {
	lib.operation == "UPDATE"
	acceptance(lib.obj) != acceptance(lib.old)
}

amends if lib.operation != "UPDATE"

amends if {
	lib.operation == "UPDATE"
	terms(lib.obj) != terms(lib.old)
}

needs contains ["link", m] if {
	lib.obj.kind == "PrivateNetworkLink"
	amends
	some v in versions
	m := v.spec.from.ministry
}

needs contains ["acceptance", m] if {
	lib.obj.kind == "PrivateNetworkLink"
	accepts
	m := lib.obj.spec.to.ministry
}

needs contains ["acceptance", ""] if {
	lib.obj.kind == "PrivateNetworkLink"
	accepts
	not lib.obj.spec.to.ministry
}

# === Grants: the owner's DTU or the committee, as the grant says; either may revoke it ===

needs contains ["grant-owner", m] if {
	lib.obj.kind == "DataAccessGrant"
	lib.operation != "DELETE"
	some v in versions
	v.spec.authorizedBy == "owner-ministry"
	m := v.spec.owner
}

needs contains ["grant-committee", ""] if {
	lib.obj.kind == "DataAccessGrant"
	lib.operation != "DELETE"
	some v in versions
	v.spec.authorizedBy == "committee"
}

needs contains ["grant-revoke", m] if {
	lib.obj.kind == "DataAccessGrant"
	lib.operation == "DELETE"
	m := lib.obj.spec.owner
}

# === Approvals: the ministry whose tenancy or link it is about, or the committee ===

needs contains ["request", m] if {
	lib.obj.kind == "Approval"
	some v in versions
	m := lib.approval_ministry(v)
}

needs contains ["request", ""] if {
	lib.obj.kind == "Approval"
	some v in versions
	not lib.approval_ministry(v)
}

# === Who may, for each need ===

allowed("tenancy", m) if lib.in_dtu(m)

allowed("tenancy", _) if lib.is_platform

allowed("link", m) if lib.in_dtu(m)

allowed("link", _) if lib.is_platform

allowed("acceptance", m) if lib.in_dtu(m)

allowed("grant-owner", m) if lib.in_dtu(m)

allowed("grant-committee", _) if lib.is_committee

allowed("grant-revoke", m) if lib.in_dtu(m)

allowed("grant-revoke", _) if lib.is_committee

allowed("request", m) if lib.in_dtu(m)

allowed("request", _) if lib.is_committee

# What each need means, in both languages.
what("tenancy", m) := [sprintf("write a CloudTenancy of Ministry %s: only its DTU or the platform (groups %s) may", [m, concat(", ", lib.platform_groups)]), sprintf("សរសេរ CloudTenancy របស់ក្រសួង %s ទេ៖ មានតែអង្គភាពផ្លាស់ប្តូរឌីជីថលរបស់ក្រសួងនោះ ឬវេទិកា (ក្រុម %s) ទេ ដែលមានសិទ្ធិ", [m, concat(", ", lib.platform_groups)])]

what("link", m) := [sprintf("write a PrivateNetworkLink from Ministry %s: only its DTU or the platform (groups %s) may", [m, concat(", ", lib.platform_groups)]), sprintf("សរសេរ PrivateNetworkLink ពីក្រសួង %s ទេ៖ មានតែអង្គភាពផ្លាស់ប្តូរឌីជីថលរបស់ក្រសួងនោះ ឬវេទិកា (ក្រុម %s) ទេ ដែលមានសិទ្ធិ", [m, concat(", ", lib.platform_groups)])]

what("acceptance", m) := [sprintf("agree to this link (%s) for Ministry %s: only the receiving ministry's DTU may", [acceptance_key, m]), sprintf("យល់ព្រមលើតំណនេះ (%s) ជំនួសក្រសួង %s ទេ៖ មានតែអង្គភាពផ្លាស់ប្តូរឌីជីថលរបស់ក្រសួងដែលទទួលទេ ដែលមានសិទ្ធិ", [acceptance_key, m])] if m != ""

what("acceptance", "") := [sprintf("annotate %s on a link to CIDRs, which no ministry receives", [acceptance_key]), sprintf("ដាក់ %s លើតំណទៅកាន់ CIDR ដែលគ្មានក្រសួងណាទទួល", [acceptance_key])]

what("grant-owner", m) := [sprintf("write a DataAccessGrant authorised by Ministry %s, the data's owner: only its DTU may (or the committee, with authorizedBy: committee)", [m]), sprintf("សរសេរ DataAccessGrant ដែលអនុញ្ញាតដោយក្រសួង %s ជាម្ចាស់ទិន្នន័យទេ៖ មានតែអង្គភាពផ្លាស់ប្តូរឌីជីថលរបស់ក្រសួងនោះទេ ដែលមានសិទ្ធិ (ឬគណៈកម្មាធិការ ជាមួយ authorizedBy: committee)", [m])]

what("grant-committee", _) := [sprintf("write a DataAccessGrant authorised by the committee: only the committee (groups %s) may", [concat(", ", lib.committee_groups)]), sprintf("សរសេរ DataAccessGrant ដែលអនុញ្ញាតដោយគណៈកម្មាធិការទេ៖ មានតែគណៈកម្មាធិការ (ក្រុម %s) ទេ ដែលមានសិទ្ធិ", [concat(", ", lib.committee_groups)])]

what("grant-revoke", m) := [sprintf("revoke a DataAccessGrant of Ministry %s's data: only its DTU or the committee may", [m]), sprintf("ដកហូត DataAccessGrant នៃទិន្នន័យរបស់ក្រសួង %s ទេ៖ មានតែអង្គភាពផ្លាស់ប្តូរឌីជីថលរបស់ក្រសួងនោះ ឬគណៈកម្មាធិការទេ ដែលមានសិទ្ធិ", [m])]

what("request", m) := [sprintf("file or change a request of Ministry %s: only its DTU or the committee may", [m]), sprintf("ដាក់ ឬកែប្រែសំណើរបស់ក្រសួង %s ទេ៖ មានតែអង្គភាពផ្លាស់ប្តូរឌីជីថលរបស់ក្រសួងនោះ ឬគណៈកម្មាធិការទេ ដែលមានសិទ្ធិ", [m])] if m != ""

what("request", "") := ["file a request about a tenancy or link that does not exist, so whose ministry it is cannot be told: only the committee may", "ដាក់សំណើអំពី tenancy ឬតំណដែលមិនមាន ដូច្នេះមិនអាចដឹងថាជារបស់ក្រសួងណាទេ៖ មានតែគណៈកម្មាធិការទេ ដែលមានសិទ្ធិ"]

violation contains {"msg": msg, "msg_km": msg_km} if {
	lib.user
	not operator_bookkeeping
	some pair in needs
	[need, m] := pair
	not allowed(need, m)
	[what_en, what_km] := what(need, m)
	msg := sprintf("%s (groups %s) may not %s %s: %s (Art. 5, 26)", [lib.user_name, lib.groups_text, lower(lib.operation), lib.obj.metadata.name, what_en])
	msg_km := sprintf("%s (ក្រុម %s) គ្មានសិទ្ធិ%s %s ដើម្បី%s (មាត្រា 5, 26)", [lib.user_name, lib.groups_text, operation_km[lib.operation], lib.obj.metadata.name, what_km])
}
