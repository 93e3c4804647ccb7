package devserver

import (
	"context"
	"fmt"
	"log/slog"

	"go.temporal.io/server/common/log"
	"go.temporal.io/server/common/log/tag"
)

// slogAdapter turns the server's logger interface into slog calls. The
// server's Info messages go to Debug: at Info it reports every service
// start, shard move and membership change.
type slogAdapter struct {
	log  *slog.Logger
	tags []tag.Tag
}

var _ log.Logger = (*slogAdapter)(nil)
var _ log.WithLogger = (*slogAdapter)(nil)

func (l *slogAdapter) emit(level slog.Level, msg string, tags []tag.Tag) {
	ctx := context.Background()
	if !l.log.Enabled(ctx, level) {
		return
	}
	attrs := make([]slog.Attr, 0, len(l.tags)+len(tags))
	for _, t := range append(l.tags[:len(l.tags):len(l.tags)], tags...) {
		attrs = append(attrs, slog.Any(t.Key(), value(t.Value())))
	}
	l.log.LogAttrs(ctx, level, msg, attrs...)
}

func value(v any) any {
	if err, ok := v.(error); ok {
		return err.Error()
	}
	if s, ok := v.(fmt.Stringer); ok {
		return s.String()
	}
	return v
}

func (l *slogAdapter) Debug(msg string, tags ...tag.Tag) { l.emit(slog.LevelDebug-4, msg, tags) }
func (l *slogAdapter) Info(msg string, tags ...tag.Tag)  { l.emit(slog.LevelDebug, msg, tags) }
func (l *slogAdapter) Warn(msg string, tags ...tag.Tag)  { l.emit(slog.LevelWarn, msg, tags) }
func (l *slogAdapter) Error(msg string, tags ...tag.Tag) { l.emit(slog.LevelError, msg, tags) }
func (l *slogAdapter) DPanic(msg string, tags ...tag.Tag) {
	l.emit(slog.LevelError, msg, tags)
}
func (l *slogAdapter) Panic(msg string, tags ...tag.Tag) {
	l.emit(slog.LevelError, msg, tags)
	panic(msg)
}
func (l *slogAdapter) Fatal(msg string, tags ...tag.Tag) {
	l.emit(slog.LevelError+4, msg, tags)
	panic("temporal server: fatal: " + msg)
}

// With returns a logger that adds tags to every message.
func (l *slogAdapter) With(tags ...tag.Tag) log.Logger {
	return &slogAdapter{log: l.log, tags: append(l.tags[:len(l.tags):len(l.tags)], tags...)}
}

// discardHandler drops every record (the SDK client's own logging during
// search attribute registration).
type discardHandler struct{}

func (discardHandler) Enabled(context.Context, slog.Level) bool  { return false }
func (discardHandler) Handle(context.Context, slog.Record) error { return nil }
func (d discardHandler) WithAttrs([]slog.Attr) slog.Handler      { return d }
func (d discardHandler) WithGroup(string) slog.Handler           { return d }
