package ui

import (
	"strconv"
	"strings"
)

// Lifelines of the sequence diagram, left to right.
var Lifelines = []string{"Your code", "Entra ID", "Managed identity", "ARM", "Key Vault", "Storage", "Third-party API"}

// Lifeline indexes.
const (
	LaneCode = iota
	LaneEntra
	LaneMI
	LaneARM
	LaneKeyVault
	LaneStorage
	LaneThirdParty
)

// Diagram geometry (SVG user units).
const (
	laneGap     = 150
	laneLeft    = 75
	headerH     = 56
	markerH     = 40
	exchangeH   = 58
	diagramPadB = 24
)

// DiagramItem is a marker or an exchange, in order, as the handler found
// them in the trace.
type DiagramItem struct {
	Marker   *MarkerItem
	Exchange *ExchangeItem
}

// MarkerItem marks where a step started, with how many requests it made.
type MarkerItem struct {
	Label string
	Count int
}

// ExchangeItem is one request/response.
type ExchangeItem struct {
	Seq        int64
	Lane       int
	Method     string
	Path       string
	Host       string
	Status     int
	StatusText string
	Challenge  bool // a 401 carrying WWW-Authenticate: the start of auth
	Via        string
	Href       string
	AuthnCode  string
}

// DiagramView is the laid-out diagram.
type DiagramView struct {
	// OOB renders it as an htmx out-of-band swap.
	OOB           bool
	Width, Height int
	Lanes         []LaneView
	Markers       []MarkerView
	Exchanges     []ExchangeView
	Count         int
	LastSeq       int64
	// Announce is the text for the aria-live region: the newest exchange.
	Announce string
}

// LaneView is one lifeline.
type LaneView struct {
	Label string
	X     int
}

// MarkerView is a laid-out marker.
type MarkerView struct {
	Label string
	Count int
	Text  string
	Y     int
}

// ExchangeView is a laid-out exchange: a request arrow and a response arrow.
type ExchangeView struct {
	ExchangeItem
	Index          int // 1-based, for the presenter's reveal
	X1, X2         int
	Y              int // request arrow
	RY             int // response arrow
	Outcome        string
	Icon           string
	RequestLabel   string
	ResponseLabel  string
	AccessibleName string
}

// LayoutDiagram places the items on the lifelines.
func LayoutDiagram(items []DiagramItem) DiagramView {
	v := DiagramView{Width: laneLeft*2 + laneGap*(len(Lifelines)-1)}
	for i, l := range Lifelines {
		v.Lanes = append(v.Lanes, LaneView{Label: l, X: laneX(i)})
	}
	y := headerH
	for _, it := range items {
		switch {
		case it.Marker != nil:
			m := it.Marker
			v.Markers = append(v.Markers, MarkerView{Label: m.Label, Count: m.Count, Text: MarkerText(m.Label, m.Count), Y: y + 24})
			y += markerH
		case it.Exchange != nil:
			e := *it.Exchange
			v.Count++
			ev := ExchangeView{ExchangeItem: e, Index: v.Count, X1: laneX(LaneCode), X2: laneX(e.Lane), Y: y + 22, RY: y + 46}
			ev.Outcome, ev.Icon = Outcome(e.Status, e.Challenge)
			ev.RequestLabel = truncate(e.Method+" "+e.Path, 60)
			ev.ResponseLabel = ev.Icon + " " + statusWords(e)
			// The name starts with the visible text (WCAG 2.5.3: what a
			// speech user reads out must activate it), then says where to.
			ev.AccessibleName = "#" + strconv.FormatInt(e.Seq, 10) + " " + ev.RequestLabel + " " + ev.ResponseLabel + ", to " + Lifelines[e.Lane] + " at " + e.Host
			v.Exchanges = append(v.Exchanges, ev)
			v.LastSeq = max(v.LastSeq, e.Seq)
			v.Announce = "New exchange " + ev.AccessibleName
			y += exchangeH
		}
	}
	v.Height = y + diagramPadB
	return v
}

func laneX(i int) int { return laneLeft + i*laneGap }

// MarkerText is "label — n requests".
func MarkerText(label string, n int) string {
	unit := " requests"
	if n == 1 {
		unit = " request"
	}
	return truncate(label, 70) + " — " + strconv.Itoa(n) + unit
}

// Outcome classifies a status: the CSS class and the icon that says the
// same thing as the colour (status is never colour alone).
func Outcome(status int, challenge bool) (class, icon string) {
	switch {
	case status == 0:
		return "st-error", "✗"
	case status < 300:
		return "st-ok", "✓"
	case status < 400:
		return "st-other", "↪"
	case status == 401 && challenge:
		return "st-challenge", "⚠"
	case status == 401 || status == 403:
		return "st-denied", "✗"
	default:
		return "st-error", "✗"
	}
}

func statusWords(e ExchangeItem) string {
	if e.Status == 0 {
		return "no response"
	}
	s := strconv.Itoa(e.Status) + " " + e.StatusText
	switch {
	case e.Challenge:
		s += " (challenge)"
	case e.AuthnCode != "":
		s += " (" + e.AuthnCode + ")"
	}
	return s
}

func truncate(s string, n int) string {
	r := []rune(s)
	if len(r) <= n {
		return s
	}
	return strings.TrimSpace(string(r[:n-1])) + "…"
}
