# Art. 27: ministries make the specifications of the APIs they use to deliver digital services
# available to the committee, which keeps a register of them; an API for open data has its
# life-cycle made available and is compatible with at least three versions. A Service, Ingress
# or HTTPRoute in a ministry's namespace declares an API with the annotation
# `digital.gov.kh/api` (its name); beside it `digital.gov.kh/api-specification` (an https URL,
# or `configmap:<name>[/<key>]` in the same namespace), `digital.gov.kh/api-versions` (those
# served, comma-separated) and `digital.gov.kh/api-lifecycle` (experimental, beta, stable,
# deprecated or retired). A declared API without a specification, without versions or a
# life-cycle, or with a value govkh cannot read is a finding; fewer than three versions where
# more exist (v4 served alone) is reported too. `govkh apis` and the committee's report list
# the register.
package govkh.api_register

import data.govkh.lib

metadata := {
	"id": "api-register",
	"title": "Every API a ministry exposes is registered with its specification",
	"fix": "annotate the API's Service, Ingress or HTTPRoute with digital.gov.kh/api-specification (an https URL or configmap:<name>), digital.gov.kh/api-versions and digital.gov.kh/api-lifecycle",
	"titleKm": "API នីមួយៗដែលក្រសួងបើកចំហ ត្រូវបានចុះបញ្ជីជាមួយលក្ខណៈបច្ចេកទេសរបស់វា",
	"fixKm": "ដាក់ annotation លើ Service, Ingress ឬ HTTPRoute របស់ API ជាមួយ digital.gov.kh/api-specification (URL https ឬ configmap:<name>), digital.gov.kh/api-versions និង digital.gov.kh/api-lifecycle",
	"articles": ["27"],
	"severity": "medium",
	"action": "warn",
	"kinds": ["Service", "Ingress", "HTTPRoute"],
}

annotations := lib.map_of(lib.obj, "annotations")

api := trim_space(annotations["digital.gov.kh/api"])

declared if {
	lib.ministry
	api != ""
}

specification := trim_space(object.get(annotations, "digital.gov.kh/api-specification", ""))

# An https URL, or a ConfigMap of the same namespace (a DNS label, then an optional key).
readable_specification if regex.match(`^https://[^\s/$.?#][^\s]*$`, specification)

readable_specification if regex.match(`^configmap:[a-z0-9]([-a-z0-9.]*[a-z0-9])?(/[-._a-zA-Z0-9]+)?$`, specification)

lifecycles := {"experimental", "beta", "stable", "deprecated", "retired"}

lifecycle := lower(trim_space(object.get(annotations, "digital.gov.kh/api-lifecycle", "")))

versions := [v | some part in split(object.get(annotations, "digital.gov.kh/api-versions", ""), ","); v := trim_space(part); v != ""]

# The major number of a version written v<N>, v<N>alpha<M> or v<N>beta<M>.
major(v) := to_number(regex.find_all_string_submatch_n(`^v([0-9]{1,4})((alpha|beta)[0-9]{1,4})?$`, v, 1)[0][1])

violation contains {"msg": msg, "msg_km": msg_km} if {
	declared
	specification == ""
	msg := sprintf("%s %s/%s exposes the API %q without a specification: annotate digital.gov.kh/api-specification with an https URL or configmap:<name> — ministries make their APIs' specifications available to the committee (Art. 27)", [lib.obj.kind, lib.namespace, lib.obj.metadata.name, api])
	msg_km := sprintf("%s %s/%s បើកចំហ API %q ដោយគ្មានលក្ខណៈបច្ចេកទេស៖ សូមដាក់ annotation digital.gov.kh/api-specification ជា URL https ឬ configmap:<name> — ក្រសួងត្រូវផ្តល់លក្ខណៈបច្ចេកទេសនៃ API របស់ខ្លួនដល់គណៈកម្មាធិការ (មាត្រា 27)", [lib.obj.kind, lib.namespace, lib.obj.metadata.name, api])
}

violation contains {"msg": msg, "msg_km": msg_km} if {
	declared
	specification != ""
	not readable_specification
	msg := sprintf("%s %s/%s names the specification of the API %q as %q, which is neither an https URL nor configmap:<name>[/<key>] (Art. 27)", [lib.obj.kind, lib.namespace, lib.obj.metadata.name, api, specification])
	msg_km := sprintf("%s %s/%s ដាក់ឈ្មោះលក្ខណៈបច្ចេកទេសនៃ API %q ជា %q ដែលមិនមែនជា URL https ឬ configmap:<name>[/<key>] (មាត្រា 27)", [lib.obj.kind, lib.namespace, lib.obj.metadata.name, api, specification])
}

violation contains {"msg": msg, "msg_km": msg_km} if {
	declared
	not lifecycle in lifecycles
	msg := sprintf("%s %s/%s gives the API %q the life-cycle %q: say where it stands with digital.gov.kh/api-lifecycle, one of experimental, beta, stable, deprecated, retired (Art. 27)", [lib.obj.kind, lib.namespace, lib.obj.metadata.name, api, lifecycle])
	msg_km := sprintf("%s %s/%s ផ្តល់វដ្តជីវិត %q ដល់ API %q៖ សូមបញ្ជាក់ស្ថានភាពរបស់វាដោយ digital.gov.kh/api-lifecycle ជាមួយក្នុងចំណោម experimental, beta, stable, deprecated, retired (មាត្រា 27)", [lib.obj.kind, lib.namespace, lib.obj.metadata.name, lifecycle, api])
}

violation contains {"msg": msg, "msg_km": msg_km} if {
	declared
	count(versions) == 0
	msg := sprintf("%s %s/%s declares the API %q without the versions it serves: list them in digital.gov.kh/api-versions, e.g. v1, v2, v3 (Art. 27)", [lib.obj.kind, lib.namespace, lib.obj.metadata.name, api])
	msg_km := sprintf("%s %s/%s ប្រកាស API %q ដោយគ្មានកំណែដែលវាបម្រើ៖ សូមរាយវានៅក្នុង digital.gov.kh/api-versions ឧ. v1, v2, v3 (មាត្រា 27)", [lib.obj.kind, lib.namespace, lib.obj.metadata.name, api])
}

violation contains {"msg": msg, "msg_km": msg_km} if {
	declared
	some v in versions
	not major(v)
	msg := sprintf("%s %s/%s lists the API %q's version %q, which is not v<N> (v1, v2beta1, ...) (Art. 27)", [lib.obj.kind, lib.namespace, lib.obj.metadata.name, api, v])
	msg_km := sprintf("%s %s/%s រាយកំណែ %q នៃ API %q ដែលមិនមែនជា v<N> (v1, v2beta1, ...) (មាត្រា 27)", [lib.obj.kind, lib.namespace, lib.obj.metadata.name, v, api])
}

# Art. 27: an API is compatible with at least three versions. Where its latest major version
# is the third or later, fewer than three served is a finding; an API at v1 or v2 has no more.
violation contains {"msg": msg, "msg_km": msg_km} if {
	declared
	majors := {major(v) | some v in versions}
	count(majors) > 0
	latest := max(majors)
	latest >= 3
	count(majors) < 3
	msg := sprintf("%s %s/%s serves the API %q in %d version(s) (%s) though it is at v%d: an API stays compatible with at least three versions (Art. 27)", [lib.obj.kind, lib.namespace, lib.obj.metadata.name, api, count(majors), concat(", ", versions), latest])
	msg_km := sprintf("%s %s/%s បម្រើ API %q ក្នុង %d កំណែ (%s) ទោះបីវាដល់ v%d ហើយ៖ API ត្រូវឆបគ្នាជាមួយយ៉ាងហោចណាស់បីកំណែ (មាត្រា 27)", [lib.obj.kind, lib.namespace, lib.obj.metadata.name, api, count(majors), concat(", ", versions), latest])
}
