// Package templates holds the declarative data the engine reads: policy
// tiers and finding tags, one file each, embedded here because go:embed
// cannot reach parent directories. internal/tags reads tags/*.tag from
// FS; the tier files are embedded separately (tiers.go).
package templates

import "embed"

// FS is the embedded data.
//
//go:embed README.md tags/*.tag
var FS embed.FS
