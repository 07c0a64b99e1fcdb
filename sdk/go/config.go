package caxton

// The agent's configuration: the msgpack value given to caxton_init (the
// deployment's config map, or nil). The SDK copies it out of the host's region
// at init, so it stays readable for the life of the instance.

// Config reads the config map by key. Its getters share one Reader.
type Config struct {
	raw []byte
	r   Reader
}

var config Config

// GetConfig is the config (also passed to the init handler).
func GetConfig() *Config { return &config }

func (c *Config) load(b []byte) { c.raw = append(c.raw[:0], b...) }

// Raw is the config's msgpack bytes (nil when the agent has none).
func (c *Config) Raw() []byte { return c.raw }

// IsMap reports whether the config is a map (false when it is nil or absent).
func (c *Config) IsMap() bool { return c.r.Reset(c.raw).PeekType() == Map }

// Reader is positioned on the value of key, or nil when the key is absent.
// It is shared by all getters: use it before the next call.
func (c *Config) Reader(key string) *Reader {
	r := c.r.Reset(c.raw)
	if r.FindKey(key) {
		return r
	}
	return nil
}

// Has reports whether key is present (with any value, nil included).
func (c *Config) Has(key string) bool { return c.Reader(key) != nil }

// TypeOf is the kind of key's value, Invalid when absent.
func (c *Config) TypeOf(key string) Type {
	if r := c.Reader(key); r != nil {
		return r.PeekType()
	}
	return Invalid
}

// String is key's string value, or dflt when absent or not a string.
func (c *Config) String(key, dflt string) string {
	if r := c.Reader(key); r != nil {
		if s, ok := r.ReadString(); ok {
			return s
		}
	}
	return dflt
}

// Int is key's integer value (an integral float accepted), or dflt.
func (c *Config) Int(key string, dflt int64) int64 {
	r := c.Reader(key)
	if r == nil {
		return dflt
	}
	if r.PeekType() == Float {
		if f, _ := r.ReadFloat(); f >= -1<<63 && f < 1<<63 {
			return int64(f)
		}
		return dflt
	}
	if v, ok := r.ReadInt(); ok {
		return v
	}
	return dflt
}

// Float is key's number value (integers accepted), or dflt.
func (c *Config) Float(key string, dflt float64) float64 {
	if r := c.Reader(key); r != nil {
		if v, ok := r.ReadFloat(); ok {
			return v
		}
	}
	return dflt
}

// Bool is key's bool value, or dflt.
func (c *Config) Bool(key string, dflt bool) bool {
	if r := c.Reader(key); r != nil {
		if v, ok := r.ReadBool(); ok {
			return v
		}
	}
	return dflt
}

// Strings is key's array of strings (other elements become ""); nil when absent.
func (c *Config) Strings(key string) []string {
	r := c.Reader(key)
	if r == nil {
		return nil
	}
	n, ok := r.ReadArrayHeader()
	if !ok {
		return nil
	}
	out := make([]string, n)
	for i := range out {
		if s, ok := r.ReadString(); ok {
			out[i] = s
		} else if !r.Skip() {
			break
		}
	}
	return out
}
