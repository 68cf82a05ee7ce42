package restateserver

import (
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
)

// Version is the restate-server release the project pins; the Makefile
// installs exactly this version.
const Version = "1.7.12"

// EnvBinary names the environment variable holding the path of the
// restate-server binary. `make test` exports it.
const EnvBinary = "REAFLOW_RESTATE_SERVER"

// Binary locates the restate-server binary: the path in $REAFLOW_RESTATE_SERVER,
// else the copy `make restate-server` installs under .tools/ in the working
// directory or one of its parents, else restate-server on $PATH (whose
// version is not checked).
func Binary() (string, error) {
	if path := os.Getenv(EnvBinary); path != "" {
		if _, err := os.Stat(path); err != nil {
			return "", fmt.Errorf("restate-server from $%s: %w", EnvBinary, err)
		}
		return path, nil
	}
	if path, ok := findInstalled(); ok {
		return path, nil
	}
	if path, err := exec.LookPath("restate-server"); err == nil {
		return path, nil
	}
	return "", errors.New("restate-server " + Version + " not found: run `make restate-server` at the repository root, or set $" + EnvBinary)
}

// findInstalled walks up from the working directory looking for the
// Makefile's install location of the platform binary. The npm wrapper script
// in node_modules/.bin is avoided on purpose: it is a node process that
// forwards signals, so SIGKILL would orphan the real server.
func findInstalled() (string, bool) {
	rel, ok := installedPath()
	if !ok {
		return "", false
	}
	dir, err := os.Getwd()
	if err != nil {
		return "", false
	}
	for {
		path := filepath.Join(dir, rel)
		if info, err := os.Stat(path); err == nil && !info.IsDir() {
			return path, true
		}
		parent := filepath.Dir(dir)
		if parent == dir {
			return "", false
		}
		dir = parent
	}
}

// installedPath is the binary's path relative to the repository root, as
// laid out by `npm install @restatedev/restate-server`.
func installedPath() (string, bool) {
	arch := map[string]string{"amd64": "x64", "arm64": "arm64"}[runtime.GOARCH]
	if arch == "" || (runtime.GOOS != "linux" && runtime.GOOS != "darwin") {
		return "", false
	}
	pkg := "restate-server-" + runtime.GOOS + "-" + arch
	return filepath.Join(".tools", "restate-"+Version, "node_modules", "@restatedev", pkg, "bin", "restate-server"), true
}
