// Package sample holds types that exercise every rule of the contract
// generator; its tests compare what encoding/json writes with what the
// generated TypeScript says.
package sample

import (
	"time"

	"github.com/whetstone-ai/whetstone/backend/contract/internal/sample/other"
)

// Color is a named string with known values.
type Color string

// The colors.
const (
	// Red is the first.
	Red   Color = "red"
	Blue  Color = "blue"
	green       = Color("green")
	// Crimson repeats Red's value.
	Crimson = Red
)

// Colors lists the colors, for the contract's values.
var Colors = []Color{Red, Blue, green}

// Base is embedded by value.
type Base struct {
	// ID identifies the thing.
	ID     string `json:"id"`
	Shadow int    `json:"shadow"`
}

// Extra is embedded through a pointer: its fields are absent when it is nil.
type Extra struct {
	Note string `json:"note"`
}

// Thing exercises the field rules.
type Thing struct {
	Base
	*Extra
	// Shadow wins over Base's by depth.
	Shadow   string         `json:"shadow"`
	Color    Color          `json:"color"`
	Opt      string         `json:"opt,omitempty"`
	Ptr      *int           `json:"ptr"`
	OptPtr   *int           `json:"opt_ptr,omitempty"`
	Bytes    []byte         `json:"bytes"`
	Pair     [2]float64     `json:"pair"`
	List     []*Base        `json:"list"`
	Map      map[string]int `json:"map"`
	ColorMap map[Color]bool `json:"color_map,omitempty"`
	When     time.Time      `json:"when"`
	Later    *time.Time     `json:"later,omitempty"`
	Any      any            `json:"any"`
	Count    int64          `json:"count,string"`
	Struct   Base           `json:"struct,omitempty"` // never omitted: a struct is not empty
	Zero     Base           `json:"zero,omitzero"`
	Skip     string         `json:"-"`
	Dash     string         `json:"-,"`
	NoTag    bool
	Inline   struct{ A int } `json:"inline"`
	Other    other.Thing     `json:"other"`
	Record   other.Record    `json:"record"`
	hidden   string
}

// Service is a sample bound service.
type Service struct{}

// Get returns the thing named id, changed by in.
func (s *Service) Get(id string, in Thing) (Thing, error) { return Thing{hidden: id}, nil }

// Ping fails or not.
func (s *Service) Ping() error { return nil }

// Colors returns the colors.
func (s *Service) Colors(_ int, new bool) (*[]Color, error) { return &Colors, nil }
