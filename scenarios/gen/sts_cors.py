"""Uploads signed with temporary (STS) credentials (spec CB-EMU-STS) and
uploads from a browser origin with bucket CORS rules (spec CB-EMU-CORS).

An STS scenario signs with the target's temporary credential and sends its
SecurityToken where OSS reads it for each signature scheme (header, V1 or V4
presigned query, POST form field). A CORS scenario puts the bucket's rules,
sends a preflight as a browser would, uploads with an Origin header and
checks the Access-Control-* headers on the answer, 200 and 203 alike."""

from .common import error_head, failed, simple, status_error

STS_FILE = "sts.toml"
CORS_FILE = "cors.toml"
STS = ["temporary-credentials"]
CORS = ["cors"]

ORIGIN = "http://app.example.test"
EXPOSED = "ETag, x-oss-request-id, x-oss-hash-crc64ecma"
RULES = ("<CORSConfiguration><CORSRule><AllowedOrigin>%s</AllowedOrigin><AllowedMethod>PUT</AllowedMethod>"
         "<AllowedMethod>POST</AllowedMethod><AllowedHeader>*</AllowedHeader><ExposeHeader>ETag</ExposeHeader>"
         "<ExposeHeader>x-oss-request-id</ExposeHeader><ExposeHeader>x-oss-hash-crc64ecma</ExposeHeader>"
         "<MaxAgeSeconds>600</MaxAgeSeconds></CORSRule></CORSConfiguration>" % ORIGIN)
# What a browser reads on an upload's answer when the rule allows its origin.
ANSWER_HEADERS = {"access-control-allow-origin": ORIGIN, "access-control-allow-methods": "PUT, POST",
                  "access-control-expose-headers": EXPOSED}


def temporary(s):
    s["upload"]["credentials"] = "temporary"
    return s


def sts_files():
    reqs = ["CB-EMU-STS"]
    out = [
        temporary(simple("sts/put/v1", "PutObject signed V1 with an STS credential and its x-oss-security-token header",
                         reqs + ["CB-AUTH-V1-HEADER"], ["sts", "put"], "bucket=${bucket}&object=${object}", needs=STS)),
        temporary(simple("sts/put/v4", "PutObject signed V4 with an STS credential",
                         reqs + ["CB-AUTH-V4-HEADER"], ["sts", "put"], "object=${object}&size=${size}", auth="v4",
                         needs=STS)),
        temporary(simple("sts/multipart/v1", "Every multipart request carries the STS token; Complete calls back",
                         reqs + ["CB-MPU-COMPLETE-ONLY"], ["sts", "multipart"], "object=${object}&size=${size}",
                         op="multipart", needs=STS)),
        temporary(simple("sts/presign-v1/query", "A V1 presigned PUT with security-token in its signed query",
                         reqs + ["CB-AUTH-V1-PRESIGN", "CB-PRESIGN-QUERY"], ["sts", "presign"], "object=${object}",
                         op="presign-v1", needs=STS)),
        temporary(simple("sts/presign-v4/query", "A V4 presigned PUT with x-oss-security-token in its signed query",
                         reqs + ["CB-AUTH-V4-PRESIGN", "CB-PRESIGN-QUERY"], ["sts", "presign"], "object=${object}",
                         op="presign-v4", needs=STS)),
        temporary(simple("sts/post/v4", "PostObject signed V4 with an STS credential and the x-oss-security-token field",
                         reqs + ["CB-AUTH-POST-V4", "CB-CARRIER-FORM"], ["sts", "post"], "object=${object}",
                         op="post", auth="v4", needs=STS)),
    ]
    wrong = temporary(simple("sts/put/wrong-secret", "An STS signature made with the wrong secret is refused: no callback, nothing stored",
                             reqs + ["CB-AUTH-MISMATCH", "CB-OUT-UPLOAD-FIRST"], ["sts", "put", "403"], "b=${bucket}",
                             needs=STS))
    wrong["upload"]["wrong_secret"] = True
    wrong["requirements"] = reqs + ["CB-AUTH-MISMATCH", "CB-OUT-UPLOAD-FIRST"]
    wrong["expect"] = {"status": 403, "code": "SignatureDoesNotMatch", "object": {"stored": False}}
    out.append(wrong)
    return out


def browser(s, preflight=None):
    s["upload"]["headers"] = {"Origin": ORIGIN}
    s["bucket_cors"] = {"xml": RULES, "preflight": preflight}
    s["expect"]["headers"] = dict(ANSWER_HEADERS)
    return s


ALLOWED_PREFLIGHT = {"origin": ORIGIN, "method": "PUT", "headers": "x-oss-callback, x-oss-callback-var, content-type",
                     "status": 200,
                     "expect_headers": {"access-control-allow-origin": ORIGIN,
                                        "access-control-allow-methods": "PUT, POST",
                                        "access-control-allow-headers": "x-oss-callback, x-oss-callback-var, content-type",
                                        "access-control-expose-headers": EXPOSED,
                                        "access-control-max-age": "600"}}
DENIED_PREFLIGHT = {"origin": "http://other.example.test", "method": "PUT", "status": 403}


def cors_files():
    reqs = ["CB-EMU-CORS"]
    ok = browser(simple("cors/put/200", "A browser upload's 200 answer exposes ETag and the request id to its origin",
                        reqs, ["cors", "put"], "object=${object}&etag=${etag}", needs=CORS), ALLOWED_PREFLIGHT)
    failed_cb = browser(failed("cors/put/203", "A browser reads a 203 CallbackFailed through the same CORS headers",
                               reqs + ["CB-OUT-203", "CB-OUT-MSG-STATUS"], ("cors", "put", "203"), status_error(500),
                               answers=[{"path": "/cb", "status": 500}], auth="v1", needs=CORS))
    multipart = browser(simple("cors/multipart/200", "CompleteMultipartUpload from a browser origin with a callback",
                               reqs + ["CB-OUT-MPU-REPLACE"], ["cors", "multipart"], "object=${object}&size=${size}",
                               op="multipart", needs=CORS))
    denied = simple("cors/preflight/denied", "A preflight from an origin no rule allows gets 403 AccessForbidden",
                    reqs, ["cors", "put"], "object=${object}", needs=CORS)
    denied["bucket_cors"] = {"xml": RULES, "preflight": DENIED_PREFLIGHT}
    return [ok, failed_cb, multipart, denied]


def files():
    return {STS_FILE: sts_files(), CORS_FILE: cors_files()}
