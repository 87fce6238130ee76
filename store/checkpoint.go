package store

import (
	"context"
	"database/sql"
	"fmt"
	"sync"
	"time"
)

// walBackstop is the writer connection's wal_autocheckpoint (pages): far
// above what the background checkpoint lets the WAL reach, it only bounds
// the WAL should that fall behind.
const walBackstop = 10000

// checkpointEvery is the least time between two background checkpoints
// while writes go on: each copies the pages committed meanwhile into the
// database file once, however often they changed.
const checkpointEvery = 200 * time.Millisecond

// checkpointer copies the WAL into the database file on a connection of
// its own, so the writer's commits never wait for a checkpoint (reading
// the WAL, writing the file, two fsyncs). SQLite's automatic checkpoint
// would run on the committing connection, inside the group commit.
type checkpointer struct {
	conn    *sql.DB
	kick    chan struct{} // a commit happened
	stop    chan struct{}
	stopped sync.Once
	done    chan struct{}
}

func (db *DB) startCheckpointer(conn *sql.DB) {
	db.ck = &checkpointer{conn: conn, kick: make(chan struct{}, 1), stop: make(chan struct{}), done: make(chan struct{})}
	go db.checkpointLoop()
}

// committed tells the checkpointer that the WAL grew.
func (db *DB) committed() {
	if db.ck == nil {
		return
	}
	select {
	case db.ck.kick <- struct{}{}:
	default:
	}
}

func (db *DB) checkpointLoop() {
	ck := db.ck
	defer close(ck.done)
	for {
		select {
		case <-ck.stop:
			return
		case <-ck.kick:
		}
		// PASSIVE: copies what no reader still needs, waits for nobody,
		// and the writer goes on appending meanwhile.
		if _, err := ck.conn.ExecContext(context.Background(), `PRAGMA wal_checkpoint(PASSIVE)`); err != nil {
			db.log.Warn("store: checkpoint failed", "err", err)
		}
		select {
		case <-ck.stop:
			return
		case <-time.After(checkpointEvery):
		}
	}
}

// stopCheckpointer ends the background checkpoint (Close checkpoints the
// rest when the last connection closes). Closing twice is harmless.
func (db *DB) stopCheckpointer() error {
	if db.ck == nil {
		return nil
	}
	var err error
	db.ck.stopped.Do(func() {
		close(db.ck.stop)
		<-db.ck.done
		if cerr := db.ck.conn.Close(); cerr != nil {
			err = fmt.Errorf("store: close checkpointer: %w", cerr)
		}
	})
	return err
}
