package workshop

import (
	"encoding/csv"
	"fmt"
	"io"
	"strings"
	"time"

	"github.com/azure-auth-sandbox/sandbox/store"
)

// WriteCSV writes the workshop's progress: one row per learner with the
// current lesson and step, a goal column per lesson, counts and the last
// outcome. titles maps lesson IDs to their titles for the header.
func WriteCSV(out io.Writer, w store.Workshop, rows []Row, titles map[string]string) error {
	cw := csv.NewWriter(out)
	head := []string{"learner", "joined", "lesson", "step", "steps run", "steps failed", "stuck", "last outcome", "last fault"}
	for _, l := range w.Lessons {
		t := titles[l]
		if t == "" {
			t = l
		}
		head = append(head, "goal: "+t)
	}
	if err := cw.Write(head); err != nil {
		return fmt.Errorf("workshop: csv: %w", err)
	}
	for _, r := range rows {
		stuck := ""
		if r.Stuck {
			stuck = r.StuckReason
		}
		rec := []string{cell(r.Name), r.JoinedAt.UTC().Format(time.RFC3339), r.Lesson, r.Step,
			fmt.Sprint(r.Steps), fmt.Sprint(r.Failures), stuck, cell(r.Outcome), r.Fault}
		for _, l := range w.Lessons {
			met := ""
			if r.Goals[l] {
				met = "met"
			}
			rec = append(rec, met)
		}
		if err := cw.Write(rec); err != nil {
			return fmt.Errorf("workshop: csv: %w", err)
		}
	}
	cw.Flush()
	if err := cw.Error(); err != nil {
		return fmt.Errorf("workshop: csv: %w", err)
	}
	return nil
}

// cell keeps a learner-chosen text from being read as a formula by a
// spreadsheet (CSV injection): a leading =, +, -, @, tab or CR gets a quote.
func cell(s string) string {
	if s != "" && strings.ContainsRune("=+-@\t\r", rune(s[0])) {
		return "'" + s
	}
	return s
}
