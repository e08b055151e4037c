//go:build fc && lambda

package platform

// A binary serves one platform (-tags fc or -tags lambda) or, with neither
// tag, both: the two tags exclude each other.
var _ = buildTagsFcAndLambdaExcludeEachOther
