package main

import (
	"debug/elf"
	"fmt"
	"os"
	"path/filepath"
	"sort"
	"strings"

	"github.com/goreleaser/chglog"
	"github.com/goreleaser/nfpm/v2"
	_ "github.com/goreleaser/nfpm/v2/deb" // registers "deb"
	"github.com/goreleaser/nfpm/v2/files"
	_ "github.com/goreleaser/nfpm/v2/rpm" // registers "rpm"
	"go.yaml.in/yaml/v3"
)

const (
	summary     = "LoRA fine-tuning of open LLMs, from a desktop window or the terminal"
	description = summary + `
Whetstone fine-tunes open LLMs (Gemma 3, Llama 3, Qwen 2.5/3) with LoRA:
pick a model and a chat dataset, preview it through the model's chat
template, train while watching loss and speed live, chat with the result
and export it as a PEFT adapter, merged safetensors or GGUF. One binary,
no Python: the model math runs on GoMLX, in pure Go on the CPU or on XLA
with a PJRT plugin. It has a desktop window, a browser UI (whetstone
serve) and a command line for every screen.
.
Your data stays yours: runs, settings and exports live in
~/.local/share/whetstone, which installing, upgrading and removing this
package never touch.`
	homepage = "https://github.com/whetstone-ai/whetstone"
	// release is the packaging revision of a version: 1 until the same
	// version is packaged again.
	release = "1"
)

// buildPackage builds one package format from the staged tree into o.out
// and returns its path.
func buildPackage(o options, format string) (string, error) {
	packager, err := nfpm.Get(format)
	if err != nil {
		return "", err
	}
	info, err := packageInfo(o, format)
	if err != nil {
		return "", err
	}
	info = nfpm.WithDefaults(info)
	if err := nfpm.Validate(info); err != nil {
		return "", err
	}
	if err := os.MkdirAll(o.out, 0o755); err != nil {
		return "", err
	}
	name := packager.ConventionalFileName(info)
	if format == "deb" {
		// whetstone_0.1.0_amd64.deb: the name people type, with the
		// version they know; the package version inside is 0.1.0-1.
		name = fmt.Sprintf("whetstone_%s_amd64.deb", o.version)
	}
	path := filepath.Join(o.out, name)
	f, err := os.Create(path)
	if err != nil {
		return "", err
	}
	if err := packager.Package(info, f); err != nil {
		f.Close()
		os.Remove(path)
		return "", err
	}
	return path, f.Close()
}

func packageInfo(o options, format string) (*nfpm.Info, error) {
	contents, err := stagedContents(o)
	if err != nil {
		return nil, err
	}
	info := &nfpm.Info{
		Name:        "whetstone",
		Arch:        "amd64",
		Platform:    "linux",
		Version:     o.version,
		Release:     release,
		Section:     "science",
		Priority:    "optional",
		Maintainer:  o.maintainer,
		Vendor:      "Whetstone developers",
		Homepage:    homepage,
		License:     "unpublished",
		Description: description,
		MTime:       o.mtime,
		Overridables: nfpm.Overridables{
			Contents: contents,
		},
	}
	switch format {
	case "deb":
		deps := splitList(o.debDepends)
		if len(deps) == 0 {
			return nil, fmt.Errorf("-deb-depends is empty: the binary links GTK and WebKitGTK, which the package must depend on")
		}
		info.Depends = deps
		// The hicolor folders the icons go in.
		info.Recommends = []string{"hicolor-icon-theme"}
		log, err := changelogFile(o)
		if err != nil {
			return nil, err
		}
		info.Changelog = log
		info.Contents = append(info.Contents, &files.Content{
			Source:      filepath.Join(o.root, "build/linux/lintian-overrides"),
			Destination: "/usr/share/lintian/overrides/whetstone",
			FileInfo:    &files.ContentFileInfo{Owner: "root", Group: "root", Mode: 0o644, MTime: o.mtime},
		})
		info.Deb.Compression = o.compress
	case "rpm":
		// What rpmbuild's dependency generator would write: one requirement
		// per shared library the binary loads, which every RPM distribution
		// (Fedora's webkit2gtk4.0, openSUSE's libwebkit2gtk-4_0-37) resolves.
		reqs, err := sonameRequires(filepath.Join(o.stage, stagedBin))
		if err != nil {
			return nil, err
		}
		info.Depends = append(reqs, "hicolor-icon-theme")
		info.RPM.Summary = summary
		info.RPM.Group = "Applications/Engineering"
		info.RPM.Compression = o.compress
		// Not this machine's name: the same sources give the same package.
		info.RPM.BuildHost = "whetstone-release"
	}
	return info, nil
}

// stagedContents maps every file of the staged tree to its place under /usr.
func stagedContents(o options) (files.Contents, error) {
	var out files.Contents
	err := filepath.Walk(o.stage, func(path string, fi os.FileInfo, err error) error {
		if err != nil || fi.IsDir() {
			return err
		}
		rel, err := filepath.Rel(o.stage, path)
		if err != nil {
			return err
		}
		mode := os.FileMode(0o644)
		if rel == stagedBin {
			mode = 0o755
		}
		out = append(out, &files.Content{
			Source:      path,
			Destination: "/usr/" + filepath.ToSlash(rel),
			FileInfo:    &files.ContentFileInfo{Owner: "root", Group: "root", Mode: mode, MTime: o.mtime},
		})
		return nil
	})
	return out, err
}

// changelogFile writes the Debian changelog nFPM formats (chglog's YAML)
// next to the staged tree: one entry for this release.
func changelogFile(o options) (string, error) {
	note := "Release " + o.version + "."
	if o.commit != "" {
		note = "Release " + o.version + ", built from commit " + o.commit + "."
	}
	entries := chglog.ChangeLogEntries{{
		ChangeLogOverridables: chglog.ChangeLogOverridables{Deb: &chglog.ChangelogDeb{Urgency: "medium", Distributions: []string{"stable"}}},
		Semver:                o.version + "-" + release,
		Date:                  o.mtime,
		Packager:              o.maintainer,
		Changes:               chglog.ChangeLogChanges{{Commit: o.commit, Note: note}},
	}}
	data, err := yaml.Marshal(entries)
	if err != nil {
		return "", err
	}
	path := filepath.Join(filepath.Dir(filepath.Clean(o.stage)), filepath.Base(o.stage)+".changelog.yml")
	return path, os.WriteFile(path, data, 0o644)
}

// sonameRequires lists the binary's shared libraries as RPM requirements:
// "libgtk-3.so.0()(64bit)".
func sonameRequires(bin string) ([]string, error) {
	f, err := elf.Open(bin)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	libs, err := f.ImportedLibraries()
	if err != nil {
		return nil, err
	}
	sort.Strings(libs)
	var out []string
	for _, l := range libs {
		out = append(out, l+"()(64bit)")
	}
	return out, nil
}

func splitList(s string) []string {
	var out []string
	for _, p := range strings.Split(s, ",") {
		if p = strings.TrimSpace(p); p != "" {
			out = append(out, p)
		}
	}
	return out
}
