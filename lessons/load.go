package lessons

import (
	"embed"
	"fmt"
	"io/fs"
	"os"
	"path"
	"sort"
	"strings"
)

//go:embed content/*.md
var embedded embed.FS

// Embedded returns the lessons built into the binary.
func Embedded() fs.FS {
	sub, err := fs.Sub(embedded, "content")
	if err != nil {
		panic(err) // the directory is part of the build
	}
	return sub
}

// Catalog is the set of lessons, in order.
type Catalog struct {
	lessons []*Lesson
	byID    map[string]*Lesson
}

// List returns the lessons sorted by order, then ID.
func (c *Catalog) List() []*Lesson { return c.lessons }

// Get returns the lesson with the ID, or nil.
func (c *Catalog) Get(id string) *Lesson { return c.byID[id] }

// LoadAll loads the embedded lessons and, when dir is not empty, the
// lessons in dir: a lesson there with the ID of an embedded one replaces it.
// Any problem in any lesson is an error (run CheckDir for the full report).
func LoadAll(dir string) (*Catalog, error) {
	fsys := []fs.FS{Embedded()}
	if dir != "" {
		fsys = append(fsys, os.DirFS(dir))
	}
	c := &Catalog{byID: map[string]*Lesson{}}
	for i, f := range fsys {
		ls, probs := loadFS(f, sourcePrefix(i, dir))
		probs = append(probs, validateAll(ls)...)
		if len(probs) > 0 {
			msgs := make([]string, len(probs))
			for j, p := range probs {
				msgs[j] = p.String()
			}
			return nil, fmt.Errorf("lessons: load: %s", strings.Join(msgs, "; "))
		}
		for _, l := range ls {
			c.byID[l.ID] = l
		}
	}
	for _, l := range c.byID {
		c.lessons = append(c.lessons, l)
	}
	sortLessons(c.lessons)
	return c, nil
}

func sourcePrefix(i int, dir string) string {
	if i == 0 {
		return "embedded:"
	}
	return dir + string(os.PathSeparator)
}

func sortLessons(ls []*Lesson) {
	sort.Slice(ls, func(i, j int) bool {
		if ls[i].Order != ls[j].Order {
			return ls[i].Order < ls[j].Order
		}
		return ls[i].ID < ls[j].ID
	})
}

// loadFS parses every *.md file at the top of fsys except README.md.
func loadFS(fsys fs.FS, prefix string) ([]*Lesson, []Problem) {
	entries, err := fs.ReadDir(fsys, ".")
	if err != nil {
		return nil, []Problem{{File: prefix, Message: err.Error()}}
	}
	var out []*Lesson
	var probs []Problem
	for _, e := range entries {
		name := e.Name()
		if e.IsDir() || path.Ext(name) != ".md" || strings.EqualFold(name, "README.md") {
			continue
		}
		src, err := fs.ReadFile(fsys, name)
		if err != nil {
			probs = append(probs, Problem{File: prefix + name, Message: err.Error()})
			continue
		}
		l, p := parseLesson(prefix+name, src)
		probs = append(probs, p...)
		fillFromActions(l)
		out = append(out, l)
	}
	sortLessons(out)
	return out, probs
}

// fillFromActions puts each code step's Go tab (the action's own source)
// and each sandbox step's CLI equivalent into the lesson.
func fillFromActions(l *Lesson) {
	acts := actionsByName()
	for _, s := range l.Steps() {
		a := acts[s.Action]
		if a == nil {
			continue
		}
		if a.Go != "" {
			if _, own := s.Code[LangGo]; !own {
				s.Code[LangGo] = a.Go
			}
		}
		if s.CLI == "" {
			s.CLI = a.CLI
		}
		if s.Title == "" {
			s.Title = a.Title
		}
	}
}
