package ui

import (
	"html/template"

	"github.com/a-h/templ"
)

// The lesson player's view models: plain data the handlers fill, one struct
// per page or fragment. Components never look anything up themselves.

// CatalogPage lists the lessons with the learner's progress.
type CatalogPage struct {
	Page
	Lessons []CatalogEntry
}

// CatalogEntry is one lesson in the catalog.
type CatalogEntry struct {
	ID, Title, Summary string
	Order              int
	// Teaches is what the lesson shows, in words (its claims' titles).
	Teaches          []string
	Steps, StepsDone int
	GoalMet          bool
	// URL opens the lesson (it starts a sandbox when the learner has none).
	URL string
}

// LessonStartPage offers to create a sandbox for a lesson.
type LessonStartPage struct {
	Page
	LessonID, Title, Summary string
	Scenario                 string
	StartURL                 string
}

// LessonPage is the lesson player.
type LessonPage struct {
	Page
	SandboxID, LessonID string
	Title, Summary      string
	Teaches             []string
	// Setup is what the lesson did to the sandbox before the learner's
	// first step (its requests open the diagram).
	Setup []SetupItem
	// Base is the lesson's URL in this sandbox; the player's routes hang
	// off it.
	Base         string
	StreamURL    string
	PresenterURL string
	HARURL       string
	CatalogURL   string
	SandboxTime  string
	Blocks       []BlockView
	Place        PlaceView
	Goal         GoalView
	Diagram      DiagramView
	// DiagramHTML, when set, is Diagram rendered before (byte for byte
	// what Diagram(Diagram) writes, from the run's kept rows).
	DiagramHTML templ.Component
	Panel       PanelView
	// Inspector is open when the page was asked for one exchange (the
	// no-JavaScript path of a click in the diagram).
	Inspector *InspectorView
	// RealMode says what runs against real Azure (nil: a simulated
	// sandbox on a server without real mode).
	RealMode *RealModeView
}

// RealModeView is the lesson page's word on real Azure: each line a
// plain statement (what runs there, what stays simulated and why, what
// the server's identity cannot do).
type RealModeView struct {
	Real  bool // the lesson's declared steps run in real Azure now
	Lines []string
}

// SetupItem is one setup action of the lesson, in words.
type SetupItem struct {
	Text  string
	Count int
}

// BlockView is one block of the lesson: exactly one field is set.
type BlockView struct {
	HTML  template.HTML // narrative (lesson Markdown, rendered safely)
	Step  *StepView
	Rerun *RerunView
	Check *GoalItem
}

// RerunView offers to run earlier steps again, where the lesson asks.
type RerunView struct {
	ID, Title string
	URL       string
	Steps     []string // their titles, in order
}

// StepView is a code step or a sandbox action step.
type StepView struct {
	ID, Title string
	Action    bool // a sandbox change rather than code
	Number    int
	Tabs      []CodeTab
	Params    []ParamView
	CLI       string
	RunURL    string
	RunsOn    string // fixed by the lesson ("" = the learner's choice)
	// Cloud, in a real-mode run, is "real" or why the step stays
	// simulated ("" otherwise).
	Cloud string
	// Hidden, in a real-mode run, says why the block offers no button (a
	// clock move or propagation delay: real Azure has neither control).
	Hidden string
	Last   *RunView
	// OOB renders the result as an htmx out-of-band swap (a rerun updates
	// several steps at once).
	OOB bool
}

// CodeTab is the step's statement in one language.
type CodeTab struct {
	Lang, Label string
	HTML        template.HTML
	Default     bool
	Note        string
}

// ParamView is a step parameter; editable ones are form fields.
type ParamView struct {
	Name, Help, Value string
	Editable          bool
	Enum              []string
}

// RunView is what the last run of a step did.
type RunView struct {
	OK          bool
	Output      string
	Error       string
	Count       int
	When        string
	ExplainHTML template.HTML
	Chain       *ChainView
	Place       string
	// Run is "step-n": which run of the step this is (tests wait on it).
	Run string
	// Exchanges are this run's requests, listed under the step.
	Exchanges []ExchangeView
	// Language is the language the step ran in ("Python", "Go"; "" for a
	// sandbox change). ErrorType is Python's exception type.
	Language  string
	ErrorType string
	// RestartURL is set when the program stopped (a crashed or hung Python
	// worker): the learner restarts it there.
	RestartURL string
	CSRFToken  string
}

// ChainView is DefaultAzureCredential's report.
type ChainView struct {
	Answered string
	Reused   bool
	Error    string
	Links    []LinkView
}

// LinkView is one credential of the chain.
type LinkView struct {
	Name, Outcome, Why, Message string
}

// PlaceView is where the code runs and what the workstation holds.
type PlaceView struct {
	SetURL string
	// Where is "workstation", "workstation-me" or "site".
	Where string
	// Credential is what the workstation holds: localDev, none or custom.
	Credential string
	Site       string
	// SiteState is what the site is now: "none" (not deployed), "off"
	// (no managed identity) or "on".
	SiteState string
	EnvNames  []string
	// OOB renders the "Now:" line as an htmx out-of-band swap (it changes
	// when a step moves the code or changes the workstation).
	OOB     bool
	Objects []string
	// Language is what the code runs in (go or python); LanguageURL
	// changes it. PythonMissing says why Python cannot run (then only Go
	// is offered); Python names the interpreter and SDK otherwise.
	Language      string
	LanguageURL   string
	Python        string
	PythonMissing string
}

// GoalView is the lesson's goal evaluated now.
type GoalView struct {
	// OOB renders it as an htmx out-of-band swap.
	OOB   bool
	Met   bool
	Done  int
	Items []GoalItem
}

// GoalItem is one check of the goal.
type GoalItem struct {
	ID, Title    string
	Met          bool
	Detail       string
	HintHTML     template.HTML
	SolutionHTML template.HTML
	InspectURL   string // the exchange that satisfied it
}
