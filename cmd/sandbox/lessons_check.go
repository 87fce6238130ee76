package main

import "github.com/azure-auth-sandbox/sandbox/lessons"

// checkLessons validates the lessons in dir ("" = the embedded ones).
func checkLessons(dir string) (lessonReport, error) {
	rep, err := lessons.CheckDir(dir)
	if err != nil {
		return nil, err // not a typed nil inside the interface
	}
	return rep, nil
}
