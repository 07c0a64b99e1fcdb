package caxton

// Logging through caxton.log: one call per line, at most 8 KiB (longer lines
// are cut by the host), at most 1,000 lines a second per agent. Writing to
// os.Stdout/os.Stderr (fmt.Println, a panic's trace) reaches the same log
// through WASI, one line per text line; these helpers add a level and avoid
// fmt, which adds about 740 KiB to a module.

import (
	"strconv"
	"unsafe"
)

// Level is a log level of caxton.log.
type Level int32

const (
	LevelTrace Level = 10
	LevelDebug Level = 20
	LevelInfo  Level = 30
	LevelWarn  Level = 40
	LevelError Level = 50
)

// Log writes one line at level (no allocation).
func Log(level Level, text string) {
	hostLog(int32(level), unsafe.Pointer(unsafe.StringData(text)), int32(len(text)))
}

// LogBytes writes UTF-8 bytes as one line.
func LogBytes(level Level, text []byte) {
	hostLog(int32(level), unsafe.Pointer(unsafe.SliceData(text)), int32(len(text)))
}

func LogTrace(text string) { Log(LevelTrace, text) }
func LogDebug(text string) { Log(LevelDebug, text) }
func LogInfo(text string)  { Log(LevelInfo, text) }
func LogWarn(text string)  { Log(LevelWarn, text) }
func LogError(text string) { Log(LevelError, text) }

// Write makes a Level an io.Writer, one line per call (a trailing newline is
// dropped): fmt.Fprintf(caxton.LevelWarn, "queue at %d", n).
func (l Level) Write(p []byte) (int, error) {
	n := len(p)
	if n > 0 && p[n-1] == '\n' {
		p = p[:n-1]
	}
	LogBytes(l, p)
	return n, nil
}

// LogLine builds a line from pieces in a reused buffer, without allocating:
// caxton.Line().Str("conversation ").Hex(id).Info().
type LogLine struct {
	buf []byte
}

var line LogLine

// Line is the shared LogLine, emptied.
func Line() *LogLine {
	line.buf = line.buf[:0]
	return &line
}

func (l *LogLine) Str(s string) *LogLine   { l.buf = append(l.buf, s...); return l }
func (l *LogLine) Bytes(b []byte) *LogLine { l.buf = append(l.buf, b...); return l }
func (l *LogLine) Int(v int64) *LogLine    { l.buf = appendInt(l.buf, v); return l }
func (l *LogLine) Uint(v uint64) *LogLine  { l.buf = strconv.AppendUint(l.buf, v, 10); return l }
func (l *LogLine) Float(v float64) *LogLine {
	l.buf = strconv.AppendFloat(l.buf, v, 'g', -1, 64)
	return l
}
func (l *LogLine) Bool(v bool) *LogLine { l.buf = strconv.AppendBool(l.buf, v); return l }

// Hex appends v as 16 hexadecimal digits, as the host prints message and
// conversation ids ("0000000000abc123").
func (l *LogLine) Hex(v uint64) *LogLine { l.buf = AppendID(l.buf, v); return l }

// Emit writes the line at level; the level methods are shorthands.
func (l *LogLine) Emit(level Level) { LogBytes(level, l.buf) }
func (l *LogLine) Trace()           { l.Emit(LevelTrace) }
func (l *LogLine) Debug()           { l.Emit(LevelDebug) }
func (l *LogLine) Info()            { l.Emit(LevelInfo) }
func (l *LogLine) Warn()            { l.Emit(LevelWarn) }
func (l *LogLine) Error()           { l.Emit(LevelError) }

// AppendID appends id as 16 lowercase hexadecimal digits.
func AppendID(b []byte, id uint64) []byte {
	const digits = "0123456789abcdef"
	for shift := 60; shift >= 0; shift -= 4 {
		b = append(b, digits[(id>>shift)&0xf])
	}
	return b
}

func appendInt(b []byte, v int64) []byte { return strconv.AppendInt(b, v, 10) }
