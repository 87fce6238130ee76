package ui

import "strconv"

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
		return "on the App Service site " + p.Site + " (its managed identity)"
	case "workstation-me":
		return "on your workstation, signed in to the Azure CLI as yourself"
	}
	return "on your workstation"
}

func itoa(n int) string { return strconv.Itoa(n) }

func i64(n int64) string { return strconv.FormatInt(n, 10) }

func fromWords(v InspectorView) string {
	who := "the lesson runner"
	if v.Via == "proxy" {
		who = "your own program, through the proxy"
	}
	if v.Site != "" {
		return who + ", on the site " + v.Site
	}
	return who + ", on the workstation"
}
