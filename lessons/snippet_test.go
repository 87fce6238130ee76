package lessons

import (
	"go/ast"
	"go/parser"
	"go/token"
	"slices"
	"strconv"
	"strings"
	"testing"
)

// TestGoSnippetsAreWhatRuns checks that every call in each code action's Go
// tab is made by the function that implements the action, so the code shown
// and the code run cannot drift apart. Calls the runner implements itself
// (Mirrors) must call the stand-in instead.
func TestGoSnippetsAreWhatRuns(t *testing.T) {
	files := map[string]*ast.File{}
	fset := token.NewFileSet()
	for _, a := range Actions() {
		if a.Kind != BlockStep {
			if a.Go != "" {
				t.Errorf("%s: sandbox actions show CLI, not Go", a.Name)
			}
			continue
		}
		t.Run(a.Name, func(t *testing.T) {
			if a.Go == "" || a.Impl == "" || a.File == "" {
				t.Fatalf("code action without Go source, Impl or File")
			}
			f := files[a.File]
			if f == nil {
				var err error
				if f, err = parser.ParseFile(fset, a.File, nil, 0); err != nil {
					t.Fatal(err)
				}
				files[a.File] = f
			}
			pkgs := importNames(f)
			var impl *ast.FuncDecl
			for _, d := range f.Decls {
				if fd, ok := d.(*ast.FuncDecl); ok && fd.Name.Name == a.Impl {
					impl = fd
				}
			}
			if impl == nil {
				t.Fatalf("%s has no func %s", a.File, a.Impl)
			}
			have := calls(impl.Body, pkgs)
			snip, err := parser.ParseFile(token.NewFileSet(), "snippet.go", "package p\nfunc _() {\n"+a.Go+"\n}\n", 0)
			if err != nil {
				t.Fatalf("the Go tab does not parse: %v\n%s", err, a.Go)
			}
			want := calls(snip, pkgs)
			if len(want) == 0 {
				t.Fatal("the Go tab calls nothing")
			}
			for _, c := range want {
				if m, ok := a.Mirrors[c]; ok {
					c = m
				}
				if !slices.Contains(have, c) {
					t.Errorf("Go tab calls %s; %s does not (it calls %v)", c, a.Impl, have)
				}
			}
		})
	}
}

func importNames(f *ast.File) map[string]bool {
	names := map[string]bool{}
	for _, im := range f.Imports {
		p, _ := strconv.Unquote(im.Path.Value)
		name := p[strings.LastIndex(p, "/")+1:]
		if strings.HasPrefix(name, "v") && len(name) <= 3 { // .../azqueue/v2
			q := strings.TrimSuffix(p, "/"+name)
			name = q[strings.LastIndex(q, "/")+1:]
		}
		if im.Name != nil {
			name = im.Name.Name
		}
		names[name] = true
	}
	return names
}

// calls lists a node's calls: "pkg.Func" for package functions, ".Method"
// for methods, "name" for local functions.
func calls(n ast.Node, pkgs map[string]bool) []string {
	var out []string
	ast.Inspect(n, func(n ast.Node) bool {
		c, ok := n.(*ast.CallExpr)
		if !ok {
			return true
		}
		fun := c.Fun
		if ix, ok := fun.(*ast.IndexExpr); ok { // generic instantiation
			fun = ix.X
		}
		switch f := fun.(type) {
		case *ast.Ident:
			out = append(out, f.Name)
		case *ast.SelectorExpr:
			if id, ok := f.X.(*ast.Ident); ok && pkgs[id.Name] {
				out = append(out, id.Name+"."+f.Sel.Name)
			} else {
				out = append(out, "."+f.Sel.Name)
			}
		}
		return true
	})
	return out
}
