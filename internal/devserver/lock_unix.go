//go:build unix

package devserver

import (
	"fmt"
	"os"
	"syscall"
)

// lockDir takes an exclusive lock on path (created when missing), so that
// two processes never open the same database. The lock goes with the
// process, even when it is killed.
func lockDir(path string) (func(), error) {
	f, err := os.OpenFile(path, os.O_RDWR|os.O_CREATE, 0o640)
	if err != nil {
		return nil, err
	}
	if err := syscall.Flock(int(f.Fd()), syscall.LOCK_EX|syscall.LOCK_NB); err != nil {
		f.Close()
		return nil, fmt.Errorf("%s is locked: another motcua dev uses this data folder", path)
	}
	return func() {
		_ = syscall.Flock(int(f.Fd()), syscall.LOCK_UN)
		_ = f.Close()
	}, nil
}
