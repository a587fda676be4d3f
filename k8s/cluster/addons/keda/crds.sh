#!/usr/bin/env bash
# Prints the path of KEDA's ScaledObject CRD, taken from the pinned KEDA module on the Go module proxy
# (the module's source carries config/crd). The chart's ScaledObject (services.<svc>.lagScaling) is
# validated against it by a real API server in the k8s tier. Only the CRD: the KEDA operator is not run.
set -euo pipefail
KEDA_VERSION=v2.21.0
cd "$(dirname "${BASH_SOURCE[0]}")"
dir="$(go mod download -json "github.com/kedacore/keda/v2@$KEDA_VERSION" | sed -n 's/^[[:space:]]*"Dir": "\(.*\)",$/\1/p')"
crd="$dir/config/crd/bases/keda.sh_scaledobjects.yaml"
[[ -f $crd ]] || { echo "crds.sh: no ScaledObject CRD in $dir" >&2; exit 1; }
echo "$crd"
