package rshm

import (
	"fmt"
	"strings"
)

// The seed package's helpers around Stat_t: the S_IS* tests of a mode,
// FilePermStr and DisplayStatInfo, with its exact text. They are plain Go;
// rshm's own ModeString (over rshm_mode_string) shows a mode as ls does.

// Timespec is a time in Stat_t: seconds and nanoseconds since the epoch.
type Timespec struct {
	Sec  int64
	Nsec int64
}

// S_ISBLK reports whether m is a block device's mode.
func (m ModeT) S_ISBLK() bool { return m&S_IFMT == S_IFBLK }

// S_ISCHR reports whether m is a character device's mode.
func (m ModeT) S_ISCHR() bool { return m&S_IFMT == S_IFCHR }

// S_ISDIR reports whether m is a directory's mode.
func (m ModeT) S_ISDIR() bool { return m&S_IFMT == S_IFDIR }

// S_ISFIFO reports whether m is a FIFO's (or a pipe's) mode.
func (m ModeT) S_ISFIFO() bool { return m&S_IFMT == S_IFIFO }

// S_ISREG reports whether m is a regular file's mode: shared-memory
// objects and memfds are regular files.
func (m ModeT) S_ISREG() bool { return m&S_IFMT == S_IFREG }

// S_ISLNK reports whether m is a symbolic link's mode.
func (m ModeT) S_ISLNK() bool { return m&S_IFMT == S_IFLNK }

// S_ISSOCK reports whether m is a socket's mode.
func (m ModeT) S_ISSOCK() bool { return m&S_IFMT == S_IFSOCK }

// FP_SPECIAL asks FilePermStr to show the set-user-ID, set-group-ID and
// sticky bits.
const FP_SPECIAL = 1

// FilePermStr shows perm as the seed package does: its octal value, at
// least four digits and the file-type bits included ("[100644]" for a
// regular file), then rwxrwxrwx with '-' for a clear bit. With
// flags&FP_SPECIAL, the user, group and other execute places show 's'
// where set-user-ID, set-group-ID and sticky are set, whether or not the
// execute bit is: "[4755] rwsr-xr-x", "[4644] rwsr--r--". rshm's ModeString
// is the ls(1) form.
func FilePermStr(perm ModeT, flags int) string {
	var b strings.Builder
	fmt.Fprintf(&b, "[%04o] ", perm)
	special := [3]ModeT{S_ISUID, S_ISGID, S_ISVTX}
	for i, class := range [3]ModeT{S_IRWXU, S_IRWXG, S_IRWXO} {
		bits := perm & class
		b.WriteByte(permChar(bits&(S_IRUSR|S_IRGRP|S_IROTH) != 0, 'r'))
		b.WriteByte(permChar(bits&(S_IWUSR|S_IWGRP|S_IWOTH) != 0, 'w'))
		if flags&FP_SPECIAL != 0 && perm&special[i] != 0 {
			b.WriteByte('s')
		} else {
			b.WriteByte(permChar(bits&(S_IXUSR|S_IXGRP|S_IXOTH) != 0, 'x'))
		}
	}
	return b.String()
}

// permChar is c where a permission bit is set, '-' where it is clear.
func permChar(set bool, c byte) byte {
	if set {
		return c
	}
	return '-'
}

// major is the high part of a device number as the seed package splits it
// (bits 24 to 31: the macOS encoding, which it applies on Linux too, so
// Linux devices above minor 255 show other figures than ls does).
func (x DevT) major() DevT { return x >> 24 & 0xff }

// minor is the low 24 bits of a device number, as the seed package splits it.
func (x DevT) minor() DevT { return x & 0xffffff }

// fileType names the type in mode's type bits as DisplayStatInfo shows it.
func fileType(m ModeT) string {
	switch {
	case m.S_ISREG():
		return "regular file"
	case m.S_ISDIR():
		return "directory"
	case m.S_ISCHR():
		return "character device"
	case m.S_ISBLK():
		return "block device"
	case m.S_ISLNK():
		return "symbolic (soft) link"
	case m.S_ISFIFO():
		return "FIFO or pipe"
	case m.S_ISSOCK():
		return "socket"
	}
	return "unknown file type?"
}

// DisplayStatInfo prints sb to standard output as the seed package does,
// one item a line, each label padded to 26 columns: file type, device,
// inode, mode (octal and FilePermStr), the special bits when any is set,
// links, ownership, a device file's st_rdev, size, block size and blocks.
func (sb *Stat_t) DisplayStatInfo() {
	const label = "%-26s"
	fmt.Printf(label+"%s\n", "File type:", fileType(sb.Mode))
	fmt.Printf(label+"major=%d   minor=%d\n", "Device containing i-node:", sb.Dev.major(), sb.Dev.minor())
	fmt.Printf(label+"%d\n", "I-node number:", sb.Ino)
	fmt.Printf(label+"%o (%s)\n", "Mode:", sb.Mode, FilePermStr(sb.Mode, 0))
	if sb.Mode&(S_ISUID|S_ISGID|S_ISVTX) != 0 {
		var set string
		for _, s := range []struct {
			bit  ModeT
			name string
		}{{S_ISUID, "set-UID "}, {S_ISGID, "set-GID "}, {S_ISVTX, "sticky "}} {
			if sb.Mode&s.bit != 0 {
				set += s.name
			}
		}
		fmt.Printf(label+"%s\n", "    special bits set:", set)
	}
	fmt.Printf(label+"%d\n", "Number of (hard) links:", sb.Nlink)
	fmt.Printf(label+"UID=%d   GID=%d\n", "Ownership:", sb.Uid, sb.Gid)
	if sb.Mode.S_ISCHR() || sb.Mode.S_ISBLK() {
		fmt.Printf(label+"major=%d; minor=%d\n", "Device number (st_rdev):", sb.Rdev.major(), sb.Rdev.minor())
	}
	fmt.Printf(label+"%d bytes\n", "File size:", sb.Size)
	fmt.Printf(label+"%d bytes\n", "Optimal I/O block size:", sb.Blksize)
	fmt.Printf(label+"%d\n", "512B blocks allocated:", sb.Blocks)
}
