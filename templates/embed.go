// Package templates holds the declarative data the engine reads: policy
// tiers and finding tags, one file each, embedded here because go:embed
// cannot reach parent directories. The files arrive with the tiers and
// checker work; until then only this package's README is embedded.
package templates

import "embed"

// FS is the embedded data.
//
//go:embed README.md
var FS embed.FS
