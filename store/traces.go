package store

import (
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
	"slices"
	"strconv"

	"github.com/azure-auth-sandbox/sandbox/sim/trace"
)

// AppendExchange records an exchange for ex.SandboxID and sets ex.Seq to its
// sequence number: per sandbox, starting at 1, strictly increasing, never
// reused (not even after ClearExchanges). A Seq set by the caller is
// ignored. Only the newest trace limit exchanges are kept. An unknown
// sandbox is ErrNotFound. It returns once the row is committed (group
// commit: concurrent appends share a transaction).
//
// The JSON is stored with "seq":0; readers put the number in (withSeq),
// since it is only known in the write.
func (db *DB) AppendExchange(ctx context.Context, ex *trace.Exchange) error {
	if ex == nil || ex.SandboxID == "" {
		return fmt.Errorf("store: append exchange: sandbox id required: %w", ErrInvalid)
	}
	data, err := db.exchangeJSON(ex)
	if err != nil {
		return err
	}
	return db.exec("append exchange", false, func(tx *sql.Tx) error {
		seq, err := db.appendExchange(tx, ex.SandboxID, data)
		ex.Seq = seq
		return err
	})
}

// QueueExchange records an exchange like AppendExchange without waiting for
// it: the row is encoded at once and written by the writer with a later
// group commit, so the request that caused the exchange never waits on the
// trace's commit (and the one writer does not spend its time encoding).
// Flush waits for queued rows; an exchange of a sandbox deleted meanwhile
// is dropped.
func (db *DB) QueueExchange(ex *trace.Exchange) error {
	if ex == nil || ex.SandboxID == "" {
		return fmt.Errorf("store: queue exchange: sandbox id required: %w", ErrInvalid)
	}
	buf, _ := db.rows.Get().(*[]byte)
	if buf == nil {
		buf = new([]byte)
	}
	data, err := db.rowJSON((*buf)[:0], ex)
	if err != nil {
		return fmt.Errorf("store: queue exchange: %w", err)
	}
	id := ex.SandboxID
	return db.submit(&op{name: "queue exchange", run: func(tx *sql.Tx) error {
		_, err := tx.Stmt(db.stQueueEx).Exec(id, data)
		// The driver has copied the row: its buffer serves the next one
		// (a row is 3-4 KB; growing a fresh buffer to that was a quarter
		// of the bytes a queue request allocated).
		if cap(data) <= maxPooledRow {
			*buf = data
			db.rows.Put(buf)
		}
		if err = wrap("queue exchange", err); errors.Is(err, ErrNotFound) {
			return nil // the sandbox is gone, and its trace with it
		}
		return err
	}})
}

// maxPooledRow: a larger row's buffer (a big body) is not kept for reuse.
const maxPooledRow = 64 << 10

// exchangeJSON is a trace row: ex's JSON with Seq 0 (rowjson.go).
func (db *DB) exchangeJSON(ex *trace.Exchange) ([]byte, error) {
	data, err := db.rowJSON(make([]byte, 0, 4096), ex)
	if err != nil {
		return nil, fmt.Errorf("store: append exchange: %w", err)
	}
	return data, nil
}

// appendExchange is one prepared statement: the number is one past the
// newest kept exchange or past the mark ClearExchanges left; the
// exchanges_trim trigger drops what falls off the limit.
func (db *DB) appendExchange(tx *sql.Tx, sandboxID string, data []byte) (int64, error) {
	var seq int64
	if err := tx.Stmt(db.stAppendEx).QueryRow(sandboxID, data).Scan(&seq); err != nil {
		return 0, wrap("append exchange", err)
	}
	return seq, nil
}

// seqZero is how an Exchange with Seq 0 starts when encoded (Seq is its
// first field), which lets withSeq put the real number in without decoding.
const seqZero = `{"seq":0,`

// withSeq returns a new copy of stored exchange JSON (encoded with Seq 0)
// with Seq set to seq, exactly as json.Marshal of the exchange would be.
func withSeq(data []byte, seq int64) (json.RawMessage, error) {
	if len(data) < len(seqZero) || string(data[:len(seqZero)]) != seqZero {
		// Not the expected shape (the field order changed): take the slow,
		// always correct way.
		var ex trace.Exchange
		if err := json.Unmarshal(data, &ex); err != nil {
			return nil, err
		}
		ex.Seq = seq
		return json.Marshal(&ex)
	}
	out := make([]byte, 0, len(data)+20)
	out = append(out, `{"seq":`...)
	out = strconv.AppendInt(out, seq, 10)
	return append(out, data[len(seqZero)-1:]...), nil
}

// ExchangesJSON is Exchanges without decoding: each element is one
// exchange's JSON exactly as json.Marshal of trace.Exchange writes it (with
// its Seq), oldest first. The API can write them out as a JSON array
// without a decode/encode round trip.
func (db *DB) ExchangesJSON(ctx context.Context, sandboxID string, limit int) ([]json.RawMessage, error) {
	var out []json.RawMessage
	err := db.readExchanges(ctx, sandboxID, limit, func(n, seq int64, data []byte) error {
		if out == nil {
			out = make([]json.RawMessage, 0, n)
		}
		raw, err := withSeq(data, seq)
		if err != nil {
			return fmt.Errorf("store: exchanges: seq %d: %w", seq, err)
		}
		out = append(out, raw)
		return nil
	})
	if err != nil {
		return nil, err
	}
	if out == nil {
		out = []json.RawMessage{}
	}
	slices.Reverse(out)
	return out, nil
}

// Exchanges returns the newest limit exchanges of a sandbox (all kept when
// limit <= 0), oldest first. An unknown sandbox is ErrNotFound.
func (db *DB) Exchanges(ctx context.Context, sandboxID string, limit int) ([]trace.Exchange, error) {
	var out []trace.Exchange
	err := db.readExchanges(ctx, sandboxID, limit, func(n, seq int64, data []byte) error {
		if out == nil {
			out = make([]trace.Exchange, 0, min(n, 64))
		}
		out = append(out, trace.Exchange{})
		ex := &out[len(out)-1]
		if err := json.Unmarshal(data, ex); err != nil {
			return fmt.Errorf("store: exchanges: seq %d: %w", seq, err)
		}
		ex.Seq = seq
		return nil
	})
	if err != nil {
		return nil, err
	}
	if out == nil {
		out = []trace.Exchange{}
	}
	slices.Reverse(out) // read newest first (the LIMIT keeps the newest)
	return out, nil
}

// readExchanges calls fn for the newest limit exchanges, newest first. n is
// how many rows there can be at most; data is only valid during the call.
func (db *DB) readExchanges(ctx context.Context, sandboxID string, limit int, fn func(n, seq int64, data []byte) error) error {
	n := int64(limit)
	if n <= 0 || n > db.traceLimit {
		n = db.traceLimit // nothing beyond the limit is kept
	}
	rows, err := db.stReadEx.QueryContext(ctx, sandboxID, n)
	if err != nil {
		return wrap("exchanges", err)
	}
	defer rows.Close()
	// RawBytes points into the driver's buffer (no copy per row); it is valid
	// until the next Next.
	var data sql.RawBytes
	found := false
	for rows.Next() {
		var seq int64
		if err := rows.Scan(&seq, &data); err != nil {
			return wrap("exchanges", err)
		}
		found = true
		if err := fn(n, seq, data); err != nil {
			return err
		}
	}
	if err := rows.Err(); err != nil {
		return wrap("exchanges", err)
	}
	if !found {
		// Tell "no exchanges yet" from "no such sandbox" only when it matters.
		if _, err := db.Sandbox(ctx, sandboxID); err != nil {
			return err
		}
	}
	return nil
}

// ClearExchanges deletes a sandbox's exchanges; sequence numbers continue
// where they were. An unknown sandbox is ErrNotFound.
//
// It goes through the writer, after the rows queued before it, so none of
// them outlives the clear.
func (db *DB) ClearExchanges(ctx context.Context, sandboxID string) error {
	return db.exec("clear exchanges", true, func(tx *sql.Tx) error {
		var one int
		if err := tx.QueryRowContext(ctx, `SELECT 1 FROM sandboxes WHERE id = ?`, sandboxID).Scan(&one); err != nil {
			return wrap("clear exchanges", err)
		}
		// Remember where numbering stood, so the next append continues after it.
		if _, err := tx.ExecContext(ctx, `INSERT INTO trace_heads(sandbox_id, seq)
			SELECT ?1, ifnull(max(seq), 0) FROM exchanges WHERE sandbox_id = ?1
			ON CONFLICT(sandbox_id) DO UPDATE SET seq = max(seq, excluded.seq)`, sandboxID); err != nil {
			return wrap("clear exchanges", err)
		}
		if _, err := tx.ExecContext(ctx, `DELETE FROM exchanges WHERE sandbox_id = ?`, sandboxID); err != nil {
			return wrap("clear exchanges", err)
		}
		return nil
	})
}
