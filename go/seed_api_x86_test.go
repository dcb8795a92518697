//go:build linux && (amd64 || 386)

package rshm_test

import (
	"syscall"
	"testing"

	posix "github.com/rshm/rshm/go"
)

// MAP_32BIT exists where the seed package has it, x86 Linux.
func TestSeedMap32bit(t *testing.T) {
	if posix.MAP_32BIT != syscall.MAP_32BIT {
		t.Errorf("MAP_32BIT = %#x, the platform has %#x", posix.MAP_32BIT, syscall.MAP_32BIT)
	}
}
