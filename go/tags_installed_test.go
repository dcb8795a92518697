//go:build !rshm_intree

package rshm_test

// buildTags are the tags this test binary was built with, for the programs
// the tests build.
const buildTags = ""
