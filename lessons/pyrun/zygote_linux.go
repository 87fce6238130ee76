package pyrun

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net"
	"os"
	"os/exec"
	"sync"
	"syscall"
	"time"
)

// zproc is one running fork server and the workers it forked. Control
// messages are SOCK_SEQPACKET datagrams (see harness.py), so a request and
// the two descriptors it carries arrive whole.
type zproc struct {
	cmd    *exec.Cmd
	conn   *net.UnixConn
	stderr *tail
	exited chan struct{} // the zygote process exited
	dead   chan struct{} // its control socket ended: no more forks

	wmu sync.Mutex // one control write at a time

	mu       sync.Mutex
	nextID   uint64
	pending  map[uint64]*zchild
	children map[int]*zchild
}

var errZygoteGone = errors.New("pyrun: the fork server stopped")

func startZygote(python string, timeout time.Duration) (*zproc, error) {
	fds, err := syscall.Socketpair(syscall.AF_UNIX, syscall.SOCK_SEQPACKET|syscall.SOCK_CLOEXEC, 0)
	if err != nil {
		return nil, fmt.Errorf("socketpair: %w", err)
	}
	mine := os.NewFile(uintptr(fds[0]), "zygote-control")
	theirs := os.NewFile(uintptr(fds[1]), "zygote-control")
	defer theirs.Close()
	// An empty environment: the server's must not reach a worker through
	// the zygote either. -I ignores PYTHON* variables and the user's site.
	cmd := exec.Command(python, "-I", "-c", harness, "zygote")
	cmd.Env = []string{}
	cmd.Dir = "/"
	cmd.ExtraFiles = []*os.File{theirs} // fd 3
	setProcAttr(cmd)
	zp := &zproc{cmd: cmd, stderr: &tail{max: 4096}, exited: make(chan struct{}), dead: make(chan struct{}),
		pending: map[uint64]*zchild{}, children: map[int]*zchild{}}
	cmd.Stderr = zp.stderr
	if err := cmd.Start(); err != nil {
		_ = mine.Close()
		return nil, err
	}
	go func() {
		_ = cmd.Wait()
		close(zp.exited)
	}()
	c, err := net.FileConn(mine)
	_ = mine.Close()
	if err != nil {
		killGroup(cmd)
		return nil, err
	}
	zp.conn = c.(*net.UnixConn)
	_ = zp.conn.SetReadDeadline(time.Now().Add(timeout))
	buf := make([]byte, 4096)
	n, err := zp.conn.Read(buf)
	var r struct {
		Ready bool `json:"ready"`
	}
	if err == nil {
		err = json.Unmarshal(buf[:n], &r)
	}
	if err != nil || !r.Ready {
		_ = zp.conn.Close()
		killGroup(cmd)
		<-zp.exited
		if err == nil {
			err = errors.New("unexpected first message")
		}
		return nil, fmt.Errorf("start: %w: %s", err, zp.stderr.String())
	}
	_ = zp.conn.SetReadDeadline(time.Time{})
	go zp.read()
	return zp, nil
}

func (zp *zproc) pid() int { return zp.cmd.Process.Pid }

func (zp *zproc) isDead() bool {
	select {
	case <-zp.dead:
		return true
	default:
		return false
	}
}

// close stops the zygote: its control socket's end makes it exit, and its
// workers die with it (PR_SET_PDEATHSIG).
func (zp *zproc) close() {
	_ = zp.conn.Close()
	killGroup(zp.cmd)
	<-zp.exited
	<-zp.dead
}

// read dispatches the zygote's messages: fork replies and exits.
func (zp *zproc) read() {
	buf := make([]byte, 64<<10)
	for {
		n, err := zp.conn.Read(buf)
		if err != nil {
			break
		}
		var m struct {
			ID     *uint64 `json:"id"`
			Pid    int     `json:"pid"`
			Error  string  `json:"error"`
			Exit   *int    `json:"exit"`
			Status int     `json:"status"`
		}
		if json.Unmarshal(buf[:n], &m) != nil {
			continue
		}
		zp.mu.Lock()
		switch {
		case m.Exit != nil:
			if c := zp.children[*m.Exit]; c != nil {
				delete(zp.children, *m.Exit)
				c.exit(waitStatusText(syscall.WaitStatus(m.Status)))
			}
		case m.ID != nil:
			if c := zp.pending[*m.ID]; c != nil {
				delete(zp.pending, *m.ID)
				if m.Error != "" {
					c.forked <- errors.New(m.Error)
				} else {
					// Registered before the next message is read: its exit
					// cannot come first.
					c.p = m.Pid
					zp.children[m.Pid] = c
					c.forked <- nil
				}
			}
		}
		zp.mu.Unlock()
	}
	// The zygote is gone, and its workers with it (they die on their
	// parent's death).
	zp.mu.Lock()
	close(zp.dead)
	for id, c := range zp.pending {
		c.forked <- errZygoteGone
		delete(zp.pending, id)
	}
	for pid, c := range zp.children {
		c.exit("the fork server stopped")
		delete(zp.children, pid)
	}
	zp.mu.Unlock()
	_ = zp.conn.Close()
	killGroup(zp.cmd)
}

// waitStatusText says how a process ended as os.ProcessState does.
func waitStatusText(ws syscall.WaitStatus) string {
	switch {
	case ws.Exited():
		return fmt.Sprintf("exit status %d", ws.ExitStatus())
	case ws.Signaled():
		return "signal: " + ws.Signal().String()
	}
	return fmt.Sprintf("wait status %d", int(ws))
}

func (zp *zproc) send(msg []byte, rights []byte) error {
	zp.wmu.Lock()
	defer zp.wmu.Unlock()
	_, _, err := zp.conn.WriteMsgUnix(msg, rights, nil)
	return err
}

// fork asks the zygote for a worker with cfg's environment, directory and
// memory limit, talking to it over a socketpair of its own.
func (zp *zproc) fork(ctx context.Context, cfg Config) (*Worker, error) {
	lim := cfg.Limits.withDefaults()
	began := time.Now()
	sp, err := syscall.Socketpair(syscall.AF_UNIX, syscall.SOCK_STREAM|syscall.SOCK_CLOEXEC, 0)
	if err != nil {
		return nil, fmt.Errorf("pyrun: fork: socketpair: %w", err)
	}
	// The server's end goes through the runtime's poller; the worker's end
	// stays blocking, as Python's file reads expect.
	_ = syscall.SetNonblock(sp[0], true)
	proto := os.NewFile(uintptr(sp[0]), "worker-protocol")
	pr, pw, err := os.Pipe()
	if err != nil {
		_ = proto.Close()
		_ = syscall.Close(sp[1])
		return nil, fmt.Errorf("pyrun: fork: pipe: %w", err)
	}
	c := &zchild{zp: zp, forked: make(chan error, 1), exited: make(chan struct{}), stderrDone: make(chan struct{}),
		doneCh: make(chan struct{}), stderr: &tail{max: 4096}}
	zp.mu.Lock()
	if zp.isDead() {
		zp.mu.Unlock()
		_ = proto.Close()
		_ = syscall.Close(sp[1])
		_ = pr.Close()
		_ = pw.Close()
		return nil, errZygoteGone
	}
	zp.nextID++
	id := zp.nextID
	zp.pending[id] = c
	zp.mu.Unlock()
	env := cfg.Env
	if env == nil {
		env = []string{}
	}
	msg, err := json.Marshal(map[string]any{"id": id, "env": env, "dir": cfg.Dir, "memory": lim.Memory})
	if err == nil {
		err = zp.send(msg, syscall.UnixRights(sp[1], int(pw.Fd())))
	}
	// The kernel holds its own copies in the message now.
	_ = syscall.Close(sp[1])
	_ = pw.Close()
	if err == nil {
		t := time.NewTimer(lim.Start)
		select {
		case err = <-c.forked:
		case <-t.C:
			// A zygote that does not answer a fork is broken: start anew.
			err = errors.New("pyrun: the fork server did not answer")
			zp.kill()
		}
		t.Stop()
	}
	if err != nil {
		zp.mu.Lock()
		delete(zp.pending, id)
		zp.mu.Unlock()
		_ = proto.Close()
		_ = pr.Close()
		return nil, fmt.Errorf("pyrun: fork: %w", err)
	}
	go func() {
		_, _ = io.Copy(c.stderr, pr)
		_ = pr.Close()
		close(c.stderrDone)
	}()
	go func() {
		<-c.exited
		// An az the worker started may hold stderr a moment longer.
		t := time.NewTimer(2 * time.Second)
		select {
		case <-c.stderrDone:
		case <-t.C:
		}
		t.Stop()
		close(c.doneCh)
	}()
	w, err := ready(ctx, lim, c, proto, proto, c.stderr, began)
	if err != nil {
		return nil, err
	}
	w.forked = true
	return w, nil
}

// kill ends the zygote process (its workers die with it).
func (zp *zproc) kill() { killGroup(zp.cmd) }

// zchild is a worker the zygote forked.
type zchild struct {
	zp         *zproc
	p          int
	forked     chan error
	exited     chan struct{}
	st         string
	stderr     *tail
	stderrDone chan struct{}
	doneCh     chan struct{}
}

// exit records how the worker ended (zp.mu held).
func (c *zchild) exit(status string) {
	c.st = status
	close(c.exited)
}

func (c *zchild) pid() int              { return c.p }
func (c *zchild) done() <-chan struct{} { return c.doneCh }

func (c *zchild) status() string {
	c.zp.mu.Lock()
	defer c.zp.mu.Unlock()
	return c.st
}

// kill asks the zygote, which reaps its children, to kill the worker's
// process group: it does so only while the pid is still its unreaped
// child, so a reused pid is never hit.
func (c *zchild) kill() {
	select {
	case <-c.exited:
		return
	default:
	}
	msg, _ := json.Marshal(map[string]int{"kill": c.p})
	if c.zp.send(msg, nil) != nil {
		// The control socket is gone: the zygote, and so the worker, die.
		c.zp.kill()
	}
}
