# Art. 25: government data is classified as top-secret, confidential or open. A volume claim,
# Secret, ConfigMap or workload in a ministry's namespace with no data class at all (neither
# its own label nor its namespace's) is flagged.
package govkh.unclassified_data

import data.govkh.lib

metadata := {
	"id": "unclassified-data",
	"title": "Every ministry's data has a class",
	"fix": "label the object, or its namespace, with digital.gov.kh/data-class",
	"titleKm": "ទិន្នន័យរបស់ក្រសួងនីមួយៗមានថ្នាក់",
	"fixKm": "ដាក់ស្លាក digital.gov.kh/data-class លើវត្ថុ ឬលើ namespace របស់វា",
	"articles": ["25"],
	"severity": "low",
	"action": "warn",
	"kinds": ["Pod", "Deployment", "StatefulSet", "DaemonSet", "ReplicaSet", "Job", "CronJob", "PersistentVolumeClaim", "Secret", "ConfigMap"],
}

subject if lib.is_workload

subject if lib.obj.kind in {"PersistentVolumeClaim", "Secret", "ConfigMap"}

violation contains {"msg": msg, "msg_km": msg_km} if {
	subject
	lib.ministry
	not lib.data_class
	msg := sprintf("%s %s/%s has no data class: label it (or its namespace) digital.gov.kh/data-class with top-secret, confidential or open (Art. 25)", [lib.obj.kind, lib.namespace, lib.obj.metadata.name])
	msg_km := sprintf("%s %s/%s គ្មានថ្នាក់ទិន្នន័យ៖ សូមដាក់ស្លាក digital.gov.kh/data-class លើវា (ឬលើ namespace របស់វា) ជា top-secret, confidential ឬ open (មាត្រា 25)", [lib.obj.kind, lib.namespace, lib.obj.metadata.name])
}
