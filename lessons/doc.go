// Package lessons is the lesson player: the lesson model and its loader
// (Markdown files with YAML front matter, embedded plus an optional override
// directory), validation ("lessons check"), the goals that check themselves
// from the sandbox state and the trace, and the Runner that executes each
// step with the real Azure SDK for Go against a learner's sandbox.
//
// The web UI builds on the exported types: they are plain view models
// (rendered HTML, code per language, results with their exchanges).
package lessons
