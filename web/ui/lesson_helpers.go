package ui

import (
	"strconv"
	"strings"
)

func boolStr(b bool) string {
	if b {
		return "true"
	}
	return "false"
}

func tabIndex(selected bool) string {
	if selected {
		return "0"
	}
	return "-1"
}

func requests(n int) string {
	if n == 1 {
		return "1 request"
	}
	return strconv.Itoa(n) + " requests"
}

func placeWords(p PlaceView) string {
	switch p.Where {
	case "site":
		return "on the App Service site " + p.Site + siteWords(p.SiteState)
	case "workstation-me":
		return "on your workstation, signed in to the Azure CLI as yourself"
	}
	return "on your workstation"
}

// siteWords say what the site offers the code: its identity only when it
// has one, and nothing when it is not there yet.
func siteWords(state string) string {
	switch state {
	case "on":
		return " (with its managed identity)"
	case "off":
		return " (it has no managed identity: off)"
	}
	return " (not created yet)"
}

// cliLines splits a command-line equivalent into one command a line,
// joining "\" continuations so a command is never split across lines.
func cliLines(cli string) []string {
	var out []string
	cur := ""
	for _, l := range strings.Split(strings.TrimSpace(cli), "\n") {
		if cont, ok := strings.CutSuffix(strings.TrimRight(l, " "), "\\"); ok {
			cur += strings.TrimSpace(cont) + " "
			continue
		}
		out = append(out, cur+strings.TrimSpace(l))
		cur = ""
	}
	if cur != "" {
		out = append(out, strings.TrimSpace(cur))
	}
	return out
}

func itoa(n int) string { return strconv.Itoa(n) }

func i64(n int64) string { return strconv.FormatInt(n, 10) }

func fromWords(v InspectorView) string {
	who := "the lesson runner"
	if v.Via == "change" { // ARM or Graph, as the owner: not code running anywhere
		return "a sandbox change, made as owner (your admin sign-in)"
	}
	if v.Via == "proxy" {
		who = "your own program, through the proxy"
	}
	if v.Site != "" {
		return who + ", on the site " + v.Site
	}
	return who + ", on the workstation"
}
