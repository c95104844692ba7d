package protocol

import (
	"errors"
	"fmt"
	"net/http"
	"strings"
	"unicode/utf8"
)

// Result is one upload's outcome (PROTOCOL.md §3): build it with Answer, Failed or Unsupported.
type Result struct {
	outcome string

	// answer
	Status   *int
	Raised   bool
	Headers  map[string]string
	Body     *string
	BodyJSON any
	HasJSON  bool
	Error    *ErrorFields

	// failed / unsupported
	errorText string
	reason    string
}

// ErrorFields are the error fields the SDK exposed; nil for any it does not expose.
type ErrorFields struct {
	Code          *string `json:"code"`
	Message       *string `json:"message"`
	EC            *string `json:"ec"`
	RequestID     *string `json:"request_id"`
	ArgumentName  *string `json:"argument_name"`
	ArgumentValue *string `json:"argument_value"`
}

// Answer is an `answer` result: the SDK got an HTTP answer and reported it (or raised). Set Body or
// (with HasJSON) BodyJSON and Error on the value it returns.
func Answer(status *int, raised bool, headers http.Header) Result {
	return Result{outcome: "answer", Status: status, Raised: raised, Headers: LowerCaseHeaders(headers)}
}

// Failed is a `failed` result: no HTTP answer reached the SDK.
func Failed(errorText string) Result {
	return Result{outcome: "failed", errorText: errorText}
}

// Unsupported is an `unsupported` result: the SDK cannot express this upload.
func Unsupported(reason string) Result {
	return Result{outcome: "unsupported", reason: reason}
}

// Outcome is "answer", "failed" or "unsupported".
func (r Result) Outcome() string { return r.outcome }

func (r Result) message() map[string]any {
	switch r.outcome {
	case "answer":
		headers := r.Headers
		if headers == nil {
			headers = map[string]string{}
		}
		m := map[string]any{
			"outcome": "answer",
			"status":  r.Status,
			"raised":  r.Raised,
			"headers": headers,
			"body":    r.Body,
			"error":   r.Error,
		}
		if r.HasJSON {
			// The SDK handed over a parsed JSON value instead of text: body_json replaces body.
			m["body_json"] = r.BodyJSON
			m["body"] = nil
		}
		return m
	case "unsupported":
		return map[string]any{"outcome": "unsupported", "reason": r.reason}
	default:
		return map[string]any{"outcome": "failed", "error_text": r.errorText}
	}
}

// Int is a pointer to status, for Answer.
func Int(status int) *int { return &status }

// Str is a pointer to s, or nil when s is empty: for SDK error fields, where an empty string is
// what the SDK holds for a field the answer did not carry.
func Str(s string) *string {
	if s == "" {
		return nil
	}
	return &s
}

// Text is the body bytes as text; invalid UTF-8 is replaced rather than dropped.
func Text(data []byte) *string {
	var s string
	if utf8.Valid(data) {
		s = string(data)
	} else {
		s = strings.ToValidUTF8(string(data), "\uFFFD")
	}
	return &s
}

// LowerCaseHeaders flattens response headers to lower-case names, joining repeated values with ", ".
func LowerCaseHeaders(headers http.Header) map[string]string {
	out := make(map[string]string, len(headers))
	for name, values := range headers {
		out[strings.ToLower(name)] = strings.Join(values, ", ")
	}
	return out
}

// FromMap turns a map of header names to values (a presign result's signed headers) into
// http.Header.
func FromMap(m map[string]string) http.Header {
	h := make(http.Header, len(m))
	for name, value := range m {
		h.Set(name, value)
	}
	return h
}

// Describe is "Type: text" for an error, naming the innermost error in its Unwrap chain (the
// transport's *net.OpError, say) and the whole chain's text, the form reports show.
func Describe(err error) string {
	inner := err
	for {
		next := errors.Unwrap(inner)
		if next == nil {
			break
		}
		inner = next
	}
	return fmt.Sprintf("%T: %v", inner, err)
}
