package templates

import "embed"

// Tiers holds the policy tiers, one file per tier (tiers/<name>.tier).
//
//go:embed tiers/*.tier
var Tiers embed.FS
