package main

import (
	"fmt"
	"io"
)

// lessonReport is the result of validating lessons.
type lessonReport interface {
	Print(w io.Writer)
	OK() bool
}

// lessonsCommand runs "sandbox lessons check [DIR]".
func lessonsCommand(args []string, stdout, stderr io.Writer) int {
	if len(args) == 0 || args[0] != "check" || len(args) > 2 {
		fmt.Fprintln(stderr, "usage: sandbox lessons check [DIR]")
		return 2
	}
	dir := ""
	if len(args) == 2 {
		dir = args[1]
	}
	rep, err := checkLessons(dir)
	if err != nil {
		fmt.Fprintln(stderr, "sandbox: lessons check:", err)
		return 1
	}
	rep.Print(stdout)
	if !rep.OK() {
		return 1
	}
	return 0
}
