package lessons

// curriculumActions are the actions added for lessons 2-9 (identities,
// app settings, deploying the walkthrough, handling tokens by hand).
func curriculumActions() []*Action {
	var all []*Action
	all = append(all, identityActions()...)
	all = append(all, deployActions()...)
	all = append(all, tokenActions()...)
	return all
}
