package web

import (
	"net/http"
	"net/url"
	"regexp"
	"slices"
	"sort"
	"strconv"
	"strings"

	"github.com/azure-auth-sandbox/sandbox/lessons"
	"github.com/azure-auth-sandbox/sandbox/sim/service"
	"github.com/azure-auth-sandbox/sandbox/sim/trace"
	"github.com/azure-auth-sandbox/sandbox/web/ui"
)

// diagramView lays out the sandbox's trace with a marker per step run.
func (p *player) diagramView(t *target, exs []trace.Exchange) ui.DiagramView {
	history, _ := t.run.snapshot()
	exs, history = slideWindow(exs, history, p.book.Limit())
	d := ui.LayoutDiagram(diagramItems(exs, history, t.lesson, t.run.exchangeItem))
	d.Src = lessonURL(t.sb.ID, t.lesson.ID) + "/diagram"
	return d
}

// slideWindow is the part of a full trace the diagram draws. A full trace
// (limit exchanges) drops its oldest exchange at every new one; were the
// diagram to drop it too, every row below would move up, and no step answer
// could bring only the new rows (a row's markup holds its position). The
// diagram drops the oldest exchanges a fifth of the limit at a time
// instead: between two slides its rows only grow at the end, and it draws
// at least four fifths of the trace. The runs that started before the
// window go with their exchanges (their markers would pile up on top).
func slideWindow(exs []trace.Exchange, runs []stepRun, limit int) ([]trace.Exchange, []stepRun) {
	step := int64(limit / 5)
	if len(exs) < limit || step <= 1 {
		return exs, runs
	}
	// The first Seq kept: the first one after a multiple of step at or
	// after the trace's oldest (it moves only when the trace passes the
	// next multiple).
	first := (exs[0].Seq-1+step-1)/step*step + 1
	i := sort.Search(len(exs), func(i int) bool { return exs[i].Seq >= first })
	runs = slices.DeleteFunc(runs, func(r stepRun) bool { return r.AfterSeq < first-1 }) // runs is a copy (snapshot)
	return exs[i:], runs
}

// diagramItems interleaves the runs' markers with the exchanges. A run's
// marker goes after the last exchange that came before it, so a step that
// sent nothing still shows ("… — 0 requests"). Exchanges no run accounts
// for (the learner's own program through the proxy, or runs from before a
// restart) get a marker of their own whenever their origin changes.
func diagramItems(exs []trace.Exchange, runs []stepRun, l *lessons.Lesson, item func(*trace.Exchange) *ui.ExchangeItem) []ui.DiagramItem {
	items := make([]ui.DiagramItem, 0, len(exs)+len(runs))
	var auto *ui.MarkerItem
	curKey := ""
	ri := 0
	flush := func(before int64) {
		for ri < len(runs) && runs[ri].AfterSeq < before {
			r := runs[ri]
			items = append(items, ui.DiagramItem{Marker: &ui.MarkerItem{Label: r.Label, Count: r.Count}})
			auto, curKey = nil, r.Marker+"|runner"
			ri++
		}
	}
	for i := range exs {
		ex := &exs[i]
		flush(ex.Seq)
		key := ex.Step + "|" + ex.Via
		if key != curKey {
			auto = &ui.MarkerItem{Label: autoLabel(ex, l)}
			items = append(items, ui.DiagramItem{Marker: auto})
			curKey = key
		}
		if auto != nil {
			auto.Count++
		}
		items = append(items, ui.DiagramItem{Exchange: item(ex)})
	}
	flush(1 << 62)
	return items
}

// autoLabel names a group of exchanges no recorded run accounts for.
func autoLabel(ex *trace.Exchange, l *lessons.Lesson) string {
	if ex.Via == "proxy" {
		return "Your own program (through the proxy)"
	}
	if ex.Step == "" {
		return "Other requests"
	}
	return markerTitle(ex.Step, l)
}

// markerTitle names a trace marker in the lesson's words: the step's title,
// never its internal ID.
func markerTitle(marker string, l *lessons.Lesson) string {
	id, ok := strings.CutPrefix(marker, l.ID+"/")
	if !ok {
		return "Another lesson"
	}
	if s := l.Step(id); s != nil {
		return s.Title
	}
	switch id {
	case "setup":
		return "Lesson setup"
	case "fix":
		return "One-click fix"
	case "panel":
		return "Sandbox panel"
	case "place":
		return "Where your code runs"
	case lessons.MarkerAzLogin:
		return "az login as the developer (your Python program's Azure CLI)"
	}
	return "The lesson"
}

// isChange reports whether a marker is a sandbox change (made as the
// owner) rather than the learner's code.
func isChange(marker string, l *lessons.Lesson) bool {
	id, ok := strings.CutPrefix(marker, l.ID+"/")
	if !ok {
		return false
	}
	if s := l.Step(id); s != nil {
		return s.Kind == lessons.BlockAction
	}
	return id == "setup" || id == "fix" || id == "panel"
}

// exchangeItem is an exchange as the lesson's diagram draws it, made once
// per exchange (parsing its URL and wording it cost more than drawing it),
// shared read-only between the run's layouts.
func (r *lessonRun) exchangeItem(ex *trace.Exchange) *ui.ExchangeItem {
	r.itemsMu.Lock()
	defer r.itemsMu.Unlock()
	if c, ok := r.items[ex.Seq]; ok && c.url == ex.URL && c.it.Status == ex.Status && c.it.Method == ex.Method {
		return c.it
	}
	if r.items == nil || len(r.items) >= 2*maxKeptItems {
		r.items = make(map[int64]keptItem, 64) // dropped whole now and then: the trace is bounded anyway
	}
	it := exchangeItem(ex, r.w.ID(), r.lesson.ID)
	it.Prepare()
	r.items[ex.Seq] = keptItem{url: ex.URL, it: it}
	return it
}

// maxKeptItems is about a trace's length (trace.DefaultLimit).
const maxKeptItems = trace.DefaultLimit

type keptItem struct {
	url string
	it  *ui.ExchangeItem
}

// exchangeItem is an exchange as the diagram draws it.
func exchangeItem(ex *trace.Exchange, sandboxID, lessonID string) *ui.ExchangeItem {
	it := &ui.ExchangeItem{Seq: ex.Seq, Method: ex.Method, Status: ex.Status, StatusText: http.StatusText(ex.Status),
		Via: ex.Via, Href: exchangeURL(sandboxID, lessonID, ex.Seq)}
	if u, err := url.Parse(ex.URL); err == nil {
		it.Host, it.Path = u.Host, shortPath(u.EscapedPath())
	} else {
		it.Path = ex.URL
	}
	it.Lane = laneOf(ex.Service, it.Host)
	it.Challenge = ex.Status == http.StatusUnauthorized && ex.ResponseHeaders.Get("WWW-Authenticate") != ""
	if ex.Authn != nil && !ex.Authn.OK {
		it.AuthnCode = ex.Authn.Code
	}
	return it
}

// lanes are the lifelines of the services.
var lanes = map[service.Name]int{
	service.Entra: ui.LaneEntra,
	// Microsoft Graph is Entra ID's directory API: same lifeline.
	service.Graph:           ui.LaneEntra,
	service.ManagedIdentity: ui.LaneMI,
	service.ARM:             ui.LaneARM,
	service.KeyVault:        ui.LaneKeyVault,
	service.Queue:           ui.LaneStorage,
	service.WebApps:         ui.LaneThirdParty,
}

// laneOf maps the answering service to its lifeline. An exchange the front
// door refused before any service saw it has no service: the table names
// its host's.
func laneOf(name service.Name, host string) int {
	if name == "" {
		name = service.Of(host)
	}
	if lane, ok := lanes[name]; ok {
		return lane
	}
	return ui.LaneThirdParty
}

var guidSegment = regexp.MustCompile(`^[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}$`)

// shortPath names the GUIDs in a path by their role ({tenant},
// {subscription}, {id}) so the diagram's labels show what matters.
func shortPath(p string) string {
	segs := strings.Split(p, "/")
	for i, s := range segs {
		if !guidSegment.MatchString(s) {
			continue
		}
		switch {
		case i == 1:
			segs[i] = "{tenant}"
		case strings.EqualFold(segs[i-1], "subscriptions"):
			segs[i] = "{subscription}"
		default:
			segs[i] = "{id}"
		}
	}
	return strings.Join(segs, "/")
}

func itoa64(n int64) string { return strconv.FormatInt(n, 10) }
