package main

import (
	"debug/buildinfo"
	"fmt"
	"os"
	"strings"
)

// copyrightFile is build/linux/copyright (the project's own terms) with a
// paragraph listing the Go modules linked into the binary, read from the
// binary's build information, so the list is always the shipped one.
func copyrightFile(base, bin string) ([]byte, error) {
	head, err := os.ReadFile(base)
	if err != nil {
		return nil, err
	}
	info, err := buildinfo.ReadFile(bin)
	if err != nil {
		return nil, fmt.Errorf("read the build information of %s: %w", bin, err)
	}
	var b strings.Builder
	b.WriteString(strings.TrimRight(string(head), "\n"))
	b.WriteString("\n\nFiles: usr/bin/whetstone\n")
	b.WriteString("Copyright: the authors of each component listed below\n")
	b.WriteString("License: bundled-components\n")
	b.WriteString(" The whetstone binary is statically linked with the Go " + info.GoVersion + "\n")
	b.WriteString(" standard library (BSD-3-Clause) and these Go modules, each under\n")
	b.WriteString(" the license in its source at the version given, and embeds the web\n")
	b.WriteString(" frontend's npm packages (frontend/package-lock.json in the source).\n")
	b.WriteString(" .\n")
	for _, d := range info.Deps {
		if d.Replace != nil {
			d = d.Replace
		}
		fmt.Fprintf(&b, " %s %s\n", d.Path, d.Version)
	}
	return []byte(b.String()), nil
}
