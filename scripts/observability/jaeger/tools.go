//go:build tools

// Package tools pins the Jaeger v2 all-in-one (cmd/jaeger) that scripts/observability/build.sh builds.
package tools

import (
	_ "github.com/jaegertracing/jaeger/cmd/jaeger"
)
