// Package workshop is the classroom: join codes, the QR code of the join
// link, each learner's standing on the live dashboard (current step, goals,
// last outcome, stuck), the notices learners' pages receive, and the CSV
// export. It knows nothing of HTTP; the web package serves it and the store
// keeps its rows.
package workshop
