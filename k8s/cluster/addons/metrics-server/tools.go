//go:build tools

// Package tools pins metrics-server for the one-node cluster (see ../../README.md); its own module
// because its k8s.io libraries differ from the control plane's.
package tools

import _ "sigs.k8s.io/metrics-server/cmd/metrics-server"
