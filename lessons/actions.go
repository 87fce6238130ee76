package lessons

import "sort"

// Param is a parameter of an action.
type Param struct {
	Name     string   `json:"name"`
	Help     string   `json:"help"`
	Default  string   `json:"default,omitempty"` // may hold {placeholders}
	Required bool     `json:"required,omitempty"`
	Enum     []string `json:"enum,omitempty"`
}

// Action is something a step can do: run SDK code (Kind BlockStep) or
// change the sandbox (Kind BlockAction).
type Action struct {
	Name   string  `json:"name"`
	Kind   string  `json:"kind"`
	Title  string  `json:"title"`
	Params []Param `json:"params,omitempty"`
	// Go is the Go source shown to the learner: the statements the
	// implementation (function Impl in file File) actually calls.
	Go   string `json:"go,omitempty"`
	Impl string `json:"-"`
	File string `json:"-"`
	// Mirrors maps a call in Go to the runner's own function that stands in
	// for it, where the real SDK cannot be isolated per learner (see
	// cred_managed.go, cred_cli.go, chain.go).
	Mirrors map[string]string `json:"mirrors,omitempty"`
	// CLI is the az command equivalent to a sandbox action ({param} filled).
	CLI string `json:"cli,omitempty"`
	// Creates names the live object the step defines; Needs those it uses.
	Creates string   `json:"creates,omitempty"`
	Needs   []string `json:"needs,omitempty"`

	run func(x *execution) (string, error)
}

// Actions returns every registered action, sorted by name.
func Actions() []*Action {
	var all []*Action
	all = append(all, credentialActions()...)
	all = append(all, secretActions()...)
	all = append(all, queueActions()...)
	all = append(all, thirdPartyActions()...)
	all = append(all, sandboxActions()...)
	all = append(all, curriculumActions()...)
	sort.Slice(all, func(i, j int) bool { return all[i].Name < all[j].Name })
	return all
}

func actionsByName() map[string]*Action {
	m := map[string]*Action{}
	for _, a := range Actions() {
		m[a.Name] = a
	}
	return m
}

// Param returns the parameter with the name, or nil.
func (a *Action) Param(name string) *Param {
	for i := range a.Params {
		if a.Params[i].Name == name {
			return &a.Params[i]
		}
	}
	return nil
}
