"""Scenario builders and constants shared by the suite modules.

Most scenarios are one of three shapes: a successful callback (simple), an
upload refused before anything is stored (reject), or a callback that fails
with a 203 while the object is stored (failed). Building each shape in one
place keeps the expected-value rules (which headers are literal, what the
object looks like afterwards) identical across every file that uses it, so the
suite modules only hold what varies: their tables.
"""

import json
import re

from .oracles import Content, detok, expand, has_tokens, md5_b64, multipart_content, system_values

FORM_CT = "application/x-www-form-urlencoded"
JSON_CT = "application/json"
OCTET = "application/octet-stream"
OK = '{"Status":"OK"}'
ACCOUNT = "1000000000000001"  # the emulator's configured account id (CB-HDR-REQUESTER)

# ---------------------------------------------------------------- error answers, as (Message, EC)

# 203: the object is stored, the callback failed.
CONNECT = ("Error status : -1.OSS can not connect to your callbackUrl, please check it.", "0007-00000203")
NOT_JSON = ("Response body is not valid json format.", "0007-00000205")
TIMEOUT = ("Cost too long time", "0007-00000203")
TOO_LONG = ("Error Status : 400.User server return too long content-length value", "0007-00000203")


def status_error(code):
    return ("Error status : %d." % code, "0007-00000203")


# 400 InvalidArgument: the request is refused and nothing is stored.
CFG_NOT_BASE64 = ("The callback configuration is not base64 encoded.", "0007-00000002")
CFG_NOT_JSON = ("The callback configuration is not json format.", "0007-00000003")
URL_INVALID = ("The callbackUrl is invalid.", "0007-00000004")
URL_TOO_MANY = ("The number of callbackUrl exceeds the limit of 5.", "0007-00000005")
CALLBACK_TOO_BIG = ("The callback exceeds the size limit of 5 KB.", "0007-00000006")
POLICY = ("The bucket callback policy named by callbackPolicy does not exist.", "0007-00000007")
PRIVATE = ("Private address is forbidden to callback.", "0007-00000008")
HOST_TYPE = ("The callbackHost must be a string.", "0007-00000009")
BODY_TYPE = ("The callbackBody must be a string.", "0007-00000010")
BODY_EMPTY = ("The callbackBody is empty.", "0007-00000011")
BODYTYPE_TYPE = ("The callbackBodyType must be a string.", "0007-00000012")
BODYTYPE_VALUE = ("The callbackBodyType must be application/x-www-form-urlencoded or application/json.", "0007-00000012")
SNI_TYPE = ("The callback sni is invalid.", "0007-00000013")
CONFLICT_CALLBACK = ("The callback cannot be specified in both the header and the query string.", "0007-00000027")
CONFLICT_VAR = ("The callback-var cannot be specified in both the header and the query string.", "0007-00000028")
VAR_TOO_BIG = ("The callback-var exceeds the size limit of 5 KB.", "0007-00000101")
VAR_NOT_BASE64 = ("The callback-var configuration is not base64 encoded.", "0007-00000102")
VAR_NOT_JSON = ("The callback-var configuration is not json format.", "0007-00000103")
VAR_NOT_MAP = ("The callback-var must map strings to strings.", "0007-00000104")
VAR_NAME = ("The custom variable name must start with x: and contain no upper-case letters.", "0007-00000104")
TPL_DOLLAR_BRACE = ("Left brace must be adjacent to dollar sign.", "0007-00000105")
TPL_UNCLOSED = ("Right brace is missing in callbackBody.", "0007-00000105")

# ---------------------------------------------------------------- pieces


def cb_headers(body_text):
    """Headers of a delivered callback that are literal when the body is."""
    h = {"x-oss-tag": "CALLBACK", "x-oss-signature-version": "1.0", "user-agent": "aliyun-oss-callback"}
    if not has_tokens(body_text):
        raw = body_text.encode()
        h["content-md5"] = md5_b64(raw)
        h["content-length"] = str(len(raw))
    return h


def delivered(path, body_text, json_mode=False, host="{capture}", query="", sni=None, extra_headers=None):
    """One [[scenario.expect.callback]]: the request the capture server must see."""
    hdrs = cb_headers(body_text)
    if extra_headers:
        hdrs.update(extra_headers)
    exp = {"path": path}
    if query:
        exp["query"] = query
    exp["host"] = host
    exp["content_type"] = JSON_CT if json_mode else FORM_CT
    exp["body"] = detok(body_text)
    exp["headers"] = hdrs
    if sni is not None:
        exp["sni"] = sni
    return exp


def obj_expect(content, mime, stored=True):
    return {"stored": stored, "size": content.size, "etag": content.etag, "crc64": str(content.crc), "content_type": mime}


def upload_table(op, key, content, mime, auth=None, carrier=None, headers=None, fields=None):
    u = {"operation": op}
    # Presigned URLs carry their signature version in the operation name.
    if auth and op in ("put", "post", "multipart"):
        u["auth"] = auth
    if carrier:
        u["carrier"] = carrier
    u["key"] = key
    u.update(content.upload_fields())
    if mime is not None:
        u["content_type"] = mime
    if headers:
        u["headers"] = headers
    if fields:
        u["fields"] = fields
    return u


def default_content(sid, op):
    """Bytes unique to the scenario, so no two scenarios share an ETag by accident."""
    text = "content of %s\n" % sid
    return multipart_content(text) if op == "multipart" else Content(text)


def error_head(status, code, error):
    message, ec = error
    return {"status": status, "code": code, "message": message, "ec": ec}


def error_expect(status, code, error, content=None, mime="text/plain"):
    """[scenario.expect] of an error answer; content given means the object is stored anyway."""
    e = error_head(status, code, error)
    e["object"] = {"stored": False} if content is None else obj_expect(content, mime)
    return e


# ---------------------------------------------------------------- the three shapes


def simple(sid, title, reqs, tags, template, *, json_mode=False, op="put", auth="v1", key=None, content=None,
           mime="text/plain", cvars=None, vars=None, needs=None, urls=None, host=None, sni=None, expect_host="{capture}",
           expect_sni=None, extra=None, answer=None, carrier=None, headers=None, fields=None, path="/cb",
           query="", resp_body=OK, extra_cb_headers=None, body_type=None):
    """A scenario whose single callback succeeds.

    `cvars` are the custom variables as (name, value) pairs, which the
    expected body is expanded with; `vars` instead gives a literal
    [scenario.vars] table for cases the pairs cannot express."""
    key = key or sid + ".txt"
    content = content or default_content(sid, op)
    stored_mime = mime if mime is not None else OCTET
    body = expand(template, json_mode, system_values(op, key, content, stored_mime), dict(cvars or []))
    cb = {"urls": urls or ["capture:%s%s" % (path, query)]}
    if host is not None:
        cb["host"] = host
    cb["body"] = template
    if body_type is not None:
        cb["body_type"] = body_type
    elif json_mode:
        cb["body_type"] = "json"
    if sni is not None:
        cb["sni"] = sni
    if extra:
        cb["extra"] = extra
    s = {
        "id": sid, "title": title,
        "requirements": reqs + ["CB-HDR-CONTENT-TYPE", "CB-OUT-200-BODY"],
        "tags": tags,
        "needs": needs,
        "upload": upload_table(op, key, content, mime, auth, carrier, headers, fields),
        "callback": cb,
    }
    if cvars:
        s["vars"] = {"values": [list(p) for p in cvars]}
    if vars is not None:
        s["vars"] = vars
    if answer:
        s["answer"] = answer
    s["expect"] = {"status": 200, "body": resp_body,
                   "callback": [delivered(path, body, json_mode, expect_host, query, expect_sni, extra_cb_headers)],
                   "object": obj_expect(content, stored_mime)}
    return s


REJECT_REQS = ["CB-ERR-400", "CB-ERR-XML", "CB-ERR-REQUEST-ID-MATCH", "CB-OUT-VALIDATION-NO-STORE", "CB-ERR-MSG-CHOSEN"]


def loader_safe(callback):
    """The loader only takes capture:/captures:/refused:/http(s):// or scheme-less URLs in `urls`;
    other schemes go through raw JSON ({capture} is the capture URL base)."""
    if not callback or "urls" not in callback:
        return callback
    urls = callback["urls"]
    if all(u.split(":", 1)[0] in ("capture", "captures", "refused", "http", "https") or "://" not in u for u in urls):
        return callback
    assert set(callback) <= {"urls", "body", "extra", "trailing_semicolon"}, callback

    def lit(u):
        return "{capture}" + u[len("capture:"):] if u.startswith("capture:") else u
    d = {"callbackUrl": ";".join(lit(u) for u in urls) + (";" if callback.get("trailing_semicolon") else "")}
    if "body" in callback:
        d["callbackBody"] = callback["body"]
    d.update(callback.get("extra", {}))
    return {"json": json.dumps(d, ensure_ascii=False, separators=(",", ":"))}


def reject(sid, title, reqs, error, *, callback=None, vars=None, carrier=None, headers=None, needs=None, op="put",
           auth=None, tags=("validation",), content=None):
    """An upload refused with 400 InvalidArgument `error`; nothing is stored."""
    content = content or Content("rejected %s\n" % sid)
    callback = loader_safe(callback)
    s = {"id": sid, "title": title, "requirements": reqs + REJECT_REQS, "tags": list(tags),
         "needs": needs,
         "upload": upload_table(op, sid + ".txt", content, "text/plain", auth=auth, carrier=carrier, headers=headers)}
    if callback is not None:
        s["callback"] = callback
    if vars is not None:
        s["vars"] = vars
    s["expect"] = error_expect(400, "InvalidArgument", error)
    return s


def failed(sid, title, reqs, tags, error, *, answers=None, urls=None, calls=None, template="o=${object}&s=${size}",
           json_mode=False, op="put", auth=None, needs=None, trailing_semicolon=False, status=203, resp_body=None):
    """An upload whose callback is answered by `answers` ([[scenario.answer]] tables).

    `calls` lists the paths the capture server must see, in order; by default
    /cb once, as the single capture URL is called once. With status 203 the
    upload fails with `error` after storing the object; failover tests that
    end in a success pass status 200 and the relayed `resp_body` instead."""
    key = sid + ".txt"
    content = default_content(sid, op)
    body_text = expand(template, json_mode, system_values(op, key, content, "text/plain"), {})
    cb = {"urls": urls or ["capture:/cb"]}
    if trailing_semicolon:
        cb["trailing_semicolon"] = True
    cb["body"] = template
    if json_mode:
        cb["body_type"] = "json"
    s = {"id": sid, "title": title, "requirements": reqs, "tags": list(tags), "needs": needs,
         "upload": upload_table(op, key, content, "text/plain", auth=auth), "callback": cb}
    if answers:
        s["answer"] = answers
    e = error_head(203, "CallbackFailed", error) if status == 203 else {"status": status, "body": resp_body}
    e["callback"] = [delivered(p, body_text, json_mode) for p in (["/cb"] if calls is None else calls)]
    e["object"] = obj_expect(content, "text/plain")
    s["expect"] = e
    return s


# ---------------------------------------------------------------- whole-suite rules

PRIVATE_URL = re.compile(r"^(https?://)?(127\.|10\.|192\.168\.|172\.(1[6-9]|2[0-9]|3[01])\.|169\.254\.|localhost)")


def normalise_needs(s):
    """capture: URLs follow --callback-base-url and need nothing; only a
    scenario that calls a private address itself (refused:, literal loopback
    URLs) needs private-callbacks, unless it exists to see them refused.

    Derived here from the URLs rather than written by each builder, so no
    scenario can forget it or claim it without cause."""
    needs = [n for n in (s.get("needs") or []) if n != "private-callbacks"]
    urls = (s.get("callback") or {}).get("urls") or []
    calls_private = any(u.startswith("refused:") or PRIVATE_URL.match(u) for u in urls)
    if calls_private and "production-rules" not in needs:
        needs.insert(0, "private-callbacks")
    # Production rules refuse the capture server only where the endpoint
    # reaches it at a private address (loopback, not a public tunnel).
    if "production-rules" in needs and any(u.startswith(("capture:", "captures:")) for u in urls):
        needs.append("private-capture")
    s["needs"] = needs or None


def dedupe(seq):
    seen, out = set(), []
    for x in seq:
        if x not in seen:
            seen.add(x)
            out.append(x)
    return out
