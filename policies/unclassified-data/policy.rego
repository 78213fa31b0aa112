# Art. 25: government data is classified as top-secret, confidential or open. A volume claim,
# Secret, ConfigMap or workload in a ministry's namespace with no data class at all (neither
# its own label nor its namespace's) is flagged.
package govkh.unclassified_data

import data.govkh.lib

metadata := {
	"id": "unclassified-data",
	"title": "Every ministry's data has a class",
	"fix": "label the object, or its namespace, with digital.gov.kh/data-class",
	"articles": ["25"],
	"severity": "low",
	"action": "warn",
	"kinds": ["Pod", "Deployment", "StatefulSet", "DaemonSet", "ReplicaSet", "Job", "CronJob", "PersistentVolumeClaim", "Secret", "ConfigMap"],
}

subject if lib.is_workload

subject if lib.obj.kind in {"PersistentVolumeClaim", "Secret", "ConfigMap"}

violation contains {"msg": msg} if {
	subject
	lib.ministry
	not lib.data_class
	msg := sprintf("%s %s/%s has no data class: label it (or its namespace) digital.gov.kh/data-class with top-secret, confidential or open (Art. 25)", [lib.obj.kind, lib.namespace, lib.obj.metadata.name])
}
