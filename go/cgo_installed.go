//go:build !rshm_intree

package rshm

// The default build links the installed library, found through
// pkg-config (PKG_CONFIG_PATH for a non-standard prefix). Build with
// -tags rshm_intree to link the library built in this repository instead.

// #cgo pkg-config: rshm
import "C"
