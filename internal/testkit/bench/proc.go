package bench

import (
	"bytes"
	"fmt"
	"os"
	"strconv"
	"strings"
	"time"
)

// ProcStats is what Linux's /proc tells about a process.
type ProcStats struct {
	// RSS is the resident set size now (VmRSS) and HWM its peak so far
	// (VmHWM), in bytes.
	RSS, HWM int64
	// CPU is the user plus system time the process has used, all threads.
	CPU time.Duration
}

// clockTicks is USER_HZ, the unit of the CPU times in /proc/<pid>/stat.
// The kernel fixes it at 100 on every architecture Go runs Linux on, and
// reading it otherwise (sysconf) would need cgo.
const clockTicks = 100

// ReadProc reads the memory and CPU use of process pid from /proc. It
// fails on systems without /proc.
func ReadProc(pid int) (ProcStats, error) {
	dir := "/proc/" + strconv.Itoa(pid)
	status, err := os.ReadFile(dir + "/status")
	if err != nil {
		return ProcStats{}, err
	}
	stat, err := os.ReadFile(dir + "/stat")
	if err != nil {
		return ProcStats{}, err
	}
	var ps ProcStats
	if ps.RSS, ps.HWM, err = parseStatus(status); err != nil {
		return ProcStats{}, fmt.Errorf("%s/status: %w", dir, err)
	}
	if ps.CPU, err = parseStatCPU(stat); err != nil {
		return ProcStats{}, fmt.Errorf("%s/stat: %w", dir, err)
	}
	return ps, nil
}

// parseStatus reads VmRSS and VmHWM ("VmRSS:	  12345 kB") from the text
// of /proc/<pid>/status.
func parseStatus(data []byte) (rss, hwm int64, err error) {
	found := 0
	for line := range bytes.Lines(data) {
		name, value, ok := strings.Cut(string(line), ":")
		if !ok || (name != "VmRSS" && name != "VmHWM") {
			continue
		}
		kb, err := strconv.ParseInt(strings.TrimSuffix(strings.TrimSpace(value), " kB"), 10, 64)
		if err != nil {
			return 0, 0, fmt.Errorf("%s: %w", name, err)
		}
		if name == "VmRSS" {
			rss = kb << 10
		} else {
			hwm = kb << 10
		}
		found++
	}
	if found != 2 {
		return 0, 0, fmt.Errorf("no VmRSS and VmHWM lines")
	}
	return rss, hwm, nil
}

// parseStatCPU reads utime and stime, fields 14 and 15, from the text of
// /proc/<pid>/stat. The second field, the command name in parentheses,
// may hold spaces and parentheses itself, so fields are counted from the
// last ')'.
func parseStatCPU(data []byte) (time.Duration, error) {
	end := bytes.LastIndexByte(data, ')')
	if end < 0 {
		return 0, fmt.Errorf("no command name")
	}
	// After the name come field 3 (state) onwards.
	fields := strings.Fields(string(data[end+1:]))
	const utime, stime = 14 - 3, 15 - 3
	if len(fields) <= stime {
		return 0, fmt.Errorf("only %d fields", len(fields)+2)
	}
	var ticks int64
	for _, f := range []string{fields[utime], fields[stime]} {
		n, err := strconv.ParseInt(f, 10, 64)
		if err != nil {
			return 0, err
		}
		ticks += n
	}
	return time.Duration(ticks) * time.Second / clockTicks, nil
}
