{{- define "godocker.name" -}}
{{- .Chart.Name | trunc 63 | trimSuffix "-" -}}
{{- end -}}

{{- define "godocker.fullname" -}}
{{- if contains .Chart.Name .Release.Name -}}
{{- .Release.Name | trunc 63 | trimSuffix "-" -}}
{{- else -}}
{{- printf "%s-%s" .Release.Name .Chart.Name | trunc 63 | trimSuffix "-" -}}
{{- end -}}
{{- end -}}

{{- define "godocker.selectorLabels" -}}
app.kubernetes.io/name: {{ include "godocker.name" . }}
app.kubernetes.io/instance: {{ .Release.Name }}
{{- end -}}

{{- define "godocker.labels" -}}
helm.sh/chart: {{ printf "%s-%s" .Chart.Name .Chart.Version | replace "+" "_" }}
{{ include "godocker.selectorLabels" . }}
app.kubernetes.io/version: {{ .Chart.AppVersion | quote }}
app.kubernetes.io/managed-by: {{ .Release.Service }}
{{- end -}}

{{- define "godocker.serviceAccountName" -}}
{{- if .Values.serviceAccount.create -}}
{{- default (include "godocker.fullname" .) .Values.serviceAccount.name -}}
{{- else -}}
{{- default "default" .Values.serviceAccount.name -}}
{{- end -}}
{{- end -}}

{{- define "godocker.secretName" -}}
{{- default (include "godocker.fullname" .) .Values.existingSecret -}}
{{- end -}}

{{- define "godocker.jobsNamespace" -}}
{{- default .Release.Namespace .Values.executor.jobsNamespace -}}
{{- end -}}

{{- define "godocker.replicated" -}}
{{- if gt (int .Values.replicaCount) 1 }}true{{ end -}}
{{- end -}}

{{/*
What the daemon would refuse at start, or a site that would lose job logs, refused at install with
what to set. A Secret of the user's own (existingSecret) is not read: its URLs are not checked.
*/}}
{{- define "godocker.validate" -}}
{{- $n := int .Values.replicaCount -}}
{{- if lt $n 1 }}
{{- fail (printf "replicaCount is %d: it must be 1 or more" $n) }}
{{- end }}
{{- if and (not .Values.existingSecret) .Values.adminToken (lt (len .Values.adminToken) 16) }}
{{- fail "adminToken must be 16 characters or more: --set adminToken=\"$(openssl rand -hex 24)\"" }}
{{- end }}
{{- if not .Values.existingSecret }}
{{- if and .Values.redis.url (not (regexMatch "^rediss?://" .Values.redis.url)) }}
{{- fail "redis.url must start with redis:// or rediss:// (redis://[:PASSWORD@]HOST:PORT)" }}
{{- end }}
{{- if and .Values.store.mongodb.url (not (regexMatch "^mongodb(\\+srv)?://" .Values.store.mongodb.url)) }}
{{- fail "store.mongodb.url must start with mongodb:// (mongodb://[USER:PASSWORD@]HOST:PORT/)" }}
{{- end }}
{{- if and .Values.redis.url (not .Values.store.mongodb.url) }}
{{- fail "redis.url needs store.mongodb.url: daemons that elect a leader share one store, which the sqlite file in a pod's data folder cannot be" }}
{{- end }}
{{- if and (gt $n 1) (not .Values.store.mongodb.url) }}
{{- fail (printf "replicaCount %d needs store.mongodb.url: the sqlite store is one daemon's file; set store.mongodb.url (MongoDB 4.4+ or FerretDB) and redis.url, or replicaCount 1" $n) }}
{{- end }}
{{- if and (gt $n 1) (not .Values.redis.url) }}
{{- fail (printf "replicaCount %d needs redis.url: the daemons elect their leader there (without it every daemon would schedule); set redis.url=redis://HOST:6379, or replicaCount 1" $n) }}
{{- end }}
{{- end }}
{{- if and (gt $n 1) (not .Values.persistence.enabled) }}
{{- fail (printf "replicaCount %d needs persistence.enabled with a ReadWriteMany claim: a job's logs are in the data folder of the daemon that ran it, and any daemon reads them after a failover; set persistence.enabled=true and persistence.accessModes={ReadWriteMany} (or persistence.existingClaim, a ReadWriteMany claim)" $n) }}
{{- end }}
{{- if and (gt $n 1) .Values.persistence.enabled (not .Values.persistence.existingClaim) (not (has "ReadWriteMany" .Values.persistence.accessModes)) }}
{{- fail (printf "replicaCount %d needs the data folder's claim ReadWriteMany (persistence.accessModes is %s): the daemons share it for the job logs; set persistence.accessModes={ReadWriteMany} with a storage class that offers it (NFS, CephFS...)" $n (toJson .Values.persistence.accessModes)) }}
{{- end }}
{{- end -}}
