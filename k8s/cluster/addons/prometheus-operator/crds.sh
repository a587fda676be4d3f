#!/usr/bin/env bash
# Prints the paths (one a line) of prometheus-operator's ServiceMonitor and PrometheusRule CRDs, taken from
# the pinned prometheus-operator module on the Go module proxy (its source carries example/prometheus-operator-crd).
# The chart's ServiceMonitor and PrometheusRule (metrics.serviceMonitor, metrics.prometheusRule) are validated
# against them by a real API server in the k8s tier. Only the CRDs: the operator is not run.
set -euo pipefail
PROMETHEUS_OPERATOR_VERSION=v0.85.0
cd "$(dirname "${BASH_SOURCE[0]}")"
export PATH="/usr/local/go/bin:$PATH"
dir="$(go mod download -json "github.com/prometheus-operator/prometheus-operator@$PROMETHEUS_OPERATOR_VERSION" | sed -n 's/^[[:space:]]*"Dir": "\(.*\)",$/\1/p')"
for kind in servicemonitors prometheusrules; do
  crd="$dir/example/prometheus-operator-crd/monitoring.coreos.com_$kind.yaml"
  [[ -f $crd ]] || { echo "crds.sh: no $kind CRD in $dir" >&2; exit 1; }
  echo "$crd"
done
