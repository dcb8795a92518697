package rshm

import (
	"syscall"
	"testing"
)

// The constants of the issue-4 calls against the syscall package where it
// has them and against the kernel's ABI values where it does not.
func TestLinuxConstantsMatchTheKernel(t *testing.T) {
	for _, c := range []struct {
		name      string
		got, want int
	}{
		{"MS_ASYNC", MS_ASYNC, syscall.MS_ASYNC},
		{"MS_SYNC", MS_SYNC, syscall.MS_SYNC},
		{"MS_INVALIDATE", MS_INVALIDATE, syscall.MS_INVALIDATE},
		{"MADV_NORMAL", MADV_NORMAL, syscall.MADV_NORMAL},
		{"MADV_RANDOM", MADV_RANDOM, syscall.MADV_RANDOM},
		{"MADV_SEQUENTIAL", MADV_SEQUENTIAL, syscall.MADV_SEQUENTIAL},
		{"MADV_WILLNEED", MADV_WILLNEED, syscall.MADV_WILLNEED},
		{"MADV_DONTNEED", MADV_DONTNEED, syscall.MADV_DONTNEED},
		{"MADV_REMOVE", MADV_REMOVE, syscall.MADV_REMOVE},
		{"MADV_DONTFORK", MADV_DONTFORK, syscall.MADV_DONTFORK},
		{"MADV_DOFORK", MADV_DOFORK, syscall.MADV_DOFORK},
		{"MADV_HUGEPAGE", MADV_HUGEPAGE, syscall.MADV_HUGEPAGE},
		{"MADV_NOHUGEPAGE", MADV_NOHUGEPAGE, syscall.MADV_NOHUGEPAGE},
		{"MADV_FREE", MADV_FREE, 8},
		{"MADV_DONTDUMP", MADV_DONTDUMP, 16},
		{"MADV_DODUMP", MADV_DODUMP, 17},
		{"MADV_POPULATE_READ", MADV_POPULATE_READ, 22},
		{"MADV_POPULATE_WRITE", MADV_POPULATE_WRITE, 23},
		{"MCL_CURRENT", MCL_CURRENT, syscall.MCL_CURRENT},
		{"MCL_FUTURE", MCL_FUTURE, syscall.MCL_FUTURE},
		{"MCL_ONFAULT", MCL_ONFAULT, 4},
		{"F_ADD_SEALS", F_ADD_SEALS, 1033},
		{"F_GET_SEALS", F_GET_SEALS, 1034},
		{"F_SEAL_EXEC", F_SEAL_EXEC, 0x20},
		{"MFD_HUGETLB", MFD_HUGETLB, 4},
		{"MFD_NOEXEC_SEAL", MFD_NOEXEC_SEAL, 8},
		{"MFD_EXEC", MFD_EXEC, 0x10},
		{"MFD_HUGE_SHIFT", MFD_HUGE_SHIFT, 26},
		{"MFD_HUGE_MASK", MFD_HUGE_MASK, 63},
	} {
		if c.got != c.want {
			t.Errorf("%s = %#x, the kernel has %#x", c.name, c.got, c.want)
		}
	}
	// Each huge page size is its log2 shifted up.
	for _, h := range []struct {
		name       string
		got, log2n int64 // MFD_HUGE_16GB overflows a 32-bit int
	}{
		{"64KB", MFD_HUGE_64KB, 16}, {"512KB", MFD_HUGE_512KB, 19}, {"1MB", MFD_HUGE_1MB, 20},
		{"2MB", MFD_HUGE_2MB, 21}, {"8MB", MFD_HUGE_8MB, 23}, {"16MB", MFD_HUGE_16MB, 24},
		{"32MB", MFD_HUGE_32MB, 25}, {"256MB", MFD_HUGE_256MB, 28}, {"512MB", MFD_HUGE_512MB, 29},
		{"1GB", MFD_HUGE_1GB, 30}, {"2GB", MFD_HUGE_2GB, 31}, {"16GB", MFD_HUGE_16GB, 34},
	} {
		if want := h.log2n << MFD_HUGE_SHIFT; h.got != want {
			t.Errorf("MFD_HUGE_%s = %#x, want %#x", h.name, h.got, want)
		}
		if h.got>>MFD_HUGE_SHIFT&MFD_HUGE_MASK != h.log2n {
			t.Errorf("MFD_HUGE_%s does not shift back through MFD_HUGE_MASK", h.name)
		}
	}
}
