package bench

import (
	"bufio"
	"bytes"
	"context"
	"fmt"
	"os"
	"os/exec"
	"runtime"
	"strconv"
	"strings"
)

// Machine describes where a benchmark ran. Fields that cannot be read
// are "unknown" (or 0).
type Machine struct {
	CPU       string  `json:"cpu"`
	Cores     int     `json:"cores"`
	MemoryGiB float64 `json:"memoryGiB"`
	OS        string  `json:"os"`
	Go        string  `json:"go"`
	Restate   string  `json:"restate"`
}

// DescribeMachine reads the machine's description from /proc and asks the
// restate-server binary for its version.
func DescribeMachine(ctx context.Context, restateBinary string) Machine {
	m := Machine{CPU: "unknown", Cores: runtime.NumCPU(), OS: runtime.GOOS + "/" + runtime.GOARCH, Go: runtime.Version(), Restate: "unknown"}
	if data, err := os.ReadFile("/proc/cpuinfo"); err == nil {
		if v, ok := procField(data, "model name"); ok {
			m.CPU = v
		}
	}
	if data, err := os.ReadFile("/proc/meminfo"); err == nil {
		if v, ok := procField(data, "MemTotal"); ok {
			if kb, err := strconv.ParseFloat(strings.TrimSuffix(v, " kB"), 64); err == nil {
				m.MemoryGiB = kb / (1 << 20)
			}
		}
	}
	if data, err := os.ReadFile("/proc/sys/kernel/osrelease"); err == nil {
		m.OS += ", Linux " + strings.TrimSpace(string(data))
	}
	if out, err := exec.CommandContext(ctx, restateBinary, "--version").Output(); err == nil {
		m.Restate = strings.TrimSpace(string(out))
	}
	return m
}

func (m Machine) String() string {
	return fmt.Sprintf("%s, %d cores, %.1f GiB RAM, %s, %s, %s", m.CPU, m.Cores, m.MemoryGiB, m.OS, m.Go, m.Restate)
}

// procField returns the value of the first "name: value" line of a /proc
// file such as cpuinfo or meminfo.
func procField(data []byte, name string) (string, bool) {
	sc := bufio.NewScanner(bytes.NewReader(data))
	for sc.Scan() {
		key, value, ok := strings.Cut(sc.Text(), ":")
		if ok && strings.TrimSpace(key) == name {
			return strings.TrimSpace(value), true
		}
	}
	return "", false
}
