package store

import (
	"bytes"
	"encoding/json"
	"net/http"
	"reflect"
	"testing"
	"time"

	"github.com/azure-auth-sandbox/sandbox/sim/rbac"
	"github.com/azure-auth-sandbox/sandbox/sim/trace"
)

// tricky are strings json.Marshal escapes: quotes, control characters,
// HTML, invalid UTF-8, U+2028/U+2029, non-ASCII.
var tricky = []string{"", "plain", `q"uo\te`, "ctl\b\f\n\r\t\x00\x1f\x7f", "<a href='x'>&amp;</a>",
	"bad\xff\xfeutf8", "sep\u2028\u2029", "ünïcødé 日本 🔑", "\xe2\x80"}

// fill sets every exported field of v (recursively) to something not
// empty, so a field the row encoder does not write shows up as a
// difference from json.Marshal.
func fill(v reflect.Value, n int) {
	switch v.Interface().(type) {
	case time.Time:
		v.Set(reflect.ValueOf(time.Date(2026, 12, 4, 22, 51, 25, 785553069+n, time.UTC)))
		return
	case http.Header:
		v.Set(reflect.ValueOf(http.Header{"X-B": {tricky[n%len(tricky)], "two"}, "A": {"1"}, "Nil": nil, "Empty": {}}))
		return
	case map[string]any:
		v.Set(reflect.ValueOf(map[string]any{"s": tricky[n%len(tricky)], "f": 1796424361.0, "x": 1.5e-7, "b": true,
			"l": []any{"a", 2.0}, "m": map[string]any{"z": nil}}))
		return
	}
	switch v.Kind() {
	case reflect.String:
		v.SetString(tricky[n%len(tricky)] + "-" + v.Type().Name())
	case reflect.Bool:
		v.SetBool(true)
	case reflect.Int, reflect.Int64:
		v.SetInt(int64(1000 + n))
	case reflect.Pointer:
		v.Set(reflect.New(v.Type().Elem()))
		fill(v.Elem(), n+1)
	case reflect.Slice:
		v.Set(reflect.MakeSlice(v.Type(), 2, 2))
		for i := range 2 {
			fill(v.Index(i), n+i+1)
		}
	case reflect.Struct:
		for i := range v.NumField() {
			if v.Type().Field(i).IsExported() {
				fill(v.Field(i), n+i)
			}
		}
	default:
		panic("fill: no case for " + v.Type().String())
	}
}

func marshalRow(t testing.TB, ex *trace.Exchange) []byte {
	t.Helper()
	c := *ex
	c.Seq = 0
	want, err := json.Marshal(&c)
	if err != nil {
		t.Fatal(err)
	}
	return want
}

// A trace row is exactly what json.Marshal writes, with every field set and
// with the empty and nil values omitempty and null depend on.
func TestRowJSONIsJSONMarshal(t *testing.T) {
	db := openTest(t)
	var cases []*trace.Exchange
	for n := range len(tricky) {
		ex := &trace.Exchange{}
		fill(reflect.ValueOf(ex).Elem(), n)
		cases = append(cases, ex)
	}
	empty := &trace.Exchange{Authn: &trace.Authn{}, Authz: &rbac.Decision{Considered: []rbac.Considered{},
		Principal: rbac.Principal{Groups: []string{}}}, RequestHeaders: http.Header{}, Token: &trace.Token{}}
	// A zero decision: its nil list (Considered) is null, not [].
	zero := &trace.Exchange{Authz: &rbac.Decision{}}
	cases = append(cases, &trace.Exchange{}, empty, zero, queueTrafficExchange(7), benchExchange())
	for i, ex := range cases {
		got, err := db.rowJSON(nil, ex)
		if err != nil {
			t.Fatalf("case %d: %v", i, err)
		}
		if want := marshalRow(t, ex); !bytes.Equal(got, want) {
			t.Errorf("case %d:\n got %s\nwant %s", i, got, want)
		}
		// Again: the token's and the decision's JSON now come from the caches.
		if again, _ := db.rowJSON(nil, ex); !bytes.Equal(again, got) {
			t.Errorf("case %d: second encoding differs:\n%s", i, again)
		}
	}
	// A time json.Marshal cannot write is an error here too.
	if _, err := db.rowJSON(nil, &trace.Exchange{Time: time.Date(10000, 1, 1, 0, 0, 0, 0, time.UTC)}); err == nil {
		t.Error("year 10000: no error")
	}
}

// An issued token's maker gives its JSON (trace.NewToken; entra's tests
// hold it to json.Marshal): the row writes those bytes, not its own
// encoding of the maps.
func TestRowJSONWritesAGivenTokenJSON(t *testing.T) {
	db := openTest(t)
	given := `{"header":{"alg":"RS256"},"claims":{"given":1}}`
	ex := &trace.Exchange{Issued: trace.NewToken(map[string]any{"alg": "RS256"}, map[string]any{"encoded": "here"}, []byte(given))}
	got, err := db.rowJSON(nil, ex)
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Contains(got, []byte(`,"issued":`+given+`}`)) {
		t.Fatalf("row %s does not carry the given JSON", got)
	}
}

func FuzzRowJSON(f *testing.F) {
	for _, s := range tricky {
		f.Add(s, s, "X-Key", s)
	}
	db := openTest(f)
	f.Fuzz(func(t *testing.T, url, body, key, value string) {
		ex := queueTrafficExchange(1)
		ex.URL, ex.ResponseBody, ex.Step = url, body, value
		ex.RequestHeaders = http.Header{key: {value}, "Accept": {body}}
		ex.Authz.Summary = value
		got, err := db.rowJSON(nil, ex)
		if err != nil {
			t.Fatal(err)
		}
		if want := marshalRow(t, ex); !bytes.Equal(got, want) {
			t.Errorf("\n got %s\nwant %s", got, want)
		}
	})
}

func BenchmarkRowJSON(b *testing.B) {
	db := openTest(b)
	ex := queueTrafficExchange(1)
	b.Run("rowJSON", func(b *testing.B) {
		b.ReportAllocs()
		for b.Loop() {
			if _, err := db.rowJSON(make([]byte, 0, 4096), ex); err != nil {
				b.Fatal(err)
			}
		}
	})
	b.Run("json.Marshal", func(b *testing.B) {
		b.ReportAllocs()
		for b.Loop() {
			marshalRow(b, ex)
		}
	})
}
