{{/*
Names and labels.
*/}}
{{- define "iprisk.name" -}}
{{- default .Chart.Name .Values.nameOverride | trunc 63 | trimSuffix "-" }}
{{- end }}

{{- define "iprisk.fullname" -}}
{{- if .Values.fullnameOverride }}
{{- .Values.fullnameOverride | trunc 63 | trimSuffix "-" }}
{{- else }}
{{- $name := default .Chart.Name .Values.nameOverride }}
{{- if contains $name .Release.Name }}
{{- .Release.Name | trunc 63 | trimSuffix "-" }}
{{- else }}
{{- printf "%s-%s" .Release.Name $name | trunc 63 | trimSuffix "-" }}
{{- end }}
{{- end }}
{{- end }}

{{- define "iprisk.chart" -}}
{{- printf "%s-%s" .Chart.Name .Chart.Version | replace "+" "_" | trunc 63 | trimSuffix "-" }}
{{- end }}

{{- define "iprisk.labels" -}}
helm.sh/chart: {{ include "iprisk.chart" . }}
app.kubernetes.io/name: {{ include "iprisk.name" . }}
app.kubernetes.io/instance: {{ .Release.Name }}
app.kubernetes.io/version: {{ .Chart.AppVersion | quote }}
app.kubernetes.io/managed-by: {{ .Release.Service }}
{{- end }}

{{/* Selector labels of one component (run, serve, index-update); call with (list $ "run"). */}}
{{- define "iprisk.selectorLabels" -}}
{{- $root := index . 0 -}}
app.kubernetes.io/name: {{ include "iprisk.name" $root }}
app.kubernetes.io/instance: {{ $root.Release.Name }}
app.kubernetes.io/component: {{ index . 1 }}
{{- end }}

{{- define "iprisk.componentLabels" -}}
{{- $root := index . 0 -}}
{{ include "iprisk.labels" $root }}
app.kubernetes.io/component: {{ index . 1 }}
{{- end }}

{{- define "iprisk.serviceAccountName" -}}
{{- if .Values.serviceAccount.create }}
{{- default (include "iprisk.fullname" .) .Values.serviceAccount.name }}
{{- else }}
{{- default "default" .Values.serviceAccount.name }}
{{- end }}
{{- end }}

{{- define "iprisk.image" -}}
{{- printf "%s:%s" .Values.image.repository (default .Chart.AppVersion .Values.image.tag) }}
{{- end }}

{{/*
Fixed paths inside the pods.
*/}}
{{- define "iprisk.configDir" -}}/etc/iprisk{{- end }}
{{- define "iprisk.configFile" -}}/etc/iprisk/iprisk.yaml{{- end }}
{{- define "iprisk.dataDir" -}}/var/lib/iprisk{{- end }}
{{- define "iprisk.snapshotFile" -}}/var/lib/iprisk/index.snap{{- end }}

{{/*
The http port of `run` (config http.port, 9464 by default). A pod needs a fixed one.
*/}}
{{- define "iprisk.runPort" -}}
{{- $http := .Values.config.http | default dict }}
{{- $port := hasKey $http "port" | ternary $http.port 9464 }}
{{- if eq (int $port) 0 }}
{{- fail "config.http.port: 0 picks a free port, which probes and Prometheus cannot find; set a fixed port (default 9464)" }}
{{- end }}
{{- int $port }}
{{- end }}

{{/*
Refuses inline secrets in values.config: the ConfigMap is readable by anyone who may read
ConfigMaps, so every secret must come from existingSecret by reference.
*/}}
{{- define "iprisk.checkNoInlineSecrets" -}}
{{- $c := .Values.config }}
{{- $hint := "give it by reference from existingSecret: {env: NAME} or {file: /var/run/secrets/iprisk/KEY}; the chart never puts a secret into the ConfigMap" }}
{{- $kafka := $c.kafka | default dict }}
{{- with $kafka.sasl }}
{{- if kindIs "string" .password }}{{ fail (printf "config.kafka.sasl.password is given inline: %s" $hint) }}{{ end }}
{{- end }}
{{- with $kafka.tls }}
{{- if kindIs "string" .key_password }}{{ fail (printf "config.kafka.tls.key_password is given inline: %s" $hint) }}{{ end }}
{{- end }}
{{- with $c.schema_registry }}
{{- if kindIs "string" .password }}{{ fail (printf "config.schema_registry.password is given inline: %s" $hint) }}{{ end }}
{{- end }}
{{- with $c.remote }}
{{- range $i, $p := .providers | default list }}
{{- if hasKey $p "api_key" }}{{ fail (printf "config.remote.providers.%d.api_key is given inline: use api_key_env (a key of existingSecret, secretMounts.env) or api_key_file (/var/run/secrets/iprisk/KEY, secretMounts.files); the chart never puts a secret into the ConfigMap" $i) }}{{ end }}
{{- end }}
{{- end }}
{{- with $c.serve }}
{{- if .api_keys }}{{ fail "config.serve.api_keys is given inline: put the keys in existingSecret as IPRISK_API_KEYS (comma-separated, secretMounts.env) or as a file named by serve.api_keys_file (secretMounts.files); the chart never puts a secret into the ConfigMap" }}{{ end }}
{{- end }}
{{- end }}

{{/*
The iprisk configuration as the pods read it: values.config with the paths and addresses a pod
needs. Relative source paths, and the download location of url-only sources, move under the
index volume, because the ConfigMap folder is read-only.
*/}}
{{- define "iprisk.config" -}}
{{- include "iprisk.checkNoInlineSecrets" . }}
{{- $c := deepCopy (.Values.config | default dict) }}
{{- $data := include "iprisk.dataDir" . }}
{{- $http := deepCopy ($c.http | default dict) }}
{{- $_ := set $http "host" "0.0.0.0" }}
{{- $_ = set $http "port" (int (include "iprisk.runPort" .)) }}
{{- $_ = set $c "http" $http }}
{{- $index := deepCopy ($c.index | default dict) }}
{{- $_ = set $index "path" (include "iprisk.snapshotFile" .) }}
{{- $_ = set $c "index" $index }}
{{- if .Values.serve.enabled }}
{{- $serve := deepCopy ($c.serve | default dict) }}
{{- $_ = set $serve "host" "0.0.0.0" }}
{{- $_ = set $serve "port" (int .Values.serve.port) }}
{{- $_ = set $c "serve" $serve }}
{{- end }}
{{- $sources := list }}
{{- range $c.sources | default list }}
{{- $s := deepCopy . }}
{{- if hasKey $s "path" }}
{{- if not (hasPrefix "/" (toString $s.path)) }}
{{- $_ = set $s "path" (printf "%s/%s" $data $s.path) }}
{{- end }}
{{- else if hasKey $s "url" }}
{{- $_ = set $s "path" (printf "%s/feeds/%s" $data $s.name) }}
{{- end }}
{{- $sources = append $sources $s }}
{{- end }}
{{- if eq (len $sources) 0 }}
{{- fail "config.sources lists no feed: the index would be empty. Add sources with a url (index.init.command: update) or local files (index.init.command: build)" }}
{{- end }}
{{- $_ = set $c "sources" $sources }}
{{- toYaml $c }}
{{- end }}

{{/* Annotation that rolls the pods when the configuration changes. */}}
{{- define "iprisk.configChecksum" -}}
checksum/config: {{ include "iprisk.config" . | sha256sum }}
{{- end }}

{{/*
Checks of combinations the schema alone cannot express.
*/}}
{{- define "iprisk.validate" -}}
{{- if and .Values.autoscaling.enabled .Values.keda.enabled }}
{{- fail "autoscaling.enabled and keda.enabled are both true: KEDA creates its own HorizontalPodAutoscaler for the run Deployment, and two autoscalers would fight over its replicas. Enable one of them" }}
{{- end }}
{{- if and .Values.podDisruptionBudget.enabled (ne (toString .Values.podDisruptionBudget.minAvailable) "") (ne (toString .Values.podDisruptionBudget.maxUnavailable) "") }}
{{- fail "podDisruptionBudget: set minAvailable or maxUnavailable, not both (set the other to \"\")" }}
{{- end }}
{{- if and .Values.autoscaling.enabled (gt (int .Values.autoscaling.minReplicas) (int .Values.autoscaling.maxReplicas)) }}
{{- fail "autoscaling.minReplicas is above autoscaling.maxReplicas" }}
{{- end }}
{{- if and .Values.keda.enabled (gt (int .Values.keda.minReplicaCount) (int .Values.keda.maxReplicaCount)) }}
{{- fail "keda.minReplicaCount is above keda.maxReplicaCount" }}
{{- end }}
{{- if and .Values.secretMounts.files (not .Values.existingSecret) }}
{{- fail "secretMounts.files is true but existingSecret names no Secret" }}
{{- end }}
{{- end }}

{{/* Whether the index lives on the shared claim the CronJob refreshes. */}}
{{- define "iprisk.sharedIndex" -}}
{{- if and .Values.indexUpdate.enabled (eq .Values.indexUpdate.mode "cronjob") }}true{{ end }}
{{- end }}

{{- define "iprisk.claimName" -}}
{{- default (printf "%s-index" (include "iprisk.fullname" .)) .Values.indexUpdate.persistence.existingClaim }}
{{- end }}

{{/*
Pieces every iprisk container shares.
*/}}
{{- define "iprisk.containerSecurityContext" -}}
securityContext:
  {{- toYaml .Values.securityContext | nindent 2 }}
{{- end }}

{{- define "iprisk.env" -}}
{{- if and .Values.existingSecret .Values.secretMounts.env }}
envFrom:
  - secretRef:
      name: {{ .Values.existingSecret }}
{{- end }}
{{- with .Values.extraEnv }}
env:
  {{- toYaml . | nindent 2 }}
{{- end }}
{{- end }}

{{/* Mounts of every iprisk container; pass (list $ readOnlyIndex). */}}
{{- define "iprisk.volumeMounts" -}}
{{- $root := index . 0 -}}
volumeMounts:
  - name: config
    mountPath: {{ include "iprisk.configDir" $root }}
    readOnly: true
  - name: index
    mountPath: {{ include "iprisk.dataDir" $root }}
    {{- if index . 1 }}
    readOnly: true
    {{- end }}
  - name: tmp
    mountPath: /tmp
  {{- if and $root.Values.existingSecret $root.Values.secretMounts.files }}
  - name: secrets
    mountPath: {{ $root.Values.secretMounts.path }}
    readOnly: true
  {{- end }}
  {{- with $root.Values.extraVolumeMounts }}
  {{- toYaml . | nindent 2 }}
  {{- end }}
{{- end }}

{{- define "iprisk.volumes" -}}
volumes:
  - name: config
    configMap:
      name: {{ include "iprisk.fullname" . }}
  - name: index
    {{- if include "iprisk.sharedIndex" . }}
    persistentVolumeClaim:
      claimName: {{ include "iprisk.claimName" . }}
    {{- else }}
    emptyDir:
      sizeLimit: {{ .Values.index.sizeLimit }}
    {{- end }}
  - name: tmp
    emptyDir:
      sizeLimit: 64Mi
  {{- if and .Values.existingSecret .Values.secretMounts.files }}
  - name: secrets
    secret:
      secretName: {{ .Values.existingSecret }}
      # 0400 (owner read), in decimal: YAML 1.1 and 1.2 readers disagree on a leading-zero octal.
      defaultMode: 256
  {{- end }}
  {{- with .Values.extraVolumes }}
  {{- toYaml . | nindent 2 }}
  {{- end }}
{{- end }}

{{/* The `iprisk index update` arguments (init container, sidecar, CronJob). */}}
{{- define "iprisk.updateArgs" -}}
- index
- update
- -c
- {{ include "iprisk.configFile" . }}
- -o
- {{ include "iprisk.snapshotFile" . }}
{{- end }}

{{/* The init container that fills the index before the pod's main container starts. */}}
{{- define "iprisk.indexInitContainer" -}}
- name: index-init
  image: {{ include "iprisk.image" . }}
  imagePullPolicy: {{ .Values.image.pullPolicy }}
  args:
    {{- if eq .Values.index.init.command "build" }}
    - index
    - build
    - -c
    - {{ include "iprisk.configFile" . }}
    - -o
    - {{ include "iprisk.snapshotFile" . }}
    {{- else }}
    {{- include "iprisk.updateArgs" . | nindent 4 }}
    {{- end }}
    {{- with .Values.index.init.extraArgs }}
    {{- toYaml . | nindent 4 }}
    {{- end }}
  {{- include "iprisk.env" . | trim | nindent 2 }}
  {{- include "iprisk.volumeMounts" (list . false) | nindent 2 }}
  resources:
    {{- toYaml .Values.index.init.resources | nindent 4 }}
  {{- include "iprisk.containerSecurityContext" . | nindent 2 }}
{{- end }}

{{/* The sidecar that refreshes the pod's own index (indexUpdate.mode sidecar). */}}
{{- define "iprisk.indexSidecar" -}}
- name: index-update
  image: {{ include "iprisk.image" . }}
  imagePullPolicy: {{ .Values.image.pullPolicy }}
  args:
    {{- include "iprisk.updateArgs" . | nindent 4 }}
    - --every
    - {{ .Values.indexUpdate.every | quote }}
    {{- with .Values.indexUpdate.extraArgs }}
    {{- toYaml . | nindent 4 }}
    {{- end }}
  {{- include "iprisk.env" . | trim | nindent 2 }}
  {{- include "iprisk.volumeMounts" (list . false) | nindent 2 }}
  resources:
    {{- toYaml .Values.indexUpdate.resources | nindent 4 }}
  {{- include "iprisk.containerSecurityContext" . | nindent 2 }}
{{- end }}

{{/* Pod-level settings shared by the run and serve pods; pass (list $ component). */}}
{{- define "iprisk.podSettings" -}}
{{- $root := index . 0 -}}
{{- $component := index . 1 -}}
{{- with $root.Values.imagePullSecrets }}
imagePullSecrets:
  {{- toYaml . | nindent 2 }}
{{- end }}
serviceAccountName: {{ include "iprisk.serviceAccountName" $root }}
automountServiceAccountToken: {{ $root.Values.serviceAccount.automountServiceAccountToken }}
{{- with $root.Values.priorityClassName }}
priorityClassName: {{ . }}
{{- end }}
securityContext:
  {{- toYaml $root.Values.podSecurityContext | nindent 2 }}
terminationGracePeriodSeconds: {{ include "iprisk.terminationGrace" $root }}
{{- with $root.Values.nodeSelector }}
nodeSelector:
  {{- toYaml . | nindent 2 }}
{{- end }}
{{- with $root.Values.tolerations }}
tolerations:
  {{- toYaml . | nindent 2 }}
{{- end }}
{{- with $root.Values.affinity }}
affinity:
  {{- toYaml . | nindent 2 }}
{{- end }}
{{- with $root.Values.topologySpreadConstraints }}
topologySpreadConstraints:
  {{- range . }}
  {{- $constraint := deepCopy . }}
  {{- if not (hasKey $constraint "labelSelector") }}
  {{- $_ := set $constraint "labelSelector" (dict "matchLabels" (include "iprisk.selectorLabels" (list $root $component) | fromYaml)) }}
  {{- end }}
  - {{ toYaml $constraint | indent 4 | trim }}
  {{- end }}
{{- end }}
{{- end }}

{{- define "iprisk.terminationGrace" -}}
{{- if .Values.terminationGracePeriodSeconds }}
{{- int .Values.terminationGracePeriodSeconds }}
{{- else }}
{{- $pipeline := .Values.config.pipeline | default dict }}
{{- $deadline := hasKey $pipeline "shutdown_deadline_ms" | ternary $pipeline.shutdown_deadline_ms 30000 }}
{{- add (div (add (int $deadline) 999) 1000) 15 }}
{{- end }}
{{- end }}

{{/* Liveness, readiness and startup probes on a named port. */}}
{{- define "iprisk.probes" -}}
{{- $p := .Values.probes -}}
startupProbe:
  httpGet:
    path: /healthz
    port: http
  periodSeconds: {{ $p.startup.periodSeconds }}
  failureThreshold: {{ $p.startup.failureThreshold }}
livenessProbe:
  httpGet:
    path: /healthz
    port: http
  {{- toYaml $p.liveness | nindent 2 }}
readinessProbe:
  httpGet:
    path: /readyz
    port: http
  {{- toYaml $p.readiness | nindent 2 }}
{{- end }}
