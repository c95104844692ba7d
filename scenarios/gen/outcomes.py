"""outcomes.toml: what the uploader gets back, for each way a callback can end.

The object is stored in every one of these scenarios; what varies is the
callback server's answer (status, body, timing, size) and therefore the
upload's answer: a 203 CallbackFailed with the message that names the cause,
or a 200 relaying the server's body byte for byte.
"""

from .common import CONNECT, FORM_CT, NOT_JSON, OK, TIMEOUT, TOO_LONG, failed, obj_expect, simple, status_error, upload_table
from .oracles import Content, multipart_content

FILE = "outcomes.toml"

# Every 203: the XML error document, and exactly one synchronous attempt per URL.
FAIL_REQS = ["CB-OUT-203", "CB-OUT-203-XML", "CB-ERR-XML", "CB-ERR-REQUEST-ID-MATCH", "CB-REQ-NO-RETRY", "CB-REQ-SYNC"]
SHORT_TIMEOUT = ["short-timeout"]
REFUSED = {"urls": ["refused:/x"], "calls": []}  # nothing listens, so nothing is captured

# Statuses other than 200 that a callback server answers with; 3xx also shows redirects are not followed.
STATUSES = (201, 204, 301, 302, 400, 404, 405, 500, 502)
REDIRECTS = (301, 302, 307)
NOT_JSON_BODIES = [("text-ok", "OK"), ("html", "<html><body>ok</body></html>"), ("empty", ""),
                   ("stack-trace", "Traceback (most recent call last):\n  File \"app.py\"")]

# (id, title, requirements, answer on /cb, error, more options)
FAILURES = [
    *[("out/status/%d" % code, "Callback server answers %d: 203 Error status : %d." % (code, code),
       ["CB-OUT-MSG-STATUS", "CB-RESP-STATUS-200"] + (["CB-REQ-NO-REDIRECT"] if code in REDIRECTS else []),
       {"path": "/cb", "status": code, "body": "" if code == 204 else OK}, status_error(code), {})
      for code in STATUSES],
    ("out/status/500-json-body", "A 500 with a JSON body is still a failure (JSON body type)",
     ["CB-OUT-MSG-STATUS", "CB-RESP-STATUS-200"], {"path": "/cb", "status": 500, "body": '{"error":"boom"}'},
     status_error(500), {"json_mode": True, "template": '{"o":${object},"s":${size}}'}),
    ("out/connect/refused", "Connection refused: 203 can not connect", ["CB-OUT-MSG-CONNECT"], None, CONNECT, REFUSED),
    ("out/connect/reset", "The server closes the connection without answering", ["CB-OUT-MSG-RESET", "CB-OUT-MSG-CONNECT"],
     {"path": "/cb", "reset": True}, CONNECT, {}),
    *[("out/json/%s" % name, "A 200 whose body is not JSON (%s)" % name, ["CB-OUT-MSG-JSON", "CB-RESP-JSON"],
       {"path": "/cb", "body": body}, NOT_JSON, {})
      for name, body in NOT_JSON_BODIES],
    ("out/json/bom", "A valid JSON body after a UTF-8 BOM is refused", ["CB-RESP-BOM", "CB-OUT-MSG-JSON", "CB-RESP-JSON"],
     {"path": "/cb", "body": '{"a":"b"}', "bom": True}, NOT_JSON, {}),
    ("out/length/chunked", "A chunked answer without Content-Length", ["CB-RESP-CONTENT-LENGTH", "CB-OUT-MSG-LENGTH", "CB-RESP-SIZE"],
     {"path": "/cb", "body": '{"a":"b"}', "chunked": True}, TOO_LONG, {}),
    ("out/length/oversize", "A 1048577-byte answer exceeds the 1 MiB limit", ["CB-RESP-SIZE", "CB-OUT-MSG-LENGTH"],
     {"path": "/cb", "oversize": 1048577}, TOO_LONG, {}),
    ("out/timeout/2000ms", "The answer comes after 2 s with a 1 s timeout: Cost too long time",
     ["CB-OUT-MSG-TIMEOUT", "CB-REQ-TIMEOUT", "CB-RESP-TIME"], {"path": "/cb", "delay_ms": 2000}, TIMEOUT,
     {"needs": SHORT_TIMEOUT}),
    ("out/timeout/failover-per-url", "Each URL gets its own timeout: a slow first URL then a refused one",
     ["CB-REQ-TIMEOUT-PER-URL", "CB-OUT-ALL-FAIL", "CB-REQ-FAILOVER"], {"path": "/cb", "delay_ms": 2000}, CONNECT,
     {"urls": ["capture:/cb", "refused:/x"], "needs": SHORT_TIMEOUT}),
    # Other upload types fail the same way.
    ("out/status/multipart-301", "CompleteMultipartUpload with a 301 callback: 203 (live Go SDK test)",
     ["CB-OUT-MSG-STATUS", "CB-REQ-NO-REDIRECT", "CB-MPU-SIZE"], {"path": "/cb", "status": 301}, status_error(301),
     {"op": "multipart"}),
    ("out/status/post-500", "PostObject with a failing callback: 203, object stored", ["CB-OUT-MSG-STATUS", "CB-POST-FIELD"],
     {"path": "/cb", "status": 500}, status_error(500), {"op": "post", "auth": "v4"}),
    ("out/json/presign-v1-text", "Presigned PUT with a text answer: 203", ["CB-OUT-MSG-JSON", "CB-PRESIGN-QUERY"],
     {"path": "/cb", "body": "success"}, NOT_JSON, {"op": "presign-v1"}),
    ("out/connect/presign-v4-refused", "Presigned V4 PUT to a closed port: 203 (the live oss2 test)",
     ["CB-OUT-MSG-CONNECT", "CB-PRESIGN-QUERY", "CB-AUTH-V4-PRESIGN"], None, CONNECT, dict(REFUSED, op="presign-v4")),
]

# (name, answer on /cb, relayed body, requirements): successes with unusual bodies.
SUCCESSES = [
    ("delay-300ms", {"path": "/cb", "delay_ms": 300}, OK, ["CB-REQ-TIMEOUT", "CB-RESP-TIME"]),
    ("json-string", None, '"just a string"', ["CB-RESP-JSON-VALUE"]),
    ("json-array", None, "[1,2,3]", ["CB-RESP-JSON-VALUE"]),
    ("json-null", None, "null", ["CB-RESP-JSON-VALUE"]),
    ("json-whitespace", None, ' \n {"a" : 1} \n', ["CB-RESP-JSON-VALUE"]),
    ("json-unicode", None, '{"msg":"上传成功","n":1.50,"esc":"\\u00e9\\/"}', ["CB-OUT-200-BODY"]),
]


def success(name, answer, body, reqs):
    # The delayed answer is the in-time side of out/timeout/2000ms, so it needs the same short timeout.
    return simple("out/ok/%s" % name, "A 200 answer (%s) is relayed to the uploader byte for byte" % name,
                  reqs + ["CB-OUT-200-BODY", "CB-OUT-200-CONTENT-TYPE"], ["outcome", "200"], "o=${object}",
                  answer=[answer or {"path": "/cb", "body": body}], resp_body=body,
                  needs=SHORT_TIMEOUT if answer and "delay_ms" in answer else None)


def size_1mib():
    # The relayed 1 MiB body is not written into the file: the status and the
    # callback request are what is checked.
    c = Content("one mebibyte\n")
    return {"id": "out/ok/size-1mib", "title": "A 1048576-byte answer is within the 1 MiB limit",
            "requirements": ["CB-RESP-SIZE", "CB-OUT-200-BODY"], "tags": ["outcome", "200"],
            "upload": upload_table("put", "out/ok/size-1mib.txt", c, "text/plain"),
            "callback": {"urls": ["capture:/cb"], "body": "o=${object}"},
            "answer": [{"path": "/cb", "oversize": 1048576}],
            "expect": {"status": 200, "callback": [{"path": "/cb", "host": "{capture}", "content_type": FORM_CT,
                                                     "body": "o=out%2Fok%2Fsize-1mib.txt"}],
                       "object": obj_expect(c, "text/plain")}}


def files():
    out = []
    for sid, title, reqs, answer, error, opts in FAILURES:
        out.append(failed(sid, title, reqs + FAIL_REQS, ("outcome", "203"), error, answers=[answer] if answer else None,
                          **{"auth": "v1", **opts}))
    out += [success(*row) for row in SUCCESSES]
    out.append(size_1mib())
    out.append(simple("out/ok/multipart-custom-body", "CompleteMultipartUpload answers with the callback's JSON instead of XML",
                      ["CB-OUT-MPU-REPLACE", "CB-OUT-200-BODY", "CB-MPU-SIZE", "CB-CHK-ETAG-MPU"], ["outcome", "multipart"],
                      "size=${size}&etag=${etag}", op="multipart", content=multipart_content("mpu body replaced\n"),
                      key="out/ok/multipart-custom-body.bin",
                      answer=[{"path": "/cb", "body": '{"uploaded":true,"id":42}'}], resp_body='{"uploaded":true,"id":42}'))
    return {FILE: out}
