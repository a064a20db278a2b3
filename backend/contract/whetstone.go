package contract

import (
	"reflect"
	"regexp"
	"strings"

	"github.com/whetstone-ai/whetstone/backend/batch"
	"github.com/whetstone-ai/whetstone/backend/chat"
	"github.com/whetstone-ai/whetstone/backend/dataset"
	"github.com/whetstone-ai/whetstone/backend/export"
	"github.com/whetstone-ai/whetstone/backend/runconfig"
	"github.com/whetstone-ai/whetstone/backend/runs"
	"github.com/whetstone-ai/whetstone/backend/service"
	"github.com/whetstone-ai/whetstone/backend/train"
	"github.com/whetstone-ai/whetstone/backend/workspace"
)

// Whetstone is this repository's contract: the bound services and their
// events, and the enumerations and run config schema of the packages that
// own them. root is the folder of the repository's go.mod.
func Whetstone(root string) Spec {
	batchPkg := reflect.TypeFor[batch.Mode]().PkgPath()
	datasetPkg := reflect.TypeFor[dataset.Format]().PkgPath()
	exportPkg := reflect.TypeFor[export.Format]().PkgPath()
	configPkg := reflect.TypeFor[runconfig.Config]().PkgPath()
	workspacePkg := reflect.TypeFor[workspace.Settings]().PkgPath()
	trainPkg := reflect.TypeFor[train.MetricInfo]().PkgPath()
	chatPkg := reflect.TypeFor[chat.Weights]().PkgPath()

	quants := map[export.Format][]string{}
	for _, f := range export.Formats {
		quants[f] = export.Quants(f)
		if quants[f] == nil {
			quants[f] = []string{}
		}
	}
	titles := map[string]string{}
	for fam, p := range runconfig.Presets() {
		titles[fam] = p.Title
	}
	var paths []string
	for _, f := range runconfig.Schema() {
		paths = append(paths, f.Path)
	}
	return Spec{
		Root:     root,
		Command:  "go run ./tools/contractgen",
		Services: (&service.Services{}).Named(),
		Events:   service.EventPayloads(),
		Values: []Value{
			{Name: "ExportFormats", Pkg: exportPkg, Ident: "Formats", Value: export.Formats},
			{Name: "ExportAdapterFormats", Pkg: exportPkg, Ident: "AdapterFormats", Value: export.AdapterFormats},
			{Name: "ExportQuants", Pkg: exportPkg, Ident: "Quants", Value: quants},
			{Name: "DatasetFormats", Pkg: datasetPkg, Ident: "Formats", Value: dataset.Formats},
			{Name: "TruncationModes", Pkg: datasetPkg, Ident: "Truncations", Value: dataset.Truncations},
			{Name: "DatasetRoles", Pkg: datasetPkg, Ident: "Roles", Value: dataset.Roles},
			{Name: "TrainOnModes", Pkg: batchPkg, Ident: "Modes", Value: batch.Modes},
			{Name: "Families", Pkg: configPkg, Ident: "Families", Value: runconfig.Families()},
			{Name: "PresetTitles", Pkg: configPkg, Ident: "Presets", Value: titles},
			{Name: "Optimizers", Pkg: configPkg, Ident: "Optimizers", Value: runconfig.Optimizers()},
			{Name: "Schedulers", Pkg: configPkg, Ident: "Schedulers", Value: runconfig.Schedulers()},
			{Name: "LoraTargets", Pkg: configPkg, Ident: "LoRATargets", Value: runconfig.LoRATargets()},
			{Name: "ModulesToSave", Pkg: configPkg, Ident: "ModulesToSave", Value: runconfig.ModulesToSave()},
			{Name: "TrainingMethods", Pkg: configPkg, Ident: "Methods", Value: runconfig.Methods()},
			{Name: "TrainingMethod", Pkg: configPkg, Ident: "Methods", Form: Union, Value: runconfig.Methods()},
			{Name: "MethodMetrics", Pkg: trainPkg, Ident: "Metrics", Form: Typed, Key: "TrainingMethod", Value: train.Metrics()},
			{Name: "ComputeBackends", Pkg: workspacePkg, Ident: "Backends", Value: workspace.Backends},
			{Name: "Themes", Pkg: workspacePkg, Ident: "Themes", Value: workspace.Themes},
			{Name: "ResumableStates", Pkg: reflect.TypeFor[runs.State]().PkgPath(), Ident: "ResumableStates", Value: runs.ResumableStates},
			{Name: "ActiveStates", Pkg: reflect.TypeFor[runs.State]().PkgPath(), Ident: "ActiveStates", Value: runs.ActiveStates},
			{Name: "ChatWeights", Pkg: chatPkg, Ident: "WeightsChoices", Value: chat.WeightsChoices()},
			{Name: "ChatAutoInt8MinParams", Pkg: chatPkg, Ident: "AutoInt8MinParams", Value: chat.AutoInt8MinParams},
			{Name: "ChatSamplingLimits", Pkg: reflect.TypeFor[service.ChatRequest]().PkgPath(), Ident: "SamplingLimits", Form: Typed, Value: service.SamplingLimits},
			{Name: "ConfigPath", Pkg: configPkg, Ident: "Schema", Form: Union, Value: paths},
			{Name: "ConfigSchema", Pkg: configPkg, Ident: "Schema", Form: Typed, Key: "ConfigPath", Value: configSchema},
			{Name: "ConfigDefaults", Pkg: configPkg, Ident: "Default", Form: Typed, Value: runconfig.Default()},
		},
	}
}

// configSchema is runconfig.Schema keyed by path, each field's help its
// doc comment in the config's own words (see helpText).
func configSchema(d Docs) any {
	type goField struct {
		owner reflect.Type
		name  string
	}
	byPath := map[string]goField{}
	keys := map[string]string{} // Go field name -> its JSON key; "" when two differ
	var walk func(t reflect.Type, prefix string)
	walk = func(t reflect.Type, prefix string) {
		for i := 0; i < t.NumField(); i++ {
			sf := t.Field(i)
			name, _, _ := strings.Cut(sf.Tag.Get("json"), ",")
			path := strings.TrimPrefix(prefix+"."+name, ".")
			if k, seen := keys[sf.Name]; seen && k != name {
				keys[sf.Name] = ""
			} else {
				keys[sf.Name] = name
			}
			if sf.Type.Kind() == reflect.Struct {
				walk(sf.Type, path)
				continue
			}
			byPath[path] = goField{t, sf.Name}
		}
	}
	walk(reflect.TypeFor[runconfig.Config](), "")
	out := map[string]runconfig.Field{}
	for _, f := range runconfig.Schema() {
		gf := byPath[f.Path]
		f.Help = helpText(unwrap(d.FieldDoc(gf.owner, gf.name)), gf.name, keys)
		out[f.Path] = f
	}
	return out
}

// goIdent matches a Go identifier of two or more capitalised words
// (BatchSize), which plain English does not write, so replacing it leaves
// the prose alone. Names with acronyms (LoRA, MaxRowMB) are left as they
// are: their keys would lose the capitals users know them by.
var goIdent = regexp.MustCompile(`\b[A-Z][a-z0-9]+(?:[A-Z][a-z0-9]+)+\b`)

// helpText makes a config field's doc comment read as help in a form,
// where users see the config's keys and labels, not Go's names: the field's
// own name opening the text becomes words ("BatchSize is ..." -> "Batch
// size is ..."), and other fields' names become their keys (GradAccum ->
// grad_accum). keys maps Go field names to JSON keys ("" where ambiguous).
func helpText(doc, self string, keys map[string]string) string {
	rest, ok := strings.CutPrefix(doc, self)
	if ok && goIdent.FindString(self) == self && (rest == "" || rest[0] == ' ' || rest[0] == '\'') {
		words := strings.ReplaceAll(keys[self], "_", " ")
		if words != "" {
			doc = strings.ToUpper(words[:1]) + words[1:] + rest
		}
	}
	return goIdent.ReplaceAllStringFunc(doc, func(name string) string {
		if k := keys[name]; k != "" {
			return k
		}
		return name
	})
}

// unwrap joins a doc comment's lines into paragraphs, as a form shows help.
func unwrap(doc string) string {
	paras := strings.Split(doc, "\n\n")
	for i, p := range paras {
		paras[i] = strings.Join(strings.Fields(p), " ")
	}
	return strings.Join(paras, "\n\n")
}
