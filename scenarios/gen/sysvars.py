"""sysvars.toml: system variables, imageInfo, object keys and template edge cases.

Where the matrix checks a few variables everywhere, this file checks every
variable somewhere, on the objects that make them interesting: images for
imageInfo, missing Content-Type for mimeType, awkward characters for object,
and templates that probe the expansion rules themselves.
"""

from .common import OCTET, error_expect, simple, upload_table
from .oracles import OP_NAME, Content, multipart_content

FILE = "sysvars.toml"
PNG = "fixtures/red-5x3.png"

# ---------------------------------------------------------------- all fourteen

ALL14 = {
    "form": ("bucket=${bucket}&object=${object}&etag=${etag}&size=${size}&mimeType=${mimeType}"
             "&height=${imageInfo.height}&width=${imageInfo.width}&format=${imageInfo.format}&crc64=${crc64}"
             "&contentMd5=${contentMd5}&vpcId=${vpcId}&clientIp=${clientIp}&reqId=${reqId}&operation=${operation}",
             ["CB-FORM-ENCODE-VALUES", "CB-FORM-UNRESERVED", "CB-FORM-EMPTY"]),
    "json": ('{"bucket":${bucket},"object":${object},"etag":${etag},"size":${size},"mimeType":${mimeType},'
             '"height":${imageInfo.height},"width":${imageInfo.width},"format":${imageInfo.format},"crc64":${crc64},'
             '"contentMd5":${contentMd5},"vpcId":${vpcId},"clientIp":${clientIp},"reqId":${reqId},"operation":${operation}}',
             ["CB-JSON-STRING-LITERAL", "CB-JSON-NUMBER-BARE", "CB-JSON-CRC64-BARE", "CB-JSON-EMPTY", "CB-JSON-SLASH"]),
}

ALL14_REQS = ["CB-SYS-NAMES", "CB-SYS-BUCKET", "CB-SYS-OBJECT", "CB-SYS-ETAG", "CB-SYS-SIZE", "CB-SYS-MIMETYPE",
              "CB-SYS-IMAGEINFO", "CB-SYS-IMAGEINFO-FORMAT", "CB-SYS-CRC64", "CB-SYS-CONTENTMD5", "CB-SYS-VPCID",
              "CB-SYS-CLIENTIP", "CB-SYS-REQID", "CB-SYS-OPERATION", "CB-CHK-CONTENT-MD5", "CB-CHK-ETAG", "CB-CHK-CRC64",
              "CB-TPL-PLACEHOLDER", "CB-HDR-BUCKET", "CB-HDR-REQUEST-ID"]

# Operation: auth, requirements it does not meet, requirements it adds.
# Multipart has no Content-MD5 and its own ETag and operation rules.
ALL14_OPS = {
    "put": ("v1", (), []),
    "post": ("v4", (), ["CB-POST-OPERATION", "CB-POST-FIELD"]),
    "multipart": ("v1", ("CB-CHK-CONTENT-MD5", "CB-CHK-ETAG", "CB-SYS-OPERATION"),
                  ["CB-MPU-CONTENTMD5-EMPTY", "CB-SYS-OPERATION-MPU", "CB-CHK-ETAG-MPU", "CB-MPU-SIZE"]),
}

# The cells covered: PostObject once per object kind, multipart only with
# padded text (two parts; a fixture would be a single part).
ALL14_CELLS = [
    ("put", "text", "form"), ("put", "text", "json"), ("put", "png", "form"), ("put", "png", "json"),
    ("post", "text", "json"), ("post", "png", "form"),
    ("multipart", "text", "form"), ("multipart", "text", "json"),
]


def all14(op, kind, mode):
    sid = "sys/all14/%s/%s/%s" % (op, kind, mode)
    if kind == "png":
        content, mime, ext = Content(file=PNG, multipart=(op == "multipart")), "image/png", "png"
    else:
        text = "all fourteen %s\n" % sid
        content, mime, ext = (multipart_content(text) if op == "multipart" else Content(text)), "text/plain", "txt"
    template, mode_reqs = ALL14[mode]
    auth, unmet, op_reqs = ALL14_OPS[op]
    reqs = [r for r in ALL14_REQS + mode_reqs if r not in unmet] + op_reqs
    return simple(sid, "Every system variable, %s, %s object, %s body" % (OP_NAME[op], kind, mode.upper()),
                  reqs, ["sysvars", op, mode], template, json_mode=(mode == "json"), op=op, auth=auth,
                  key="sys/all14/%s/%s/%s.%s" % (op, kind, mode, ext), content=content, mime=mime,
                  extra_cb_headers={"x-oss-bucket": "{bucket}", "x-oss-request-id": "{request_id}"})


# ---------------------------------------------------------------- mimeType

# (id, title, requirements, template, operation, Content-Type sent, key, content)
MIMETYPES = [
    ("sys/mimetype/put-default", "PutObject without Content-Type: ${mimeType} is application/octet-stream",
     ["CB-SYS-MIMETYPE", "CB-SYS-MIMETYPE-DEFAULT"], "mime=${mimeType}", "put", None,
     "sys/mimetype/put-default.png", Content("no content type\n")),
    ("sys/mimetype/post-png-no-type", "PostObject of a .png without a Content-Type field reports application/octet-stream (V5)",
     ["CB-SYS-MIMETYPE", "CB-POST-FIELD"], "mime=${mimeType}&w=${imageInfo.width}", "post", None,
     "sys/mimetype/post-no-type.png", Content(file=PNG)),
    ("sys/mimetype/multipart-default", "Multipart without Content-Type on initiate: application/octet-stream",
     ["CB-SYS-MIMETYPE", "CB-SYS-MIMETYPE-DEFAULT", "CB-MPU-SIZE"], "mime=${mimeType}&size=${size}", "multipart", None,
     "sys/mimetype/multipart-default.bin", multipart_content("multipart without type\n")),
    ("sys/mimetype/image-jpeg", "${mimeType} image/jpeg is sent as image%2Fjpeg (V3/V4 form encoding)",
     ["CB-SYS-MIMETYPE", "CB-FORM-UNRESERVED"], "mimeType=${mimeType}", "put", "image/jpeg",
     "sys/mimetype/image-jpeg.jpg", Content(file="fixtures/red-5x3.jpg")),
]

# ---------------------------------------------------------------- imageInfo

IMAGEINFO_MODES = {
    "form": ("height=${imageInfo.height}&width=${imageInfo.width}&format=${imageInfo.format}", ["CB-FORM-ENCODE-VALUES"]),
    "json": ("[${imageInfo.height},${imageInfo.width},${imageInfo.format}]",
             ["CB-JSON-NUMBER-BARE", "CB-JSON-STRING-LITERAL", "CB-JSON-NOT-VALIDATED"]),
}

# Fixture, Content-Type, body types. Only the PNG takes both: the other
# fixtures differ in the header parsed, not in how the values are encoded.
IMAGE_FIXTURES = [
    ("red-5x3.png", "image/png", ("form", "json")),
    ("red-5x3.jpg", "image/jpeg", ("json",)),
    ("red-5x3.gif", "image/gif", ("json",)),
    ("blue-4x7.bmp", "image/bmp", ("json",)),
    ("green-6x2.webp", "image/webp", ("json",)),
]

IMAGEINFO_HWF = "h=${imageInfo.height}&w=${imageInfo.width}&f=${imageInfo.format}"

NOT_IMAGE_MODES = {
    "form": ("imageInfo.height=${imageInfo.height}&imageInfo.width=${imageInfo.width}&imageInfo.format=${imageInfo.format}",
             ["CB-FORM-EMPTY"]),
    "json": ("[${imageInfo.height},${imageInfo.width},${imageInfo.format}]", ["CB-JSON-EMPTY"]),
}


def imageinfo():
    out = []
    for fname, mime, modes in IMAGE_FIXTURES:
        ext = fname.rsplit(".", 1)[1]
        for mode in modes:
            template, mode_reqs = IMAGEINFO_MODES[mode]
            out.append(simple("sys/imageinfo/%s/%s" % (ext, mode), "imageInfo of the %s fixture, %s body" % (ext.upper(), mode.upper()),
                              ["CB-SYS-IMAGEINFO", "CB-SYS-IMAGEINFO-FORMAT"] + mode_reqs, ["sysvars", "imageinfo", mode], template,
                              json_mode=(mode == "json"), mime=mime, key="sys/imageinfo/%s/%s.%s" % (mode, ext, ext),
                              content=Content(file="fixtures/" + fname)))
    out.append(simple("sys/imageinfo/png-as-octet-stream", "imageInfo is read from the bytes: a PNG stored as application/octet-stream",
                      ["CB-SYS-IMAGEINFO", "CB-SYS-IMAGEINFO-FORMAT"], ["sysvars", "imageinfo"], IMAGEINFO_HWF, mime=OCTET,
                      key="sys/imageinfo/octet/red.png", content=Content(file=PNG)))
    out.append(simple("sys/imageinfo/post-gif", "imageInfo after a PostObject of the GIF fixture",
                      ["CB-SYS-IMAGEINFO", "CB-SYS-IMAGEINFO-FORMAT", "CB-POST-FIELD"], ["sysvars", "imageinfo", "post"],
                      IMAGEINFO_HWF, op="post", mime="image/gif", key="sys/imageinfo/post/red.gif",
                      content=Content(file="fixtures/red-5x3.gif")))
    for mode, (template, mode_reqs) in NOT_IMAGE_MODES.items():
        out.append(simple("sys/imageinfo/not-image/%s" % mode, "A non-image object: imageInfo values are empty (%s)" % mode.upper(),
                          ["CB-SYS-IMAGEINFO", "CB-SYS-IMAGEINFO-FORMAT"] + mode_reqs, ["sysvars", "imageinfo", mode], template,
                          json_mode=(mode == "json"), mime="text/plain", key="sys/imageinfo/not-image/%s.txt" % mode))
    # "Get image info failed" only when a placeholder needs the info.
    bad = Content("not a png at all\n")
    out.append({
        "id": "sys/imageinfo/broken-png-203",
        "title": "Content-Type image/png with non-image bytes and an imageInfo placeholder: 203 Get image info failed, no callback",
        "requirements": ["CB-OUT-MSG-IMAGE", "CB-OUT-203", "CB-OUT-203-XML", "CB-SYS-IMAGEINFO-FORMAT"],
        "tags": ["sysvars", "imageinfo", "203"],
        "upload": upload_table("put", "sys/imageinfo/broken.png", bad, "image/png"),
        "callback": {"urls": ["capture:/cb"], "body": "w=${imageInfo.width}"},
        "expect": error_expect(203, "CallbackFailed", ("Get image info failed", "0007-00000203"), bad, "image/png"),
    })
    out.append(simple("sys/imageinfo/broken-png-unreferenced",
                      "image/png with non-image bytes but no imageInfo placeholder: a normal callback",
                      ["CB-OUT-MSG-IMAGE", "CB-SYS-SIZE"], ["sysvars", "imageinfo"], "size=${size}&mime=${mimeType}",
                      mime="image/png", key="sys/imageinfo/broken-unreferenced.png", content=Content("still not a png\n")))
    return out


# ---------------------------------------------------------------- object keys

KEYS = [("slash", "a/b/c.txt"), ("space", "a b.txt"), ("plus", "a+b.txt"), ("amp", "a&b.txt"), ("eq", "a=b.txt"),
        ("percent", "a%20b%.txt"), ("nonascii", "中文/文件 é.txt"), ("tilde-star", "a~b*c'd(e).txt")]

KEY_MODES = {
    "form": ("object=${object}&size=${size}", ["CB-FORM-ENCODE-VALUES", "CB-FORM-UNRESERVED", "CB-FORM-ENCODING-SET"]),
    "json": ('{"object":${object},"size":${size}}', ["CB-JSON-STRING-LITERAL", "CB-JSON-SLASH", "CB-JSON-ESCAPE"]),
}

# Body type: template, requirements, auth (one PostObject per policy version).
POST_KEY_MODES = {
    "form": ("object=${object}", ["CB-FORM-ENCODE-VALUES", "CB-FORM-ENCODING-SET"], "v1"),
    "json": ('{"object":${object}}', ["CB-JSON-STRING-LITERAL"], "v4"),
}


def keys():
    out = []
    for name, k in KEYS:
        for mode, (template, mode_reqs) in KEY_MODES.items():
            out.append(simple("keys/%s/%s" % (name, mode), "Object key with %s, %s body" % (name, mode.upper()),
                              ["CB-SYS-OBJECT"] + mode_reqs, ["keys", mode], template, json_mode=(mode == "json"),
                              key="keys/%s/%s/%s" % (name, mode, k)))
    for mode, (template, mode_reqs, auth) in POST_KEY_MODES.items():
        out.append(simple("keys/post-nonascii/%s" % mode,
                          "PostObject with a non-ASCII key containing space, +, & and =, %s body" % mode.upper(),
                          ["CB-SYS-OBJECT", "CB-POST-FIELD"] + mode_reqs, ["keys", "post", mode], template,
                          json_mode=(mode == "json"), op="post", auth=auth, key="keys/post/%s/名 a+b&c=d.txt" % mode))
    return out


# ---------------------------------------------------------------- templates

# (id, title, requirements, template, JSON body?, custom variables)
TEMPLATES = [
    ("tpl/unknown-names/form", "Unknown and wrong-case names expand to nothing (form)", ["CB-SYS-UNKNOWN", "CB-SYS-NAMES"],
     "a=${foo}&b=${Bucket}&c=${key}&d=${size}", False, []),
    ("tpl/unknown-names/json", "Unknown and wrong-case names expand to null (JSON)", ["CB-SYS-UNKNOWN", "CB-SYS-NAMES", "CB-JSON-EMPTY"],
     '{"a":${foo},"b":${Bucket},"c":${key},"d":${size}}', True, []),
    ("tpl/name-verbatim/form", "Placeholder names are taken verbatim: ${ bucket} and ${} are unknown, ${x:} is missing",
     ["CB-TPL-NAME", "CB-SYS-UNKNOWN", "CB-VAR-MISSING"], "a=${ bucket}&b=${}&c=${x:}&d=${size}", False, []),
    ("tpl/name-verbatim/json", "Placeholder names verbatim in JSON: null for unknown and missing",
     ["CB-TPL-NAME", "CB-SYS-UNKNOWN", "CB-VAR-MISSING", "CB-JSON-EMPTY"], '[${ bucket},${},${x:},${size}]', True, []),
    ("tpl/var-missing/form", "A referenced custom variable that was not supplied expands to nothing (form)",
     ["CB-VAR-MISSING", "CB-FORM-EMPTY"], "v=${x:v}&w=${x:absent}", False, [("x:v", "given")]),
    ("tpl/var-missing/json", "A referenced custom variable that was not supplied is null; one supplied as \"\" is \"\"",
     ["CB-VAR-MISSING", "CB-JSON-EMPTY"], '{"v":${x:v},"w":${x:absent},"e":${x:empty}}', True, [("x:v", "given"), ("x:empty", "")]),
    ("tpl/single-pass/form", "Values containing ${size} and $ are inserted literally (form)",
     ["CB-TPL-SINGLE-PASS", "CB-FORM-ENCODING-SET"], "v=${x:v}", False, [("x:v", "${size}$x{")]),
    ("tpl/single-pass/json", "Values containing ${size} and $ are inserted literally (JSON)",
     ["CB-TPL-SINGLE-PASS", "CB-JSON-STRING-LITERAL"], '{"v":${x:v}}', True, [("x:v", "${size}$x{")]),
    ("tpl/json-escape", "JSON escaping of quotes, backslash, controls and non-ASCII in values",
     ["CB-JSON-ESCAPE", "CB-JSON-STRING-LITERAL", "CB-VAR-JSON-MAP"], '{"v":${x:v}}', True,
     [("x:v", 'q"b\\n\nr\rt\tc\x01f\x0cb\x08del\x7f/é中😀')]),
    ("tpl/form-encoding-set", "Form encoding: space %20, + %2B, * %2A, ~ kept, ' %27, é %C3%A9, emoji 4 bytes",
     ["CB-FORM-ENCODING-SET", "CB-FORM-ENCODE-VALUES", "CB-FORM-UNRESERVED"], "v=${x:v}", False,
     [("x:v", "a b+c*d~e'f\u00e9g/h:i?j#k!l(m)n😀")]),
    ("tpl/literal-text", "Template text (non-ASCII keys, quotes, =, &) is copied byte for byte",
     ["CB-TPL-PLACEHOLDER", "CB-FORM-ENCODE-VALUES"], "名前=${x:v}&\"q\"='s'&a=b=c&&end", False, [("x:v", "値 1")]),
    ("tpl/not-validated-json-prose", "JSON body type with Chinese prose as the body is accepted and sent as expanded",
     ["CB-TPL-NOT-VALIDATED", "CB-JSON-NOT-VALIDATED", "CB-JSON-NUMBER-BARE"], "这是一个回调 大小 ${size} 结束", True, []),
    ("tpl/json-not-validated-v7", "JSON mode does not check the expanded body is JSON (V7 shape)",
     ["CB-JSON-NOT-VALIDATED", "CB-JSON-STRING-LITERAL"], '{"mimeType":${mimeType}, "size":${size}, "filename",${object}}', True, []),
    ("tpl/json-form-shaped-v5", "A form-shaped template with JSON type: values become JSON literals (V5)",
     ["CB-JSON-STRING-LITERAL", "CB-JSON-NUMBER-BARE", "CB-JSON-NOT-VALIDATED"], "filename=${object}&size=${size}&mimeType=${mimeType}", True, []),
    ("tpl/var-key-nonascii", "Custom variable names may be non-ASCII, digits, _ - . (x:键值1)",
     ["CB-VAR-KEY-CASE", "CB-VAR-JSON-MAP"], "a=${x:键值1}&b=${x:v_1-2.3}", False, [("x:键值1", "中"), ("x:v_1-2.3", "ok")]),
    ("tpl/doc-example-s1-new", "The new doc's example: uid and order_id from callback-var",
     ["CB-VAR-JSON-MAP", "CB-SYS-BUCKET", "CB-SYS-OBJECT"], "bucket=${bucket}&object=${object}&uid=${x:uid}&order=${x:order_id}", False,
     [("x:uid", "12345"), ("x:order_id", "67890")]),
    ("tpl/doc-example-s1-old", "The old doc's full example template with my_var (text object: empty imageInfo)",
     ["CB-SYS-IMAGEINFO", "CB-FORM-EMPTY", "CB-VAR-JSON-MAP", "CB-SYS-ETAG", "CB-SYS-SIZE", "CB-SYS-MIMETYPE"],
     "bucket=${bucket}&object=${object}&etag=${etag}&size=${size}&mimeType=${mimeType}&imageInfo.height=${imageInfo.height}&imageInfo.width=${imageInfo.width}&imageInfo.format=${imageInfo.format}&my_var=${x:my_var}",
     False, [("x:my_var", "for-callback-test")]),
    ("tpl/same-placeholder-twice", "A placeholder may appear several times",
     ["CB-TPL-PLACEHOLDER"], "a=${size}&b=${size}&c=${x:v}${x:v}", False, [("x:v", "r")]),
]


def files():
    out = [all14(*c) for c in ALL14_CELLS]
    for sid, title, reqs, template, op, mime, key, content in MIMETYPES:
        out.append(simple(sid, title, reqs, ["sysvars"] + ([] if op == "put" else [op]), template, op=op, mime=mime,
                          key=key, content=content))
    out += imageinfo()
    out += keys()
    out += [simple(sid, title, reqs, ["template", "json" if json_mode else "form"], template, json_mode=json_mode, cvars=cvars)
            for sid, title, reqs, template, json_mode, cvars in TEMPLATES]
    return {FILE: out}
