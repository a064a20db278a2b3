package runconfig

import (
	"fmt"
	"math"
	"reflect"
	"slices"
	"strconv"
	"strings"
	"sync"

	"github.com/whetstone-ai/whetstone/backend/adapter"
	"github.com/whetstone-ai/whetstone/backend/dataset"
)

// Optimizers are the values training.optimizer accepts: AdamW only for now,
// named so configs stay explicit when others arrive.
func Optimizers() []string { return []string{"adamw"} }

// Quantizations are the ways model.quantization may store the frozen base
// projections: as loaded, NF4 (QLoRA's 4-bit) or 8-bit blockwise. The
// model package (model.Options.Quantization) accepts exactly these.
func Quantizations() []string { return []string{"none", "nf4", "int8"} }

// Storages are the dtypes model.storage may keep the frozen base weights
// in, the default first.
func Storages() []string { return []string{StorageFloat32, StorageBFloat16} }

// The dtypes model.storage takes.
const (
	StorageFloat32  = "float32"
	StorageBFloat16 = "bfloat16"
)

// Methods are the training objectives training.method accepts, the
// default first: supervised fine-tuning, DPO, ORPO and continued
// pretraining.
func Methods() []string { return []string{MethodSFT, MethodDPO, MethodORPO, MethodCPT} }

// The training methods (training.method).
const (
	MethodSFT  = "sft"
	MethodDPO  = "dpo"
	MethodORPO = "orpo"
	MethodCPT  = "cpt"
)

// PreferenceMethod reports whether method trains on chosen/rejected pairs
// (DPO, ORPO).
func PreferenceMethod(method string) bool { return method == MethodDPO || method == MethodORPO }

// ModulesToSave are the base modules lora.modules_to_save may name: the
// adapter format's (adapter.SavableModules).
func ModulesToSave() []string { return adapter.SavableModules() }

// Schedulers are the learning-rate schedules training.scheduler accepts;
// each starts with training.warmup_steps of linear warmup from zero.
func Schedulers() []string { return []string{"linear", "cosine", "constant"} }

// LoRATargets are the projections lora.targets may name: every attention and
// MLP projection of a decoder layer, as Unsloth's notebooks adapt them.
func LoRATargets() []string {
	return []string{"q_proj", "k_proj", "v_proj", "o_proj", "gate_proj", "up_proj", "down_proj"}
}

// Kind is how a config value is typed: what a form shows for it and how
// Validate checks it.
type Kind string

// The kinds of config values.
const (
	KindInt    Kind = "int"
	KindFloat  Kind = "float"
	KindBool   Kind = "bool"
	KindString Kind = "string"
	// KindEnum is a string out of Field.Enum (or empty where Field.Empty).
	KindEnum Kind = "enum"
	// KindList is a list of strings, each out of Field.Enum when it is set.
	KindList Kind = "list"
	// KindMap is a string-to-string map.
	KindMap Kind = "map"
)

// Field describes one config value, addressed by its dotted path: the one
// description the New run form reads and Validate checks against.
type Field struct {
	// Path is the dotted YAML and JSON path, e.g. "training.learning_rate".
	Path string `json:"path"`
	Kind Kind   `json:"kind"`
	// Enum lists the values an enum takes, or the values a list's items take.
	Enum []string `json:"enum,omitempty"`
	// Empty allows an enum to be left empty, which means "detect".
	Empty bool `json:"empty,omitempty"`
	// Required refuses an empty (or blank) string.
	Required bool `json:"required,omitempty"`
	// Min and Max bound a number; nil leaves that side open.
	Min *float64 `json:"min,omitempty"`
	Max *float64 `json:"max,omitempty"`
	// MinExclusive and MaxExclusive refuse the bound itself.
	MinExclusive bool `json:"min_exclusive,omitempty"`
	MaxExclusive bool `json:"max_exclusive,omitempty"`
	// Step is the increment a form suggests for a float (0: none).
	Step float64 `json:"step,omitempty"`
	// Default is the value Default() holds.
	Default any `json:"default"`
	// Methods are the training methods (training.method) the field
	// matters to; empty means every method. A form shows the field only
	// for those.
	Methods []string `json:"methods,omitempty"`
	// Help is the field's doc comment. Go reads no comments at run time:
	// the contract generator (backend/contract) fills it in from the source.
	Help string `json:"help,omitempty"`
}

// rule is what Validate and the forms know of a path beyond its Go type.
type rule struct {
	enum     func() []string
	empty    bool
	required string // the hint after "is required: "
	min, max *float64
	minEx    bool
	maxEx    bool
	step     float64
	// accept replaces membership in enum (aliases such as "chatml").
	accept func(string) bool
	// methods are the training methods the path matters to (nil: all).
	methods []string
}

// Which fields matter to which training methods.
var (
	onlyDPO  = []string{MethodDPO}
	onlyORPO = []string{MethodORPO}
	// chatMethods read conversations and mask their prompts; continued
	// pretraining trains every token, and preference pairs are never
	// packed.
	chatMethods = []string{MethodSFT}
	// cutMethods cut or drop an example over max_seq_len; continued
	// pretraining splits it into pieces instead.
	cutMethods = []string{MethodSFT, MethodDPO, MethodORPO}
	// moduleMethods may train whole modules (Validate refuses them for
	// the preference methods).
	moduleMethods = []string{MethodSFT, MethodCPT}
)

func num(x float64) *float64 { return &x }

// datasetFormats are dataset.Formats' names.
func datasetFormats() []string {
	out := make([]string, len(dataset.Formats))
	for i, f := range dataset.Formats {
		out[i] = string(f)
	}
	return out
}

// truncations are dataset.Truncations' names.
func truncations() []string {
	out := make([]string, len(dataset.Truncations))
	for i, t := range dataset.Truncations {
		out[i] = string(t)
	}
	return out
}

// rules holds every bound and choice of a config path. Paths not listed
// are free (any string, any int, either bool).
var rules = map[string]rule{
	"model.source":       {required: "a local model directory or a hub id such as google/gemma-3-270m-it"},
	"model.quantization": {enum: Quantizations, accept: func(s string) bool { return s == "" || slices.Contains(Quantizations(), s) }},
	"model.storage":      {enum: Storages, accept: func(s string) bool { return s == "" || slices.Contains(Storages(), s) }},

	"lora.r":               {min: num(1), max: num(1024)},
	"lora.alpha":           {min: num(0), minEx: true},
	"lora.dropout":         {min: num(0), max: num(1), maxEx: true, step: 0.01},
	"lora.targets":         {enum: LoRATargets},
	"lora.modules_to_save": {enum: ModulesToSave, methods: moduleMethods},

	"dataset.path": {required: "a local file or directory, or a hub dataset id"},
	"dataset.format": {enum: datasetFormats, empty: true, accept: func(s string) bool {
		_, err := dataset.ParseFormat(s)
		return err == nil
	}},
	"dataset.val_fraction": {min: num(0), max: num(1), maxEx: true, step: 0.01},
	"dataset.max_rows":     {min: num(0)},
	"dataset.max_row_mb":   {min: num(0), max: num(float64(dataset.MaxRowBytesLimit >> 20))},
	"dataset.max_bad_rows": {min: num(0)},
	"dataset.truncation":   {enum: truncations, methods: cutMethods},

	"training.method":                  {enum: Methods, accept: func(s string) bool { return s == "" || slices.Contains(Methods(), s) }},
	"training.dpo_beta":                {min: num(0), minEx: true, max: num(100), step: 0.01, methods: onlyDPO},
	"training.dpo_label_smoothing":     {min: num(0), max: num(0.5), maxEx: true, step: 0.01, methods: onlyDPO},
	"training.orpo_lambda":             {min: num(0), max: num(100), step: 0.01, methods: onlyORPO},
	"training.train_on_responses_only": {methods: chatMethods},
	"training.packing":                 {methods: chatMethods},
	"training.embedding_learning_rate": {min: num(0), max: num(1), step: 1e-6, methods: moduleMethods},
	"training.learning_rate":           {min: num(0), minEx: true, max: num(1), step: 1e-5},
	"training.optimizer":               {enum: Optimizers},
	"training.weight_decay":            {min: num(0), max: num(1), maxEx: true, step: 0.001},
	"training.beta1":                   {min: num(0), max: num(1), maxEx: true, step: 0.001},
	"training.beta2":                   {min: num(0), max: num(1), maxEx: true, step: 0.001},
	"training.epsilon":                 {min: num(0), minEx: true},
	"training.scheduler":               {enum: Schedulers},
	"training.warmup_steps":            {min: num(0)},
	"training.batch_size":              {min: num(1)},
	"training.grad_accum":              {min: num(1)},
	"training.max_steps":               {min: num(0)},
	"training.epochs":                  {min: num(0), step: 0.1},
	"training.max_seq_len":             {min: num(8), max: num(1 << 20)},
	"training.max_grad_norm":           {min: num(0), step: 0.1},
	"training.eval_every":              {min: num(0)},
	"training.eval_batches":            {min: num(0)},

	"checkpoint.every": {min: num(0)},
	"checkpoint.keep":  {min: num(0)},
}

// schemaField is a Field with where its value sits in a Config.
type schemaField struct {
	Field
	index  []int
	accept func(string) bool
}

var (
	schemaOnce sync.Once
	schema     []schemaField
)

// fields walks Config once: every leaf by its JSON path, in declaration
// order, with its rule applied.
func fields() []schemaField {
	schemaOnce.Do(func() {
		def := reflect.ValueOf(Default())
		var walk func(t reflect.Type, prefix string, index []int)
		walk = func(t reflect.Type, prefix string, index []int) {
			for i := 0; i < t.NumField(); i++ {
				sf := t.Field(i)
				name, _, _ := strings.Cut(sf.Tag.Get("json"), ",")
				if name == "" || name == "-" {
					continue
				}
				path := strings.TrimPrefix(prefix+"."+name, ".")
				idx := append(slices.Clone(index), i)
				if sf.Type.Kind() == reflect.Struct {
					walk(sf.Type, path, idx)
					continue
				}
				schema = append(schema, newField(path, sf.Type, idx, def.FieldByIndex(idx)))
			}
		}
		walk(def.Type(), "", nil)
		for path := range rules {
			if !slices.ContainsFunc(schema, func(f schemaField) bool { return f.Path == path }) {
				panic("runconfig: a rule names " + path + ", which Config does not have")
			}
		}
	})
	return schema
}

func newField(path string, t reflect.Type, index []int, def reflect.Value) schemaField {
	r := rules[path]
	f := schemaField{Field: Field{Path: path, Empty: r.empty, Required: r.required != "",
		Min: r.min, Max: r.max, MinExclusive: r.minEx, MaxExclusive: r.maxEx, Step: r.step,
		Default: def.Interface(), Methods: slices.Clone(r.methods)}, index: index, accept: r.accept}
	switch t.Kind() {
	case reflect.Int, reflect.Int64:
		f.Kind = KindInt
	case reflect.Float64:
		f.Kind = KindFloat
	case reflect.Bool:
		f.Kind = KindBool
	case reflect.String:
		f.Kind = KindString
		if r.enum != nil {
			f.Kind = KindEnum
		}
	case reflect.Slice:
		f.Kind = KindList
	case reflect.Map:
		f.Kind = KindMap
	default:
		panic(fmt.Sprintf("runconfig: %s has a %s, which the schema cannot describe", path, t))
	}
	if r.enum != nil {
		f.Enum = r.enum()
	}
	return f
}

// Schema describes every config path in declaration order: its kind,
// choices, bounds and default. Validate checks the same bounds.
func Schema() []Field {
	fs := fields()
	out := make([]Field, len(fs))
	for i, f := range fs {
		out[i] = f.Field
		out[i].Enum = slices.Clone(f.Enum)
		out[i].Methods = slices.Clone(f.Methods)
	}
	return out
}

// check returns the problem with v (the value at f's path), or "".
func (f schemaField) check(v reflect.Value) []string {
	var probs []string
	switch f.Kind {
	case KindString, KindEnum:
		s := v.String()
		if f.Required && strings.TrimSpace(s) == "" {
			return []string{"is required: " + rules[f.Path].required}
		}
		if f.Kind == KindEnum && !(s == "" && f.Empty) && !f.allows(s) {
			probs = append(probs, fmt.Sprintf("unknown value %q; use %s", s, f.choices()))
		}
	case KindList:
		if f.Enum == nil {
			break
		}
		seen := map[string]bool{}
		for i := 0; i < v.Len(); i++ {
			s := v.Index(i).String()
			if !f.allows(s) {
				probs = append(probs, fmt.Sprintf("unknown value %q; use %s", s, f.choices()))
			}
			if seen[s] {
				probs = append(probs, fmt.Sprintf("%q listed twice", s))
			}
			seen[s] = true
		}
	case KindInt:
		if msg := f.bound(float64(v.Int())); msg != "" {
			probs = append(probs, msg+", got "+strconv.FormatInt(v.Int(), 10))
		}
	case KindFloat:
		x := v.Float()
		msg := f.bound(x)
		if math.IsNaN(x) || math.IsInf(x, 0) {
			msg = "must be a finite number"
		}
		if msg != "" {
			probs = append(probs, msg+", got "+strconv.FormatFloat(x, 'g', -1, 64))
		}
	}
	return probs
}

func (f schemaField) allows(s string) bool {
	if f.accept != nil {
		return f.accept(s)
	}
	return slices.Contains(f.Enum, s)
}

// choices lists the accepted values for a message.
func (f schemaField) choices() string {
	out := "one of " + strings.Join(f.Enum, ", ")
	if f.Empty {
		out += " (or leave it empty to detect)"
	}
	return out
}

// bound says how x breaks f's bounds ("must be ..."), or "" when it does not.
func (f schemaField) bound(x float64) string {
	lo, hi := f.Min, f.Max
	below := lo != nil && (x < *lo || f.MinExclusive && x == *lo)
	above := hi != nil && (x > *hi || f.MaxExclusive && x == *hi)
	if !below && !above {
		return ""
	}
	switch {
	case lo != nil && hi != nil && !f.MinExclusive && !f.MaxExclusive:
		return fmt.Sprintf("must be between %s and %s", numText(*lo), numText(*hi))
	case lo != nil && hi != nil:
		open, closeB := "[", "]"
		if f.MinExclusive {
			open = "("
		}
		if f.MaxExclusive {
			closeB = ")"
		}
		return fmt.Sprintf("must be in %s%s, %s%s", open, numText(*lo), numText(*hi), closeB)
	case lo != nil && *lo == 0 && f.MinExclusive:
		return "must be positive"
	case lo != nil && *lo == 0:
		return "must not be negative"
	case lo != nil && f.MinExclusive:
		return "must be greater than " + numText(*lo)
	case lo != nil:
		return "must be at least " + numText(*lo)
	case f.MaxExclusive:
		return "must be less than " + numText(*hi)
	default:
		return "must be at most " + numText(*hi)
	}
}

// numText writes a bound as people read it: 1048576, not 1.048576e+06.
func numText(x float64) string {
	if x == math.Trunc(x) && math.Abs(x) < 1e15 {
		return strconv.FormatInt(int64(x), 10)
	}
	return strconv.FormatFloat(x, 'g', -1, 64)
}
