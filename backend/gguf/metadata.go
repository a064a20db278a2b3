package gguf

import "fmt"

// KV is one metadata entry. Value holds a Go value of a fixed-size type
// (uint8 … float64, bool), a string, or a slice of one of those (an array).
type KV struct {
	Key   string
	Value any
}

// Metadata is an ordered list of key/values; order is kept as written.
type Metadata []KV

// Get returns the value of key.
func (m Metadata) Get(key string) (any, bool) {
	for _, kv := range m {
		if kv.Key == key {
			return kv.Value, true
		}
	}
	return nil, false
}

// String returns a string value, or an error naming the key when it is
// missing or of another type.
func (m Metadata) String(key string) (string, error) {
	return getAs[string](m, key)
}

// Uint32 returns a uint32 value.
func (m Metadata) Uint32(key string) (uint32, error) { return getAs[uint32](m, key) }

// Float32 returns a float32 value.
func (m Metadata) Float32(key string) (float32, error) { return getAs[float32](m, key) }

// Strings returns an array of strings.
func (m Metadata) Strings(key string) ([]string, error) { return getAs[[]string](m, key) }

func getAs[T any](m Metadata, key string) (T, error) {
	var zero T
	v, ok := m.Get(key)
	if !ok {
		return zero, fmt.Errorf("metadata key %q is missing", key)
	}
	t, ok := v.(T)
	if !ok {
		return zero, fmt.Errorf("metadata key %q holds %T, want %T", key, v, zero)
	}
	return t, nil
}
