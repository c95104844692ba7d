package protocol

import (
	"bytes"
	"fmt"
	"io"
	"net/http"
)

// PutToPresignedURL sends content to a presigned URL with a plain net/http client (no proxy, no
// redirects) and reports that client's answer as it came: raised only for a status of 400 or more,
// and no error fields, since a plain client parses none (PROTOCOL.md §3, presign).
func PutToPresignedURL(req *Request, method, url string, headers http.Header, content []byte) Result {
	if method == "" {
		method = http.MethodPut
	}
	httpReq, err := http.NewRequest(method, url, bytes.NewReader(content))
	if err != nil {
		return Failed(fmt.Sprintf("building the presigned request: %v", err))
	}
	for name, values := range headers {
		for _, value := range values {
			httpReq.Header.Add(name, value)
		}
	}
	client := &http.Client{
		Timeout:   req.Timeout(),
		Transport: &http.Transport{Proxy: nil},
		CheckRedirect: func(*http.Request, []*http.Request) error {
			return http.ErrUseLastResponse
		},
	}
	resp, err := client.Do(httpReq)
	if err != nil {
		return Failed(Describe(err))
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(resp.Body)
	if err != nil {
		return Failed("reading the presigned PUT's answer: " + Describe(err))
	}
	raised := resp.StatusCode >= 400
	result := Answer(Int(resp.StatusCode), raised, resp.Header)
	result.Body = Text(body)
	if raised {
		result.Error = &ErrorFields{}
	}
	return result
}
