"""validation.toml: callback parameters the target must refuse before storing anything.

Each scenario breaks one rule of the callback or callback-var parameter and
expects the 400 InvalidArgument that names it. The "val/order/..." cases break
two rules at once: the target must report the one the spec checks first, since
SDKs and users key on the message. A few accepted cases sit on the exact size
limits, to pin the boundary from both sides.
"""

import base64
import json

from .common import (BODY_EMPTY, BODY_TYPE, BODYTYPE_TYPE, BODYTYPE_VALUE, CALLBACK_TOO_BIG, CFG_NOT_BASE64, CFG_NOT_JSON,
                     CONFLICT_CALLBACK, CONFLICT_VAR, CONNECT, HOST_TYPE, POLICY, PRIVATE, SNI_TYPE, TPL_DOLLAR_BRACE,
                     TPL_UNCLOSED, URL_INVALID, URL_TOO_MANY, VAR_NAME, VAR_NOT_BASE64, VAR_NOT_JSON, VAR_NOT_MAP,
                     VAR_TOO_BIG, error_expect, reject, simple, upload_table)
from .oracles import Content, b64, md5_b64, multipart_content

FILE = "validation.toml"

OK_URL = "http://a.example.com/cb"


def to(*urls, body="b=${bucket}"):
    return {"urls": list(urls), "body": body}


CB_OK = {"urls": ["capture:/cb"], "body": "v=${x:v}"}  # a valid callback, for the callback-var cases


def cfg_json(extra_fields, url=OK_URL, body="b=${bucket}"):
    d = {"callbackUrl": url, "callbackBody": body}
    d.update(extra_fields)
    return json.dumps(d, ensure_ascii=False, separators=(",", ":"))


def unpadded_b64():
    # A length that is not a multiple of 3, so the padding really is missing.
    text = cfg_json({})
    while len(text.encode()) % 3 == 0:
        text = text[:-1] + " }"
    return b64(text).rstrip("=")


def urlsafe_b64():
    # Grow a filler until the standard encoding contains + or /, so the
    # URL-safe alphabet actually differs from it.
    pad = ""
    while True:
        enc = b64(cfg_json({"z": "?" * len(pad) + "~~~>>>"}))
        if "+" in enc or "/" in enc:
            return enc.replace("+", "-").replace("/", "_")
        pad += "?"


def whitespace_b64():
    enc = b64(cfg_json({}))
    return enc[:8] + " " + enc[8:]


# ---------------------------------------------------------------- the callback parameter as a whole

CONFIG = [
    ("val/cfg/not-base64", "callback that is not Base64 (x123-*&)", ["CB-CFG-BASE64"], CFG_NOT_BASE64,
     {"callback": {"raw": "x123-*&"}}),
    ("val/cfg/base64-unpadded", "Base64 without '=' padding is refused (strict decoding)",
     ["CB-CFG-BASE64-STRICT", "CB-CFG-BASE64"], CFG_NOT_BASE64, {"callback": {"raw": unpadded_b64()}}),
    ("val/cfg/base64-urlsafe", "URL-safe Base64 alphabet (- and _) is refused",
     ["CB-CFG-BASE64-STRICT", "CB-CFG-BASE64"], CFG_NOT_BASE64, {"callback": {"raw": urlsafe_b64()}}),
    ("val/cfg/base64-whitespace", "Base64 with embedded whitespace is refused",
     ["CB-CFG-BASE64-STRICT", "CB-CFG-BASE64"], CFG_NOT_BASE64, {"callback": {"raw": whitespace_b64()}}),
    ("val/cfg/not-json-unescaped-quotes", "Unescaped quotes inside callbackBody: not JSON", ["CB-CFG-JSON"], CFG_NOT_JSON,
     {"callback": {"json": '{"callbackUrl":"{capture}/cb","callbackBody":"{"bucket":${bucket}}"}'}}),
    ("val/cfg/not-json-truncated", "Truncated JSON", ["CB-CFG-JSON"], CFG_NOT_JSON,
     {"callback": {"json": '{"callbackUrl":"{capture}/cb","callbackBody":"b=${bucket}"'}}),
    *[("val/cfg/not-object-%s" % name, "Valid JSON that is not an object (%s)" % name, ["CB-CFG-OBJECT", "CB-CFG-JSON"],
       CFG_NOT_JSON, {"callback": {"json": js}})
      for name, js in [("array", '["{capture}/cb"]'), ("null", "null")]],
    ("val/cfg/not-utf8", "Decoded callback bytes that are not UTF-8", ["CB-CFG-UTF8", "CB-CFG-JSON"], CFG_NOT_JSON,
     {"callback": {"raw": base64.b64encode(b'{"callbackUrl":"\xff\xfe"}').decode()}}),
    ("val/cfg/policy-name", "callbackPolicy naming a policy the bucket does not have", ["CB-POLICY-BUCKET", "CB-CFG-POLICY"], POLICY,
     {"callback": {"json": '{"callbackPolicy":"my-policy"}'}}),
    ("val/cfg/policy-number", "callbackPolicy of another type gets the same error", ["CB-POLICY-BUCKET", "CB-CFG-POLICY"], POLICY,
     {"callback": {"urls": ["capture:/cb"], "body": "b=${bucket}", "extra": {"callbackPolicy": 7}}}),
    ("val/order/policy-before-url", "callbackPolicy is checked before callbackUrl", ["CB-CFG-ORDER", "CB-CFG-POLICY"], POLICY,
     {"callback": {"json": '{"callbackUrl":"ftp://x.example.com/","callbackPolicy":"p"}'}}),
]

# ---------------------------------------------------------------- callbackUrl

# (name, URL, requirements): each the only URL of an otherwise valid callback.
BAD_URLS = [
    ("port-text-domain", "www.callback-example.com:test", ["CB-URL-PORT"]),
    ("port-text-ip", "10.101.166.30:test", ["CB-URL-PORT"]),
    ("port-text-my-com", "http://my.com:test/cb", ["CB-URL-PORT"]),
    ("port-zero", "http://a.example.com:0/cb", ["CB-URL-PORT-RANGE", "CB-URL-PORT"]),
    ("port-65536", "http://a.example.com:65536/cb", ["CB-URL-PORT-RANGE", "CB-URL-PORT"]),
    ("scheme-ftp", "ftp://a.example.com/cb", ["CB-URL-SCHEME"]),
    ("host-no-dot", "http://my/cb", ["CB-URL-HOST-DOT"]),
    ("host-empty", "http:///cb", ["CB-URL-HOST-EMPTY"]),
    ("ipv6", "http://[::1]/cb", ["CB-URL-IPV6"]),
    ("charset-nonascii", "http://a.example.com/中文", ["CB-URL-CHARSET", "CB-URL-CLIENT-ENCODE"]),
    ("charset-space", "http://a.example.com/a b", ["CB-URL-CHARSET"]),
    ("charset-control", "http://a.example.com/a\tb", ["CB-URL-CHARSET"]),
]

# Refused only under production rules; the emulator's default allows them so
# that capture: works at all.
PRIVATE_URLS = [("capture-loopback", "capture:/cb"), ("192-168", "http://192.168.1.1/cb"),
                ("10-x", "10.101.166.30:8083/callback.php"), ("100-64-cgnat", "http://100.64.0.1/cb"),
                ("localhost", "http://localhost:8080/cb")]

SIX = ["http://a%d.example.com/" % i for i in range(1, 7)]

URLS = [
    *[("val/url/type-%s" % name, "callbackUrl that is not a string (%s)" % name, ["CB-CFG-URL-TYPE"], URL_INVALID,
       {"callback": {"json": js}})
      for name, js in [("number", '{"callbackUrl":123,"callbackBody":"b"}'), ("null", '{"callbackUrl":null,"callbackBody":"b"}')]],
    *[("val/url/%s" % name, "Invalid callbackUrl %s" % json.dumps(url, ensure_ascii=False), reqs, URL_INVALID,
       {"callback": to(url)})
      for name, url, reqs in BAD_URLS],
    ("val/url/each-checked", "One invalid URL among valid ones rejects the whole request before any call",
     ["CB-URL-EACH", "CB-URL-SCHEME", "CB-OUT-UPLOAD-FIRST"], URL_INVALID, {"callback": to("capture:/a", "ftp://x.example.com/")}),
    ("val/url/six", "Six URLs: too many", ["CB-URL-MAX5"], URL_TOO_MANY, {"callback": to(*SIX)}),
    ("val/url/six-trailing-semicolon", "Six URLs followed by ';' (the doc's example): too many",
     ["CB-URL-MAX5", "CB-URL-EMPTY-SEGMENT"], URL_TOO_MANY,
     {"callback": {"urls": SIX, "trailing_semicolon": True, "body": "b=${bucket}"}}),
    ("val/order/count-before-url", "The URL count is checked before each URL", ["CB-CFG-ORDER", "CB-URL-MAX5"], URL_TOO_MANY,
     {"callback": to(*["ftp://x.example.com/"] * 6)}),
    *[("val/url/private-%s" % name, "Production rules refuse the private address %s" % url,
       ["CB-URL-PRIVATE", "CB-URL-PRIVATE-RELAX"], PRIVATE,
       {"callback": to(url), "needs": ["production-rules"], "tags": ("validation", "production")})
      for name, url in PRIVATE_URLS],
]

# ---------------------------------------------------------------- other fields: types and values


def bodytype_value(name, value, reqs, literal=False):
    # body_type is the loader's shorthand ("json" means application/json), so
    # the literal string "json" has to go in as an extra field.
    cb = {"urls": ["capture:/cb"], "body": "b"}
    if literal:
        cb["extra"] = {"callbackBodyType": value}
    else:
        cb["body_type"] = value
    return ("val/bodytype/value-%s" % name, "callbackBodyType %s" % json.dumps(value), reqs, BODYTYPE_VALUE, {"callback": cb})


FIELDS = [
    ("val/host/type-number", "callbackHost that is not a string (number)", ["CB-CFG-HOST-TYPE"], HOST_TYPE,
     {"callback": {"urls": ["capture:/cb"], "body": "b=${bucket}", "extra": {"callbackHost": 123}}}),
    ("val/host/type-null", "callbackHost null", ["CB-CFG-HOST-TYPE"], HOST_TYPE,
     {"callback": {"json": '{"callbackUrl":"{capture}/cb","callbackHost":null,"callbackBody":"b"}'}}),
    *[("val/body/type-%s" % name, "callbackBody that is not a string (%s)" % name, ["CB-CFG-BODY-TYPE"], BODY_TYPE,
       {"callback": {"urls": ["capture:/cb"], "extra": {"callbackBody": val}}})
      for name, val in [("number", 1), ("object", {"b": "${bucket}"})]],
    ("val/body/type-null", "callbackBody null", ["CB-CFG-BODY-TYPE"], BODY_TYPE,
     {"callback": {"json": '{"callbackUrl":"{capture}/cb","callbackBody":null}'}}),
    ("val/body/empty", "callbackBody is the empty string", ["CB-CFG-BODY-EMPTY"], BODY_EMPTY,
     {"callback": {"urls": ["capture:/cb"], "body": ""}}),
    ("val/body/missing", "No callbackBody at all", ["CB-CFG-BODY-REQUIRED"], BODY_EMPTY, {"callback": {"urls": ["capture:/cb"]}}),
    ("val/bodytype/type-number", "callbackBodyType that is not a string (number)", ["CB-CFG-BODYTYPE-TYPE"], BODYTYPE_TYPE,
     {"callback": {"urls": ["capture:/cb"], "body": "b", "extra": {"callbackBodyType": 1}}}),
    bodytype_value("image-jpg", "image/jpg", ["CB-CFG-BODYTYPE-VALUE"]),
    bodytype_value("case", "Application/JSON", ["CB-CFG-BODYTYPE-EXACT", "CB-CFG-BODYTYPE-VALUE"]),
    bodytype_value("charset", "application/json; charset=utf-8", ["CB-CFG-BODYTYPE-EXACT", "CB-CFG-BODYTYPE-VALUE"]),
    bodytype_value("short-json", "json", ["CB-CFG-BODYTYPE-VALUE"], literal=True),
    *[("val/sni/%s" % name, "callbackSNI that is not a boolean (%s)" % json.dumps(val), ["CB-CFG-SNI-TYPE"], SNI_TYPE,
       {"callback": {"urls": ["capture:/cb"], "body": "b", "extra": {"callbackSNI": val}}})
      for name, val in [("string-true", "true"), ("number", 123)]],
    ("val/sni/null", "callbackSNI null", ["CB-CFG-SNI-TYPE"], SNI_TYPE,
     {"callback": {"json": '{"callbackUrl":"{capture}/cb","callbackBody":"b","callbackSNI":null}'}}),
]

# Two faults each: the first in the spec's checking order must be reported.
ORDER = [
    ("val/order/url-before-host", "callbackUrl errors come before callbackHost errors", ["CB-CFG-ORDER"], URL_INVALID,
     {"callback": {"urls": ["ftp://a.example.com/"], "body": "b", "extra": {"callbackHost": 1}}}),
    ("val/order/host-before-body", "callbackHost errors come before callbackBody errors", ["CB-CFG-ORDER", "CB-CFG-HOST-TYPE"],
     HOST_TYPE, {"callback": {"urls": ["capture:/cb"], "body": "", "extra": {"callbackHost": 1}}}),
    ("val/order/bodytype-before-sni", "callbackBodyType errors come before callbackSNI errors", ["CB-CFG-ORDER"], BODYTYPE_VALUE,
     {"callback": {"urls": ["capture:/cb"], "body": "b", "body_type": "image/jpg", "extra": {"callbackSNI": "true"}}}),
    ("val/order/sni-before-template", "callbackSNI errors come before template errors", ["CB-CFG-ORDER", "CB-CFG-SNI-TYPE"],
     SNI_TYPE, {"callback": {"urls": ["capture:/cb"], "body": "a=$b", "extra": {"callbackSNI": "true"}}}),
    ("val/order/template-before-var", "Template errors come before callback-var errors", ["CB-CFG-ORDER", "CB-TPL-DOLLAR-BRACE"],
     TPL_DOLLAR_BRACE, {"callback": {"urls": ["capture:/cb"], "body": "a=$b"}, "vars": {"raw": "x123-*&"}}),
]

# ---------------------------------------------------------------- template syntax

# (name, callbackBody, requirements, error)
BAD_TEMPLATES = [
    ("doc-example", "size=${size}&my_var=$x:my_var}", ["CB-TPL-DOLLAR-BRACE"], TPL_DOLLAR_BRACE),
    ("trailing-dollar", "a=${size}$", ["CB-TPL-DOLLAR-BRACE"], TPL_DOLLAR_BRACE),
    ("paren", "filename=$(filename)&table=${x:table}", ["CB-TPL-PAREN", "CB-TPL-DOLLAR-BRACE"], TPL_DOLLAR_BRACE),
    ("double-dollar", "price=$$1", ["CB-TPL-LITERAL-DOLLAR", "CB-TPL-DOLLAR-BRACE"], TPL_DOLLAR_BRACE),
    # "\${size}" is a valid placeholder after a literal backslash, so test "\$x" instead.
    ("backslash-dollar", "price=\\$x", ["CB-TPL-LITERAL-DOLLAR", "CB-TPL-DOLLAR-BRACE"], TPL_DOLLAR_BRACE),
    ("dollar-space-brace", "a=$ {size}", ["CB-TPL-DOLLAR-BRACE"], TPL_DOLLAR_BRACE),
]

TEMPLATES = [
    *[("val/tpl/%s" % name, "callbackBody %s" % json.dumps(body), reqs, error,
       {"callback": {"urls": ["capture:/cb"], "body": body}})
      for name, body, reqs, error in BAD_TEMPLATES],
    *[("val/tpl/%s" % name, "callbackBody %s: right brace missing" % json.dumps(body), ["CB-TPL-UNCLOSED"], TPL_UNCLOSED,
       {"callback": {"urls": ["capture:/cb"], "body": body}})
      for name, body in [("unclosed", "a=${bucket"), ("unclosed-after-ok", "a=${size}&b=${x:v")]],
]

# ---------------------------------------------------------------- callback-var

VARS = [
    ("val/var/not-base64", "callback-var that is not Base64", ["CB-VAR-BASE64"], VAR_NOT_BASE64,
     {"callback": CB_OK, "vars": {"raw": "x123-*&"}}),
    ("val/var/base64-unpadded", "callback-var Base64 without padding", ["CB-VAR-BASE64", "CB-CFG-BASE64-STRICT"], VAR_NOT_BASE64,
     {"callback": CB_OK, "vars": {"raw": b64('{"x:v":"1"}').rstrip("=")}}),
    ("val/var/not-json", "callback-var that is not JSON", ["CB-VAR-JSON"], VAR_NOT_JSON,
     {"callback": CB_OK, "vars": {"json": '{"x:v":'}}),
    ("val/var/unescaped-quote", "callback-var built by string joining with an unescaped quote", ["CB-VAR-JSON", "CB-VAR-CLIENT-JSON"],
     VAR_NOT_JSON, {"callback": CB_OK, "vars": {"json": '{"x:v":"say "hi""}'}}),
    ("val/var/not-utf8", "callback-var bytes that are not UTF-8", ["CB-VAR-JSON"], VAR_NOT_JSON,
     {"callback": CB_OK, "vars": {"raw": base64.b64encode(b'{"x:v":"\xff"}').decode()}}),
    *[("val/var/%s" % name, "callback-var %s" % js, reqs, VAR_NOT_MAP, {"callback": CB_OK, "vars": {"json": js}})
      for name, js, reqs in [("array", '["x:v"]', ["CB-VAR-NOT-MAP"]),
                             ("nested-object", '{"x:v":{"nested":"no"}}', ["CB-VAR-NOT-MAP"]),
                             ("null-value", '{"x:v":null}', ["CB-VAR-NOT-MAP"]),
                             ("number-value", '{"x:v":1}', ["CB-VAR-VALUE-STRING", "CB-VAR-NOT-MAP"]),
                             ("bool-value", '{"x:v":true}', ["CB-VAR-VALUE-STRING", "CB-VAR-NOT-MAP"])]],
    *[("val/var/name-%s" % name, "Custom variable name %s" % json.dumps(k), reqs, VAR_NAME,
       {"callback": CB_OK, "vars": {"values": [[k, "1"]]}})
      for name, k, reqs in [("no-prefix", "uid", ["CB-VAR-PREFIX"]), ("upper-prefix", "X:uid", ["CB-VAR-PREFIX"]),
                            ("upper-name", "x:Uid", ["CB-VAR-KEY-CASE", "CB-VAR-PREFIX"]),
                            ("empty-name", "x:", ["CB-VAR-KEY-CASE", "CB-VAR-PREFIX"])]],
]

# ---------------------------------------------------------------- sizes

# Base64 of n bytes is 4*ceil(n/3) characters: 3840 JSON bytes give exactly 5120.


def sized_callback(b64_len):
    n = b64_len // 4 * 3
    skeleton = '{"callbackUrl":"http://127.0.0.1:9/cb","callbackBody":"b=${size}&p=%s"}'
    text = skeleton % ("p" * (n - len(skeleton % "")))
    assert len(b64(text)) == b64_len
    return text


def sized_vars(b64_len):
    n = b64_len // 4 * 3
    skeleton = '{"x:v":"%s"}'
    text = skeleton % ("v" * (n - len(skeleton % "")))
    assert len(b64(text)) == b64_len
    return text


def sizes():
    c = Content("5120\n")
    callback_5120 = {
        "id": "val/size/callback-5120-accepted", "title": "A 5120-byte Base64 callback is accepted (the URL then refuses: 203)",
        "requirements": ["CB-CARRIER-SIZE-MEASURE", "CB-CARRIER-SIZE", "CB-OUT-MSG-CONNECT"], "tags": ["validation", "size"],
        "upload": upload_table("put", "val/size/callback-5120.txt", c, "text/plain"),
        "callback": {"json": sized_callback(5120)},
        "expect": error_expect(203, "CallbackFailed", CONNECT, c),
    }
    var_5120 = simple("val/size/var-5120-accepted", "A 5120-byte Base64 callback-var is accepted",
                      ["CB-CARRIER-SIZE", "CB-CARRIER-SIZE-MEASURE", "CB-VAR-JSON-MAP", "CB-CARRIER-VAR-BUDGET"],
                      ["validation", "size"], "n=${size}", key="val/size/var-5120.txt", content=Content("var 5120\n"),
                      vars={"json": sized_vars(5120)})
    return [callback_5120] + rejects([
        ("val/size/callback-5124", "A 5124-byte Base64 callback exceeds 5 KB", ["CB-CARRIER-SIZE", "CB-CARRIER-SIZE-MEASURE"],
         CALLBACK_TOO_BIG, {"callback": {"json": sized_callback(5124)}}),
        ("val/size/callback-5121-raw", "A 5121-byte raw value: the size check comes before Base64",
         ["CB-CARRIER-SIZE", "CB-CARRIER-SIZE-MEASURE", "CB-CFG-ORDER"], CALLBACK_TOO_BIG, {"callback": {"raw": "A" * 5121}}),
        ("val/size/callback-query", "The 5 KB limit applies to the query carrier too", ["CB-CARRIER-SIZE", "CB-CARRIER-QUERY"],
         CALLBACK_TOO_BIG, {"callback": {"json": sized_callback(5124)}, "op": "presign-v4"}),
    ]) + [var_5120] + rejects([
        ("val/size/var-5124", "A 5124-byte Base64 callback-var exceeds 5 KB", ["CB-CARRIER-SIZE", "CB-CARRIER-SIZE-MEASURE"],
         VAR_TOO_BIG, {"callback": CB_OK, "vars": {"json": sized_vars(5124)}}),
        ("val/size/var-ten-1024", "Ten variables of 1024 characters (the Java live test) exceed 5 KB",
         ["CB-CARRIER-SIZE", "CB-CARRIER-VAR-BUDGET"], VAR_TOO_BIG,
         {"callback": CB_OK, "vars": {"values": [["x:v%d" % i, "v" * 1024] for i in range(10)]}}),
        ("val/order/callback-size-before-var-size", "The callback size is checked before the callback-var size",
         ["CB-CFG-ORDER", "CB-CARRIER-SIZE"], CALLBACK_TOO_BIG, {"callback": {"raw": "A" * 5121}, "vars": {"raw": "B" * 5121}}),
    ])


# ---------------------------------------------------------------- carriers, failed uploads, PostObject

CONFLICTS = [
    ("val/conflict/callback", "x-oss-callback header and callback query together", ["CB-CARRIER-CONFLICT-CALLBACK"],
     CONFLICT_CALLBACK, {"callback": to("capture:/cb"), "carrier": "header-and-query"}),
    ("val/conflict/callback-multipart", "Header and query callback on CompleteMultipartUpload", ["CB-CARRIER-CONFLICT-CALLBACK"],
     CONFLICT_CALLBACK, {"callback": to("capture:/cb"), "carrier": "header-and-query", "op": "multipart",
                         "content": multipart_content("tail mpu conflict\n")}),
    ("val/conflict/var", "x-oss-callback-var header and callback-var query together", ["CB-CARRIER-CONFLICT-VAR"],
     CONFLICT_VAR, {"callback": to("capture:/cb", body="v=${x:v}"), "carrier": "query", "vars": {"values": [["x:v", "1"]]},
                    "headers": {"x-oss-callback-var": b64('{"x:v":"2"}')}}),
    ("val/conflict/callback-before-size", "Carrier conflicts are checked before sizes", ["CB-CFG-ORDER", "CB-CARRIER-CONFLICT-CALLBACK"],
     CONFLICT_CALLBACK, {"callback": {"raw": "A" * 5121}, "carrier": "header-and-query"}),
]


def bad_content_md5():
    # The upload itself fails: the callback must not even be validated, let alone called.
    c = Content("bad digest\n")
    return {"id": "val/upload-first/bad-content-md5",
            "title": "A PutObject with a wrong Content-MD5 fails normally: no callback, nothing stored",
            "requirements": ["CB-OUT-UPLOAD-FIRST", "CB-CHK-CONTENT-MD5"], "tags": ["validation"],
            "upload": upload_table("put", "val/upload-first/bad-md5.txt", c, "text/plain",
                                   headers={"Content-MD5": md5_b64(b"something else")}),
            "callback": {"urls": ["capture:/cb"], "body": "b=${bucket}"},
            "expect": {"status": 400, "code": "InvalidDigest", "message": "The Content-MD5 you specified was invalid.",
                       "object": {"stored": False}}}


# The 5 KB limit does not apply to PostObject, but the other checks reach it too.
POST = [
    ("val/post/not-json", "PostObject with a callback field that is not JSON", ["CB-CFG-JSON", "CB-POST-FIELD"], CFG_NOT_JSON,
     {"op": "post", "callback": {"json": '{"callbackUrl":"{capture}/cb","callbackBody":"{"b":1}"}'}}),
    ("val/post/bad-var-name-field", "PostObject: x: fields are raw text; an upper-case name is refused",
     ["CB-VAR-KEY-CASE", "CB-VAR-PREFIX", "CB-CARRIER-FORM"], VAR_NAME,
     {"op": "post", "callback": {"urls": ["capture:/cb"], "body": "v=${x:v}"}, "vars": {"values": [["x:Big", "1"]]}}),
]


def rejects(rows):
    return [reject(sid, title, reqs, error, **opts) for sid, title, reqs, error, opts in rows]


def files():
    return {FILE: (rejects(CONFIG + URLS + FIELDS + ORDER + TEMPLATES + VARS) + sizes() + rejects(CONFLICTS)
                   + [bad_content_md5()] + rejects(POST))}
