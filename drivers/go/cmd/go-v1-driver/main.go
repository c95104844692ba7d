// Command go-v1-driver is the cbspec driver adapter for the Go SDK v1
// (github.com/aliyun/aliyun-oss-go-sdk, pinned in drivers/go/go.mod), speaking drivers/PROTOCOL.md
// through cbspec/drivers/go/internal/protocol.
//
// The SDK's callback API is the oss.Callback / oss.CallbackVar options, which take the encoded
// values and set the x-oss-callback / x-oss-callback-var headers on whichever call they are given
// to (PutObject, InitiateMultipartUpload, UploadPart, CompleteMultipartUpload, SignURL), and
// oss.CallbackResult(&body), which receives the callback reply. So this adapter passes
// callback_base64 / vars_base64 through those options. A presigned URL carries the callback in its
// query: for that carrier the values go to SignURL as the callback / callback-var query parameters
// (oss.AddParam), which the SDK's V1 signer knows as sub-resources. PutObject and multipart calls
// have no query form of the callback, so those carriers are `unsupported` there.
//
// What the SDK returns is reported as is: PutObject and CompleteMultipartUpload return only an
// error, nil for a 200 (the status is not given to the caller on success); response headers come
// through oss.GetResponseHeader. Errors are oss.ServiceError (with StatusCode) when the SDK could
// parse an error document, oss.UnexpectedStatusCodeError (a 2xx other than 200 with no body), or
// plain errors.
package main

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"log"
	"net/http"
	"strings"

	"cbspec/drivers/go/internal/protocol"

	"github.com/aliyun/aliyun-oss-go-sdk/oss"
)

const (
	driverName       = "go-v1"
	sdkModule        = "github.com/aliyun/aliyun-oss-go-sdk"
	presignExpiresIn = int64(3600)
)

func main() {
	version := protocol.ModuleVersion(sdkModule)
	if own := strings.TrimPrefix(oss.Version, "v"); version == "" {
		version = own
	} else if !strings.HasPrefix(version, own) {
		log.Printf("the SDK calls itself %s, the module version linked is %s", oss.Version, version)
	}
	protocol.Serve(protocol.Hello{Driver: driverName, SDK: sdkModule, SDKVersion: version}, perform)
}

func perform(req *protocol.Request) protocol.Result {
	switch req.Operation {
	case "put":
		return put(req)
	case "multipart":
		return multipart(req)
	case "presign-v1":
		return presign(req, oss.AuthV1)
	case "presign-v4":
		return presign(req, oss.AuthV4)
	case "post":
		return protocol.Unsupported("aliyun-oss-go-sdk has no PostObject call")
	}
	return protocol.Unsupported(fmt.Sprintf("operation %q is not implemented for aliyun-oss-go-sdk", req.Operation))
}

// newBucket is a Bucket for the request as the SDK's docs build one: oss.New with the endpoint and
// key pair, the signing version (V4 with its region), path-style addressing (the SDK also picks it
// by itself for an IP endpoint, which the emulator's is), and the request's timeout. oss.Timeout
// takes whole seconds, so timeout_ms is rounded up.
func newBucket(req *protocol.Request, version oss.AuthVersionType) (*oss.Bucket, error) {
	seconds := (req.Timeout().Milliseconds() + 999) / 1000
	options := []oss.ClientOption{
		oss.AuthVersion(version),
		oss.Region(req.Region),
		oss.ForcePathStyle(true),
		oss.Timeout(seconds, seconds),
	}
	client, err := oss.New(req.Endpoint, req.AccessKeyID, req.AccessKeySecret, options...)
	if err != nil {
		return nil, err
	}
	return client.Bucket(req.Bucket)
}

func authVersion(auth string) oss.AuthVersionType {
	if auth == "v1" {
		return oss.AuthV1
	}
	return oss.AuthV4
}

// callbackOptions are oss.Callback / oss.CallbackVar for the values the request has.
func callbackOptions(req *protocol.Request) []oss.Option {
	var options []oss.Option
	if req.CallbackBase64 != nil {
		options = append(options, oss.Callback(*req.CallbackBase64))
	}
	if req.VarsBase64 != nil {
		options = append(options, oss.CallbackVar(*req.VarsBase64))
	}
	return options
}

// objectOptions are Content-Type (when the scenario sets one; otherwise the SDK's own default
// applies) and the extra headers.
func objectOptions(req *protocol.Request) []oss.Option {
	var options []oss.Option
	if req.ContentType != nil {
		options = append(options, oss.ContentType(*req.ContentType))
	}
	for name, value := range req.ExtraHeaders() {
		options = append(options, oss.SetHeader(name, value))
	}
	return options
}

func headerCarrierOnly(req *protocol.Request, what string) *protocol.Result {
	carrier := req.CarrierOrDefault()
	if carrier == "header" {
		return nil
	}
	r := protocol.Unsupported(fmt.Sprintf(
		"carrier %q: aliyun-oss-go-sdk %s takes the callback only as oss.Callback/oss.CallbackVar, which are x-oss-callback headers",
		carrier, what))
	return &r
}

// ----------------------------------------------------------------------------------------------
// Operations
// ----------------------------------------------------------------------------------------------

// put is Bucket.PutObject with oss.Callback, oss.CallbackVar and oss.CallbackResult.
func put(req *protocol.Request) protocol.Result {
	if refusal := headerCarrierOnly(req, "Bucket.PutObject"); refusal != nil {
		return *refusal
	}
	content, err := req.ReadContent()
	if err != nil {
		return protocol.Failed(err.Error())
	}
	bucket, err := newBucket(req, authVersion(req.Auth))
	if err != nil {
		return protocol.Failed(fmt.Sprintf("oss.New: %v", err))
	}
	ctx, cancel := context.WithTimeout(context.Background(), req.Timeout())
	defer cancel()

	var headers http.Header
	var body []byte
	options := append(objectOptions(req), callbackOptions(req)...)
	options = append(options, oss.WithContext(ctx), oss.GetResponseHeader(&headers), oss.CallbackResult(&body))
	err = bucket.PutObject(req.Key, bytes.NewReader(content), options...)
	return report(err, headers, req.CallbackBase64 != nil, body)
}

// multipart is InitiateMultipartUpload, one UploadPart per part_size chunk, then
// CompleteMultipartUpload with the callback options (on every request when
// callback_on_every_request: the options are accepted by every call).
func multipart(req *protocol.Request) protocol.Result {
	if refusal := headerCarrierOnly(req, "multipart calls"); refusal != nil {
		return *refusal
	}
	content, err := req.ReadContent()
	if err != nil {
		return protocol.Failed(err.Error())
	}
	bucket, err := newBucket(req, authVersion(req.Auth))
	if err != nil {
		return protocol.Failed(fmt.Sprintf("oss.New: %v", err))
	}
	ctx, cancel := context.WithTimeout(context.Background(), req.Timeout())
	defer cancel()
	var everywhere []oss.Option
	if req.CallbackOnEveryRequest {
		everywhere = callbackOptions(req)
	}

	var headers http.Header
	initOptions := append(objectOptions(req), everywhere...)
	initOptions = append(initOptions, oss.WithContext(ctx), oss.GetResponseHeader(&headers))
	imur, err := bucket.InitiateMultipartUpload(req.Key, initOptions...)
	if err != nil {
		return report(err, headers, false, nil)
	}
	var parts []oss.UploadPart
	for i, chunk := range req.Chunks(content) {
		headers = nil
		partOptions := append([]oss.Option{}, everywhere...)
		partOptions = append(partOptions, oss.WithContext(ctx), oss.GetResponseHeader(&headers))
		part, err := bucket.UploadPart(imur, bytes.NewReader(chunk), int64(len(chunk)), i+1, partOptions...)
		if err != nil {
			return report(err, headers, false, nil)
		}
		parts = append(parts, part)
	}
	headers = nil
	var body []byte
	completeOptions := append(callbackOptions(req),
		oss.WithContext(ctx), oss.GetResponseHeader(&headers), oss.CallbackResult(&body))
	_, err = bucket.CompleteMultipartUpload(imur, parts, completeOptions...)
	return report(err, headers, req.CallbackBase64 != nil, body)
}

// presign is Bucket.SignURL(key, oss.HTTPPut, …) then a plain PUT to the URL. Content-Type and the
// extra headers are part of what the URL signs, so they go to SignURL and then, identical, on the
// PUT. The callback goes in the URL's query (oss.AddParam("callback", …)) for the query carrier,
// or as oss.Callback / oss.CallbackVar, signed headers the PUT must send, for the header carrier.
func presign(req *protocol.Request, version oss.AuthVersionType) protocol.Result {
	carrier := req.CarrierOrDefault()
	if carrier != "query" && carrier != "header" {
		return protocol.Unsupported(fmt.Sprintf(
			"carrier %q: an aliyun-oss-go-sdk signed URL carries the callback either in its query or in signed headers, not both", carrier))
	}
	content, err := req.ReadContent()
	if err != nil {
		return protocol.Failed(err.Error())
	}
	bucket, err := newBucket(req, version)
	if err != nil {
		return protocol.Failed(fmt.Sprintf("oss.New: %v", err))
	}

	putHeaders := http.Header{}
	for name, value := range req.ExtraHeaders() {
		putHeaders.Set(name, value)
	}
	if req.ContentType != nil {
		putHeaders.Set("Content-Type", *req.ContentType)
	}
	signOptions := objectOptions(req)
	if carrier == "query" {
		if req.CallbackBase64 != nil {
			signOptions = append(signOptions, oss.AddParam("callback", *req.CallbackBase64))
		}
		if req.VarsBase64 != nil {
			signOptions = append(signOptions, oss.AddParam("callback-var", *req.VarsBase64))
		}
	} else {
		signOptions = append(signOptions, callbackOptions(req)...)
		if req.CallbackBase64 != nil {
			putHeaders.Set("x-oss-callback", *req.CallbackBase64)
		}
		if req.VarsBase64 != nil {
			putHeaders.Set("x-oss-callback-var", *req.VarsBase64)
		}
	}
	url, err := bucket.SignURL(req.Key, oss.HTTPPut, presignExpiresIn, signOptions...)
	if err != nil {
		return protocol.Failed(fmt.Sprintf("SignURL: %v", err))
	}
	log.Printf("presigned PUT %s", url)
	return protocol.PutToPresignedURL(req, http.MethodPut, url, putHeaders, content)
}

// ----------------------------------------------------------------------------------------------
// Reporting what the SDK returned
// ----------------------------------------------------------------------------------------------

// report turns what a v1 call returned into a result. headers is what oss.GetResponseHeader
// received: the SDK fills it whenever an HTTP answer came back, so it tells an answer the SDK
// turned into a plain error apart from no answer at all.
func report(err error, headers http.Header, withCallback bool, body []byte) protocol.Result {
	if err == nil {
		// Success means a 200, but the SDK does not give the status to its caller.
		result := protocol.Answer(nil, false, headers)
		if withCallback {
			// oss.CallbackResult's slice: the reply's bytes (left empty for an empty reply).
			result.Body = protocol.Text(body)
		}
		return result
	}
	var serviceErr oss.ServiceError
	if errors.As(err, &serviceErr) {
		result := protocol.Answer(protocol.Int(serviceErr.StatusCode), true, headers)
		// RawMessage is the error document the SDK parsed.
		result.Body = protocol.Text([]byte(serviceErr.RawMessage))
		result.Error = &protocol.ErrorFields{
			Code:      protocol.Str(serviceErr.Code),
			Message:   protocol.Str(serviceErr.Message),
			EC:        protocol.Str(serviceErr.Ec),
			RequestID: protocol.Str(serviceErr.RequestID),
			// ServiceError has no ArgumentName / ArgumentValue fields.
		}
		return result
	}
	var statusErr oss.UnexpectedStatusCodeError
	if errors.As(err, &statusErr) {
		log.Printf("the SDK returned %v", err)
		result := protocol.Answer(protocol.Int(statusErr.Got()), true, headers)
		result.Error = &protocol.ErrorFields{}
		return result
	}
	if headers != nil {
		// An answer came back, but the SDK reports it only as text.
		log.Printf("the SDK returned a plain error after an answer: %v", err)
		result := protocol.Answer(nil, true, headers)
		result.Error = &protocol.ErrorFields{}
		return result
	}
	return protocol.Failed(protocol.Describe(err))
}
