#!/usr/bin/env python3
"""Real-SDK smoke test for `cbspec emulator`.

Starts a loopback callback receiver and the emulator, then uploads with the
real Python SDKs (oss2 2.19.1, alibabacloud-oss-v2 1.4.1) and checks what the
SDK returns and what the callback receiver got (body, headers, RSA-MD5
signature). Every expected value is written out literally.

Usage: python drivers/smoke/sdk_smoke.py --cbspec target/debug/cbspec

Prints `PASS name` / `FAIL name: reason` per case and ends with
`N passed, M failed`; exit status 1 if anything (or the setup) failed.
"""

import argparse
import base64
import hashlib
import http.server
import json
import os
import queue
import re
import signal
import subprocess
import sys
import tempfile
import threading
import time
import traceback
import urllib.parse
import urllib.request
import xml.etree.ElementTree as ET

# Loopback only: never let an environment proxy see these requests.
for _var in ("NO_PROXY", "no_proxy"):
    os.environ[_var] = ",".join(x for x in (os.environ.get(_var), "127.0.0.1", "localhost") if x)

from Crypto.Hash import MD5  # noqa: E402  (pycryptodome, installed with oss2)
from Crypto.PublicKey import RSA  # noqa: E402
from Crypto.Signature import pkcs1_15  # noqa: E402

ACCESS_KEY_ID = "LTAI5tSmokeTestKeyId01"
ACCESS_KEY_SECRET = "smoke-test-secret-0123456789abcdef"
BUCKET = "examplebucket"
REGION = "cn-hangzhou"

TOTAL_DEADLINE_S = 90  # hard cap for the whole script (watchdog)
STARTUP_TIMEOUT_S = 15  # emulator must print its endpoint within this
SDK_TIMEOUT_S = 10  # connect / read timeout for every SDK request (callbacks take <= 5s)
SOCKET_TIMEOUT_S = 10  # receiver sockets, PEM fetch
STOP_TIMEOUT_S = 5  # SIGTERM -> SIGKILL grace

FORM_TEMPLATE = (
    "bucket=${bucket}&object=${object}&size=${size}"
    "&mimeType=${mimeType}&my_var=${x:my_var}"
)
JSON_TEMPLATE = '{"object":${object},"size":${size},"etag":${etag}}'
OK_BODY = b'{"Status":"OK"}'


def b64json(obj):
    return base64.b64encode(json.dumps(obj).encode("utf-8")).decode("ascii")


def short(data, limit=600):
    """Printable, bounded rendering of bytes for failure details."""
    if isinstance(data, (bytes, bytearray)):
        text = bytes(data[:limit]).decode("utf-8", "backslashreplace")
    else:
        text = str(data)[:limit]
    more = len(data) - limit
    return repr(text) + (f" …(+{more} bytes)" if more > 0 else "")


# --------------------------------------------------------------------------
# Callback receiver
# --------------------------------------------------------------------------


class Recorder:
    def __init__(self):
        self._lock = threading.Lock()
        self._requests = []

    def add(self, rec):
        with self._lock:
            self._requests.append(rec)

    def take(self):
        """Return and forget everything recorded so far."""
        with self._lock:
            out, self._requests = self._requests, []
            return out


RECORDER = Recorder()


class CallbackHandler(http.server.BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    timeout = SOCKET_TIMEOUT_S  # socket timeout for every connection

    def _handle(self):
        length = self.headers.get("Content-Length")
        try:
            body = self.rfile.read(int(length)) if length else b""
        except (ValueError, OSError) as exc:
            body = f"<read error: {exc!r}>".encode()
        RECORDER.add(
            {
                "method": self.command,
                "target": self.path,  # raw request target: path + '?' + query
                "headers": list(self.headers.items()),
                "body": body,
            }
        )
        path = self.path.split("?", 1)[0]
        if path == "/ok":
            status, payload, ctype = 200, OK_BODY, "application/json"
        elif path == "/fail500":
            status, payload, ctype = 500, b"receiver says 500", "text/plain"
        else:
            status, payload, ctype = 404, b"no such path", "text/plain"
        self.send_response(status)
        self.send_header("Content-Type", ctype)
        self.send_header("Content-Length", str(len(payload)))
        self.send_header("Connection", "close")
        self.end_headers()
        self.wfile.write(payload)
        self.close_connection = True

    do_POST = _handle
    do_GET = _handle
    do_PUT = _handle

    def log_message(self, fmt, *args):  # keep the output to PASS/FAIL lines
        pass


def start_receiver():
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), CallbackHandler)
    server.daemon_threads = True
    server.timeout = SOCKET_TIMEOUT_S
    thread = threading.Thread(
        target=server.serve_forever, kwargs={"poll_interval": 0.2}, daemon=True
    )
    thread.start()
    return server


# --------------------------------------------------------------------------
# Emulator process
# --------------------------------------------------------------------------


class Emulator:
    def __init__(self, binary):
        self.binary = binary
        self.proc = None
        self.endpoint = None
        self.key_url = None
        self.stdout_lines = []
        self._lines = queue.Queue()
        self._stderr = tempfile.TemporaryFile()

    def start(self):
        env = dict(os.environ)
        env["OSS_ACCESS_KEY_ID"] = ACCESS_KEY_ID
        env["OSS_ACCESS_KEY_SECRET"] = ACCESS_KEY_SECRET
        cmd = [
            self.binary, "emulator",
            "--listen", "127.0.0.1:0",
            "--bucket", BUCKET,
            "--region", REGION,
            "--callback-timeout", "5s",
        ]
        self.proc = subprocess.Popen(
            cmd, env=env, stdin=subprocess.DEVNULL, stdout=subprocess.PIPE,
            stderr=self._stderr, start_new_session=True,
        )
        threading.Thread(target=self._pump, daemon=True).start()
        deadline = time.monotonic() + STARTUP_TIMEOUT_S
        while self.endpoint is None or self.key_url is None:
            left = deadline - time.monotonic()
            if left <= 0:
                raise RuntimeError(
                    f"emulator printed no endpoint/key URL within {STARTUP_TIMEOUT_S}s; "
                    f"stdout={self.stdout_lines!r} stderr={self.stderr_text()!r}"
                )
            try:
                line = self._lines.get(timeout=min(left, 0.5))
            except queue.Empty:
                continue
            if line is None:
                raise RuntimeError(
                    f"emulator exited (rc={self.proc.poll()}) before printing its endpoint; "
                    f"stdout={self.stdout_lines!r} stderr={self.stderr_text()!r}"
                )
            m = re.match(r"^endpoint:\s+(\S+)\s*$", line)
            if m:
                self.endpoint = m.group(1)
            m = re.match(r"^callback key URL:\s+(\S+)\s*$", line)
            if m:
                self.key_url = m.group(1)
        parts = urllib.parse.urlsplit(self.endpoint)
        if parts.scheme != "http" or parts.hostname != "127.0.0.1" or not parts.port:
            raise RuntimeError(f"endpoint is not http://127.0.0.1:PORT: {self.endpoint!r}")

    def _pump(self):
        # Keeps draining stdout for the whole run so the emulator never blocks on a full pipe.
        for raw in self.proc.stdout:
            line = raw.decode("utf-8", "replace").rstrip("\r\n")
            self.stdout_lines.append(line)
            self._lines.put(line)
        self._lines.put(None)

    def stderr_text(self, limit=2000):
        try:
            self._stderr.seek(0)
            return self._stderr.read()[-limit:].decode("utf-8", "replace")
        except (OSError, ValueError):
            return ""

    def stop(self):
        if self.proc is None or self.proc.poll() is not None:
            return
        try:
            self.proc.send_signal(signal.SIGTERM)
            self.proc.wait(timeout=STOP_TIMEOUT_S)
        except subprocess.TimeoutExpired:
            print(f"note: emulator did not exit {STOP_TIMEOUT_S}s after SIGTERM; killing it")
            self.proc.kill()
            try:
                self.proc.wait(timeout=STOP_TIMEOUT_S)
            except subprocess.TimeoutExpired:
                pass
        except OSError:
            pass


# --------------------------------------------------------------------------
# Checks
# --------------------------------------------------------------------------


class CaseFailed(Exception):
    pass


class Check:
    """Collects every mismatch of one case, plus details printed on failure."""

    def __init__(self):
        self.problems = []
        self.details = []

    def eq(self, what, got, want):
        if got != want:
            self.problems.append(f"{what}: expected {want!r}, got {got!r}")
            return False
        return True

    def ok(self, cond, msg):
        if not cond:
            self.problems.append(msg)
        return bool(cond)

    def detail(self, label, value):
        self.details.append(f"{label}: {value}")

    def require(self):
        if self.problems:
            raise CaseFailed("; ".join(self.problems))


class KeyCache:
    def __init__(self, endpoint):
        self.allowed_prefix = endpoint.rstrip("/") + "/"
        self._keys = {}
        self._opener = urllib.request.build_opener(urllib.request.ProxyHandler({}))

    def get(self, url):
        if not url.startswith(self.allowed_prefix):
            raise CaseFailed(
                f"x-oss-pub-key-url {url!r} is not under the emulator endpoint {self.allowed_prefix!r}"
            )
        if url not in self._keys:
            with self._opener.open(url, timeout=SOCKET_TIMEOUT_S) as resp:
                if resp.status != 200:
                    raise CaseFailed(f"GET {url} -> {resp.status}")
                pem = resp.read(64 * 1024)
            self._keys[url] = RSA.import_key(pem)
        return self._keys[url]


def header(rec, name):
    values = [v for k, v in rec["headers"] if k.lower() == name.lower()]
    return values[0] if len(values) == 1 else (values or None)


def check_callback(chk, keys, records, path, query, body, content_type):
    """The receiver must have got exactly one POST to `path` (with `query`),
    with the literal `body`, the given Content-Type, a matching Content-MD5 and
    a valid RSA-MD5 signature under the key named by x-oss-pub-key-url."""
    for i, r in enumerate(records):
        chk.detail(
            f"callback request #{i + 1}",
            f"{r['method']} {r['target']} headers={r['headers']!r} body={short(r['body'])}",
        )
    if not chk.eq("number of callback requests", len(records), 1):
        return
    rec = records[0]
    want_target = path + ("?" + query if query else "")
    chk.eq("callback method", rec["method"], "POST")
    chk.eq("callback request target", rec["target"], want_target)
    chk.eq("callback body", rec["body"], body)
    chk.eq("callback Content-Type", header(rec, "Content-Type"), content_type)
    chk.eq("callback x-oss-bucket", header(rec, "x-oss-bucket"), BUCKET)
    md5_b64 = base64.b64encode(hashlib.md5(rec["body"]).digest()).decode()
    chk.eq("callback Content-MD5 (Base64 MD5 of the received body)", header(rec, "Content-MD5"), md5_b64)

    key_url_b64 = header(rec, "x-oss-pub-key-url")
    auth = header(rec, "Authorization")
    if not chk.ok(isinstance(key_url_b64, str), f"x-oss-pub-key-url missing or repeated: {key_url_b64!r}"):
        return
    if not chk.ok(isinstance(auth, str), f"Authorization missing or repeated: {auth!r}"):
        return
    try:
        key_url = base64.b64decode(key_url_b64, validate=True).decode("ascii")
    except Exception as exc:  # noqa: BLE001
        chk.ok(False, f"x-oss-pub-key-url is not Base64 ASCII: {key_url_b64!r} ({exc})")
        return
    try:
        key = keys.get(key_url)
    except CaseFailed as exc:
        chk.ok(False, str(exc))
        return
    except Exception as exc:  # noqa: BLE001
        chk.ok(False, f"cannot load public key from {key_url!r}: {exc!r}")
        return
    # string_to_sign = url_decode(path) + ('?' + raw query if any) + '\n' + body
    raw_path, sep, raw_query = rec["target"].partition("?")
    to_sign = urllib.parse.unquote_to_bytes(raw_path) + (b"?" + raw_query.encode() if sep else b"")
    to_sign += b"\n" + rec["body"]
    try:
        sig = base64.b64decode(auth, validate=True)
    except Exception as exc:  # noqa: BLE001
        chk.ok(False, f"Authorization is not Base64: {auth!r} ({exc})")
        return
    try:
        pkcs1_15.new(key).verify(MD5.new(to_sign), sig)
    except (ValueError, TypeError) as exc:
        chk.ok(False, f"callback signature does not verify over {short(to_sign)} with key {key_url}: {exc}")


# --------------------------------------------------------------------------
# Cases
# --------------------------------------------------------------------------


class Ctx:
    def __init__(self, emulator, receiver_port, keys):
        self.emu = emulator
        self.rport = receiver_port
        self.keys = keys

    def cb_url(self, path_and_query):
        return f"http://127.0.0.1:{self.rport}{path_and_query}"


def oss2_bucket(ctx):
    import oss2

    oss2.defaults.request_retries = 0
    auth = oss2.Auth(ACCESS_KEY_ID, ACCESS_KEY_SECRET)
    return oss2.Bucket(auth, ctx.emu.endpoint, BUCKET, connect_timeout=SDK_TIMEOUT_S)


def v2_client(ctx, signature_version):
    import alibabacloud_oss_v2 as oss

    cfg = oss.config.load_default()
    cfg.credentials_provider = oss.credentials.StaticCredentialsProvider(ACCESS_KEY_ID, ACCESS_KEY_SECRET)
    cfg.region = REGION
    cfg.endpoint = ctx.emu.endpoint
    cfg.use_path_style = True
    cfg.signature_version = signature_version
    cfg.retry_max_attempts = 1
    cfg.connect_timeout = SDK_TIMEOUT_S
    cfg.readwrite_timeout = SDK_TIMEOUT_S
    return oss.Client(cfg)


def case_oss2_put_form(ctx, chk):
    bucket = oss2_bucket(ctx)
    callback = {
        "callbackUrl": ctx.cb_url("/ok"),
        "callbackBody": FORM_TEMPLATE,
        "callbackBodyType": "application/x-www-form-urlencoded",
    }
    headers = {
        "Content-Type": "text/plain",
        "x-oss-callback": b64json(callback),
        "x-oss-callback-var": b64json({"x:my_var": "for-callback-test"}),
    }
    RECORDER.take()
    result = bucket.put_object("dir/obj v1.txt", b"hello cbspec\n", headers=headers)
    body = result.resp.read()
    records = RECORDER.take()
    chk.detail("response", f"{result.status} headers={dict(result.headers)!r} body={short(body)}")
    chk.eq("upload status", result.status, 200)
    chk.eq("upload response body", body, OK_BODY)
    check_callback(
        chk, ctx.keys, records, "/ok", "",
        b"bucket=examplebucket&object=dir%2Fobj%20v1.txt&size=13"
        b"&mimeType=text%2Fplain&my_var=for-callback-test",
        "application/x-www-form-urlencoded",
    )


def case_oss2_multipart_json(ctx, chk):
    import oss2
    from oss2.models import PartInfo

    bucket = oss2_bucket(ctx)
    key = "dir/mpu obj.bin"
    part1, part2 = b"a" * (100 * 1024), b"tail"
    # Expected multipart ETag, computed here: MD5 of the concatenated binary part MD5s, "-<parts>".
    want_etag = hashlib.md5(hashlib.md5(part1).digest() + hashlib.md5(part2).digest()).hexdigest().upper() + "-2"

    init = bucket.init_multipart_upload(key)
    chk.detail("init", f"{init.status} upload_id={init.upload_id!r}")
    r1 = bucket.upload_part(key, init.upload_id, 1, part1)
    r2 = bucket.upload_part(key, init.upload_id, 2, part2)
    chk.detail("parts", f"etag1={r1.etag!r} etag2={r2.etag!r}")
    chk.eq("part 1 ETag", r1.etag, hashlib.md5(part1).hexdigest().upper())
    chk.eq("part 2 ETag", r2.etag, hashlib.md5(part2).hexdigest().upper())
    callback = {
        "callbackUrl": ctx.cb_url("/ok?case=mpu&k=a%2Fb"),
        "callbackBody": JSON_TEMPLATE,
        "callbackBodyType": "application/json",
    }
    headers = {"x-oss-callback": b64json(callback)}
    RECORDER.take()
    try:
        result = bucket.complete_multipart_upload(
            key, init.upload_id, [PartInfo(1, r1.etag), PartInfo(2, r2.etag)], headers=headers
        )
    except oss2.exceptions.OssError as exc:
        chk.detail("callback requests", RECORDER.take())
        raise CaseFailed(f"complete_multipart_upload raised {exc!r}") from exc
    body = result.resp.read()
    records = RECORDER.take()
    chk.detail("response", f"{result.status} headers={dict(result.headers)!r} body={short(body)}")
    chk.eq("complete status", result.status, 200)
    chk.eq("complete response body", body, OK_BODY)
    check_callback(
        chk, ctx.keys, records, "/ok", "case=mpu&k=a%2Fb",
        ('{"object":"dir/mpu obj.bin","size":102404,"etag":"' + want_etag + '"}').encode(),
        "application/json",
    )


def case_oss2_fail500(ctx, chk):
    bucket = oss2_bucket(ctx)
    key = "dir/fail 500.txt"
    content = b"stored although the callback failed\n"
    callback = {
        "callbackUrl": ctx.cb_url("/fail500"),
        "callbackBody": FORM_TEMPLATE,
    }
    headers = {
        "Content-Type": "text/plain",
        "x-oss-callback": b64json(callback),
        "x-oss-callback-var": b64json({"x:my_var": "fail-case"}),
    }
    RECORDER.take()
    result = bucket.put_object(key, content, headers=headers)
    body = result.resp.read()
    records = RECORDER.take()
    chk.detail("response", f"{result.status} headers={dict(result.headers)!r} body={short(body)}")
    chk.eq("upload status", result.status, 203)
    try:
        root = ET.fromstring(body)
        chk.eq("error root element", root.tag, "Error")
        chk.eq("error Code", root.findtext("Code"), "CallbackFailed")
        chk.eq("error Message", root.findtext("Message"), "Error status : 500.")
    except ET.ParseError as exc:
        chk.ok(False, f"203 body is not XML: {exc}")
    check_callback(
        chk, ctx.keys, records, "/fail500", "",
        b"bucket=examplebucket&object=dir%2Ffail%20500.txt&size=36"
        b"&mimeType=text%2Fplain&my_var=fail-case",
        "application/x-www-form-urlencoded",
    )
    got = bucket.get_object(key).read()
    chk.eq("object content after 203", got, content)


def _case_v2_put(ctx, chk, signature_version, key, my_var, want_body, query):
    import alibabacloud_oss_v2 as oss

    client = v2_client(ctx, signature_version)
    callback = {
        "callbackUrl": ctx.cb_url("/ok" + ("?" + query if query else "")),
        "callbackBody": FORM_TEMPLATE,
        "callbackBodyType": "application/x-www-form-urlencoded",
    }
    RECORDER.take()
    try:
        result = client.put_object(
            oss.PutObjectRequest(
                bucket=BUCKET,
                key=key,
                body=b"hello cbspec v2\n",
                content_type="text/plain",
                callback=b64json(callback),
                callback_var=b64json({"x:my_var": my_var}),
            )
        )
    except Exception as exc:  # noqa: BLE001  (SDK wraps service errors in OperationError)
        chk.detail("callback requests", RECORDER.take())
        raise CaseFailed(f"put_object raised {exc!r}") from exc
    records = RECORDER.take()
    cb_result = getattr(result, "callback_result", None)
    chk.detail(
        "response",
        f"{result.status_code} headers={dict(result.headers or {})!r} callback_result={cb_result!r}",
    )
    chk.eq("upload status", result.status_code, 200)
    chk.eq("callback_result", cb_result, OK_BODY.decode())
    try:
        chk.eq("callback_result as JSON", json.loads(cb_result), {"Status": "OK"})
    except (TypeError, ValueError) as exc:
        chk.ok(False, f"callback_result is not JSON: {exc}")
    check_callback(chk, ctx.keys, records, "/ok", query, want_body, "application/x-www-form-urlencoded")


def case_v2_put_v4(ctx, chk):
    _case_v2_put(
        ctx, chk, "v4", "v2/obj v4.txt", "from-v2-v4",
        b"bucket=examplebucket&object=v2%2Fobj%20v4.txt&size=16"
        b"&mimeType=text%2Fplain&my_var=from-v2-v4",
        "case=v2v4",
    )


def case_v2_put_v1(ctx, chk):
    _case_v2_put(
        ctx, chk, "v1", "v2/obj v1.txt", "from-v2-v1",
        b"bucket=examplebucket&object=v2%2Fobj%20v1.txt&size=16"
        b"&mimeType=text%2Fplain&my_var=from-v2-v1",
        "",
    )


CASES = [
    ("oss2_v1_put_object_form_callback", case_oss2_put_form),
    ("oss2_v1_multipart_json_callback", case_oss2_multipart_json),
    ("oss2_v1_put_object_callback_500_gives_203", case_oss2_fail500),
    ("v2_v4_put_object_form_callback", case_v2_put_v4),
    ("v2_v1_put_object_form_callback", case_v2_put_v1),
]


# --------------------------------------------------------------------------
# Main
# --------------------------------------------------------------------------


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--cbspec", required=True, help="path to the cbspec binary")
    ap.add_argument("--only", action="append", default=[], help="run only cases whose name contains this")
    args = ap.parse_args()

    passed = failed = 0
    state = {"emu": None, "done": False}
    print_lock = threading.Lock()

    def out(line):
        with print_lock:
            print(line, flush=True)

    def watchdog():
        if state["done"]:
            return
        out(f"FAIL watchdog: the smoke test did not finish within {TOTAL_DEADLINE_S}s")
        if state["emu"] is not None:
            state["emu"].stop()
            out(f"    emulator stderr: {state['emu'].stderr_text()!r}")
        out(f"{passed} passed, {failed + 1} failed")
        os._exit(1)

    timer = threading.Timer(TOTAL_DEADLINE_S, watchdog)
    timer.daemon = True
    timer.start()

    receiver = None
    emu = Emulator(args.cbspec)
    state["emu"] = emu
    try:
        try:
            if not os.path.exists(args.cbspec):
                raise RuntimeError(f"no such binary: {args.cbspec}")
            receiver = start_receiver()
            emu.start()
            ctx = Ctx(emu, receiver.server_address[1], KeyCache(emu.endpoint))
        except Exception as exc:  # noqa: BLE001
            out(f"FAIL setup: {exc}")
            failed += 1
            return 1

        for name, fn in CASES:
            if args.only and not any(s in name for s in args.only):
                continue
            chk = Check()
            try:
                fn(ctx, chk)
                chk.require()
            except CaseFailed as exc:
                reason = str(exc)
            except Exception as exc:  # noqa: BLE001
                reason = f"unexpected {type(exc).__name__}: {exc}"
                chk.detail("traceback", traceback.format_exc().strip().replace("\n", "\n      "))
            else:
                out(f"PASS {name}")
                passed += 1
                continue
            failed += 1
            out(f"FAIL {name}: {reason}")
            for d in chk.details:
                out(f"    {d}")
            if emu.proc.poll() is not None:
                out(f"    emulator exited with {emu.proc.returncode}; stderr: {emu.stderr_text()!r}")
        return 1 if failed else 0
    finally:
        emu.stop()
        if receiver is not None:
            receiver.shutdown()
            receiver.server_close()
        state["done"] = True
        timer.cancel()
        out(f"{passed} passed, {failed} failed")


if __name__ == "__main__":
    sys.exit(main())
