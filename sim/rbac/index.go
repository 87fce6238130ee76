package rbac

// Index answers Authorize questions quickly: assignments by principal.
// (Placeholder: the rbac engine replaces this file.)
type Index struct {
	assignments []Assignment
	custom      []RoleDefinition
}

// NewIndex builds an index over a world's assignments and custom roles.
func NewIndex(assignments []Assignment, custom []RoleDefinition) *Index {
	return &Index{assignments: assignments, custom: custom}
}

// Authorize answers one request.
func (ix *Index) Authorize(req Request) Decision {
	return Decision{Model: "rbac", Principal: req.Principal, Action: req.Action, DataAction: req.DataAction, Scope: req.Scope, Summary: "not implemented"}
}
