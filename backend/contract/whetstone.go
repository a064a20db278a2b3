package contract

import (
	"reflect"
	"strings"

	"github.com/whetstone-ai/whetstone/backend/batch"
	"github.com/whetstone-ai/whetstone/backend/dataset"
	"github.com/whetstone-ai/whetstone/backend/export"
	"github.com/whetstone-ai/whetstone/backend/runconfig"
	"github.com/whetstone-ai/whetstone/backend/runs"
	"github.com/whetstone-ai/whetstone/backend/service"
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
			{Name: "ComputeBackends", Pkg: workspacePkg, Ident: "Backends", Value: workspace.Backends},
			{Name: "Themes", Pkg: workspacePkg, Ident: "Themes", Value: workspace.Themes},
			{Name: "ResumableStates", Pkg: reflect.TypeFor[runs.State]().PkgPath(), Ident: "ResumableStates", Value: runs.ResumableStates},
			{Name: "ActiveStates", Pkg: reflect.TypeFor[runs.State]().PkgPath(), Ident: "ActiveStates", Value: runs.ActiveStates},
			{Name: "ChatSamplingLimits", Pkg: reflect.TypeFor[service.ChatRequest]().PkgPath(), Ident: "SamplingLimits", Form: Typed, Value: service.SamplingLimits},
			{Name: "ConfigPath", Pkg: configPkg, Ident: "Schema", Form: Union, Value: paths},
			{Name: "ConfigSchema", Pkg: configPkg, Ident: "Schema", Form: Typed, Key: "ConfigPath", Value: configSchema},
			{Name: "ConfigDefaults", Pkg: configPkg, Ident: "Default", Form: Typed, Value: runconfig.Default()},
		},
	}
}

// configSchema is runconfig.Schema keyed by path, each field's help its
// doc comment.
func configSchema(d Docs) any {
	type goField struct {
		owner reflect.Type
		name  string
	}
	byPath := map[string]goField{}
	var walk func(t reflect.Type, prefix string)
	walk = func(t reflect.Type, prefix string) {
		for i := 0; i < t.NumField(); i++ {
			sf := t.Field(i)
			name, _, _ := strings.Cut(sf.Tag.Get("json"), ",")
			path := strings.TrimPrefix(prefix+"."+name, ".")
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
		f.Help = unwrap(d.FieldDoc(gf.owner, gf.name))
		out[f.Path] = f
	}
	return out
}

// unwrap joins a doc comment's lines into paragraphs, as a form shows help.
func unwrap(doc string) string {
	paras := strings.Split(doc, "\n\n")
	for i, p := range paras {
		paras[i] = strings.Join(strings.Fields(p), " ")
	}
	return strings.Join(paras, "\n\n")
}
