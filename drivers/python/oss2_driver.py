#!/usr/bin/env python3
"""cbspec driver adapter for the `oss2` SDK (drivers/PROTOCOL.md).

oss2 has no callback API of its own: callers pass the encoded `callback` / `callback-var` values
through its generic `headers=` (and, for signed URLs, `params=`) arguments. So this adapter passes
`callback_base64` / `vars_base64` through unchanged, wherever oss2 lets a caller put them, and
answers `unsupported` where it does not.

What oss2 does with the answer is reported as is: it returns every 2xx (203 CallbackFailed
included) as a normal result and raises `oss2.exceptions.OssError` subclasses for everything else.
"""

import sys

import oss2
from oss2.models import PartInfo

import driver_protocol as proto

PRESIGN_EXPIRES_S = 3600


def make_bucket(request, auth_version):
    """An oss2.Bucket for the request. oss2 switches to path-style addressing by itself when the
    endpoint is an IP address or localhost, which the emulator's endpoint is."""
    key_id = request["access_key_id"]
    secret = request["access_key_secret"]
    auth = oss2.Auth(key_id, secret) if auth_version == "v1" else oss2.AuthV4(key_id, secret)
    # oss2 hands `connect_timeout` to requests as its single timeout: connect and read alike.
    return oss2.Bucket(auth, request["endpoint"], request["bucket"],
                       connect_timeout=proto.timeout_seconds(request),
                       region=request["region"])


def object_headers(request, with_content_type=True):
    """The caller's extra headers plus Content-Type when the scenario sets one (when it does not,
    oss2's own default applies)."""
    headers = proto.extra_headers(request)
    if with_content_type and request.get("content_type") is not None:
        headers["Content-Type"] = request["content_type"]
    return headers


def callback_headers(request):
    """The encoded callback parameters as the headers oss2 users set by hand."""
    headers = {}
    if request.get("callback_base64") is not None:
        headers["x-oss-callback"] = request["callback_base64"]
    if request.get("vars_base64") is not None:
        headers["x-oss-callback-var"] = request["vars_base64"]
    return headers


def callback_params(request):
    """The encoded callback parameters as the query parameters of a signed URL."""
    params = {}
    if request.get("callback_base64") is not None:
        params["callback"] = request["callback_base64"]
    if request.get("vars_base64") is not None:
        params["callback-var"] = request["vars_base64"]
    return params


# --------------------------------------------------------------------------------------------------
# Operations
# --------------------------------------------------------------------------------------------------


def put(request):
    """PutObject with the callback in headers (put_object has no query-parameter argument)."""
    carrier = proto.carrier_of(request)
    if carrier != "header":
        return proto.unsupported(
            f"carrier {carrier!r}: oss2 Bucket.put_object takes headers but no query parameters")
    bucket = make_bucket(request, request["auth"])
    headers = {**object_headers(request), **callback_headers(request)}
    result = bucket.put_object(request["key"], proto.read_content(request), headers=headers)
    return success(result)


def multipart(request):
    """Initiate, one UploadPart per `part_size` chunk, Complete with the callback headers (on every
    request when `callback_on_every_request`)."""
    carrier = proto.carrier_of(request)
    if carrier != "header":
        return proto.unsupported(
            f"carrier {carrier!r}: oss2 upload_part and complete_multipart_upload take headers "
            "but no query parameters")
    bucket = make_bucket(request, request["auth"])
    key = request["key"]
    content = proto.read_content(request)
    callback = callback_headers(request)
    everywhere = callback if request.get("callback_on_every_request") else {}

    init = bucket.init_multipart_upload(key, headers={**object_headers(request), **everywhere})
    parts = []
    for number, chunk in enumerate(proto.chunks(content, request.get("part_size")), start=1):
        uploaded = bucket.upload_part(key, init.upload_id, number, chunk, headers=dict(everywhere))
        # Size and CRC as oss2's own samples pass them, so oss2 checks the whole object's CRC-64.
        parts.append(PartInfo(number, uploaded.etag, size=len(chunk), part_crc=uploaded.crc))
    result = bucket.complete_multipart_upload(key, init.upload_id, parts, headers=dict(callback))
    return success(result)


def presign(request, auth_version):
    """A signed PUT URL from Bucket.sign_url with the callback as signed query parameters, then the
    PUT through oss2's own Bucket.put_object_with_url."""
    carrier = proto.carrier_of(request)
    if carrier != "query":
        return proto.unsupported(
            f"carrier {carrier!r}: with oss2 a presigned upload carries the callback in the "
            "signed URL's query (sign_url params)")
    bucket = make_bucket(request, auth_version)
    # Content-Type and the extra headers are part of what a V1 URL signs, so they go to sign_url
    # and then, identical, on the PUT.
    headers = object_headers(request)
    url = bucket.sign_url("PUT", request["key"], PRESIGN_EXPIRES_S,
                          headers=dict(headers), params=callback_params(request))
    result = bucket.put_object_with_url(url, proto.read_content(request), headers=dict(headers))
    return success(result)


def post(_request):
    return proto.unsupported("oss2 has no PostObject call")


# --------------------------------------------------------------------------------------------------
# Reporting what oss2 returned or raised
# --------------------------------------------------------------------------------------------------


def success(result):
    """oss2 returned a result object: any 2xx, including 203 CallbackFailed. The body is what the
    caller reads from result.resp: the callback server's reply after a 200."""
    return proto.answer(
        status=result.status,
        raised=False,
        headers=result.headers,
        body=proto.as_text(result.resp.read()),
    )


def raised(exc):
    """oss2 raised an OssError. Negative statuses are oss2's own client-side errors (no usable
    HTTP answer: connection failure, timeout, CRC mismatch, bad argument), so those are `failed`."""
    if exc.status is None or exc.status < 0:
        return proto.failed_from(exc)
    details = exc.details or {}
    return proto.answer(
        status=exc.status,
        raised=True,
        headers=exc.headers,
        # OssError.body is the raw response body oss2 read (its first 4 KiB).
        body=proto.as_text(exc.body),
        error=proto.error_fields(
            code=exc.code,
            message=exc.message,
            ec=exc.ec,
            request_id=exc.request_id,
            argument_name=details.get("ArgumentName"),
            argument_value=details.get("ArgumentValue"),
        ),
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
        return proto.unsupported(f"operation {request['operation']!r} is not implemented for oss2")
    try:
        return operation(request)
    except oss2.exceptions.OssError as exc:
        return raised(exc)


def main():
    proto.serve(driver="oss2", sdk="oss2", sdk_version=oss2.__version__, perform=perform)


if __name__ == "__main__":
    sys.exit(main())
