"""field.toml: problems users actually reported, replayed as scenarios.

Each ID names its source (an SDK issue, a forum digest, a project's bug
tracker) so a failure can be traced back to the report it reproduces. The
file keeps the reports in the order they were collected, so rows name the
builder (simple, reject or the local 203 failure) that shapes them.
"""

from .common import CFG_NOT_JSON, CONNECT, NOT_JSON, OK, PRIVATE, SNI_TYPE, TIMEOUT, TPL_DOLLAR_BRACE, URL_INVALID
from .common import failed, reject, simple, status_error
from .oracles import Content

FILE = "field.toml"

HTTPS = {"urls": ["captures:/cb"], "expect_host": "{captures}", "needs": ["tls-capture"]}


def fail203(sid, title, reqs, answer, error, **opts):
    return failed(sid, title, reqs + ["CB-OUT-203", "CB-OUT-203-XML"], ["field", "203"], error,
                  answers=[answer] if answer else None, template="o=${object}", **opts)


def sni_report(sni, expect_sni, reqs):
    word = str(sni).lower()
    return (simple, "field/cloudreve-2100-sni-%s" % word,
            "HTTPS callback with callbackSNI %s: the ClientHello %s server_name" % (word, "carries" if sni else "has no"),
            reqs + ["CB-TLS-HTTPS"], ["https"], "o=${object}", dict(HTTPS, sni=sni, expect_sni=expect_sni))


# (builder, its positional arguments..., its options). simple rows give their
# tags after "field"; the others tag themselves.
REPORTS = [
    (reject, "field/digest-10-1-unescaped-quotes",
     "\"{\"bucket\":${bucket}}\" pasted into the JSON without escaping: not json format",
     ["CB-CFG-JSON", "CB-VAR-CLIENT-JSON"], CFG_NOT_JSON,
     {"callback": {"json": '{"callbackUrl":"{capture}/cb","callbackBody":"{"bucket":${bucket}}","callbackBodyType":"application/json"}'}}),
    (simple, "field/digest-10-1-escaped-quotes-ok", "The same template with quotes escaped works",
     ["CB-JSON-STRING-LITERAL", "CB-SYS-BUCKET"], [], '{"bucket":${bucket},"size":${size}}', {"json_mode": True}),
    # Callback servers that answer wrongly: 203s.
    (fail203, "field/go-sdk-v2-142-plain-text-answer", "Followed the docs, the server answered plain text: 203 not valid json",
     ["CB-OUT-MSG-JSON", "CB-RESP-JSON"], {"path": "/cb", "body": "success"}, NOT_JSON, {}),
    (fail203, "field/java-sdk-181-html-answer", "Demo server answering HTML: 203 not valid json", ["CB-OUT-MSG-JSON", "CB-RESP-JSON"],
     {"path": "/cb", "body": "<!DOCTYPE html><html><body>OK</body></html>"}, NOT_JSON, {}),
    (fail203, "field/php-bom-answer", "A PHP file saved with a BOM: 203 not valid json", ["CB-RESP-BOM", "CB-OUT-MSG-JSON"],
     {"path": "/cb", "body": OK, "bom": True}, NOT_JSON, {}),
    (fail203, "field/laravel-34-get-only-route-405", "The callback route only accepts GET: 203 Error status : 405.",
     ["CB-OUT-MSG-STATUS", "CB-REQ-METHOD"], {"path": "/cb", "status": 405}, status_error(405), {}),
    (fail203, "field/laravel-34-wrong-path-404", "The callback path is wrong: 203 Error status : 404.", ["CB-OUT-MSG-STATUS"],
     {"path": "/cb", "status": 404}, status_error(404), {}),
    (fail203, "field/go-sdk-v2-live-301-redirect", "http://www.aliyun.com redirects: OSS does not follow, 203 Error status : 301.",
     ["CB-REQ-NO-REDIRECT", "CB-OUT-MSG-STATUS"], {"path": "/cb", "status": 301}, status_error(301), {}),
    (fail203, "field/cloudreve-3466-slow-handler", "A slow synchronous handler exceeds the timeout: 203 Cost too long time",
     ["CB-RESP-TIME", "CB-REQ-TIMEOUT", "CB-OUT-MSG-TIMEOUT"], {"path": "/cb", "delay_ms": 2000}, TIMEOUT,
     {"needs": ["short-timeout"]}),
    (fail203, "field/cloudreve-448-502-front", "A front returning 502: 203 Error status : 502.", ["CB-OUT-MSG-STATUS"],
     {"path": "/cb", "status": 502}, status_error(502), {}),
    (fail203, "field/oss2-203-looks-like-success", "oss2 returns 203 as success: the uploader must check the status",
     ["CB-OUT-203", "CB-OUT-SDK-203"], None, CONNECT, {"urls": ["refused:/cb"], "calls": []}),
    (fail203, "field/cloudreve-2100-https-server-down", "HTTPS callback to a closed port: 203 can not connect",
     ["CB-OUT-MSG-CONNECT", "CB-TLS-HTTPS"], None, CONNECT, {"urls": ["refused:/cb"], "calls": []}),
    # TLS and SNI.
    sni_report(False, "", ["CB-TLS-SNI-FALSE"]),
    sni_report(True, "{tls_name}", ["CB-TLS-SNI-TRUE", "CB-TLS-SNI-NAME"]),
    (reject, "field/android-sdk-callbacksni-string",
     "callbackSNI sent as the string \"true\" by a map of strings: The callback sni is invalid.", ["CB-CFG-SNI-TYPE"], SNI_TYPE,
     {"callback": {"urls": ["captures:/cb"], "body": "o=${object}", "extra": {"callbackSNI": "true"}}}),
    # Custom variables and templates as clients build them.
    (simple, "field/java-sdk-80-unreferenced-vars", "Variables in callback-var but not in callbackBody are not sent anywhere",
     ["CB-VAR-UNREFERENCED", "CB-VAR-JSON-MAP"], [], "bucket=${bucket}&object=${object}",
     {"cvars": [("x:uid", "12345"), ("x:order_id", "67890")]}),
    (simple, "field/ios-sdk-258-unreferenced-vars-json", "Unreferenced variables are dropped in JSON mode too",
     ["CB-VAR-UNREFERENCED"], [], '{"object":${object}}', {"json_mode": True, "cvars": [("x:uid", "12345")]}),
    (simple, "field/ali-oss-589-x-x-prefix", "customValue keys given with x: become x:x:foo; ${x:foo} is then empty",
     ["CB-VAR-CLIENT-PREFIX", "CB-VAR-MISSING", "CB-VAR-KEY-CASE"], [], "foo=${x:foo}&xx=${x:x:foo}",
     {"cvars": [("x:x:foo", "bar")]}),
    (simple, "field/flysystem-104-percent-encoded-placeholders", "Placeholders percent-encoded before Base64 arrive literally",
     ["CB-TPL-PERCENT", "CB-TPL-PLACEHOLDER"], [], "bucket=%24%7Bbucket%7D&object=%24%7Bobject%7D&size=${size}", {}),
    (simple, "field/flysystem-113-percent-encoded-json", "Percent-encoded placeholders in a JSON template arrive literally",
     ["CB-TPL-PERCENT"], [], '{"bucket":"%24%7Bbucket%7D","size":${size}}', {"json_mode": True}),
    (simple, "field/digest-10-13-quoted-placeholder-json", "JSON template \"k\":\"${object}\" gives doubled quotes",
     ["CB-JSON-STRING-LITERAL", "CB-JSON-NO-QUOTES", "CB-JSON-NOT-VALIDATED"], [],
     '{"k":"${object}","size":"${size}"}', {"json_mode": True}),
    (simple, "field/java-sdk-128-chinese-key-form", "Chinese object names arrive percent-encoded UTF-8 in form mode",
     ["CB-SYS-OBJECT", "CB-FORM-ENCODING-SET"], ["keys"], "object=${object}", {"key": "field/java-128/图片 一.jpg"}),
    (simple, "field/java-sdk-128-chinese-key-json", "Chinese object names arrive as raw UTF-8 in JSON mode",
     ["CB-SYS-OBJECT", "CB-JSON-ESCAPE"], ["keys"], '{"object":${object}}',
     {"json_mode": True, "key": "field/java-128-json/图片 一.jpg"}),
    (simple, "field/flutter-62-nonascii-var-header", "Chinese and emoji custom variable values through callback-var (UTF-8 then Base64)",
     ["CB-CARRIER-BASE64", "CB-VAR-JSON-MAP", "CB-FORM-ENCODING-SET"], [], "name=${x:name}", {"cvars": [("x:name", "张三😀")]}),
    (simple, "field/flutter-62-nonascii-var-post", "The same values as PostObject x: fields", ["CB-VAR-POST-FIELDS", "CB-CARRIER-FORM"],
     ["post"], '{"name":${x:name}}', {"json_mode": True, "op": "post", "cvars": [("x:name", "张三😀")]}),
    (simple, "field/ruby-sdk-9-url-with-query", "A callback URL with its own query string is delivered and signed verbatim",
     ["CB-URL-QUERY", "CB-SIG-QUERY-RAW", "CB-REQ-TARGET"], [], "bucket=${bucket}", {"path": "/index.php", "query": "?id=1&index=2"}),
    (simple, "field/python-sdk-272-v3-body", "The V3 form body: key with / and : encoded as %2F and %3A",
     ["CB-FORM-UNRESERVED", "CB-SYS-OBJECT", "CB-SYS-SIZE"], [], "filename=${object}&size=${size}",
     {"key": "zmaplex/20210407_14:31:41_286180/20200130021612_pnfqp.jpg", "path": "/api/File/15/upload_notify/"}),
    (simple, "field/cloudreve-v2-json-template", "Cloudreve's JSON template with imageInfo inside quotes (V2 shape)",
     ["CB-JSON-STRING-LITERAL", "CB-JSON-NUMBER-BARE", "CB-SYS-IMAGEINFO", "CB-JSON-SLASH"], ["imageinfo"],
     '{"name":${x:fname},"source_name":${object},"size":${size},"pic_info":"${imageInfo.width},${imageInfo.height}"}',
     {"json_mode": True, "mime": "image/jpeg", "key": "field/cloudreve/1/1_hFRtDLgM_red.jpg",
      "content": Content(file="fixtures/red-5x3.jpg"), "cvars": [("x:fname", "red.jpg")],
      "path": "/api/v3/callback/oss/TnXx5E5VyfJUyM1UdkdDu1rtnJ34EbmH"}),
    (simple, "field/soonio-osd-v5-post-form-shaped-json", "PostObject, no Content-Type, JSON type with a form-shaped template (V5)",
     ["CB-JSON-STRING-LITERAL", "CB-SYS-MIMETYPE", "CB-SYS-IMAGEINFO", "CB-POST-FIELD", "CB-POST-SUCCESS-STATUS"], ["post"],
     "filename=${object}&size=${size}&mimeType=${mimeType}&height=${imageInfo.height}&width=${imageInfo.width}",
     {"json_mode": True, "op": "post", "mime": None, "key": "field/osd/local/var/www/zhuye.png",
      "content": Content(file="fixtures/red-5x3.png"), "fields": {"success_action_status": "200"}}),
    # Configurations the service refuses.
    (reject, "field/digest-10-16-private-address", "A callback to 127.0.0.1 on production OSS: Private address is forbidden",
     ["CB-URL-PRIVATE"], PRIVATE,
     {"callback": {"urls": ["http://127.0.0.1:8080/callback"], "body": "b=${bucket}"}, "needs": ["production-rules"]}),
    (reject, "field/java-sdk-live-my-host", "callbackUrl \"my\" was refused by live OSS", ["CB-URL-HOST-DOT"], URL_INVALID,
     {"callback": {"urls": ["http://my:8080/cb"], "body": "b=${bucket}"}}),
    (reject, "field/java-sdk-live-dollar-paren", "The obsolete $(var) placeholder from old docs is refused",
     ["CB-TPL-PAREN"], TPL_DOLLAR_BRACE, {"callback": {"urls": ["capture:/cb"], "body": "filename=$(filename)&table=${x:table}"}}),
    # Fields that are silently ignored.
    (simple, "field/java-sdk-190-calbackbodytype-typo", "The misspelled calbackBodyType is ignored: the body stays form-encoded",
     ["CB-CFG-UNKNOWN-FIELDS", "CB-CFG-BODYTYPE-DEFAULT"], [], "o=${object}", {"extra": {"calbackBodyType": "application/json"}}),
    (simple, "field/doc-typo-callbacktype", "The doc typo callbackType does not stand in for callbackBodyType",
     ["CB-CFG-UNKNOWN-FIELDS", "CB-CFG-BODYTYPE-DEFAULT"], [], "o=${object}", {"extra": {"callbackType": "application/json"}}),
    (simple, "field/additional-headers-ignored", "additionalHeaders adds no headers (ignored)",
     ["CB-CFG-UNKNOWN-FIELDS", "CB-HDR-ADDITIONAL-HEADERS"], [], "o=${object}", {"extra": {"additionalHeaders": "x-custom"}}),
    # Multipart and shared-IP HTTPS.
    (simple, "field/ali-oss-102-mpu-returns-json", "With a callback, CompleteMultipartUpload answers the callback JSON, not XML",
     ["CB-OUT-MPU-REPLACE", "CB-OUT-SDK-200-BODY", "CB-OUT-200-BODY"], ["multipart"], "object=${object}&size=${size}",
     {"op": "multipart", "key": "field/ali-oss-102/big.bin"}),
    (simple, "field/python-sdk-51-mpu-v4-query", "Multipart with the callback in the query of CompleteMultipartUpload",
     ["CB-CARRIER-QUERY", "CB-MPU-SIZE", "CB-AUTH-V4-HEADER"], ["multipart"], "size=${size}&op=${operation}",
     {"op": "multipart", "auth": "v4", "carrier": "query", "key": "field/python-51/big.bin"}),
    (simple, "field/cloudreve-pr-2142-shared-ip-https", "Shared-IP HTTPS with callbackSNI true and a custom Host",
     ["CB-TLS-SNI-TRUE", "CB-HDR-HOST", "CB-TLS-SNI-NAME"], ["https"], "o=${object}",
     dict(HTTPS, sni=True, host="files.example.com", expect_host="files.example.com", expect_sni="{tls_name}")),
]


def files():
    out = []
    for builder, *args, opts in REPORTS:
        s = builder(*args, **opts)
        s["tags"] = ["field"] + [x for x in s.get("tags", []) if x != "field"]
        out.append(s)
    return {FILE: out}
