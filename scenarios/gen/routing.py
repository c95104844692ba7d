"""routing.toml: where the callback goes (Host header, failover across URLs, URL forms).

These scenarios hold the body fixed ("o=${object}") and vary only the
addressing, so a failure here is about how the target picks, orders and
writes out its callback requests, never about expansion.
"""

from .common import CONNECT, NOT_JSON, OK, error_expect, failed, simple, status_error, upload_table
from .oracles import Content

FILE = "routing.toml"

# (id, title, requirements, callbackHost (None: absent), over HTTPS with callbackSNI?).
# The Host sent is callbackHost when it is non-empty, else the URL's authority.
HTTPS_SNI = {"urls": ["captures:/cb"], "sni": True, "expect_sni": "{tls_name}", "needs": ["tls-capture"]}
HOSTS = [
    ("route/host/set", "callbackHost sets the Host header exactly (no port)",
     ["CB-HDR-HOST", "CB-HDR-HOST-PORT"], "app.example.com", False),
    ("route/host/ip", "callbackHost may be an IP address", ["CB-HDR-HOST"], "10.1.2.3", False),
    ("route/host/empty", "An empty callbackHost means the URL authority (with its port)",
     ["CB-CFG-HOST-EMPTY", "CB-CFG-HOST-DEFAULT", "CB-HDR-HOST-PORT"], "", False),
    ("route/host/absent", "Without callbackHost the Host header is the URL's host:port",
     ["CB-CFG-HOST-DEFAULT", "CB-HDR-HOST-PORT"], None, False),
    ("route/host/https-sni-name", "HTTPS with callbackHost and callbackSNI: SNI is the URL host, Host is callbackHost",
     ["CB-TLS-SNI-NAME", "CB-TLS-SNI-TRUE", "CB-HDR-HOST", "CB-TLS-HTTPS"], "app.example.com", True),
]

# (id, title, requirements, URLs, answers, paths called in order, (status, relayed body or error), trailing ';')
FAILOVER = [
    ("route/failover/refused-then-ok", "First URL refuses the connection, the second answers: 200 with its body",
     ["CB-URL-ORDER", "CB-REQ-FAILOVER", "CB-OUT-200-BODY", "CB-REQ-NO-RETRY"], ["refused:/a", "capture:/b"],
     [{"path": "/b", "body": '{"from":"b"}'}], ["/b"], (200, '{"from":"b"}'), False),
    ("route/failover/500-then-ok", "First URL answers 500, the second 200: both called once, in order",
     ["CB-URL-ORDER", "CB-REQ-FAILOVER", "CB-REQ-NO-RETRY", "CB-OUT-200-BODY"], ["capture:/a", "capture:/b"],
     [{"path": "/a", "status": 500}, {"path": "/b", "body": '{"second":true}'}], ["/a", "/b"], (200, '{"second":true}'), False),
    ("route/failover/first-ok-stops", "The first URL succeeds: later URLs receive nothing",
     ["CB-URL-ORDER", "CB-REQ-FAILOVER"], ["capture:/a", "capture:/b", "capture:/c"],
     [{"path": "/a", "body": '{"first":1}'}], ["/a"], (200, '{"first":1}'), False),
    ("route/failover/bad-json-then-ok", "A non-JSON 200 fails the first URL; the second succeeds",
     ["CB-REQ-FAILOVER", "CB-RESP-JSON"], ["capture:/a", "capture:/b"],
     [{"path": "/a", "body": "OK"}], ["/a", "/b"], (200, OK), False),
    ("route/failover/all-fail-last-status", "Every URL fails: the 203 reports the last one (404)",
     ["CB-OUT-ALL-FAIL", "CB-REQ-FAILOVER", "CB-OUT-203", "CB-OUT-MSG-STATUS", "CB-REQ-NO-RETRY"], ["capture:/a", "capture:/b"],
     [{"path": "/a", "status": 500}, {"path": "/b", "status": 404}], ["/a", "/b"], (203, status_error(404)), False),
    ("route/failover/all-fail-last-refused", "500 then a refused connection: the 203 reports the connection failure",
     ["CB-OUT-ALL-FAIL", "CB-OUT-MSG-CONNECT", "CB-OUT-203"], ["capture:/a", "refused:/b"],
     [{"path": "/a", "status": 500}], ["/a"], (203, CONNECT), False),
    ("route/failover/all-fail-last-json", "Refused then non-JSON: the 203 reports the JSON failure (EC 0205)",
     ["CB-OUT-ALL-FAIL", "CB-OUT-MSG-JSON", "CB-OUT-203"], ["refused:/a", "capture:/b"],
     [{"path": "/b", "body": "<html>ok</html>"}], ["/b"], (203, NOT_JSON), False),
    ("route/failover/five-all-fail", "Five URLs all answering 502: each called once, last failure reported",
     ["CB-URL-MAX5", "CB-REQ-NO-RETRY", "CB-OUT-ALL-FAIL"], ["capture:/%d" % i for i in range(1, 6)],
     [{"path": "/%d" % i, "status": 502} for i in range(1, 6)], ["/%d" % i for i in range(1, 6)], (203, status_error(502)), False),
    ("route/urls/five-trailing-semicolon", "Five URLs followed by ';' are accepted (empty segments are dropped)",
     ["CB-URL-MAX5", "CB-URL-EMPTY-SEGMENT", "CB-URL-ORDER"], ["capture:/%d" % i for i in range(1, 6)],
     None, ["/1"], (200, OK), True),
    ("route/urls/two-trailing-semicolon", "u1;u2; is two URLs",
     ["CB-URL-EMPTY-SEGMENT"], ["refused:/1", "capture:/2"], None, ["/2"], (200, OK), True),
]

# (id, title, requirements, path, query): the URL is written out and signed as given.
URL_FORMS = [
    ("route/url/query", "A callback URL with a query string: delivered verbatim and signed",
     ["CB-URL-QUERY", "CB-SIG-QUERY-RAW", "CB-REQ-TARGET", "CB-SIG-STRING-TO-SIGN"], "/cb", "?id=1&index=2"),
    ("route/url/query-encoded", "Query with percent-escapes is not re-encoded or decoded",
     ["CB-URL-QUERY", "CB-SIG-QUERY-RAW", "CB-REQ-TARGET"], "/cb", "?a=1&b=%2F&c=%E4%B8%AD"),
    ("route/url/path-escapes", "A percent-encoded path is sent as written and signed decoded",
     ["CB-REQ-TARGET", "CB-SIG-PATH-DECODE", "CB-SIG-STRING-TO-SIGN"], "/notify%20me/%E4%B8%AD", ""),
    ("route/url/path-plus", "A '+' in the path stays '+' in the signed string",
     ["CB-SIG-PLUS-NOT-SPACE", "CB-SIG-PATH-DECODE", "CB-REQ-TARGET"], "/a+b/c", ""),
]


def files():
    out = []
    for sid, title, reqs, host, https in HOSTS:
        tags = ["routing", "host"] + (["https"] if https else [])
        out.append(simple(sid, title, reqs, tags, "o=${object}", host=host, expect_host=host or "{capture}",
                          **(HTTPS_SNI if https else {})))
    for sid, title, reqs, urls, answers, calls, (status, outcome), trailing in FAILOVER:
        relayed = outcome if status == 200 else None
        error = outcome if status == 203 else None
        out.append(failed(sid, title, reqs, ("routing", "failover"), error, urls=urls, answers=answers, calls=calls,
                          status=status, resp_body=relayed, trailing_semicolon=trailing))
    for sid, title, reqs, path, query in URL_FORMS:
        out.append(simple(sid, title, reqs, ["routing", "url"], "o=${object}", path=path, query=query))
    c = Content("schemeless\n")
    out.append({
        "id": "route/url/schemeless-accepted",
        "title": "A scheme-less host:port/path URL is accepted and called over plain HTTP (port 9 closed: 203, not 400)",
        "requirements": ["CB-URL-SCHEMELESS", "CB-URL-SCHEMELESS-HTTP", "CB-OUT-MSG-CONNECT", "CB-OUT-203"],
        "tags": ["routing", "url"],
        "upload": upload_table("put", "route/url/schemeless.txt", c, "text/plain"),
        "callback": {"urls": ["127.0.0.1:9/cb"], "body": "o=${object}"},
        "expect": error_expect(203, "CallbackFailed", CONNECT, c),
    })
    return {FILE: out}
