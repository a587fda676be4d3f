//go:build tools

// Package tools pins the commands k8s/helm-tools/build.sh builds from this module: the helm CLI
// (helm.sh/helm/v3) and kubecheck (./kubecheck), both against the same Kubernetes API modules.
package tools

import (
	_ "helm.sh/helm/v3/cmd/helm"
)
