//go:build !unix

package devserver

// lockDir does nothing where flock is not available; the frontend port
// still keeps two servers with the same port apart.
func lockDir(string) (func(), error) { return func() {}, nil }
