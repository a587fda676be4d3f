{{/*
Names
*/}}
{{- define "saas.name" -}}
{{- default .Chart.Name .Values.nameOverride | trunc 63 | trimSuffix "-" }}
{{- end }}

{{- define "saas.fullname" -}}
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

{{/* "<fullname>-<component>", e.g. saas-starter-catalog. Call with (dict "ctx" $ "component" "catalog"). */}}
{{- define "saas.componentName" -}}
{{- printf "%s-%s" (include "saas.fullname" .ctx) .component | trunc 63 | trimSuffix "-" }}
{{- end }}

{{- define "saas.chart" -}}
{{- printf "%s-%s" .Chart.Name .Chart.Version | replace "+" "_" | trunc 63 | trimSuffix "-" }}
{{- end }}

{{/*
Labels: the one place that defines them. Call with (dict "ctx" $ "component" "catalog").
saas.selectorLabels is the immutable subset Deployments, Services, HPAs, PDBs and NetworkPolicies
select on: name + instance (+ component).
*/}}
{{- define "saas.selectorLabels" -}}
app.kubernetes.io/name: {{ include "saas.name" .ctx }}
app.kubernetes.io/instance: {{ .ctx.Release.Name }}
{{- with .component }}
app.kubernetes.io/component: {{ . }}
{{- end }}
{{- end }}

{{- define "saas.labels" -}}
helm.sh/chart: {{ include "saas.chart" .ctx }}
{{ include "saas.selectorLabels" . }}
app.kubernetes.io/version: {{ .ctx.Chart.AppVersion | quote }}
app.kubernetes.io/managed-by: {{ .ctx.Release.Service }}
app.kubernetes.io/part-of: saas-starter
{{- end }}

{{/*
Deep merge of two maps where the override wins even with false, 0 or "" (sprig's mergeOverwrite skips
such values, so `autoscaling: {enabled: false}` would be lost). (dict "base" $a "over" $b) -> YAML.
*/}}
{{- define "saas.deepMerge" -}}
{{- $out := deepCopy (.base | default dict) }}
{{- range $k, $v := (.over | default dict) }}
{{- if and (kindIs "map" $v) (kindIs "map" (get $out $k)) }}
{{- $_ := set $out $k (include "saas.deepMerge" (dict "base" (get $out $k) "over" $v) | fromYaml) }}
{{- else }}
{{- $_ := set $out $k $v }}
{{- end }}
{{- end }}
{{- toYaml $out }}
{{- end }}

{{/*
The enabled services, in a stable order, each as a dict: the service's settings merged over
.Values.defaults, plus name. Usage: {{- range $svc := (include "saas.services" $ | fromYamlArray) }}
*/}}
{{- define "saas.services" -}}
{{- $out := list }}
{{- range $name := list "auth" "catalog" "media" "profile" }}
{{- $own := get $.Values.services $name | default dict }}
{{- $svc := include "saas.deepMerge" (dict "base" $.Values.defaults "over" $own) | fromYaml }}
{{- if $svc.enabled }}
{{- $_ := set $svc "name" $name }}
{{- $out = append $out $svc }}
{{- end }}
{{- end }}
{{- toYaml $out }}
{{- end }}

{{/* Image of a service: (dict "ctx" $ "svc" $svc) */}}
{{- define "saas.image" -}}
{{- $img := .ctx.Values.image }}
{{- $own := .svc.image | default dict }}
{{- $repo := $own.repository | default (printf "%s-%s" $img.repository .svc.name) }}
{{- $tag := $own.tag | default $img.tag | default .ctx.Chart.AppVersion }}
{{- if eq (toString $tag) "latest" }}{{ fail (printf "services.%s: the image tag must be pinned; `latest` is not allowed" .svc.name) }}{{ end }}
{{- if $img.registry }}{{ printf "%s/%s:%s" $img.registry $repo $tag }}{{ else }}{{ printf "%s:%s" $repo $tag }}{{ end }}
{{- end }}

{{/* Image from {repository, tag}: (dict "image" .Values.devInfra.redis.image "what" "devInfra.redis.image") */}}
{{- define "saas.pinnedImage" -}}
{{- if or (not .image.tag) (eq (toString .image.tag) "latest") }}{{ fail (printf "%s.tag must be a pinned version (not empty, not `latest`)" .what) }}{{ end }}
{{- printf "%s:%s" .image.repository (toString .image.tag) }}
{{- end }}

{{/*
Pod and container security contexts (Pod Security "restricted"). (dict "ctx" $ "uid" 999) runs as
another user (the official infra images' own users).
*/}}
{{- define "saas.podSecurityContext" -}}
{{- $psc := deepCopy .ctx.Values.podSecurityContext }}
{{- with .uid }}
{{- $_ := set $psc "runAsUser" . }}
{{- $_ := set $psc "runAsGroup" . }}
{{- $_ := set $psc "fsGroup" . }}
{{- end }}
{{- toYaml $psc }}
{{- end }}

{{- define "saas.containerSecurityContext" -}}
{{- toYaml .Values.containerSecurityContext }}
{{- end }}

{{/* Is the dev infrastructure part of this release? */}}
{{- define "saas.devPostgres" -}}{{ if .Values.devInfra.enabled }}true{{ end }}{{- end }}

{{/* Hook events for jobs that need the database/Kafka: the dev infra is created by this release, so on
install they must run after it (post-install); external infrastructure exists before (pre-install). */}}
{{- define "saas.infraHook" -}}
{{- if .Values.devInfra.enabled }}post-install,pre-upgrade{{ else }}pre-install,pre-upgrade{{ end }}
{{- end }}

{{/* KAFKA_BROKERS */}}
{{- define "saas.kafkaBrokers" -}}
{{- if .Values.kafka.brokers }}{{ .Values.kafka.brokers }}
{{- else if .Values.devInfra.enabled }}{{ include "saas.componentName" (dict "ctx" . "component" "kafka") }}:9092
{{- else }}{{ fail "kafka.brokers is required when devInfra.enabled is false (production): set it to your brokers, e.g. b-1.kafka.internal:9092,b-2.kafka.internal:9092" }}
{{- end }}
{{- end }}

{{/* OTEL_EXPORTER_OTLP_ENDPOINT: tracing.endpoint, or the chart's Jaeger. */}}
{{- define "saas.otlpEndpoint" -}}
{{- if .Values.tracing.endpoint }}{{ .Values.tracing.endpoint }}
{{- else if .Values.tracing.jaeger.enabled }}http://{{ include "saas.componentName" (dict "ctx" . "component" "jaeger") }}:4318
{{- else }}{{ fail "tracing.enabled needs somewhere to send spans: set tracing.endpoint (an OTLP/HTTP collector, e.g. http://otel-collector.observability:4318) or enable tracing.jaeger" }}
{{- end }}
{{- end }}

{{- define "saas.jwtIssuer" -}}
{{- if .Values.config.jwtIssuer }}{{ .Values.config.jwtIssuer }}
{{- else if and .Values.ingress.enabled .Values.ingress.host }}{{ if .Values.ingress.tls }}https{{ else }}http{{ end }}://{{ .Values.ingress.host }}/auth
{{- else }}http://localhost:8080/auth
{{- end }}
{{- end }}

{{- define "saas.jwksUrl" -}}
{{- if .Values.config.jwksUrl }}{{ .Values.config.jwksUrl }}
{{- else }}http://{{ include "saas.componentName" (dict "ctx" . "component" "auth") }}:{{ .Values.services.auth.port | default 3001 }}/auth/.well-known/jwks.json
{{- end }}
{{- end }}

{{/* The Secret a service reads DATABASE_* and REDIS_URL from: existingSecret or the chart's own. (dict "ctx" $ "svc" $svc) */}}
{{- define "saas.secretName" -}}
{{- if .svc.existingSecret }}{{ .svc.existingSecret }}
{{- else if .ctx.Values.devInfra.enabled }}{{ include "saas.componentName" (dict "ctx" .ctx "component" .svc.name) }}
{{- else }}{{ fail (printf "services.%s.existingSecret is required when devInfra.enabled is false (production): create a Secret with the keys DATABASE_PRIMARY_URL and REDIS_URL (optional: DATABASE_REPLICA_URLS%s) and set services.%s.existingSecret to its name" .svc.name (ternary ", JWT_SIGNING_KEYS is required for auth" "" (eq .svc.name "auth")) .svc.name) }}
{{- end }}
{{- end }}

{{/* Where auth's JWT_SIGNING_KEYS come from. */}}
{{- define "saas.jwtSecretName" -}}
{{- $auth := include "saas.deepMerge" (dict "base" .Values.defaults "over" .Values.services.auth) | fromYaml }}
{{- if $auth.existingSecret }}{{ $auth.existingSecret }}
{{- else if .Values.jwtKeygen.enabled }}{{ include "saas.componentName" (dict "ctx" . "component" "auth-jwt") }}
{{- else }}{{ fail "auth needs JWT_SIGNING_KEYS: set services.auth.existingSecret (a Secret with the key JWT_SIGNING_KEYS) or enable jwtKeygen" }}
{{- end }}
{{- end }}

{{/* Non-secret environment of a service (its ConfigMap data, and the migration Job's env). (dict "ctx" $ "svc" $svc) */}}
{{- define "saas.configData" -}}
{{- $ctx := .ctx }}
{{- $v := $ctx.Values }}
{{- $data := dict
  "PORT" (toString .svc.port)
  "HOST" "0.0.0.0"
  "KAFKA_BROKERS" (include "saas.kafkaBrokers" $ctx)
  "KAFKA_CLIENT_ID" .svc.name
  "KAFKA_TOPIC_PARTITIONS" (toString $v.kafka.topics.partitions)
  "KAFKA_TOPIC_REPLICATION_FACTOR" (toString $v.kafka.topics.replicationFactor)
  "JWT_ISSUER" (include "saas.jwtIssuer" $ctx)
  "JWT_AUDIENCE" $v.config.jwtAudience
  "JWKS_URL" (include "saas.jwksUrl" $ctx)
  "LOG_LEVEL" $v.config.logLevel
  "SHUTDOWN_DRAIN_MS" (toString .svc.shutdown.drainMs)
}}
{{- with $v.kafka.topicPrefix }}{{ $_ := set $data "KAFKA_TOPIC_PREFIX" . }}{{ end }}
{{- if eq .svc.name "media" }}{{ $_ := set $data "MEDIA_STORAGE_DIR" .svc.storage.dir }}{{ end }}
{{- /* catalog enriches products with media URLs through the resilient HTTP client */}}
{{- if eq .svc.name "catalog" }}{{ $_ := set $data "MEDIA_URL" (printf "http://%s:%v" (include "saas.componentName" (dict "ctx" $ctx "component" "media")) ($v.services.media.port | default 3003)) }}{{ end }}
{{- if $v.tracing.enabled }}
{{- $_ := set $data "OTEL_EXPORTER_OTLP_ENDPOINT" (include "saas.otlpEndpoint" $ctx) }}
{{- $_ := set $data "OTEL_TRACES_SAMPLER" $v.tracing.sampler }}
{{- $_ := set $data "OTEL_TRACES_SAMPLER_ARG" (toString $v.tracing.samplerArg) }}
{{- end }}
{{- range $k, $val := $v.config.env }}{{ $_ := set $data $k (toString $val) }}{{ end }}
{{- range $k, $val := .svc.env }}{{ $_ := set $data $k (toString $val) }}{{ end }}
{{- toYaml $data }}
{{- end }}

{{/* Secret-backed and downward-API env entries of a service container. (dict "ctx" $ "svc" $svc) */}}
{{- define "saas.secretEnv" -}}
{{- $secret := include "saas.secretName" . }}
- name: INSTANCE_ID
  valueFrom:
    fieldRef: { fieldPath: metadata.name }
- name: DATABASE_PRIMARY_URL
  valueFrom:
    secretKeyRef: { name: {{ $secret }}, key: DATABASE_PRIMARY_URL }
- name: DATABASE_REPLICA_URLS
  valueFrom:
    secretKeyRef: { name: {{ $secret }}, key: DATABASE_REPLICA_URLS, optional: true }
- name: REDIS_URL
  valueFrom:
    secretKeyRef: { name: {{ $secret }}, key: REDIS_URL }
{{- if eq .svc.name "auth" }}
- name: JWT_SIGNING_KEYS
  valueFrom:
    secretKeyRef: { name: {{ include "saas.jwtSecretName" .ctx }}, key: JWT_SIGNING_KEYS }
{{- end }}
{{- end }}

{{/* Physical topic names (prefix + name, with .dlq twins). */}}
{{- define "saas.topics" -}}
{{- $out := list }}
{{- range .Values.kafka.topics.names }}
{{- $out = append $out (printf "%s%s" $.Values.kafka.topicPrefix .) }}
{{- if $.Values.kafka.topics.deadLetter }}{{ $out = append $out (printf "%s%s.dlq" $.Values.kafka.topicPrefix .) }}{{ end }}
{{- end }}
{{- toYaml $out }}
{{- end }}

{{/* Shutdown budget: the grace period must exceed preStop + drain (+ time for in-flight requests). */}}
{{- define "saas.checkShutdown" -}}
{{- $s := .svc.shutdown }}
{{- $needMs := add (mul (int $s.preStopSleepSeconds) 1000) (int $s.drainMs) 5000 }}
{{- if le (mul (int $s.terminationGracePeriodSeconds) 1000) (int $needMs) }}
{{- fail (printf "services.%s.shutdown: terminationGracePeriodSeconds (%v) must exceed preStopSleepSeconds (%v) + drainMs/1000 (%v) + 5s for in-flight requests, or Kubernetes kills the pod before it drains" .svc.name $s.terminationGracePeriodSeconds $s.preStopSleepSeconds (div (int $s.drainMs) 1000)) }}
{{- end }}
{{- end }}

{{/* NetworkPolicy peer: pods of this release with one of the components. (dict "ctx" $ "components" (list ...)) */}}
{{- define "saas.np.peer" -}}
podSelector:
  matchLabels:
    {{- include "saas.selectorLabels" (dict "ctx" .ctx) | nindent 4 }}
  matchExpressions:
    - { key: app.kubernetes.io/component, operator: In, values: {{ toJson .components }} }
{{- end }}
