package ui

// InstructorSignInPage confirms a one-time sign-in link (a GET never uses
// it up, so a link preview cannot).
type InstructorSignInPage struct {
	Page
	Token string
	Error string
}

// InstructorHomePage lists the instructor's workshops and creates one.
type InstructorHomePage struct {
	Page
	Name      string
	Workshops []WorkshopItem
	Lessons   []LessonChoice
	Scenarios []string
	Error     string
	// Form keeps a refused form's values.
	Form WorkshopForm
}

// WorkshopForm is the create form's values.
type WorkshopForm struct {
	Title        string
	Lessons      []string
	Scenario     string
	EndsInMin    string
	StuckAfterMn string
}

// WorkshopItem is a workshop in the instructor's list.
type WorkshopItem struct {
	Title, URL, Code, Status string
	Learners                 int
}

// LessonChoice is a lesson the create form offers.
type LessonChoice struct {
	ID, Title string
	Checked   bool
}

// DashboardPage is the live dashboard of one workshop.
type DashboardPage struct {
	Page
	Title    string
	JoinURL  string
	Code     string
	QRURL    string
	Ended    bool
	EndsAt   string
	BaseURL  string // the dashboard's own URL (forms post under it)
	Lessons  []LessonChoice
	Faults   []FaultChoice
	Table    DashboardTable
	Message  string
	Presents string // the presenter view's form action
}

// FaultChoice is a fault the class actions offer.
type FaultChoice struct {
	Kind, Title string
}

// DashboardTable is the part the event stream replaces.
type DashboardTable struct {
	Lessons  []LessonChoice // columns, in the workshop's order
	Rows     []DashboardRow
	Current  string // the lesson the class was moved to
	Stuck    int
	Updated  string
	Learners int
}

// DashboardRow is one learner.
type DashboardRow struct {
	MemberID    string
	Name        string
	Steps       int // steps run
	URL         string
	Lesson      string
	Step        string
	OnStep      string
	Goals       []bool // per column
	Outcome     string
	OutcomeOK   bool
	Fault       string
	Stuck       bool
	StuckReason string
	HasSandbox  bool
}

// LearnerDetailPage is one learner's diagram and trace, read-only.
type LearnerDetailPage struct {
	Page
	Workshop     string
	DashboardURL string
	Name         string
	Lesson       string
	Diagram      DiagramView
	Trace        []TraceRow
	NoSandbox    bool
}

// TraceRow is one exchange in the read-only trace.
type TraceRow struct {
	Seq     int64
	Time    string
	Method  string
	URL     string
	Status  int
	Outcome string
	Step    string
}

// JoinPage is the learner's join form.
type JoinPage struct {
	Page
	Code  string
	Name  string
	Error string
}

// WorkshopNotice is the banner on a learner's page.
type WorkshopNotice struct {
	Message   string
	LessonURL string
	Lesson    string
	Seq       int64
}
