package protocol

import (
	"encoding/json"
	"os"
	"time"
)

// Request is one `upload` message (PROTOCOL.md §2). Fields a later protocol version adds are
// ignored; the callback in the SDK's own terms (`callback`, `vars`) is kept raw, since both Go SDKs
// take the encoded values (`callback_base64`, `vars_base64`).
type Request struct {
	Type                   string                     `json:"type"`
	ID                     json.RawMessage            `json:"id"`
	Endpoint               string                     `json:"endpoint"`
	Region                 string                     `json:"region"`
	AccessKeyID            string                     `json:"access_key_id"`
	AccessKeySecret        string                     `json:"access_key_secret"`
	Bucket                 string                     `json:"bucket"`
	Key                    string                     `json:"key"`
	ContentFile            string                     `json:"content_file"`
	ContentType            *string                    `json:"content_type"`
	Headers                map[string]json.RawMessage `json:"headers"`
	Fields                 map[string]json.RawMessage `json:"fields"`
	Operation              string                     `json:"operation"`
	Auth                   string                     `json:"auth"`
	AuthRequired           *bool                      `json:"auth_required"`
	PartSize               *int64                     `json:"part_size"`
	Carrier                *string                    `json:"carrier"`
	CallbackOnEveryRequest bool                       `json:"callback_on_every_request"`
	Callback               json.RawMessage            `json:"callback"`
	CallbackBase64         *string                    `json:"callback_base64"`
	Vars                   json.RawMessage            `json:"vars"`
	VarsBase64             *string                    `json:"vars_base64"`
	TimeoutMS              *int64                     `json:"timeout_ms"`
}

// CarrierOrDefault is the request's carrier, defaulted per operation when the runner sent null.
func (r *Request) CarrierOrDefault() string {
	if r.Carrier != nil {
		return *r.Carrier
	}
	return DefaultCarrier[r.Operation]
}

// Timeout is the request's `timeout_ms` (10 s when the runner sent none).
func (r *Request) Timeout() time.Duration {
	ms := int64(10_000)
	if r.TimeoutMS != nil && *r.TimeoutMS > 0 {
		ms = *r.TimeoutMS
	}
	return time.Duration(ms) * time.Millisecond
}

// ReadContent is the exact object content, from `content_file`.
func (r *Request) ReadContent() ([]byte, error) {
	return os.ReadFile(r.ContentFile)
}

// ExtraHeaders are the request's extra `headers` as text (a value that is not a JSON string is sent
// as its JSON text, since HTTP headers only take strings).
func (r *Request) ExtraHeaders() map[string]string {
	out := make(map[string]string, len(r.Headers))
	for name, raw := range r.Headers {
		var text string
		if err := json.Unmarshal(raw, &text); err == nil {
			out[name] = text
		} else {
			out[name] = string(raw)
		}
	}
	return out
}

// Chunks cuts content into `part_size` pieces, as the native driver does (none for empty content).
func (r *Request) Chunks(content []byte) [][]byte {
	size := int64(102_400)
	if r.PartSize != nil && *r.PartSize > 0 {
		size = *r.PartSize
	}
	var parts [][]byte
	for start := int64(0); start < int64(len(content)); start += size {
		end := min(start+size, int64(len(content)))
		parts = append(parts, content[start:end])
	}
	return parts
}

// AuthRequiredOrDefault is `auth_required`, true when the runner sent none.
func (r *Request) AuthRequiredOrDefault() bool {
	return r.AuthRequired == nil || *r.AuthRequired
}
