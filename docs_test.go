package painotifier_test

// The docs name Go code: `pkg.Name` in prose, and per-package contracts as Go blocks in
// docs/ARCHITECTURE.md. This test parses the code and fails on any name the docs cite that the code
// does not have, and on any contract signature that differs from the code's, so that renaming or
// removing a function without fixing the docs fails `make test`.

import (
	"bytes"
	"go/ast"
	"go/parser"
	"go/printer"
	"go/token"
	"io/fs"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
)

// code is what the docs may cite: for each package name (except main), its top-level names,
// methods and struct fields, with the declarations of functions and methods.
type code struct {
	fset  *token.FileSet
	pkgs  map[string]*pkgDecls
	tests map[string]bool // Test*, Benchmark*, Fuzz* functions of every _test.go file
}

type pkgDecls struct {
	funcs   map[string]*ast.FuncDecl // "Name" and "Type.Method"
	types   map[string]*ast.TypeSpec
	values  map[string]bool // vars and consts
	members map[string]bool // "Type.Method" and "Type.Field"
}

func loadCode(t *testing.T) *code {
	t.Helper()
	c := &code{fset: token.NewFileSet(), pkgs: map[string]*pkgDecls{}, tests: map[string]bool{}}
	err := filepath.WalkDir(".", func(path string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		if d.IsDir() {
			if name := d.Name(); path != "." && (strings.HasPrefix(name, ".") || name == "testdata" || name == "dist") {
				return filepath.SkipDir
			}
			return nil
		}
		if !strings.HasSuffix(path, ".go") {
			return nil
		}
		f, err := parser.ParseFile(c.fset, path, nil, 0)
		if err != nil {
			return err
		}
		if strings.HasSuffix(path, "_test.go") {
			for _, d := range f.Decls {
				if fd, ok := d.(*ast.FuncDecl); ok && fd.Recv == nil {
					c.tests[fd.Name.Name] = true
				}
			}
			return nil
		}
		if f.Name.Name != "main" {
			c.add(f)
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	return c
}

func (c *code) add(f *ast.File) {
	p := c.pkgs[f.Name.Name]
	if p == nil {
		p = &pkgDecls{funcs: map[string]*ast.FuncDecl{}, types: map[string]*ast.TypeSpec{}, values: map[string]bool{}, members: map[string]bool{}}
		c.pkgs[f.Name.Name] = p
	}
	for _, d := range f.Decls {
		switch d := d.(type) {
		case *ast.FuncDecl:
			name := d.Name.Name
			if d.Recv != nil {
				name = recvType(d.Recv.List[0].Type) + "." + name
				p.members[name] = true
			}
			p.funcs[name] = d
		case *ast.GenDecl:
			for _, s := range d.Specs {
				switch s := s.(type) {
				case *ast.TypeSpec:
					p.types[s.Name.Name] = s
					if st, ok := s.Type.(*ast.StructType); ok {
						for _, f := range st.Fields.List {
							for _, n := range f.Names {
								p.members[s.Name.Name+"."+n.Name] = true
							}
						}
					}
				case *ast.ValueSpec:
					for _, n := range s.Names {
						p.values[n.Name] = true
					}
				}
			}
		}
	}
}

func recvType(e ast.Expr) string {
	switch e := e.(type) {
	case *ast.StarExpr:
		return recvType(e.X)
	case *ast.IndexExpr:
		return recvType(e.X)
	case *ast.Ident:
		return e.Name
	}
	return ""
}

// has reports whether pkg.name exists; name is "Name" or "Type.Member". A bare Name may also be a
// method or field of one of the package's types: prose says `notify.Handle` for Notifier.Handle.
func (p *pkgDecls) has(name string) bool {
	if strings.Contains(name, ".") {
		return p.members[name]
	}
	if p.funcs[name] != nil || p.types[name] != nil || p.values[name] {
		return true
	}
	for m := range p.members {
		if strings.HasSuffix(m, "."+name) {
			return true
		}
	}
	return false
}

var (
	fence      = regexp.MustCompile("^\\s*```\\s*(\\w*)")
	heading    = regexp.MustCompile(`^#{2,4}\s+(\w+)\s*$`)
	span       = regexp.MustCompile("`[^`]+`")
	cite       = regexp.MustCompile(`\b([a-z][a-z0-9]*)\.([A-Z]\w*)(\.[A-Z]\w*)?`)
	testCite   = regexp.MustCompile("`((?:Test|Benchmark|Fuzz)[A-Z]\\w*)")
	ellipsisRe = regexp.MustCompile(`\{\s*\.\.\.\s*\}`)
)

func TestDocsCiteRealCode(t *testing.T) {
	c := loadCode(t)
	var docs []string
	filepath.WalkDir(".", func(path string, d fs.DirEntry, err error) error {
		if err == nil && d.IsDir() && path != "." && (strings.HasPrefix(d.Name(), ".") || d.Name() == "dist") {
			return filepath.SkipDir
		}
		if err == nil && strings.HasSuffix(path, ".md") {
			docs = append(docs, path)
		}
		return nil
	})
	if len(docs) == 0 {
		t.Fatal("no markdown files found")
	}
	for _, doc := range docs {
		b, err := os.ReadFile(doc)
		if err != nil {
			t.Fatal(err)
		}
		c.checkDoc(t, doc, string(b))
	}
}

func (c *code) checkDoc(t *testing.T, doc, text string) {
	t.Helper()
	lines := strings.Split(text, "\n")
	section := ""
	for i := 0; i < len(lines); i++ {
		if m := heading.FindStringSubmatch(lines[i]); m != nil {
			section = m[1]
		}
		m := fence.FindStringSubmatch(lines[i])
		if m == nil {
			for _, s := range span.FindAllString(lines[i], -1) {
				c.checkCites(t, doc, i+1, s)
			}
			for _, m := range testCite.FindAllStringSubmatch(lines[i], -1) {
				if !c.tests[m[1]] {
					t.Errorf("%s:%d: cites %s, which no _test.go file declares", doc, i+1, m[1])
				}
			}
			continue
		}
		start := i + 1
		for i++; i < len(lines) && !fence.MatchString(lines[i]); i++ {
		}
		block := strings.Join(lines[start:min(i, len(lines))], "\n")
		if m[1] == "go" && c.pkgs[section] != nil {
			c.checkContract(t, doc, start, section, block)
		} else if m[1] != "go" {
			for j, l := range strings.Split(block, "\n") {
				c.checkCites(t, doc, start+j+1, l)
			}
		}
	}
}

// checkCites checks every pkg.Name in s whose pkg is one of ours.
func (c *code) checkCites(t *testing.T, doc string, line int, s string) {
	t.Helper()
	for _, m := range cite.FindAllStringSubmatch(s, -1) {
		p := c.pkgs[m[1]]
		if p == nil {
			continue // another package: slog.Level, http.Client, ...
		}
		if name := m[2] + m[3]; !p.has(name) {
			t.Errorf("%s:%d: cites %s.%s, which package %s does not have", doc, line, m[1], name, m[1])
		}
	}
}

// checkContract parses a Go block of package pkg's contract (`struct{ ... }` stands for hidden
// fields) and checks each declaration against the code: functions and methods by signature, types
// by name and the struct fields they list, vars and consts by name.
func (c *code) checkContract(t *testing.T, doc string, line int, pkg, block string) {
	t.Helper()
	p := c.pkgs[pkg]
	src := "package " + pkg + "\n" + ellipsisRe.ReplaceAllString(block, "{}")
	fset := token.NewFileSet()
	f, err := parser.ParseFile(fset, doc, src, 0)
	if err != nil {
		t.Errorf("%s:%d: the %s contract is not Go: %v", doc, line, pkg, err)
		return
	}
	at := func(n ast.Node) int { return line + fset.Position(n.Pos()).Line - 1 }
	for _, d := range f.Decls {
		switch d := d.(type) {
		case *ast.FuncDecl:
			name := d.Name.Name
			if d.Recv != nil {
				name = recvType(d.Recv.List[0].Type) + "." + name
			}
			real := p.funcs[name]
			if real == nil {
				t.Errorf("%s:%d: %s.%s does not exist", doc, at(d), pkg, name)
				continue
			}
			if got, want := signature(fset, d), signature(c.fset, real); got != want {
				t.Errorf("%s:%d: %s.%s:\n  docs: %s\n  code: %s", doc, at(d), pkg, name, got, want)
			}
		case *ast.GenDecl:
			for _, s := range d.Specs {
				switch s := s.(type) {
				case *ast.TypeSpec:
					if p.types[s.Name.Name] == nil {
						t.Errorf("%s:%d: type %s.%s does not exist", doc, at(s), pkg, s.Name.Name)
						continue
					}
					if st, ok := s.Type.(*ast.StructType); ok {
						for _, f := range st.Fields.List {
							for _, n := range f.Names {
								if !p.members[s.Name.Name+"."+n.Name] {
									t.Errorf("%s:%d: %s.%s has no field %s", doc, at(n), pkg, s.Name.Name, n.Name)
								}
							}
						}
					}
				case *ast.ValueSpec:
					for _, n := range s.Names {
						if !p.values[n.Name] {
							t.Errorf("%s:%d: %s.%s does not exist", doc, at(n), pkg, n.Name)
						}
					}
				}
			}
		}
	}
}

// signature prints fd's receiver type, name, parameter and result types: parameter names are the
// doc's to choose.
func signature(fset *token.FileSet, fd *ast.FuncDecl) string {
	var b bytes.Buffer
	b.WriteString("func ")
	if fd.Recv != nil {
		b.WriteString("(" + printNode(fset, fd.Recv.List[0].Type) + ") ")
	}
	b.WriteString(fd.Name.Name + "(" + fieldTypes(fset, fd.Type.Params) + ")")
	if r := fieldTypes(fset, fd.Type.Results); r != "" {
		b.WriteString(" (" + r + ")")
	}
	return b.String()
}

func fieldTypes(fset *token.FileSet, fl *ast.FieldList) string {
	if fl == nil {
		return ""
	}
	var ts []string
	for _, f := range fl.List {
		n := max(len(f.Names), 1)
		for range n {
			ts = append(ts, printNode(fset, f.Type))
		}
	}
	return strings.Join(ts, ", ")
}

func printNode(fset *token.FileSet, n ast.Node) string {
	var b bytes.Buffer
	printer.Fprint(&b, fset, n)
	return b.String()
}
