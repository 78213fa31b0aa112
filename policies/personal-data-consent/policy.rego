# Art. 29: a person accesses data only with the ministry's written permission, and personal
# data only with the data subject's consent as well. A DataAccessGrant for personal data names
# the consent; a path from another ministry into a namespace labelled as holding personal data
# (digital.gov.kh/personal-data=true) needs an active grant for personal data with consent.
package govkh.personal_data_consent

import data.govkh.lib

metadata := {
	"id": "personal-data-consent",
	"title": "Personal data only with permission and the data subject's consent",
	"fix": "record the data subjects' consent in the grant (spec.consentReference) and link only under an active, consented grant",
	"titleKm": "ទិន្នន័យផ្ទាល់ខ្លួនតែនៅពេលមានការអនុញ្ញាត និងការយល់ព្រមពីម្ចាស់ទិន្នន័យ",
	"fixKm": "កត់ត្រាការយល់ព្រមរបស់ម្ចាស់ទិន្នន័យក្នុងការអនុញ្ញាត (spec.consentReference) ហើយភ្ជាប់តំណតែក្រោមការអនុញ្ញាតដែលនៅមានសុពលភាព និងមានការយល់ព្រម",
	"articles": ["29"],
	"readings": ["public-grant"],
	"severity": "critical",
	"action": "deny",
	"kinds": ["DataAccessGrant", "PrivateNetworkLink"],
}

violation contains {"msg": msg, "msg_km": msg_km} if {
	lib.obj.kind == "DataAccessGrant"
	lib.obj.spec.personalData == true
	not consented(lib.obj.spec)
	msg := sprintf("DataAccessGrant %s gives access to personal data without the data subject's consent: set spec.consentReference (Art. 29)", [lib.obj.metadata.name])
	msg_km := sprintf("DataAccessGrant %s ផ្តល់សិទ្ធិចូលប្រើទិន្នន័យផ្ទាល់ខ្លួនដោយគ្មានការយល់ព្រមពីម្ចាស់ទិន្នន័យ៖ សូមកំណត់ spec.consentReference (មាត្រា 29)", [lib.obj.metadata.name])
}

consented(spec) if count(trim_space(spec.consentReference)) > 0

# An active grant for personal data with the subjects' consent (indexed once per evaluation).
consent_grant(owner, grantee, ns) if input.inventory.consentGrants[sprintf("%s/%s/%s", [owner, grantee, ns])]

link := lib.obj.spec if lib.obj.kind == "PrivateNetworkLink"

# The link reconciler opens nothing until such a grant is active (AwaitingGrant): admission
# admits the link, so a link and its grant need no order.
violation contains {"msg": msg, "msg_km": msg_km, "awaits": "DataAccessGrant"} if {
	link.to.ministry != link.from.ministry
	some ns in lib.ministry_namespaces(link.to.ministry)
	input.inventory.namespaces[ns].personalData == true
	reaches(ns)
	not consent_grant(link.to.ministry, link.from.ministry, ns)
	msg := sprintf("PrivateNetworkLink %s gives %s access to %s's namespace %s, which holds personal data, without an active DataAccessGrant for personal data with the subjects' consent (Art. 29)", [lib.obj.metadata.name, link.from.ministry, link.to.ministry, ns])
	msg_km := sprintf("PrivateNetworkLink %s ផ្តល់ឱ្យ %s ចូលទៅ namespace របស់ %s ឈ្មោះ %s ដែលផ្ទុកទិន្នន័យផ្ទាល់ខ្លួន ដោយគ្មានការអនុញ្ញាតចូលប្រើទិន្នន័យផ្ទាល់ខ្លួនដែលនៅមានសុពលភាព និងមានការយល់ព្រមពីម្ចាស់ទិន្នន័យ (មាត្រា 29)", [lib.obj.metadata.name, link.from.ministry, link.to.ministry, ns])
}

reaches(ns) if ns in link.to.namespaces

reaches(_) if count(object.get(link.to, "namespaces", [])) == 0
