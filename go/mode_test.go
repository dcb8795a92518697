package rshm

import "testing"

// ModeString cannot fail: its buffer is always large enough (the C call's
// EFAULT and ERANGE are tested in c_tests/test_mode.c).
func TestModeString(t *testing.T) {
	for _, c := range []struct {
		mode uint32
		want string
	}{
		{0o600, "[0600] rw-------"},
		{0o644, "[0644] rw-r--r--"},
		{0o100640, "[0640] rw-r-----"}, // Stat.Mode: the file type is ignored
		{0o4755, "[4755] rwsr-xr-x"},
		{0o2640, "[2640] rw-r-S---"},
		{0o1777, "[1777] rwxrwxrwt"},
		{0, "[0000] ---------"},
	} {
		if got := ModeString(c.mode); got != c.want {
			t.Errorf("ModeString(%#o) = %q, want %q", c.mode, got, c.want)
		}
	}
}
