package rshm

import "testing"

func TestVersionIsTheHeaders(t *testing.T) {
	v := Version()
	if v == "" {
		t.Fatal("Version is empty")
	}
	if v != headerVersion {
		t.Errorf("Version() = %q, the header's RSHM_VERSION = %q", v, headerVersion)
	}
}
