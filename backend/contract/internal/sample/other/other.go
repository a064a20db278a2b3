// Package other shares a type name with package sample, and has a type
// named like one of TypeScript's.
package other

// Thing is other's thing.
type Thing struct {
	X int `json:"x"`
}

// Record is a record.
type Record struct {
	Y int `json:"y"`
}
