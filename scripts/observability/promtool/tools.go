//go:build tools

// Package tools pins promtool (alert rule checks and unit tests) that scripts/observability/build.sh builds.
package tools

import (
	_ "github.com/prometheus/prometheus/cmd/promtool"
)
