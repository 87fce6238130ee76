package web

import (
	"context"
	"time"
)

// endSweep is how often the scheduler looks for workshops past their end
// time: an end time is a class's last minutes, not a timer to the second.
const endSweep = 15 * time.Second

// scheduleEnds ends each workshop once its end time has come by the
// workshops' clock: one sweep at start (a workshop whose end passed while
// the server was down ends now), then one every endSweep, until the server
// shuts down.
func (s *Server) scheduleEnds() {
	tick := time.NewTicker(endSweep)
	defer tick.Stop()
	for {
		s.endDue(context.Background())
		select {
		case <-s.player.closing:
			return
		case <-tick.C:
		}
	}
}

// endDue ends the workshops whose end time has passed and returns how many
// it ended.
func (s *Server) endDue(ctx context.Context) int {
	due, err := s.ws.DueWorkshops(ctx, s.hub.Now())
	if err != nil {
		s.log.Warn("workshop end times", "error", err)
		return 0
	}
	n := 0
	for i := range due {
		w := &due[i]
		b, err := s.hub.Board(ctx, w.ID)
		if err == nil {
			err = s.endWorkshop(ctx, w, b)
		}
		if err != nil {
			s.log.Warn("workshop end time", "workshop", w.ID, "error", err)
			continue
		}
		s.log.Info("workshop ended at its end time", "workshop", w.ID, "ends_at", w.EndsAt)
		n++
	}
	return n
}
