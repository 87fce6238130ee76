package sandboxes

import (
	"context"
	"errors"
	"fmt"
	"sync/atomic"
	"time"

	"github.com/azure-auth-sandbox/sandbox/sim/throttle"
)

// Limits cap the creation of sandboxes on a shared server, so one client
// cannot fill its memory and database. Zero fields take the defaults
// (sized for a class of 100).
type Limits struct {
	// PerLearner is how many sandboxes one learner may hold.
	PerLearner int
	// PerAddressPerMinute and PerAddressBurst bound how fast one client
	// address may create sandboxes (anonymous API clients included).
	PerAddressPerMinute float64
	PerAddressBurst     int
	// Total is how many sandboxes the server holds at most.
	Total int
}

// Defaults of Limits.
const (
	DefaultPerLearner          = 10
	DefaultPerAddressPerMinute = 10
	DefaultPerAddressBurst     = 10
	DefaultTotal               = 1000
)

func (l Limits) withDefaults() Limits {
	if l.PerLearner <= 0 {
		l.PerLearner = DefaultPerLearner
	}
	if l.PerAddressPerMinute <= 0 {
		l.PerAddressPerMinute = DefaultPerAddressPerMinute
	}
	if l.PerAddressBurst <= 0 {
		l.PerAddressBurst = DefaultPerAddressBurst
	}
	if l.Total <= 0 {
		l.Total = DefaultTotal
	}
	return l
}

// Refusals of the limits (errors.Is on the *Error).
var (
	ErrQuota     = errors.New("sandboxes: the learner's sandbox quota is used up")
	ErrThrottled = errors.New("sandboxes: too many sandboxes created from this address")
	ErrFull      = errors.New("sandboxes: the server holds as many sandboxes as it may")
)

type clientKey struct{}

// WithClient tells Create which client address asks (the web layer sets it
// from the connection); without it the per-address limit does not apply.
func WithClient(ctx context.Context, addr string) context.Context {
	return context.WithValue(ctx, clientKey{}, addr)
}

func clientFrom(ctx context.Context) string {
	a, _ := ctx.Value(clientKey{}).(string)
	return a
}

// limiter applies Limits.
type limiter struct {
	limits  Limits
	rate    *throttle.Keyed
	held    atomic.Int64 // sandboxes on the server, counted by Restore, Create and Delete
	countOf func(ctx context.Context, learnerID string) (int, error)
}

func newLimiter(l Limits, now func() time.Time, countOf func(ctx context.Context, learnerID string) (int, error)) *limiter {
	l = l.withDefaults()
	return &limiter{limits: l, rate: throttle.New(l.PerAddressPerMinute/60, l.PerAddressBurst, now), countOf: countOf}
}

// reserve checks the limits for a new sandbox of learnerID and counts it;
// the returned release undoes the count when the creation fails.
func (l *limiter) reserve(ctx context.Context, learnerID string) (release func(), err error) {
	// A workshop join is not rated by address: a class usually shares one
	// NAT address, and the workshop bounds its own joins (see ForWorkshop).
	if addr := clientFrom(ctx); addr != "" && !IsForWorkshop(ctx) {
		if ok, wait := l.rate.Allow(addr); !ok {
			e := refuse(ErrThrottled, "too many sandboxes created from your address; try again in %d seconds",
				throttle.RetryAfterSeconds(wait))
			e.RetryAfter = wait
			return nil, e
		}
	}
	if learnerID != "" {
		n, err := l.countOf(ctx, learnerID)
		if err != nil {
			return nil, fmt.Errorf("sandboxes: count: %w", err)
		}
		if n >= l.limits.PerLearner {
			return nil, refuse(ErrQuota, "you have %d sandboxes, the most allowed; delete one (or reset it) first", n)
		}
	}
	if l.held.Add(1) > int64(l.limits.Total) {
		l.held.Add(-1)
		e := refuse(ErrFull, "the server holds as many sandboxes as it may (%d); ask your instructor, or try again later", l.limits.Total)
		e.RetryAfter = time.Minute
		return nil, e
	}
	return func() { l.held.Add(-1) }, nil
}
