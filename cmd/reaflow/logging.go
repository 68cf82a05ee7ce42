package main

import (
	"flag"
	"log/slog"
	"strings"
)

// logFlags are --log-format and --log-level, for the commands that run
// servers (serve, dev, demo) and log what they do.
type logFlags struct {
	format string
	level  slog.Level
}

func (m *Main) addLogFlags(fs *flag.FlagSet, level slog.Level) *logFlags {
	f := &logFlags{format: m.env("REAFLOW_LOG_FORMAT", "text"), level: level}
	fs.StringVar(&f.format, "log-format", f.format, "text or json: how logs are written to stderr (env REAFLOW_LOG_FORMAT)")
	fs.TextVar(&f.level, "log-level", level, "debug, info, warn or error")
	return f
}

// logger returns the logger the flags ask for, writing to the command's
// stderr.
func (f *logFlags) logger(m *Main) (*slog.Logger, error) {
	opts := &slog.HandlerOptions{Level: f.level}
	switch strings.ToLower(f.format) {
	case "text":
		return slog.New(slog.NewTextHandler(m.Stderr, opts)), nil
	case "json":
		return slog.New(slog.NewJSONHandler(m.Stderr, opts)), nil
	}
	return nil, usagef("--log-format must be text or json, not %q", f.format)
}
