"""The cbspec driver protocol (drivers/PROTOCOL.md, version 1), shared by the Python adapters.

An adapter module only knows its SDK: it provides one function that performs one upload and returns
a result built with the helpers below. This module owns everything the runner relies on: the hello
line, reading one JSON request per line, answering each with exactly one result line (even when the
SDK code fails in an unexpected way), flushing after every line, logging to stderr only, and exiting
with status 0 when stdin closes.
"""

import json
import logging
import os
import platform
import sys
import traceback

PROTOCOL_VERSION = 1

# Values of the request fields this protocol version defines. Anything else is a value from a later
# version, which an adapter must answer with `unsupported` rather than guess at.
KNOWN_OPERATIONS = ("put", "multipart", "post", "presign-v1", "presign-v4")
KNOWN_CARRIERS = ("header", "query", "form", "header-and-query")
KNOWN_AUTHS = ("v1", "v4")

# The carrier the native driver uses when a scenario names none; applied to a request whose
# `carrier` is null so that such a request means the same for every driver.
DEFAULT_CARRIER = {
    "put": "header",
    "multipart": "header",
    "post": "form",
    "presign-v1": "query",
    "presign-v4": "query",
}

log = logging.getLogger("cbspec-driver")


# --------------------------------------------------------------------------------------------------
# Results
# --------------------------------------------------------------------------------------------------


def answer(status, raised, headers=None, body=None, body_json=None, error=None):
    """An `answer` result: the SDK got an HTTP answer and reported it (or raised)."""
    result = {
        "outcome": "answer",
        "status": status,
        "raised": bool(raised),
        "headers": lower_case_headers(headers),
        "body": body,
        "error": error,
    }
    if body_json is not None:
        # The SDK handed over a parsed JSON value instead of text: `body_json` replaces `body`.
        result["body_json"] = body_json
        result["body"] = None
    return result


def error_fields(code=None, message=None, ec=None, request_id=None, argument_name=None,
                 argument_value=None):
    """The `error` object: only what the SDK exposed; None (null) for anything it does not."""
    return {
        "code": code,
        "message": message,
        "ec": ec,
        "request_id": request_id,
        "argument_name": argument_name,
        "argument_value": argument_value,
    }


def failed(error_text):
    """A `failed` result: no HTTP answer reached the SDK."""
    return {"outcome": "failed", "error_text": str(error_text)}


def failed_from(exc):
    """A `failed` result naming the exception's type and text."""
    return failed(describe(exc))


def unsupported(reason):
    """An `unsupported` result: the SDK cannot express this upload; `reason` says why."""
    return {"outcome": "unsupported", "reason": str(reason)}


def describe(exc):
    """`Type: text` for an exception, the form reports show."""
    return f"{type(exc).__name__}: {exc}"


def lower_case_headers(headers):
    """Response headers as a plain dict with lower-case names (as the protocol asks)."""
    if not headers:
        return {}
    return {str(name).lower(): str(value) for name, value in headers.items()}


def as_text(data):
    """Body bytes as text. Invalid UTF-8 is replaced rather than dropped, so the runner still sees
    that there was a body and roughly what it held."""
    if data is None:
        return None
    if isinstance(data, str):
        return data
    return bytes(data).decode("utf-8", "replace")


# --------------------------------------------------------------------------------------------------
# Request helpers
# --------------------------------------------------------------------------------------------------


def timeout_seconds(request):
    """The request's `timeout_ms` as seconds for the SDK (10 s when the runner sent none)."""
    timeout_ms = request.get("timeout_ms") or 10_000
    return max(float(timeout_ms) / 1000.0, 0.001)


def read_content(request):
    """The exact object content, from `content_file`."""
    with open(request["content_file"], "rb") as handle:
        return handle.read()


def extra_headers(request):
    """The request's extra `headers` as text name/value pairs (a value that is not a JSON string
    is sent as its JSON text, since HTTP clients only take strings)."""
    headers = request.get("headers") or {}
    return {str(name): value if isinstance(value, str) else json.dumps(value)
            for name, value in headers.items()}


def chunks(content, part_size):
    """`content` cut into `part_size` pieces, as the native driver does (none for empty content)."""
    size = max(int(part_size or 102_400), 1)
    return [content[start:start + size] for start in range(0, len(content), size)]


def carrier_of(request):
    """The request's carrier, defaulted per operation when the runner sent null."""
    carrier = request.get("carrier")
    if carrier is None:
        carrier = DEFAULT_CARRIER.get(request.get("operation"))
    return carrier


def check_known_values(request):
    """An `unsupported` result when the request uses a value this protocol version does not define,
    otherwise None."""
    operation = request.get("operation")
    if operation not in KNOWN_OPERATIONS:
        return unsupported(f"unknown operation {operation!r}")
    carrier = carrier_of(request)
    if carrier not in KNOWN_CARRIERS:
        return unsupported(f"unknown carrier {carrier!r}")
    auth = request.get("auth")
    if auth not in KNOWN_AUTHS:
        return unsupported(f"unknown auth {auth!r}")
    return None


# --------------------------------------------------------------------------------------------------
# The loop
# --------------------------------------------------------------------------------------------------


def runtime_name():
    """`CPython 3.11.7`, say."""
    return f"{platform.python_implementation()} {platform.python_version()}"


def keep_loopback_off_proxies():
    """The emulator and callback servers listen on loopback; an HTTP proxy configured in the
    environment must never see those requests (both SDKs use requests, which honours *_proxy)."""
    for name in ("NO_PROXY", "no_proxy"):
        entries = [entry for entry in os.environ.get(name, "").split(",") if entry.strip()]
        for host in ("127.0.0.1", "localhost", "::1"):
            if host not in entries:
                entries.append(host)
        os.environ[name] = ",".join(entries)


def serve(driver, sdk, sdk_version, perform):
    """Speak the protocol on stdin/stdout until stdin closes, then exit with status 0.

    `perform(request)` performs one upload and returns a result from the helpers above; whatever it
    raises becomes a `failed` result, so every request gets exactly one answer.
    """
    logging.basicConfig(stream=sys.stderr, level=logging.WARNING,
                        format=f"[{driver}] %(levelname)s %(name)s: %(message)s")
    keep_loopback_off_proxies()

    # stdout belongs to the protocol. Anything else that prints (an SDK, a stray debug print) goes
    # to stderr, where the runner keeps it for diagnosis.
    protocol_out = sys.stdout
    sys.stdout = sys.stderr

    def send(message):
        protocol_out.write(json.dumps(message, ensure_ascii=True, separators=(",", ":")) + "\n")
        protocol_out.flush()

    send({
        "type": "hello",
        "protocol": PROTOCOL_VERSION,
        "driver": driver,
        "sdk": sdk,
        "sdk_version": sdk_version,
        "runtime": runtime_name(),
    })

    for raw_line in sys.stdin.buffer:
        line = raw_line.decode("utf-8", "replace").strip()
        if not line:
            continue
        try:
            request = json.loads(line)
        except ValueError as exc:
            log.error("ignoring a line that is not JSON (%s): %.200s", exc, line)
            continue
        if not isinstance(request, dict) or request.get("type") != "upload":
            log.error("ignoring a message that is not an upload request: %.200s", line)
            continue
        result = handle(request, perform)
        send({"type": "result", "id": request.get("id"), **result})
    sys.exit(0)


def handle(request, perform):
    """One upload: the adapter's result, or `failed` when the adapter code itself broke."""
    refusal = check_known_values(request)
    if refusal is not None:
        return refusal
    try:
        result = perform(request)
    except Exception as exc:  # noqa: BLE001  (the runner must get an answer whatever happens)
        log.error("upload %s raised unexpectedly:\n%s", request.get("id"), traceback.format_exc())
        return failed_from(exc)
    if not isinstance(result, dict) or "outcome" not in result:
        return failed(f"adapter returned no result for upload {request.get('id')}: {result!r}")
    return result
