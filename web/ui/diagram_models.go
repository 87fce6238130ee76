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
	// The drawing's words, filled by Prepare (LayoutDiagram prepares a
	// copy of an item that is not prepared).
	Outcome        string
	Icon           string
	RequestLabel   string
	ResponseLabel  string
	AccessibleName string
	hash           uint64 // of everything the drawing depends on
	prepared       bool
}

// Prepare computes the item's words and hash once, so an item kept across
// layouts (the web layer keeps one per exchange) is not worded again.
func (e *ExchangeItem) Prepare() {
	e.Outcome, e.Icon = Outcome(e.Status, e.Challenge)
	e.RequestLabel = truncate(e.Method+" "+e.Path, 60)
	e.ResponseLabel = e.Icon + " " + statusWords(*e)
	// The name starts with the visible text (WCAG 2.5.3: what a speech user
	// reads out must activate it), then says where to.
	e.AccessibleName = "#" + strconv.FormatInt(e.Seq, 10) + " " + e.RequestLabel + " " + e.ResponseLabel + ", to " + Lifelines[e.Lane] + " at " + e.Host
	h := fnvUint(fnvOffset, uint64(e.Seq))
	for _, s := range []string{e.Href, e.AccessibleName, e.Via} {
		h = fnvString(fnvUint(h, uint64(len(s))), s)
	}
	e.hash, e.prepared = h, true
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
	// Rows are the markers and exchanges in trace order (pointing into
	// Markers and Exchanges): the SVG draws them in this order, so new rows
	// are appended at the end.
	Rows []DiagramRow
	// Mark names what the diagram shows: the number of rows and a hash of
	// them. A page that shows the diagram at a mark the diagram has as a
	// prefix needs only the rows after it (Since).
	Mark string
	// Src is where the whole diagram can be fetched (the lesson page's
	// script does when the rows it was sent do not fit what it shows).
	Src string
	// prefix[i] is the hash of the first i rows.
	prefix []uint64
}

// DiagramRow is a marker or an exchange of the laid-out diagram.
type DiagramRow struct {
	Marker   *MarkerView
	Exchange *ExchangeView
}

// Since returns the index of the first row after mark, when mark names a
// prefix of this diagram's rows (a page showing an earlier state of it).
func (v DiagramView) Since(mark string) (int, bool) {
	n, hash, ok := strings.Cut(mark, "-")
	if !ok || len(v.prefix) == 0 {
		return 0, false
	}
	i, err := strconv.Atoi(n)
	if err != nil || i < 0 || i >= len(v.prefix) {
		return 0, false
	}
	return i, strconv.FormatUint(v.prefix[i], 16) == hash
}

// MarkAt is the mark of the first n rows.
func (v DiagramView) MarkAt(n int) string {
	if n < 0 || n >= len(v.prefix) {
		return ""
	}
	return strconv.Itoa(n) + "-" + strconv.FormatUint(v.prefix[n], 16)
}

// rowHash extends a prefix hash by one row: everything its drawing
// depends on besides its position, which the prefix fixes (FNV-1a).
func rowHash(prev uint64, it DiagramItem) uint64 {
	h := fnvUint(fnvOffset, prev)
	if m := it.Marker; m != nil {
		h = fnvUint(fnvString(fnvUint(h, 'm'), m.Label), uint64(m.Count))
	} else if e := it.Exchange; e != nil {
		if !e.prepared {
			c := *e
			c.Prepare()
			e = &c
		}
		h = fnvUint(fnvUint(h, 'e'), e.hash)
	}
	return h
}

const (
	fnvOffset = 14695981039346656037
	fnvPrime  = 1099511628211
)

func fnvString(h uint64, s string) uint64 {
	for i := 0; i < len(s); i++ {
		h ^= uint64(s[i])
		h *= fnvPrime
	}
	return h
}

func fnvUint(h, v uint64) uint64 {
	for range 8 {
		h ^= v & 0xff
		h *= fnvPrime
		v >>= 8
	}
	return h
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
	Index  int // 1-based, for the presenter's reveal
	X1, X2 int
	Y      int // request arrow
	RY     int // response arrow
}

// LayoutDiagram places the items on the lifelines.
func LayoutDiagram(items []DiagramItem) DiagramView {
	v := DiagramView{Width: laneLeft*2 + laneGap*(len(Lifelines)-1)}
	for i, l := range Lifelines {
		v.Lanes = append(v.Lanes, LaneView{Label: l, X: laneX(i)})
	}
	y := headerH
	v.prefix = make([]uint64, 1, len(items)+1)
	v.Exchanges = make([]ExchangeView, 0, len(items))
	for _, it := range items {
		if it.Marker == nil && it.Exchange == nil {
			continue
		}
		v.prefix = append(v.prefix, rowHash(v.prefix[len(v.prefix)-1], it))
		switch {
		case it.Marker != nil:
			m := it.Marker
			v.Markers = append(v.Markers, MarkerView{Label: m.Label, Count: m.Count, Text: MarkerText(m.Label, m.Count), Y: y + 24})
			y += markerH
		case it.Exchange != nil:
			e := *it.Exchange
			if !e.prepared {
				e.Prepare()
			}
			v.Count++
			ev := ExchangeView{ExchangeItem: e, Index: v.Count, X1: laneX(LaneCode), X2: laneX(e.Lane), Y: y + 22, RY: y + 46}
			v.Exchanges = append(v.Exchanges, ev)
			v.LastSeq = max(v.LastSeq, e.Seq)
			v.Announce = "New exchange " + ev.AccessibleName
			y += exchangeH
		}
	}
	v.Height = y + diagramPadB
	v.Rows = make([]DiagramRow, 0, len(v.Markers)+len(v.Exchanges))
	mi, ei := 0, 0
	for _, it := range items {
		switch {
		case it.Marker != nil:
			v.Rows = append(v.Rows, DiagramRow{Marker: &v.Markers[mi]})
			mi++
		case it.Exchange != nil:
			v.Rows = append(v.Rows, DiagramRow{Exchange: &v.Exchanges[ei]})
			ei++
		}
	}
	v.Mark = v.MarkAt(len(v.prefix) - 1)
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
