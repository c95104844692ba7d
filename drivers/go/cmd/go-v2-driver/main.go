// Command go-v2-driver is the cbspec driver adapter for the Go SDK v2
// (github.com/aliyun/alibabacloud-oss-go-sdk-v2, pinned in drivers/go/go.mod), speaking
// drivers/PROTOCOL.md through cbspec/drivers/go/internal/protocol.
//
// The SDK's callback API is the Callback / CallbackVar fields of PutObjectRequest and
// CompleteMultipartUploadRequest. They take the encoded values and always send them as the
// x-oss-callback / x-oss-callback-var headers (presigning included: they become signed headers the
// caller must send). So this adapter passes callback_base64 / vars_base64 through those fields and
// answers `unsupported` for carriers the fields cannot reach, rather than smuggling the parameters in
// through the generic RequestCommon Headers / Parameters maps.
//
// What the SDK returns is reported as is: a result (StatusCode, Headers, CallbackResult) for a 2xx;
// an error for anything else, and for a 203 when a callback was set (a *oss.ServiceError), or when
// it could not read a 2xx answer (a *oss.ClientError, e.g. a callback reply that is not a JSON
// object).
package main

import (
	"context"
	"errors"
	"fmt"
	"log"
	"net/http"
	"time"

	"cbspec/drivers/go/internal/protocol"

	"github.com/aliyun/alibabacloud-oss-go-sdk-v2/oss"
	"github.com/aliyun/alibabacloud-oss-go-sdk-v2/oss/credentials"
)

const (
	driverName      = "go-v2"
	sdkModule       = "github.com/aliyun/alibabacloud-oss-go-sdk-v2"
	presignLifetime = time.Hour
)

func main() {
	version := protocol.ModuleVersion(sdkModule)
	if own := oss.Version(); version == "" {
		version = own
	} else if own != version {
		log.Printf("the SDK calls itself %s, the module version linked is %s", own, version)
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
		return presign(req, oss.SignatureVersionV1)
	case "presign-v4":
		return presign(req, oss.SignatureVersionV4)
	case "post":
		return protocol.Unsupported("alibabacloud-oss-go-sdk-v2 has no PostObject call")
	}
	return protocol.Unsupported(fmt.Sprintf("operation %q is not implemented for alibabacloud-oss-go-sdk-v2", req.Operation))
}

// newClient is a client for the request as the SDK's docs build one: static credentials, region,
// endpoint, path-style addressing (the emulator's endpoint is an IP address), the signing version,
// one attempt per request (each step puts exactly one request on the wire and answers within the
// runner's time limit), and the request's timeout for connect and read/write.
func newClient(req *protocol.Request, version oss.SignatureVersionType) *oss.Client {
	cfg := oss.LoadDefaultConfig().
		WithCredentialsProvider(credentials.NewStaticCredentialsProvider(req.AccessKeyID, req.AccessKeySecret)).
		WithRegion(req.Region).
		WithEndpoint(req.Endpoint).
		WithUsePathStyle(true).
		WithSignatureVersion(version).
		WithRetryMaxAttempts(1).
		WithConnectTimeout(req.Timeout()).
		WithReadWriteTimeout(req.Timeout())
	return oss.NewClient(cfg)
}

func signatureVersion(auth string) oss.SignatureVersionType {
	if auth == "v1" {
		return oss.SignatureVersionV1
	}
	return oss.SignatureVersionV4
}

// headerCarrierOnly refuses carriers other than headers, the only place the SDK's callback fields
// put the callback.
func headerCarrierOnly(req *protocol.Request, what string) *protocol.Result {
	carrier := req.CarrierOrDefault()
	if carrier == "header" {
		return nil
	}
	r := protocol.Unsupported(fmt.Sprintf(
		"carrier %q: alibabacloud-oss-go-sdk-v2 %s sends Callback/CallbackVar only as x-oss-callback headers",
		carrier, what))
	return &r
}

// ----------------------------------------------------------------------------------------------
// Operations
// ----------------------------------------------------------------------------------------------

// put is PutObject with PutObjectRequest{Callback, CallbackVar}.
func put(req *protocol.Request) protocol.Result {
	if refusal := headerCarrierOnly(req, "PutObjectRequest"); refusal != nil {
		return *refusal
	}
	content, err := req.ReadContent()
	if err != nil {
		return protocol.Failed(err.Error())
	}
	client := newClient(req, signatureVersion(req.Auth))
	ctx, cancel := context.WithTimeout(context.Background(), req.Timeout())
	defer cancel()
	request := &oss.PutObjectRequest{
		Bucket:      oss.Ptr(req.Bucket),
		Key:         oss.Ptr(req.Key),
		Body:        bytesReader(content),
		ContentType: req.ContentType,
		Callback:    req.CallbackBase64,
		CallbackVar: req.VarsBase64,
	}
	request.Headers = req.ExtraHeaders()
	result, err := client.PutObject(ctx, request)
	if err != nil {
		return fromError(err)
	}
	return fromResult(result.StatusCode, result.Headers, req.CallbackBase64 != nil, result.CallbackResult)
}

// multipart is InitiateMultipartUpload, one UploadPart per part_size chunk, then
// CompleteMultipartUpload with CompleteMultipartUploadRequest{Callback, CallbackVar}.
func multipart(req *protocol.Request) protocol.Result {
	if refusal := headerCarrierOnly(req, "CompleteMultipartUploadRequest"); refusal != nil {
		return *refusal
	}
	if req.CallbackOnEveryRequest {
		return protocol.Unsupported("alibabacloud-oss-go-sdk-v2 InitiateMultipartUploadRequest and UploadPartRequest have no callback fields")
	}
	content, err := req.ReadContent()
	if err != nil {
		return protocol.Failed(err.Error())
	}
	client := newClient(req, signatureVersion(req.Auth))
	ctx, cancel := context.WithTimeout(context.Background(), req.Timeout())
	defer cancel()

	initRequest := &oss.InitiateMultipartUploadRequest{
		Bucket:      oss.Ptr(req.Bucket),
		Key:         oss.Ptr(req.Key),
		ContentType: req.ContentType,
	}
	initRequest.Headers = req.ExtraHeaders()
	initResult, err := client.InitiateMultipartUpload(ctx, initRequest)
	if err != nil {
		return fromError(err)
	}
	var parts []oss.UploadPart
	for i, chunk := range req.Chunks(content) {
		number := int32(i + 1)
		uploaded, err := client.UploadPart(ctx, &oss.UploadPartRequest{
			Bucket:     oss.Ptr(req.Bucket),
			Key:        oss.Ptr(req.Key),
			UploadId:   initResult.UploadId,
			PartNumber: number,
			Body:       bytesReader(chunk),
		})
		if err != nil {
			return fromError(err)
		}
		parts = append(parts, oss.UploadPart{PartNumber: number, ETag: uploaded.ETag})
	}
	result, err := client.CompleteMultipartUpload(ctx, &oss.CompleteMultipartUploadRequest{
		Bucket:                  oss.Ptr(req.Bucket),
		Key:                     oss.Ptr(req.Key),
		UploadId:                initResult.UploadId,
		CompleteMultipartUpload: &oss.CompleteMultipartUpload{Parts: parts},
		Callback:                req.CallbackBase64,
		CallbackVar:             req.VarsBase64,
	})
	if err != nil {
		return fromError(err)
	}
	return fromResult(result.StatusCode, result.Headers, req.CallbackBase64 != nil, result.CallbackResult)
}

// presign is client.Presign(&PutObjectRequest{Callback, CallbackVar}), which signs the callback as
// x-oss-callback headers (not query parameters) and returns the URL and the signed headers; the SDK
// has no call that sends a presigned request, so the PUT goes out through net/http.
func presign(req *protocol.Request, version oss.SignatureVersionType) protocol.Result {
	if refusal := headerCarrierOnly(req, "Presign(&PutObjectRequest{})"); refusal != nil {
		return *refusal
	}
	content, err := req.ReadContent()
	if err != nil {
		return protocol.Failed(err.Error())
	}
	client := newClient(req, version)
	request := &oss.PutObjectRequest{
		Bucket:      oss.Ptr(req.Bucket),
		Key:         oss.Ptr(req.Key),
		ContentType: req.ContentType,
		Callback:    req.CallbackBase64,
		CallbackVar: req.VarsBase64,
	}
	extra := req.ExtraHeaders()
	request.Headers = extra
	signed, err := client.Presign(context.Background(), request, oss.PresignExpires(presignLifetime))
	if err != nil {
		return protocol.Failed("Presign: " + protocol.Describe(err))
	}
	log.Printf("presigned %s %s (signed headers %v)", signed.Method, signed.URL, signed.SignedHeaders)
	// The signed headers go out as signed; the extra headers the signer left out go too.
	headers := http.Header{}
	for name, value := range extra {
		headers.Set(name, value)
	}
	for name, value := range signed.SignedHeaders {
		headers.Set(name, value)
	}
	return protocol.PutToPresignedURL(req, signed.Method, signed.URL, headers, content)
}

// ----------------------------------------------------------------------------------------------
// Reporting what the SDK returned
// ----------------------------------------------------------------------------------------------

// fromResult reports a PutObject / CompleteMultipartUpload result. With a callback, CallbackResult
// is all the SDK hands over of the reply: the body parsed as a JSON object (nil when it was empty),
// so it is reported as body_json; without one the SDK discards (PutObject) or parses (Complete)
// the body and gives the caller none.
func fromResult(status int, headers http.Header, withCallback bool, callbackResult map[string]any) protocol.Result {
	result := protocol.Answer(protocol.Int(status), false, headers)
	if withCallback && callbackResult != nil {
		result.BodyJSON = callbackResult
		result.HasJSON = true
	}
	return result
}

// fromError reports an error the SDK returned. A *oss.ServiceError is an HTTP answer the SDK
// turned into an error (any non-2xx, and a 203 when a callback was set); a *oss.ClientError is a
// 2xx answer the SDK could not read (it exposes a Code and Message but not the status); anything
// else means no HTTP answer reached the SDK.
func fromError(err error) protocol.Result {
	var serviceErr *oss.ServiceError
	if errors.As(err, &serviceErr) {
		result := protocol.Answer(protocol.Int(serviceErr.StatusCode), true, serviceErr.Headers)
		// Snapshot is the raw response body the SDK read.
		result.Body = protocol.Text(serviceErr.Snapshot)
		result.Error = &protocol.ErrorFields{
			Code:      protocol.Str(serviceErr.Code),
			Message:   protocol.Str(serviceErr.Message),
			EC:        protocol.Str(serviceErr.EC),
			RequestID: protocol.Str(serviceErr.RequestID),
			// ServiceError has no ArgumentName / ArgumentValue fields.
		}
		return result
	}
	var clientErr *oss.ClientError
	if errors.As(err, &clientErr) {
		log.Printf("the SDK returned a ClientError after an answer: %v", err)
		result := protocol.Answer(nil, true, nil)
		result.Error = &protocol.ErrorFields{
			Code:    protocol.Str(clientErr.Code),
			Message: protocol.Str(clientErr.Message),
		}
		return result
	}
	return protocol.Failed(protocol.Describe(err))
}
