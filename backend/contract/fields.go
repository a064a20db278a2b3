package contract

import (
	"reflect"
	"slices"
	"sort"
	"strings"
	"unicode"
)

// jsonField is one member of a struct's JSON object.
type jsonField struct {
	name      string
	typ       reflect.Type
	index     []int
	tagged    bool
	omitEmpty bool
	omitZero  bool
	quoted    bool // the ",string" option on a scalar
	// viaPointer: reached through an embedded pointer, absent when it is nil.
	viaPointer bool
	// owner and goName locate the Go field, for its doc comment.
	owner  reflect.Type
	goName string
}

// jsonFields lists the members encoding/json writes for struct t, in its
// order: embedded structs' fields promoted, the shallowest (or the tagged
// one at equal depth) winning a name, ambiguous names dropped.
func jsonFields(t reflect.Type) []jsonField {
	type queued struct {
		typ        reflect.Type
		index      []int
		viaPointer bool
	}
	var all []jsonField
	next := []queued{{typ: t}}
	visited := map[reflect.Type]bool{}
	count, nextCount := map[reflect.Type]int{}, map[reflect.Type]int{}
	for len(next) > 0 {
		current := next
		next = nil
		count, nextCount = nextCount, map[reflect.Type]int{}
		for _, q := range current {
			if visited[q.typ] {
				continue
			}
			visited[q.typ] = true
			for i := 0; i < q.typ.NumField(); i++ {
				sf := q.typ.Field(i)
				if sf.Anonymous {
					et := sf.Type
					if et.Kind() == reflect.Pointer {
						et = et.Elem()
					}
					if !sf.IsExported() && et.Kind() != reflect.Struct {
						continue
					}
				} else if !sf.IsExported() {
					continue
				}
				tag := sf.Tag.Get("json")
				if tag == "-" {
					continue
				}
				name, opts, _ := strings.Cut(tag, ",")
				if !validTag(name) {
					name = ""
				}
				index := append(slices.Clone(q.index), i)
				ft := sf.Type
				if ft.Name() == "" && ft.Kind() == reflect.Pointer {
					ft = ft.Elem()
				}
				if name != "" || !sf.Anonymous || ft.Kind() != reflect.Struct {
					f := jsonField{name: name, tagged: name != "", typ: sf.Type, index: index,
						omitEmpty: hasOpt(opts, "omitempty"), omitZero: hasOpt(opts, "omitzero"),
						viaPointer: q.viaPointer, owner: q.typ, goName: sf.Name}
					if f.name == "" {
						f.name = sf.Name
					}
					if hasOpt(opts, "string") {
						switch ft.Kind() {
						case reflect.Bool, reflect.Int, reflect.Int8, reflect.Int16, reflect.Int32, reflect.Int64,
							reflect.Uint, reflect.Uint8, reflect.Uint16, reflect.Uint32, reflect.Uint64, reflect.Uintptr,
							reflect.Float32, reflect.Float64, reflect.String:
							f.quoted = true
						}
					}
					all = append(all, f)
					if count[q.typ] > 1 {
						// Two embeddings of the same type at this depth:
						// their fields annihilate each other below.
						all = append(all, f)
					}
					continue
				}
				nextCount[ft]++
				if nextCount[ft] == 1 {
					next = append(next, queued{typ: ft, index: index, viaPointer: q.viaPointer || sf.Type.Kind() == reflect.Pointer})
				}
			}
		}
	}
	sort.SliceStable(all, func(i, j int) bool {
		a, b := all[i], all[j]
		if a.name != b.name {
			return a.name < b.name
		}
		if len(a.index) != len(b.index) {
			return len(a.index) < len(b.index)
		}
		if a.tagged != b.tagged {
			return a.tagged
		}
		return slices.Compare(a.index, b.index) < 0
	})
	var out []jsonField
	for i := 0; i < len(all); {
		j := i + 1
		for j < len(all) && all[j].name == all[i].name {
			j++
		}
		if f, ok := dominant(all[i:j]); ok {
			out = append(out, f)
		}
		i = j
	}
	sort.Slice(out, func(i, j int) bool { return slices.Compare(out[i].index, out[j].index) < 0 })
	return out
}

// dominant picks the field encoding/json keeps among those of one name,
// sorted shallowest and tagged first.
func dominant(fs []jsonField) (jsonField, bool) {
	if len(fs) > 1 && len(fs[0].index) == len(fs[1].index) && fs[0].tagged == fs[1].tagged {
		return jsonField{}, false
	}
	return fs[0], true
}

func hasOpt(opts, want string) bool {
	for opts != "" {
		var o string
		o, opts, _ = strings.Cut(opts, ",")
		if o == want {
			return true
		}
	}
	return false
}

// validTag mirrors encoding/json's check of a tag's name.
func validTag(s string) bool {
	if s == "" {
		return false
	}
	for _, c := range s {
		switch {
		case strings.ContainsRune("!#$%&()*+-./:;<=>?@[]^_{|}~ ", c):
		case !unicode.IsLetter(c) && !unicode.IsDigit(c):
			return false
		}
	}
	return true
}
