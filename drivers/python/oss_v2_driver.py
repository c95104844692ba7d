#!/usr/bin/env python3
"""cbspec driver adapter for `alibabacloud-oss-v2` (drivers/PROTOCOL.md).

The SDK has a callback API: the `callback` / `callback_var` fields of PutObjectRequest and
CompleteMultipartUploadRequest, which take the encoded values and always send them as the
`x-oss-callback` / `x-oss-callback-var` headers (presigning included: they become signed headers
the caller must send). So this adapter passes `callback_base64` / `vars_base64` through those
fields and answers `unsupported` for carriers and requests the fields cannot reach, rather than
smuggling the parameters in through the SDK's generic `headers` / `parameters` maps.

Results are reported as the SDK gives them: `status_code`, `headers` and `callback_result` on a
result (any 2xx, 203 included), and the `ServiceError` inside the `OperationError` it raises for
anything else.
"""

import datetime
import sys

import alibabacloud_oss_v2 as oss
import requests

import driver_protocol as proto

SDK_PACKAGE = "alibabacloud-oss-v2"
PRESIGN_EXPIRES = datetime.timedelta(hours=1)


def make_client(request, signature_version):
    """A client for the request: static credentials, path-style addressing (the emulator's endpoint
    is an IP address), one attempt per request (so each step puts exactly one request on the wire
    and answers within the runner's time limit), the request's timeout for connect and read."""
    cfg = oss.config.load_default()
    cfg.credentials_provider = oss.credentials.StaticCredentialsProvider(
        request["access_key_id"], request["access_key_secret"])
    cfg.region = request["region"]
    cfg.endpoint = request["endpoint"]
    cfg.use_path_style = True
    cfg.signature_version = signature_version
    cfg.retry_max_attempts = 1
    cfg.connect_timeout = proto.timeout_seconds(request)
    cfg.readwrite_timeout = proto.timeout_seconds(request)
    return oss.Client(cfg)


def header_carrier_only(request, what):
    """`unsupported` unless the callback travels in headers, the only place the SDK's callback
    fields put it; None when the carrier is fine."""
    carrier = proto.carrier_of(request)
    if carrier == "header":
        return None
    return proto.unsupported(
        f"carrier {carrier!r}: alibabacloud-oss-v2 {what} sends callback/callback_var only as "
        "x-oss-callback headers")


# --------------------------------------------------------------------------------------------------
# Operations
# --------------------------------------------------------------------------------------------------


def put(request):
    """PutObject with PutObjectRequest(callback=, callback_var=)."""
    refusal = header_carrier_only(request, "PutObjectRequest")
    if refusal:
        return refusal
    client = make_client(request, request["auth"])
    result = client.put_object(oss.PutObjectRequest(
        bucket=request["bucket"],
        key=request["key"],
        body=proto.read_content(request),
        content_type=request.get("content_type"),
        callback=request.get("callback_base64"),
        callback_var=request.get("vars_base64"),
        headers=proto.extra_headers(request),
    ))
    return success(result)


def multipart(request):
    """Initiate, one UploadPart per `part_size` chunk, then Complete with
    CompleteMultipartUploadRequest(callback=, callback_var=)."""
    refusal = header_carrier_only(request, "CompleteMultipartUploadRequest")
    if refusal:
        return refusal
    if request.get("callback_on_every_request"):
        return proto.unsupported(
            "alibabacloud-oss-v2 InitiateMultipartUploadRequest and UploadPartRequest have no "
            "callback fields")
    client = make_client(request, request["auth"])
    bucket, key = request["bucket"], request["key"]
    content = proto.read_content(request)

    init = client.initiate_multipart_upload(oss.InitiateMultipartUploadRequest(
        bucket=bucket,
        key=key,
        content_type=request.get("content_type"),
        headers=proto.extra_headers(request),
    ))
    parts = []
    for number, chunk in enumerate(proto.chunks(content, request.get("part_size")), start=1):
        uploaded = client.upload_part(oss.UploadPartRequest(
            bucket=bucket, key=key, upload_id=init.upload_id, part_number=number, body=chunk))
        parts.append(oss.UploadPart(part_number=number, etag=uploaded.etag))
    result = client.complete_multipart_upload(oss.CompleteMultipartUploadRequest(
        bucket=bucket,
        key=key,
        upload_id=init.upload_id,
        complete_multipart_upload=oss.CompleteMultipartUpload(parts=parts),
        callback=request.get("callback_base64"),
        callback_var=request.get("vars_base64"),
    ))
    return success(result)


def presign(request, signature_version):
    """client.presign(PutObjectRequest(callback=...)) signs the callback as x-oss-callback headers
    (not query parameters) and only returns the URL and the signed headers; the SDK has no call that
    sends a presigned request, so the PUT goes out through requests, which the SDK itself uses."""
    refusal = header_carrier_only(request, "presign(PutObjectRequest)")
    if refusal:
        return refusal
    client = make_client(request, signature_version)
    signed = client.presign(oss.PutObjectRequest(
        bucket=request["bucket"],
        key=request["key"],
        content_type=request.get("content_type"),
        callback=request.get("callback_base64"),
        callback_var=request.get("vars_base64"),
        headers=proto.extra_headers(request),
    ), expires=PRESIGN_EXPIRES)
    # The signed headers must go out as signed; the extra headers the signer left out go too.
    headers = {**proto.extra_headers(request), **dict(signed.signed_headers or {})}
    timeout = proto.timeout_seconds(request)
    try:
        with requests.Session() as session:
            response = session.request(signed.method, signed.url, data=proto.read_content(request),
                                       headers=headers, timeout=(timeout, timeout))
            body = response.content
    except requests.RequestException as exc:
        return proto.failed_from(exc)
    return presigned_answer(response, body)


def post(_request):
    return proto.unsupported("alibabacloud-oss-v2 has no PostObject call")


# --------------------------------------------------------------------------------------------------
# Reporting what the SDK returned or raised
# --------------------------------------------------------------------------------------------------


def success(result):
    """A result object: any 2xx, including 203 CallbackFailed. `callback_result` is what the SDK
    hands the caller as the callback reply (the response body as text, when a callback was set);
    when it is None the SDK gave no body."""
    callback_result = getattr(result, "callback_result", None)
    body, body_json = None, None
    if isinstance(callback_result, (dict, list)):
        body_json = callback_result
    else:
        body = proto.as_text(callback_result)
    return proto.answer(status=result.status_code, raised=False, headers=result.headers,
                        body=body, body_json=body_json)


def raised(exc):
    """The SDK raised OperationError. A ServiceError inside is an HTTP answer; anything else
    (RequestError, ResponseError, a parameter check) means no answer reached the caller."""
    inner = exc.unwrap() if isinstance(exc, oss.exceptions.OperationError) else exc
    if not isinstance(inner, oss.exceptions.ServiceError):
        return proto.failed_from(inner if inner is not None else exc)
    fields = inner.error_fileds or {}  # (sic) the SDK's attribute name
    return proto.answer(
        status=inner.status_code,
        raised=True,
        headers=inner.headers,
        # ServiceError.snapshot holds the raw response body the SDK read.
        body=proto.as_text(inner.snapshot),
        error=proto.error_fields(
            code=inner.code,
            message=inner.message,
            ec=inner.ec,
            request_id=inner.request_id,
            argument_name=fields.get("ArgumentName"),
            argument_value=fields.get("ArgumentValue"),
        ),
    )


def presigned_answer(response, body):
    """The PUT to a presigned URL went through requests, so requests' own failure signal is what a
    caller gets: raise_for_status() raises for 4xx/5xx only, and exposes no OSS error fields."""
    try:
        response.raise_for_status()
        failed_status = False
    except requests.HTTPError:
        failed_status = True
    return proto.answer(
        status=response.status_code,
        raised=failed_status,
        headers=response.headers,
        body=proto.as_text(body),
        error=proto.error_fields() if failed_status else None,
    )


OPERATIONS = {
    "put": put,
    "multipart": multipart,
    "presign-v1": lambda request: presign(request, "v1"),
    "presign-v4": lambda request: presign(request, "v4"),
    "post": post,
}


def perform(request):
    """One upload, reported as a protocol result."""
    operation = OPERATIONS.get(request["operation"])
    if operation is None:
        return proto.unsupported(
            f"operation {request['operation']!r} is not implemented for alibabacloud-oss-v2")
    try:
        return operation(request)
    except oss.exceptions.BaseError as exc:
        return raised(exc)


def main():
    proto.serve(driver="oss-v2", sdk=SDK_PACKAGE, sdk_version=oss.__version__, perform=perform)


if __name__ == "__main__":
    sys.exit(main())
