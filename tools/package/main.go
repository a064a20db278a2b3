// Command package turns a built Linux whetstone binary into what people
// install: a staged file tree (the binary, the desktop entry, hicolor
// icons, the man page, the copyright file) laid out as under /usr, and,
// from that tree, a .deb and an .rpm built with nFPM.
//
// scripts/release.sh runs it; the tarball is the staged tree plus
// build/linux/install.sh. It is its own Go module so that nFPM's
// dependencies stay out of the app's build.
//
//	package -root REPO -bin build/bin/whetstone -version 0.1.0 -commit abc \
//	        -stage DIR -out dist -deb-depends "libc6 (>= 2.34), ..."
package main

import (
	"flag"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"time"
)

func main() {
	if err := run(os.Args[1:]); err != nil {
		fmt.Fprintln(os.Stderr, "package:", err)
		os.Exit(1)
	}
}

// options are the command's flags.
type options struct {
	root       string
	bin        string
	version    string
	commit     string
	stage      string
	out        string
	formats    string
	debDepends string
	maintainer string
	compress   string
	mtime      time.Time
}

func run(args []string) error {
	fs := flag.NewFlagSet("package", flag.ContinueOnError)
	var o options
	fs.StringVar(&o.root, "root", ".", "repository root (build/ holds the desktop entry, icon and copyright)")
	fs.StringVar(&o.bin, "bin", "", "the linux/amd64 whetstone binary to package")
	fs.StringVar(&o.version, "version", "", "version, as in VERSION (0.1.0)")
	fs.StringVar(&o.commit, "commit", "", "commit the binary was built from (for the changelog)")
	fs.StringVar(&o.stage, "stage", "", "folder to lay the installed tree out in (created; must not exist)")
	fs.StringVar(&o.out, "out", "dist", "folder for the packages")
	fs.StringVar(&o.formats, "formats", "deb,rpm", "packages to build (deb, rpm; empty: only the staged tree)")
	fs.StringVar(&o.debDepends, "deb-depends", "", "the .deb's Depends, comma-separated (dpkg-shlibdeps' shlibs:Depends)")
	fs.StringVar(&o.maintainer, "maintainer", "Whetstone developers <whetstone@users.noreply.github.com>", "package maintainer, \"Name <email>\"")
	fs.StringVar(&o.compress, "compression", "xz", "package compression: xz (smallest, for releases) or gzip (fast, for checks)")
	if err := fs.Parse(args); err != nil {
		return err
	}
	if o.bin == "" || o.version == "" || o.stage == "" {
		return fmt.Errorf("-bin, -version and -stage are required")
	}
	if o.compress != "xz" && o.compress != "gzip" {
		return fmt.Errorf("-compression %q: want xz or gzip", o.compress)
	}
	// SOURCE_DATE_EPOCH (the commit's time, from release.sh) makes every
	// file time, the changelog date and so the packages reproducible.
	o.mtime = time.Now().UTC().Truncate(time.Second)
	if v := os.Getenv("SOURCE_DATE_EPOCH"); v != "" {
		sec, err := strconv.ParseInt(v, 10, 64)
		if err != nil {
			return fmt.Errorf("SOURCE_DATE_EPOCH %q: %w", v, err)
		}
		o.mtime = time.Unix(sec, 0).UTC()
	}
	if _, err := os.Stat(o.stage); err == nil {
		return fmt.Errorf("stage folder %s exists; remove it first", o.stage)
	}
	if err := stage(o); err != nil {
		return err
	}
	for _, f := range strings.Split(o.formats, ",") {
		if f = strings.TrimSpace(f); f == "" {
			continue
		}
		path, err := buildPackage(o, f)
		if err != nil {
			return fmt.Errorf("%s: %w", f, err)
		}
		fmt.Println(path)
	}
	return nil
}

// The staged tree, relative to a prefix (/usr for the packages, ~/.local
// for the tarball's install.sh).
const (
	stagedBin     = "bin/whetstone"
	stagedDesktop = "share/applications/whetstone.desktop"
	stagedMan     = "share/man/man1/whetstone.1.gz"
	stagedDoc     = "share/doc/whetstone"
)

// iconSizes are the hicolor sizes generated from build/appicon.png.
var iconSizes = []int{16, 22, 24, 32, 48, 64, 128, 256, 512}

func stagedIcon(size int) string {
	return fmt.Sprintf("share/icons/hicolor/%dx%d/apps/whetstone.png", size, size)
}

// stage lays out the installed tree under o.stage.
func stage(o options) error {
	bin, err := filepath.Abs(o.bin)
	if err != nil {
		return err
	}
	if err := copyFile(bin, filepath.Join(o.stage, stagedBin), 0o755); err != nil {
		return err
	}
	if err := copyFile(filepath.Join(o.root, "build/linux/whetstone.desktop"), filepath.Join(o.stage, stagedDesktop), 0o644); err != nil {
		return err
	}
	if err := writeIcons(filepath.Join(o.root, "build/appicon.png"), o.stage); err != nil {
		return err
	}
	page, err := manPage(bin, o.version, o.mtime)
	if err != nil {
		return fmt.Errorf("man page: %w", err)
	}
	if err := writeGzip(filepath.Join(o.stage, stagedMan), []byte(page)); err != nil {
		return err
	}
	copyright, err := copyrightFile(filepath.Join(o.root, "build/linux/copyright"), bin)
	if err != nil {
		return err
	}
	if err := writeFile(filepath.Join(o.stage, stagedDoc, "copyright"), copyright, 0o644); err != nil {
		return err
	}
	// Every file and folder gets the same time, so the tarball made from
	// the tree is reproducible too.
	return filepath.Walk(o.stage, func(path string, _ os.FileInfo, err error) error {
		if err != nil {
			return err
		}
		return os.Chtimes(path, o.mtime, o.mtime)
	})
}

func copyFile(src, dst string, mode os.FileMode) error {
	in, err := os.Open(src)
	if err != nil {
		return err
	}
	defer in.Close()
	if err := os.MkdirAll(filepath.Dir(dst), 0o755); err != nil {
		return err
	}
	out, err := os.OpenFile(dst, os.O_CREATE|os.O_EXCL|os.O_WRONLY, mode)
	if err != nil {
		return err
	}
	if _, err := io.Copy(out, in); err != nil {
		out.Close()
		return fmt.Errorf("copy %s: %w", src, err)
	}
	if err := out.Close(); err != nil {
		return err
	}
	return os.Chmod(dst, mode)
}

func writeFile(path string, data []byte, mode os.FileMode) error {
	if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
		return err
	}
	if err := os.WriteFile(path, data, mode); err != nil {
		return err
	}
	return os.Chmod(path, mode)
}
