#!/usr/bin/env python3
"""A minimal cbspec driver adapter: the template for SDKs this machine cannot install (PHP, .NET,
C++). Standard library only, one file, protocol version 1 (drivers/PROTOCOL.md).

It performs PutObject with the callback in headers, signed with OSS V1, using plain HTTP where your
adapter would call your SDK: replace `upload()` with your SDK's calls and keep the loop. Everything
else answers `unsupported`, as an adapter must for what its SDK cannot express.

Run it through the suite:
    target/debug/cbspec run --driver template --driver-command "python3 drivers/example/template_adapter.py" --tag put
"""

import base64
import email.utils
import hashlib
import hmac
import http.client
import json
import platform
import sys
import urllib.parse
import xml.etree.ElementTree


def hello():
    # Report the SDK your adapter loaded, read from the SDK itself; this template has none.
    return {"type": "hello", "protocol": 1, "driver": "template", "sdk": "none (plain HTTP)",
            "sdk_version": "0", "runtime": "CPython " + platform.python_version()}


def unsupported(reason):
    return {"outcome": "unsupported", "reason": reason}


def upload(req):
    """One upload. This is where your SDK's PutObject-with-callback call goes."""
    if req["operation"] != "put" or (req.get("carrier") or "header") != "header":
        return unsupported("the template only does PutObject with the header carrier")
    if req["auth"] != "v1" and req.get("auth_required", True):
        return unsupported("the template only signs V1")
    with open(req["content_file"], "rb") as f:
        content = f.read()
    headers = {name: value for name, value in (req.get("headers") or {}).items()}
    if req.get("content_type") is not None:
        headers["Content-Type"] = req["content_type"]
    if req.get("callback_base64") is not None:
        headers["x-oss-callback"] = req["callback_base64"]
    if req.get("vars_base64") is not None:
        headers["x-oss-callback-var"] = req["vars_base64"]
    headers["Date"] = email.utils.formatdate(usegmt=True)
    # OSS V1: HMAC-SHA1 over method, Content-MD5, Content-Type, Date, the x-oss-* headers and the
    # resource (an SDK does this for you).
    oss_headers = "".join("%s:%s\n" % (n.lower(), v.strip())
                          for n, v in sorted(headers.items(), key=lambda h: h[0].lower())
                          if n.lower().startswith("x-oss-"))
    resource = "/%s/%s" % (req["bucket"], req["key"])
    header = {n.lower(): v for n, v in headers.items()}
    to_sign = "PUT\n%s\n%s\n%s\n%s%s" % (header.get("content-md5", ""), header.get("content-type", ""),
                                          headers["Date"], oss_headers, resource)
    signature = base64.b64encode(hmac.new(req["access_key_secret"].encode(), to_sign.encode(),
                                          hashlib.sha1).digest()).decode()
    headers["Authorization"] = "OSS %s:%s" % (req["access_key_id"], signature)
    endpoint = urllib.parse.urlsplit(req["endpoint"])
    connection_type = http.client.HTTPSConnection if endpoint.scheme == "https" else http.client.HTTPConnection
    connection = connection_type(endpoint.netloc, timeout=req["timeout_ms"] / 1000)
    try:
        path = "/%s/%s" % (req["bucket"], urllib.parse.quote(req["key"], safe="/"))
        connection.request("PUT", path, body=content, headers=headers)
        response = connection.getresponse()
        body = response.read().decode("utf-8", "replace")
    except OSError as exc:
        return {"outcome": "failed", "error_text": "%s: %s" % (type(exc).__name__, exc)}
    finally:
        connection.close()
    # Report what "the SDK" surfaced: here the template plays a correct SDK, which raises on a 4xx
    # and on a 203 CallbackFailed and exposes the error document's fields. A real adapter takes
    # `raised` and `error` from its SDK's exception or result, never from the body itself.
    raised = response.status >= 400 or response.status == 203
    return {"outcome": "answer", "status": response.status, "raised": raised,
            "headers": {n.lower(): v for n, v in response.getheaders()},
            "body": None if raised else body, "error": error_fields(body) if raised else None}


def error_fields(body):
    try:
        document = xml.etree.ElementTree.fromstring(body)
    except xml.etree.ElementTree.ParseError:
        return {"code": None, "message": None, "ec": None, "request_id": None,
                "argument_name": None, "argument_value": None}
    return {name: document.findtext(element) for name, element in (
        ("code", "Code"), ("message", "Message"), ("ec", "EC"), ("request_id", "RequestId"),
        ("argument_name", "ArgumentName"), ("argument_value", "ArgumentValue"))}


def main():
    print(json.dumps(hello()), flush=True)
    for line in sys.stdin:
        req = json.loads(line)
        try:
            result = upload(req)
        except Exception as exc:  # an adapter answers every request, whatever happens
            result = {"outcome": "failed", "error_text": "%s: %s" % (type(exc).__name__, exc)}
        result.update({"type": "result", "id": req["id"]})
        print(json.dumps(result), flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
