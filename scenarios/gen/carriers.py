"""carriers.toml: how the callback parameters travel, and when there is no callback at all.

The matrix sends each operation's parameters in its usual carrier; these are
the unusual ones (query on a header-signed put, header on a presigned URL,
PostObject's form fields beyond 5 KB) and the cases where the parameters are
present but must not cause a callback.
"""

from .common import ACCOUNT, BODYTYPE_VALUE, VAR_NOT_BASE64, obj_expect, reject, simple, upload_table
from .oracles import Content, b64

FILE = "carriers.toml"

# (id, title, requirements, tags after "carrier", template, options)
CARRIED = [
    ("carrier/put-query-v1", "PutObject (V1 header auth) with callback and callback-var in the query",
     ["CB-CARRIER-QUERY", "CB-AUTH-V1-SUBRESOURCE", "CB-VAR-JSON-MAP"], [], "v=${x:v}&o=${object}",
     {"carrier": "query", "cvars": [("x:v", "q 1")]}),
    ("carrier/put-query-v4", "PutObject (V4 header auth) with callback and callback-var in the query",
     ["CB-CARRIER-QUERY", "CB-AUTH-V4-HEADER", "CB-VAR-JSON-MAP"], [], "v=${x:v}&o=${object}",
     {"auth": "v4", "carrier": "query", "cvars": [("x:v", "q 2")]}),
    ("carrier/presign-v1-header", "Presigned V1 PUT signed with the x-oss-callback header",
     ["CB-PRESIGN-HEADER", "CB-CARRIER-HEADER", "CB-AUTH-V1-PRESIGN"], ["presign"], "v=${x:v}&o=${object}",
     {"op": "presign-v1", "carrier": "header", "cvars": [("x:v", "h1")]}),
    ("carrier/presign-v4-header", "Presigned V4 PUT signed with the x-oss-callback header",
     ["CB-PRESIGN-HEADER", "CB-CARRIER-HEADER", "CB-AUTH-V4-PRESIGN"], ["presign"], "v=${x:v}&o=${object}",
     {"op": "presign-v4", "carrier": "header", "cvars": [("x:v", "h4")]}),
    ("carrier/requester-owner-headers", "Callback headers x-oss-requester and x-oss-owner carry the emulator's account id",
     ["CB-HDR-REQUESTER", "CB-HDR-OWNER", "CB-HDR-BUCKET", "CB-HDR-REQUEST-ID"], ["headers"], "o=${object}",
     {"extra_cb_headers": {"x-oss-requester": ACCOUNT, "x-oss-owner": ACCOUNT, "x-oss-bucket": "{bucket}",
                           "x-oss-request-id": "{request_id}"}}),
    # PostObject: the 5 KB limit is the header's, not the form's.
    ("carrier/post-callback-over-5kb", "PostObject: a callback field over 5 KB is accepted", ["CB-CARRIER-SIZE-POST", "CB-POST-FIELD"],
     ["post"], "big=" + "p" * 6000 + "&s=${size}",
     {"op": "post", "content": Content("post with a big callback\n"), "key": "carrier/post-big-callback.txt"}),
    ("carrier/post-var-over-5kb", "PostObject: an x: field over 5 KB is accepted", ["CB-CARRIER-SIZE-POST", "CB-VAR-POST-FIELDS"],
     ["post"], "v=${x:v}", {"op": "post", "auth": "v4", "cvars": [("x:v", "w" * 6000)]}),
    ("carrier/post-callback-var-field-ignored", "PostObject: a callback-var form field is ignored",
     ["CB-CARRIER-POST-VAR-FIELD", "CB-VAR-POST-FIELDS"], ["post"], "v=${x:v}&w=${x:w}",
     {"op": "post", "cvars": [("x:v", "from x field")], "fields": {"callback-var": b64('{"x:w":"from callback-var"}')}}),
    # The callback's outcome decides PostObject's answer, whatever the form asked for.
    ("carrier/post-success-status-201", "PostObject with success_action_status 201: the callback outcome wins (200)",
     ["CB-POST-SUCCESS-STATUS", "CB-POST-FIELD"], ["post"], "o=${object}",
     {"op": "post", "fields": {"success_action_status": "201"}}),
    ("carrier/post-success-status-204", "PostObject with success_action_status 204: 200 with the callback body",
     ["CB-POST-SUCCESS-STATUS"], ["post"], "o=${object}", {"op": "post", "auth": "v4", "fields": {"success_action_status": "204"}}),
    ("carrier/post-redirect-ignored", "PostObject with success_action_redirect: 200 with the callback body",
     ["CB-POST-SUCCESS-STATUS"], ["post"], "o=${object}",
     {"op": "post", "fields": {"success_action_redirect": "http://www.example.com/done"}}),
]

# (id, title, requirements, [scenario.callback], [scenario.vars]): a plain 200, no callback made.
NO_CALLBACK = [
    ("carrier/url-empty-no-callback", "An empty callbackUrl means no callback: a plain 200", ["CB-CFG-URL-ABSENT"],
     {"urls": [], "body": "b=${bucket}"}, None),
    ("carrier/url-missing-no-callback", "No callbackUrl field: a plain 200", ["CB-CFG-URL-ABSENT"],
     {"json": '{"callbackBody":"b=${bucket}"}'}, None),
    ("carrier/url-field-case", "CallbackUrl (wrong case) is an unknown field, so no callback",
     ["CB-CFG-FIELD-CASE", "CB-CFG-URL-ABSENT", "CB-CFG-UNKNOWN-FIELDS"],
     {"json": '{"CallbackUrl":"{capture}/cb","callbackBody":"b=${bucket}"}'}, None),
    ("carrier/vars-without-callback", "callback-var without any callback is ignored, even when invalid", ["CB-VAR-WITHOUT-CALLBACK"],
     None, {"raw": "not base64 at all!"}),
]

# No callback is made, yet the parameters are still validated.
STILL_VALIDATED = [
    ("carrier/url-empty-still-validated", "An empty callbackUrl still validates the other fields (bad body type)",
     ["CB-CFG-URL-ABSENT", "CB-CFG-BODYTYPE-VALUE"], BODYTYPE_VALUE,
     {"callback": {"json": '{"callbackUrl":"","callbackBody":"b","callbackBodyType":"image/jpg"}'}}),
    ("carrier/url-empty-var-validated", "An empty callbackUrl still validates callback-var", ["CB-CFG-URL-ABSENT", "CB-VAR-BASE64"],
     VAR_NOT_BASE64, {"callback": {"json": '{"callbackUrl":"","callbackBody":"b"}'}, "vars": {"raw": "x123-*&"}}),
]


def plain(sid, title, reqs, callback, vars):
    c = Content("plain %s\n" % sid)
    s = {"id": sid, "title": title, "requirements": reqs, "tags": ["carrier", "no-callback"],
         "upload": upload_table("put", sid + ".txt", c, "text/plain")}
    if callback is not None:
        s["callback"] = callback
    if vars is not None:
        s["vars"] = vars
    s["expect"] = {"status": 200, "body": "", "object": obj_expect(c, "text/plain")}
    return s


def files():
    out = [simple(sid, title, reqs, ["carrier"] + tags, template, **opts) for sid, title, reqs, tags, template, opts in CARRIED]
    out += [plain(*row) for row in NO_CALLBACK]
    out += [reject(sid, title, reqs, error, **opts) for sid, title, reqs, error, opts in STILL_VALIDATED]
    return {FILE: out}
