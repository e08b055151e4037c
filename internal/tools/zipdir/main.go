// Command zipdir packs a directory into a deployment zip for FC (go1: the executable "main") or
// Lambda (provided.al2023: "bootstrap"), keeping each file's Unix mode so the executable bit
// survives; `zip` may not be installed on a build machine and Go's archive/zip needs no tool.
// Entries are sorted and stamped with a fixed time, so the same binaries give the same zip.
//
//	go run ./internal/tools/zipdir -o dist/fc-notifier.zip dist/fc/notifier
package main

import (
	"archive/zip"
	"flag"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"time"
)

// epoch is the stamp of every entry (the zip format cannot express times before 1980).
var epoch = time.Date(1980, 1, 1, 0, 0, 0, 0, time.UTC)

func main() {
	out := flag.String("o", "", "zip file to write")
	flag.Usage = func() {
		fmt.Fprintln(flag.CommandLine.Output(), "usage: zipdir -o out.zip dir")
		flag.PrintDefaults()
	}
	flag.Parse()
	if *out == "" || flag.NArg() != 1 {
		flag.Usage()
		os.Exit(2)
	}
	if err := zipDir(*out, flag.Arg(0)); err != nil {
		fmt.Fprintln(os.Stderr, "zipdir:", err)
		os.Exit(1)
	}
}

// zipDir writes the regular files under dir to out, named relative to dir. It writes a temporary
// file and renames it, so a failed run never leaves a truncated zip that looks deployable.
func zipDir(out, dir string) (err error) {
	var files []string
	err = filepath.WalkDir(dir, func(p string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		if d.Type().IsRegular() {
			files = append(files, p)
		} else if !d.IsDir() {
			return fmt.Errorf("%s: not a regular file or directory", p)
		}
		return nil
	})
	if err != nil {
		return err
	}
	if len(files) == 0 {
		return fmt.Errorf("%s: no files to pack", dir)
	}
	tmp, err := os.CreateTemp(filepath.Dir(out), filepath.Base(out)+".tmp-*")
	if err != nil {
		return err
	}
	defer func() {
		if err != nil {
			tmp.Close()
			os.Remove(tmp.Name())
		}
	}()
	zw := zip.NewWriter(tmp)
	for _, p := range files { // WalkDir visits in lexical order
		if err := addFile(zw, dir, p); err != nil {
			return err
		}
	}
	if err := zw.Close(); err != nil {
		return fmt.Errorf("%s: %w", out, err)
	}
	if err := tmp.Close(); err != nil {
		return fmt.Errorf("%s: %w", out, err)
	}
	if err := os.Chmod(tmp.Name(), 0o644); err != nil { // CreateTemp makes it 0600
		return err
	}
	return os.Rename(tmp.Name(), out)
}

func addFile(zw *zip.Writer, dir, p string) error {
	info, err := os.Stat(p)
	if err != nil {
		return err
	}
	rel, err := filepath.Rel(dir, p)
	if err != nil {
		return err
	}
	h, err := zip.FileInfoHeader(info)
	if err != nil {
		return fmt.Errorf("%s: %w", p, err)
	}
	h.Name = filepath.ToSlash(rel)
	h.Method = zip.Deflate
	h.Modified = epoch
	h.SetMode(info.Mode().Perm()) // sets the Unix mode in the external attributes, which FC and Lambda read
	w, err := zw.CreateHeader(h)
	if err != nil {
		return fmt.Errorf("%s: %w", p, err)
	}
	f, err := os.Open(p)
	if err != nil {
		return err
	}
	defer f.Close()
	if _, err := io.Copy(w, f); err != nil {
		return fmt.Errorf("%s: %w", p, err)
	}
	return nil
}
