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
