//go:build rshm_intree

package rshm

// With -tags rshm_intree the package links the library built in this
// repository (make all: target/release/librshm.so) and its header, with no
// install step; the rpath lets test binaries find the library at run time.

// #cgo CFLAGS: -I${SRCDIR}/../include
// #cgo LDFLAGS: -L${SRCDIR}/../target/release -Wl,-rpath,${SRCDIR}/../target/release -lrshm
import "C"
