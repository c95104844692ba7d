"""matrix-<operation>.toml: every upload type x body type x transport x custom variables.

The matrix is the suite's broad net: each cell is an ordinary successful
callback, so a failure in one cell and not its neighbours points straight at
the axis that differs. The axes are the tables below; the requirement IDs a
cell claims are the union of what each of its coordinates exercises.
"""

import itertools

from .common import simple
from .oracles import Content, multipart_content

# Operation, auth versions cells cycle through, title, requirements (before auth).
# Presigned URLs carry one signature version each; the others alternate V1/V4
# cell by cell, so both versions meet every other axis somewhere.
ALTERNATING = ("v1", "v4")
PRESIGNED = (None,)
OPERATIONS = [
    ("put", ALTERNATING, "PutObject ({auth}, header carrier)",
     ["CB-CARRIER-HEADER", "CB-CARRIER-BASE64", "CB-SYS-OPERATION", "CB-SYS-CONTENTMD5", "CB-CHK-ETAG", "CB-CHK-CRC64"]),
    ("post", ALTERNATING, "PostObject ({auth} policy, form)",
     ["CB-CARRIER-FORM", "CB-CARRIER-BASE64", "CB-POST-FIELD", "CB-POST-OPERATION", "CB-SYS-OPERATION", "CB-SYS-CONTENTMD5",
      "CB-CHK-ETAG", "CB-CHK-CRC64"]),
    ("multipart", ALTERNATING, "CompleteMultipartUpload ({auth}, header carrier, 2 parts)",
     ["CB-CARRIER-HEADER", "CB-CARRIER-BASE64", "CB-MPU-SIZE", "CB-MPU-CONTENTMD5-EMPTY", "CB-SYS-OPERATION-MPU",
      "CB-CHK-ETAG-MPU", "CB-CHK-CRC64", "CB-OUT-MPU-REPLACE"]),
    ("presign-v1", PRESIGNED, "Presigned PUT V1 (query carrier)",
     ["CB-CARRIER-QUERY", "CB-CARRIER-BASE64", "CB-PRESIGN-QUERY", "CB-SYS-OPERATION", "CB-SYS-CONTENTMD5", "CB-CHK-ETAG",
      "CB-CHK-CRC64"]),
    ("presign-v4", PRESIGNED, "Presigned PUT V4 (query carrier)",
     ["CB-CARRIER-QUERY", "CB-CARRIER-BASE64", "CB-PRESIGN-QUERY", "CB-SYS-OPERATION", "CB-SYS-CONTENTMD5", "CB-CHK-ETAG",
      "CB-CHK-CRC64"]),
]

AUTH_REQS = {
    ("put", "v1"): ["CB-AUTH-V1-HEADER"],
    # The runner's V4 signer writes ",Signature=" (no space): one of the two forms of CB-AUTH-V4-SEPARATOR.
    ("put", "v4"): ["CB-AUTH-V4-HEADER", "CB-AUTH-V4-UNSIGNED-PAYLOAD", "CB-AUTH-V4-SEPARATOR"],
    ("multipart", "v1"): ["CB-AUTH-V1-HEADER", "CB-AUTH-V1-SUBRESOURCE"],
    ("multipart", "v4"): ["CB-AUTH-V4-HEADER", "CB-AUTH-V4-UNSIGNED-PAYLOAD", "CB-AUTH-V4-SEPARATOR"],
    # The runner's policy has a bucket and a content-length-range condition and says nothing about
    # callback or x: fields: conditions hold, unmentioned fields are allowed (CB-AUTH-POST-CONDITIONS (2), (3)).
    ("post", "v1"): ["CB-AUTH-POST-V1", "CB-POST-POLICY-UNPINNED", "CB-AUTH-POST-CONDITIONS"],
    ("post", "v4"): ["CB-AUTH-POST-V4", "CB-POST-POLICY-UNPINNED", "CB-AUTH-POST-CONDITIONS"],
    ("presign-v1", None): ["CB-AUTH-V1-PRESIGN", "CB-AUTH-V1-SUBRESOURCE"],
    ("presign-v4", None): ["CB-AUTH-V4-PRESIGN"],
}

# What every cell checks, whatever its coordinates.
SYS_REQS = ["CB-SYS-OBJECT", "CB-SYS-SIZE", "CB-SYS-ETAG", "CB-SYS-CRC64", "CB-SYS-MIMETYPE", "CB-TPL-PLACEHOLDER"]
SIG_REQS = ["CB-SIG-ALGORITHM", "CB-SIG-STRING-TO-SIGN", "CB-SIG-LF", "CB-SIG-BODY-RAW", "CB-SIG-NO-BARE-QUESTION",
            "CB-SIG-BASE64", "CB-HDR-AUTHORIZATION", "CB-KEY-URL-BASE64", "CB-HDR-PUB-KEY-URL"]
HDR_REQS = ["CB-HDR-CONTENT-TYPE", "CB-HDR-CONTENT-MD5", "CB-HDR-CONTENT-LENGTH", "CB-HDR-TAG", "CB-HDR-SIGNATURE-VERSION",
            "CB-HDR-USER-AGENT"]
OUT_OK_REQS = ["CB-OUT-200-BODY", "CB-REQ-SYNC", "CB-REQ-METHOD", "CB-REQ-TARGET"]
DELIVERY_REQS = HDR_REQS + SIG_REQS + OUT_OK_REQS + ["CB-CFG-HOST-DEFAULT", "CB-HDR-HOST-PORT", "CB-REQ-NO-RETRY"]

# Body type: the template's fixed part, how one more variable reference is
# appended, how it closes, what it claims, what multipart's empty
# ${contentMd5} claims, and how non-ASCII values are escaped.
BODY_KINDS = [
    ("form", "op=${operation}&obj=${object}&size=${size}&etag=${etag}&md5=${contentMd5}&crc=${crc64}&mime=${mimeType}",
     "&%s=${%s}", "", ["CB-CFG-BODYTYPE-DEFAULT", "CB-FORM-ENCODE-VALUES", "CB-FORM-UNRESERVED"],
     "CB-FORM-EMPTY", "CB-FORM-ENCODING-SET"),
    ("json", '{"op":${operation},"obj":${object},"size":${size},"etag":${etag},"md5":${contentMd5},"crc":${crc64},"mime":${mimeType}',
     ',"%s":${%s}', "}", ["CB-JSON-STRING-LITERAL", "CB-JSON-NUMBER-BARE", "CB-JSON-CRC64-BARE", "CB-JSON-SLASH"],
     "CB-JSON-EMPTY", "CB-JSON-ESCAPE"),
]

# Transport: URL scheme, callbackSNI (None: absent), the SNI the capture
# server must see ("" none, None: plain HTTP), requirements.
TRANSPORTS = [
    ("http", "capture", None, None, []),
    ("https-sni-absent", "captures", None, "", ["CB-TLS-HTTPS", "CB-TLS-CERT", "CB-TLS-SNI-FALSE", "CB-CFG-SNI-DEFAULT"]),
    ("https-sni-false", "captures", False, "", ["CB-TLS-HTTPS", "CB-TLS-CERT", "CB-TLS-SNI-FALSE"]),
    ("https-sni-true", "captures", True, "{tls_name}", ["CB-TLS-HTTPS", "CB-TLS-CERT", "CB-TLS-SNI-TRUE", "CB-TLS-SNI-NAME"]),
]

# Custom variables: (name, value) pairs sent, (template key, placeholder)
# references, requirements. "{vars}" stands for how the operation carries
# variables, "{escape}" for the body type's escaping rule.
VARIANTS = [
    ("none", [], [], []),
    ("one", [("x:v", "for-callback-test")], [("v", "x:v")], ["{vars}"]),
    ("several", [("x:a", "1"), ("x:b", "two words"), ("x:c", "with/slash:colon")],
     [("a", "x:a"), ("b", "x:b"), ("c", "x:c")], ["{vars}"]),
    ("nonascii", [("x:zh", "中文 a+b&c=d%e/f?g"), ("x:q", 'say "hi" \\ back\ttab ~*\'é')],
     [("zh", "x:zh"), ("q", "x:q")], ["{vars}", "{escape}", "CB-VAR-KEY-CASE"]),
    ("unreferenced", [("x:v", "for-callback-test"), ("x:w", "never sent")], [], ["CB-VAR-UNREFERENCED"]),
]
VARS_CARRIER_REQ = {"post": "CB-VAR-POST-FIELDS"}  # otherwise the callback-var JSON map
VARS_DEFAULT_REQ = "CB-VAR-JSON-MAP"


def cell(op, title_fmt, op_reqs, auth, body, transport, variant):
    kind, base, ref_fmt, close, kind_reqs, empty_req, escape_req = body
    tname, scheme, sni, exp_sni, tls_reqs = transport
    vname, cvars, refs, var_reqs = variant
    sid = "%s/%s/%s/vars-%s" % (op, kind, tname, vname)
    content = multipart_content("tail %s\n" % sid) if op == "multipart" else Content("matrix %s\n" % sid)
    template = base + "".join(ref_fmt % r for r in refs) + close
    symbols = {"{vars}": VARS_CARRIER_REQ.get(op, VARS_DEFAULT_REQ), "{escape}": escape_req}
    reqs = (op_reqs + AUTH_REQS[(op, auth)] + SYS_REQS + kind_reqs + ([empty_req] if op == "multipart" else [])
            + DELIVERY_REQS + tls_reqs + [symbols.get(r, r) for r in var_reqs])
    https = scheme == "captures"
    title = "%s, %s body, %s, custom variables: %s" % (
        title_fmt.format(auth=(auth or "").upper()), kind.upper(), tname.replace("-", " "), vname)
    return simple(sid, title, reqs, ["matrix", op, kind, "https" if https else "http", "vars-" + vname], template,
                  json_mode=(kind == "json"), op=op, auth=auth, key="matrix/%s.txt" % sid, content=content, cvars=cvars,
                  needs=["tls-capture"] if https else None, urls=["%s:/cb" % scheme], sni=sni,
                  expect_host="{%s}" % scheme, expect_sni=exp_sni)


def files():
    out = {}
    for op, auths, title_fmt, op_reqs in OPERATIONS:
        cells = itertools.product(BODY_KINDS, TRANSPORTS, VARIANTS)
        out["matrix-%s.toml" % op] = [
            cell(op, title_fmt, op_reqs, auths[n % len(auths)], *coords)
            for n, coords in enumerate(cells)]
    return out
