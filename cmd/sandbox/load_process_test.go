package main

import (
	"bufio"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"os/exec"
	"strings"
	"testing"
	"time"
)

// Where the load tests' learners run. A class's learners (their browsers
// and their own Go programs) cost about a quarter of a class's CPU, on the
// same two cores as the server: a real class has them on its own machines.
//
// LOAD_CLIENTS=separate runs them in a process of their own, as a load
// generator does: the test binary runs itself again with only
// TestLoadLearnersProcess, against the server this test started. The
// server's process then holds only the server (its run queue, heap and
// collections), its CPU is counted apart from the learners', and
// -test.cpuprofile and -test.trace show the server alone. Requests, their
// order, the checks and the latency accounting are the same code in
// either mode.
//
// The default stays inside the server's process. Measured paired on two
// cores, moving the learners out did not bring a class closer to a real
// one: their CPU stays on the same cores, and the OS scheduler then slices
// the server's threads against theirs: a step's time in the handler grew
// from p50 4 to 12 ms, and the step's latency as the learners saw it grew
// too (48 classes each: p95 41 to 48 ms, p50 16 to 21 ms). Both modes
// overstate a real class, whose server has its cores alone; the default is
// the closer of the two here, and earlier sessions' figures compare with
// it.
const (
	loadClientsEnv = "LOAD_CLIENTS"
	loadSpecEnv    = "LOAD_LEARNERS_RUN" // set only in the learners' process
	// loadProfileEnv names a file for the learners' process's CPU profile
	// (the last run's); -test.cpuprofile profiles the server's.
	loadProfileEnv = "LOAD_LEARNERS_CPUPROFILE"
)

// loadSeparate reports whether the learners run in a process of their own.
func loadSeparate() bool { return os.Getenv(loadClientsEnv) == "separate" }

// The scenarios a learners' process can run.
const (
	loadClassroom = "classroom"
	loadWorkshop  = "workshop"
)

// loadSpec is one load run's client side, as handed to the learners'
// process.
type loadSpec struct {
	Scenario string        `json:"scenario"`
	Base     string        `json:"base"`
	N        int           `json:"n"`
	JoinOver time.Duration `json:"joinOver,omitempty"` // workshop pacing
	ReadMin  time.Duration `json:"readMin,omitempty"`
	ReadMax  time.Duration `json:"readMax,omitempty"`
	Seed     uint64        `json:"seed,omitempty"`
}

// run runs the client side in this process.
func (s loadSpec) run() (*loadStats, error) {
	switch s.Scenario {
	case loadClassroom:
		return classroom(s.Base, s.N)
	case loadWorkshop:
		return workshop(s.Base, s.N, pacing{joinOver: s.JoinOver, readMin: s.ReadMin, readMax: s.ReadMax, seed: s.Seed})
	}
	return nil, fmt.Errorf("unknown load scenario %q", s.Scenario)
}

// runLoad runs the spec's client side where loadSeparate says and fails
// tb with the learners' errors. The CPU figures cover the run only.
func runLoad(tb testing.TB, s loadSpec) *loadStats {
	tb.Helper()
	if loadSeparate() {
		st, err := learnersProcess(s)
		if err != nil {
			tb.Fatal(err)
		}
		return st
	}
	cpu0 := cpuTime()
	st, err := s.run()
	if err != nil {
		tb.Fatal(err)
	}
	st.cpu = cpuTime() - cpu0
	return st
}

// loadResult is what the learners' process sends back: the latencies by
// kind (nanoseconds, in the order measured) and the run's totals.
type loadResult struct {
	Ready      bool                       `json:"ready,omitempty"`
	Lat        map[string][]time.Duration `json:"lat,omitempty"`
	Requests   int                        `json:"requests"`
	Wall       time.Duration              `json:"wall"`
	Unfinished int                        `json:"unfinished"`
	Missed     int                        `json:"missed"`
	CPU        time.Duration              `json:"cpu"`
	Err        string                     `json:"err,omitempty"`
}

// learnersProcess starts the learners' process, lets it get ready
// (start-up, before the run and its CPU), starts the run and reads the
// result. Nothing passes between the processes during the run, so the
// server's process runs only the server meanwhile.
func learnersProcess(s loadSpec) (*loadStats, error) {
	spec, err := json.Marshal(s)
	if err != nil {
		return nil, err
	}
	ctx, cancel := context.WithTimeout(context.Background(), loadTimeout+time.Minute)
	defer cancel()
	args := []string{"-test.run=^TestLoadLearnersProcess$", "-test.count=1", "-test.v"}
	if p := os.Getenv(loadProfileEnv); p != "" {
		args = append(args, "-test.cpuprofile="+p) // the learners' side of a profile
	}
	cmd := exec.CommandContext(ctx, os.Args[0], args...)
	cmd.Env = append(os.Environ(), loadSpecEnv+"="+string(spec))
	out := &lockedBuffer{}
	cmd.Stdout, cmd.Stderr = out, out
	// Results come on a pipe of their own (fd 3), apart from the test
	// framework's output.
	r, w, err := os.Pipe()
	if err != nil {
		return nil, err
	}
	defer r.Close()
	cmd.ExtraFiles = []*os.File{w}
	goLine, err := cmd.StdinPipe()
	if err != nil {
		w.Close()
		return nil, err
	}
	if err := cmd.Start(); err != nil {
		w.Close()
		return nil, fmt.Errorf("learners' process: %w", err)
	}
	w.Close()
	failed := func(what string, err error) (*loadStats, error) {
		cancel()
		werr := cmd.Wait()
		return nil, fmt.Errorf("learners' process: %s: %v (exit: %v)\n%.4000s", what, err, werr, out.String())
	}
	dec := json.NewDecoder(r)
	var ready, res loadResult
	if err := dec.Decode(&ready); err != nil || !ready.Ready {
		return failed("not ready", err)
	}
	cpu0 := cpuTime()
	if _, err := io.WriteString(goLine, "go\n"); err != nil {
		return failed("start", err)
	}
	if err := dec.Decode(&res); err != nil {
		return failed("no result", err)
	}
	cpu := cpuTime() - cpu0
	goLine.Close()
	if err := cmd.Wait(); err != nil {
		return nil, fmt.Errorf("learners' process: %w\n%.4000s", err, out.String())
	}
	if res.Err != "" {
		return nil, errors.New(res.Err)
	}
	return &loadStats{lat: res.Lat, requests: res.Requests, wall: res.Wall, unfinished: res.Unfinished,
		missed: res.Missed, cpu: cpu, learnersCPU: res.CPU, separate: true}, nil
}

// TestLoadLearnersProcess is the learners' side of a load run in a process
// of its own; learnersProcess starts it with the run in
// LOAD_LEARNERS_RUN. It says it is ready, waits for "go" on stdin, runs
// the learners as the in-process mode does and writes the result.
func TestLoadLearnersProcess(t *testing.T) {
	spec := os.Getenv(loadSpecEnv)
	if spec == "" {
		t.Skip("the learners' process of a load test (started by the load tests)")
	}
	var s loadSpec
	if err := json.Unmarshal([]byte(spec), &s); err != nil {
		t.Fatalf("%s: %v", loadSpecEnv, err)
	}
	results := os.NewFile(3, "load-results") // learnersProcess's ExtraFiles[0]
	defer results.Close()
	enc := json.NewEncoder(results)
	if err := enc.Encode(loadResult{Ready: true}); err != nil {
		t.Fatalf("results pipe (fd 3): %v", err)
	}
	line, err := bufio.NewReader(os.Stdin).ReadString('\n')
	if err != nil || line != "go\n" {
		t.Fatalf("waiting for go: %q %v", line, err)
	}
	// The learners' garbage is collected as in the server's process, where
	// they ran before (and at the default GOGC a 26 MB class took 7
	// collections instead of 1): same work, same collector setting.
	if g := startGCTuner(); g != nil {
		defer g.Stop()
	}
	cpu0 := cpuTime()
	st, err := s.run()
	cpu := cpuTime() - cpu0
	res := loadResult{CPU: cpu}
	if err != nil {
		res.Err = err.Error()
	} else {
		res.Lat, res.Requests, res.Wall, res.Unfinished, res.Missed = st.lat, st.requests, st.wall, st.unfinished, st.missed
	}
	if err := enc.Encode(res); err != nil {
		t.Fatal(err)
	}
}

// TestLearnersProcessRunsTheClass runs a one-learner class in the
// learners' process (not LOAD: a plain go test holds the mode working): every
// request comes back measured, the server's CPU is apart from the
// learners', and a learner's failure comes back as the learner saw it.
func TestLearnersProcessRunsTheClass(t *testing.T) {
	t.Setenv("LOAD_PYTHON", "off")
	m := startLoadServer(t)
	st, err := learnersProcess(loadSpec{Scenario: loadClassroom, Base: m.URL(), N: 1})
	if err != nil {
		t.Fatal(err)
	}
	// lesson1: three pages, one sandbox, four steps, one fix, the own
	// program twice.
	for kind, want := range map[string]int{kindPage: 3, kindAPI: 1, kindStep: 4, kindFix: 1, kindProxy: 2} {
		if got := len(st.lat[kind]); got != want {
			t.Errorf("%s: %d measured, want %d", kind, got, want)
		}
		for _, d := range st.lat[kind] {
			if d <= 0 || d > loadTimeout {
				t.Errorf("%s: latency %v", kind, d)
			}
		}
	}
	if !st.separate || st.learnersCPU <= 0 || st.wall <= 0 || st.requests < 11 {
		t.Errorf("run totals: separate %v, learners' CPU %v, wall %v, %d requests", st.separate, st.learnersCPU, st.wall, st.requests)
	}
	// The learners' errors: no server, no such scenario.
	m.Close()
	_, err = learnersProcess(loadSpec{Scenario: loadClassroom, Base: m.URL(), N: 1})
	if err == nil || !strings.Contains(err.Error(), "/ca.pem") {
		t.Fatalf("a closed server: %v", err)
	}
	_, err = learnersProcess(loadSpec{Scenario: "nothing", Base: m.URL(), N: 1})
	if want := `unknown load scenario "nothing"`; err == nil || !strings.Contains(err.Error(), want) {
		t.Fatalf("got %v, want %s", err, want)
	}
}
