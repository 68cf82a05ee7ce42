package chaos

import (
	"context"
	"fmt"
	"os/exec"
	"path/filepath"
)

// BuildReaflow builds the reaflow command into dir and returns the
// binary's path: the soak runs the real `reaflow serve`, as users do.
func BuildReaflow(ctx context.Context, dir string) (string, error) {
	bin := filepath.Join(dir, "reaflow")
	out, err := exec.CommandContext(ctx, "go", "build", "-o", bin, "github.com/reaflow/reaflow/cmd/reaflow").CombinedOutput()
	if err != nil {
		return "", fmt.Errorf("build reaflow: %v\n%s", err, out)
	}
	return bin, nil
}
