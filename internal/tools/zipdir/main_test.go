package main

import (
	"archive/zip"
	"bytes"
	"io"
	"os"
	"path/filepath"
	"testing"
)

func TestZipDirKeepsModesAndIsReproducible(t *testing.T) {
	dir := t.TempDir()
	src := filepath.Join(dir, "src")
	os.MkdirAll(filepath.Join(src, "conf"), 0o755)
	files := map[string]struct {
		body string
		mode os.FileMode
	}{
		"main":            {"\x7fELF binary", 0o755},
		"conf/rules.yaml": {"rules: []\n", 0o644},
	}
	for name, f := range files {
		if err := os.WriteFile(filepath.Join(src, name), []byte(f.body), f.mode); err != nil {
			t.Fatal(err)
		}
	}
	a, b := filepath.Join(dir, "a.zip"), filepath.Join(dir, "b.zip")
	if err := zipDir(a, src); err != nil {
		t.Fatal(err)
	}
	if err := zipDir(b, src); err != nil {
		t.Fatal(err)
	}
	if st, err := os.Stat(a); err != nil || st.Mode().Perm() != 0o644 {
		t.Errorf("zip file mode: %v, %v; want 0644", st.Mode(), err)
	}
	za, _ := os.ReadFile(a)
	zb, _ := os.ReadFile(b)
	if !bytes.Equal(za, zb) {
		t.Error("two zips of the same directory differ")
	}
	zr, err := zip.OpenReader(a)
	if err != nil {
		t.Fatal(err)
	}
	defer zr.Close()
	if len(zr.File) != len(files) {
		t.Fatalf("%d entries, want %d", len(zr.File), len(files))
	}
	for _, zf := range zr.File {
		want, ok := files[zf.Name]
		if !ok {
			t.Errorf("unexpected entry %q", zf.Name)
			continue
		}
		rc, _ := zf.Open()
		body, _ := io.ReadAll(rc)
		rc.Close()
		if zf.Mode().Perm() != want.mode || string(body) != want.body || zf.ExternalAttrs>>16 == 0 {
			t.Errorf("%s: mode %v body %q, want %v %q with Unix attributes", zf.Name, zf.Mode(), body, want.mode, want.body)
		}
	}
}

func TestZipDirRefusals(t *testing.T) {
	dir := t.TempDir()
	out := filepath.Join(dir, "out.zip")
	if err := zipDir(out, filepath.Join(dir, "missing")); err == nil {
		t.Error("missing directory accepted")
	}
	empty := filepath.Join(dir, "empty")
	os.Mkdir(empty, 0o755)
	if err := zipDir(out, empty); err == nil {
		t.Error("empty directory accepted")
	}
	if _, err := os.Stat(out); !os.IsNotExist(err) {
		t.Errorf("a failed run left %s behind (%v)", out, err)
	}
	matches, _ := filepath.Glob(filepath.Join(dir, "out.zip.tmp-*"))
	if len(matches) != 0 {
		t.Errorf("temporary files left: %v", matches)
	}
}
