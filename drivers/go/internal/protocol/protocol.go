// Package protocol speaks the cbspec driver protocol (drivers/PROTOCOL.md, version 1) for the Go
// adapters.
//
// An adapter command only knows its SDK: it gives Serve one function that performs one upload and
// returns a Result built with the helpers in result.go. This package owns everything the runner
// relies on: the hello line, reading one JSON request per line, answering each with exactly one
// result line (even when the SDK code panics or hangs), logging to stderr only, and exiting with
// status 0 when stdin closes.
package protocol

import (
	"bufio"
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"log"
	"os"
	"runtime"
	"runtime/debug"
	"strings"
	"time"
)

// Version is the protocol version these adapters speak.
const Version = 1

// watchdogGrace is how long past the request's timeout_ms the adapter waits for the SDK call before
// answering `failed` itself; it stays below the runner's 5 s grace, so the runner gets a reason
// instead of killing the adapter.
const watchdogGrace = 4 * time.Second

// DefaultCarrier is the carrier the native driver uses when a scenario names none; a request whose
// `carrier` is null means this, for every driver.
var DefaultCarrier = map[string]string{
	"put":        "header",
	"multipart":  "header",
	"post":       "form",
	"presign-v1": "query",
	"presign-v4": "query",
}

var knownCarriers = map[string]bool{"header": true, "query": true, "form": true, "header-and-query": true}
var knownAuths = map[string]bool{"v1": true, "v4": true}

// Hello describes the adapter in its first line.
type Hello struct {
	Driver     string
	SDK        string
	SDKVersion string
}

// Perform does one upload and reports it. It may panic; Serve turns that into `failed`.
type Perform func(req *Request) Result

// Serve speaks the protocol on stdin/stdout until stdin closes, then exits with status 0.
func Serve(hello Hello, perform Perform) {
	log.SetOutput(os.Stderr)
	log.SetFlags(log.Ltime | log.Lmicroseconds)
	log.SetPrefix("[" + hello.Driver + "] ")

	out := bufio.NewWriter(os.Stdout)
	// Nothing else may write to stdout: it belongs to the protocol. Anything that prints there by
	// accident (an SDK's fmt.Println) goes to stderr instead.
	os.Stdout = os.Stderr

	send := func(message any) {
		line, err := json.Marshal(message)
		if err != nil {
			log.Printf("cannot encode a protocol message: %v", err)
			return
		}
		out.Write(line)
		out.WriteByte('\n')
		out.Flush()
	}

	send(map[string]any{
		"type":        "hello",
		"protocol":    Version,
		"driver":      hello.Driver,
		"sdk":         hello.SDK,
		"sdk_version": hello.SDKVersion,
		"runtime":     runtime.Version(),
	})

	in := bufio.NewReader(os.Stdin)
	for {
		line, readErr := in.ReadBytes('\n')
		line = bytes.TrimSpace(line)
		if len(line) > 0 {
			if message, ok := handleLine(line, perform); ok {
				send(message)
			}
		}
		if readErr != nil {
			if readErr != io.EOF {
				log.Printf("reading stdin: %v", readErr)
			}
			break
		}
	}
	os.Exit(0)
}

// handleLine answers one input line; ok is false for a line that is not an upload request (logged
// and ignored).
func handleLine(line []byte, perform Perform) (map[string]any, bool) {
	var req Request
	if err := json.Unmarshal(line, &req); err != nil {
		log.Printf("ignoring a line that is not an upload request (%v): %.200s", err, line)
		return nil, false
	}
	if req.Type != "upload" {
		log.Printf("ignoring a message that is not an upload request: %.200s", line)
		return nil, false
	}
	result := handle(&req, perform)
	message := result.message()
	message["type"] = "result"
	message["id"] = req.ID
	return message, true
}

// handle runs one upload with a watchdog, so that every request gets exactly one answer in time.
func handle(req *Request, perform Perform) Result {
	if refusal := checkKnownValues(req); refusal != nil {
		return *refusal
	}
	done := make(chan Result, 1)
	go func() {
		defer func() {
			if p := recover(); p != nil {
				log.Printf("upload %s panicked: %v\n%s", req.ID, p, debug.Stack())
				done <- Failed(fmt.Sprintf("adapter panic: %v", p))
			}
		}()
		done <- perform(req)
	}()
	budget := req.Timeout() + watchdogGrace
	select {
	case result := <-done:
		return result
	case <-time.After(budget):
		// The SDK call keeps running in its goroutine; its late answer is dropped.
		return Failed(fmt.Sprintf("AdapterWatchdog: no answer from the SDK within %v", budget))
	}
}

// checkKnownValues refuses values this protocol version does not define.
func checkKnownValues(req *Request) *Result {
	if _, ok := DefaultCarrier[req.Operation]; !ok {
		r := Unsupported(fmt.Sprintf("unknown operation %q", req.Operation))
		return &r
	}
	if carrier := req.CarrierOrDefault(); !knownCarriers[carrier] {
		r := Unsupported(fmt.Sprintf("unknown carrier %q", carrier))
		return &r
	}
	if !knownAuths[req.Auth] {
		r := Unsupported(fmt.Sprintf("unknown auth %q", req.Auth))
		return &r
	}
	return nil
}

// ModuleVersion is the version of the module at path linked into this binary, from its build
// information ("1.6.1", "3.0.2+incompatible": without the leading "v"), or "" when the binary has
// none.
func ModuleVersion(path string) string {
	info, ok := debug.ReadBuildInfo()
	if !ok {
		return ""
	}
	for _, dep := range info.Deps {
		if dep.Path != path {
			continue
		}
		if dep.Replace != nil && dep.Replace.Version != "" {
			dep = dep.Replace
		}
		return strings.TrimPrefix(dep.Version, "v")
	}
	return ""
}
