package sandboxes

import "context"

type workshopKey struct{}

// ForWorkshop marks a creation as a learner joining a workshop. A workshop
// bounds its joins itself (the code of a running workshop, one sandbox per
// learner, a cap on learners), so the per-client-address rate does not
// count them (nor should an Admit hook): a class of 100 usually shares one
// NAT address. The per-learner and total caps still apply.
func ForWorkshop(ctx context.Context) context.Context {
	return context.WithValue(ctx, workshopKey{}, true)
}

// IsForWorkshop reports whether ctx carries ForWorkshop's mark.
func IsForWorkshop(ctx context.Context) bool {
	v, _ := ctx.Value(workshopKey{}).(bool)
	return v
}
