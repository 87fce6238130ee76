package web

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"mime"
	"net/http"
	"strconv"

	"github.com/labstack/echo/v4"
)

// decodeJSON reads the request body as exactly one JSON object into dst,
// refusing unknown fields, wrong types and trailing data with a 400 that says
// what was wrong. An empty body leaves dst as it is (every field optional)
// unless required is set.
func decodeJSON(c echo.Context, dst any, required bool) error {
	r := c.Request()
	body, err := io.ReadAll(r.Body)
	if err != nil {
		var mbe *http.MaxBytesError
		if errors.As(err, &mbe) {
			return errorf(CodeTooLarge, "request body larger than %d bytes", mbe.Limit)
		}
		return &Error{Code: CodeInvalidArgument, Message: "could not read the request body", Err: err}
	}
	if len(bytes.TrimSpace(body)) == 0 {
		if required {
			return errorf(CodeInvalidJSON, "a JSON object body is required")
		}
		return nil
	}
	if ct := r.Header.Get(echo.HeaderContentType); ct != "" {
		mt, _, err := mime.ParseMediaType(ct)
		if err != nil || (mt != echo.MIMEApplicationJSON && mt != "text/json") {
			return errorf(CodeUnsupportedMedia, "Content-Type must be application/json, got %q", ct)
		}
	}
	dec := json.NewDecoder(bytes.NewReader(body))
	dec.DisallowUnknownFields()
	if err := dec.Decode(dst); err != nil {
		return &Error{Code: CodeInvalidJSON, Message: describeJSONError(err), Err: err}
	}
	if dec.More() {
		return errorf(CodeInvalidJSON, "invalid JSON: unexpected data after the object")
	}
	if _, err := dec.Token(); err != io.EOF {
		return errorf(CodeInvalidJSON, "invalid JSON: unexpected data after the object")
	}
	return nil
}

// describeJSONError words a decoding error for the client.
func describeJSONError(err error) string {
	var se *json.SyntaxError
	var te *json.UnmarshalTypeError
	switch {
	case errors.As(err, &se):
		return fmt.Sprintf("invalid JSON at byte %d: %v", se.Offset, se)
	case errors.As(err, &te):
		if te.Field == "" {
			return fmt.Sprintf("invalid JSON: expected an object, got %s", te.Value)
		}
		return fmt.Sprintf("invalid JSON: field %q must be %s, got %s", te.Field, jsonKind(te.Type.Kind().String()), te.Value)
	case errors.Is(err, io.ErrUnexpectedEOF):
		return "invalid JSON: unexpected end of input"
	}
	// DisallowUnknownFields reports `json: unknown field "x"`.
	msg := err.Error()
	const prefix = "json: "
	if len(msg) > len(prefix) && msg[:len(prefix)] == prefix {
		msg = msg[len(prefix):]
	}
	return "invalid JSON: " + msg
}

func jsonKind(k string) string {
	switch k {
	case "int", "int8", "int16", "int32", "int64", "uint", "uint8", "uint16", "uint32", "uint64":
		return "an integer"
	case "float32", "float64":
		return "a number"
	case "string":
		return "a string"
	case "bool":
		return "a boolean"
	}
	return "a " + k
}

// queryInt64 parses an optional non-negative integer query parameter.
func queryInt64(c echo.Context, name string) (int64, error) {
	v := c.QueryParam(name)
	if v == "" {
		return 0, nil
	}
	n, err := strconv.ParseInt(v, 10, 64)
	if err != nil || n < 0 {
		return 0, errorf(CodeInvalidArgument, "query parameter %q must be a non-negative integer", name)
	}
	return n, nil
}
