package ui

import (
	"bytes"
	"context"
	"fmt"
	"testing"
)

// DiagramRows renders exactly what Diagram does while the diagram grows a
// row at a time, when a marker's count changes an earlier row, when the
// diagram shrinks (a trimmed trace), and when it is another diagram.
func TestDiagramRowsRendersLikeDiagram(t *testing.T) {
	var items []DiagramItem
	marker := &MarkerItem{Label: "client.get_secret(\"k\")", Count: 0}
	items = append(items, DiagramItem{Marker: marker})
	var c DiagramRows
	check := func(what string, its []DiagramItem) {
		t.Helper()
		d := LayoutDiagram(its)
		d.OOB = true
		var want, got bytes.Buffer
		if err := Diagram(d).Render(context.Background(), &want); err != nil {
			t.Fatal(err)
		}
		if err := c.Render(context.Background(), d, &got); err != nil {
			t.Fatal(err)
		}
		if got.String() != want.String() {
			t.Fatalf("%s: DiagramRows differs from Diagram:\n got %s\nwant %s", what, got.String(), want.String())
		}
	}
	check("one marker", items)
	for i := range 12 {
		items = append(items, DiagramItem{Exchange: &ExchangeItem{Seq: int64(i + 1), Lane: LaneKeyVault, Method: "GET",
			Path: "/secrets/k", Host: "kv.vault.azure.net", Status: []int{401, 200, 403}[i%3], StatusText: "x", Href: fmt.Sprintf("/x/%d", i+1)}})
		if i%4 == 3 {
			items = append(items, DiagramItem{Marker: &MarkerItem{Label: fmt.Sprintf("step %d", i), Count: 1}})
		}
		check(fmt.Sprintf("after exchange %d", i+1), items)
		if n := c.n; n != len(LayoutDiagram(items).Rows) {
			t.Fatalf("holds %d rows, want %d", n, len(LayoutDiagram(items).Rows))
		}
		check("the same again", items)
	}
	marker.Count = 3 // the first row changes: everything is drawn again
	check("a grown marker count", items)
	check("a shorter diagram", items[:5])
	check("back to the long one", items)
	check("another diagram", sampleDiagramItems())
	check("empty", nil)
}
