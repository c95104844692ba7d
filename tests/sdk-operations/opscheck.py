"""Shared helpers for the Python SDK operation tests: the check runner, the
environment, and digests computed here (never taken from the emulator)."""

import base64
import hashlib
import os
import sys
import time
import traceback
import uuid


class Skip(Exception):
    """The SDK has no API for this check."""


class Failed(Exception):
    pass


class Check:
    """Collects every mismatch of one check, so a check reports all it saw."""

    def __init__(self):
        self.problems = []

    def eq(self, what, expected, observed):
        if expected != observed:
            self.problems.append(f"{what}: expected {expected!r}, observed {observed!r}")

    def true(self, what, cond, observed=None):
        if not cond:
            self.problems.append(f"{what}: observed {observed!r}")

    def contains(self, what, needle, haystack):
        if haystack is None or needle not in haystack:
            self.problems.append(f"{what}: expected to contain {needle!r}, observed {haystack!r}")

    def fail(self, message):
        self.problems.append(message)

    def done(self):
        if self.problems:
            raise Failed("; ".join(self.problems))


class Runner:
    def __init__(self, sdk):
        self.sdk = sdk
        self.checks = []
        self.failed = 0
        self.passed = 0
        self.skipped = 0
        self.run_id = uuid.uuid4().hex[:8]

    def check(self, name):
        def register(fn):
            self.checks.append((name, fn))
            return fn
        return register

    def key(self, name):
        """A unique object key for one check."""
        return f"ops-{self.sdk}/{self.run_id}/{name}"

    def run(self):
        for name, fn in self.checks:
            c = Check()
            try:
                fn(c)
                c.done()
            except Skip as e:
                self.skipped += 1
                print(f"skip {name}: {e}", flush=True)
                continue
            except Failed as e:
                self.failed += 1
                print(f"FAIL {name}: {e}", flush=True)
                continue
            except Exception as e:  # an SDK exception the check did not expect
                self.failed += 1
                detail = describe(e)
                extra = "; ".join(c.problems)
                print(f"FAIL {name}: unexpected exception {detail[:600]}" + (f"; also: {extra}" if extra else ""),
                      flush=True)
                continue
            self.passed += 1
            print(f"ok   {name}", flush=True)
        print(f"{self.sdk}: {self.passed} passed, {self.failed} failed, {self.skipped} skipped", flush=True)
        sys.exit(1 if self.failed else 0)


def describe(e):
    """A one-line account of an exception; SDK service errors by status, code and message."""
    inner = e.unwrap() if hasattr(e, "unwrap") else None  # alibabacloud_oss_v2 OperationError
    if inner is not None and hasattr(inner, "status_code"):
        return (f"{type(e).__name__} -> ServiceError status {inner.status_code} code {inner.code}: "
                f"{inner.message} ({getattr(inner, 'request_target', '')})")
    if hasattr(e, "status") and hasattr(e, "details"):  # oss2 OssError
        return f"{type(e).__name__} status {e.status} code {getattr(e, 'code', '')}: {e.details or e.body}"
    return "".join(traceback.format_exception_only(type(e), e)).strip().replace("\n", " | ")


def env(name, default=None):
    value = os.environ.get(name, default)
    if value is None:
        print(f"{name} must be set", file=sys.stderr)
        sys.exit(2)
    return value


def md5_hex_upper(data):
    return hashlib.md5(data).hexdigest().upper()


def quoted_etag(data):
    """The ETag OSS gives a Normal object: the quoted upper-case hex MD5 of its bytes."""
    return '"' + md5_hex_upper(data) + '"'


def md5_b64(data):
    return base64.b64encode(hashlib.md5(data).digest()).decode()


def _crc64_table():
    poly = 0xC96C5795D7870F42  # ECMA-182, reflected
    table = []
    for i in range(256):
        crc = i
        for _ in range(8):
            crc = (crc >> 1) ^ poly if crc & 1 else crc >> 1
        table.append(crc)
    return table


_CRC64_TABLE = _crc64_table()


def crc64_ecma(data):
    """CRC-64/XZ (what OSS calls CRC64-ECMA): reflected ECMA-182, init and xorout all ones."""
    crc = 0xFFFFFFFFFFFFFFFF
    for b in data:
        crc = _CRC64_TABLE[(crc ^ b) & 0xFF] ^ (crc >> 8)
    return crc ^ 0xFFFFFFFFFFFFFFFF


# The published check value of CRC-64/XZ; if this fails the helper itself is wrong.
assert crc64_ecma(b"123456789") == 0x995DC9BBDF1939FA


def pattern_bytes(n, seed=0):
    """n deterministic, non-repeating-looking bytes."""
    out = bytearray()
    i = 0
    while len(out) < n:
        out += hashlib.sha256(f"{seed}:{i}".encode()).digest()
        i += 1
    return bytes(out[:n])


def wait_until(pred, timeout=10.0, step=0.25):
    deadline = time.time() + timeout
    while True:
        value = pred()
        if value or time.time() > deadline:
            return value
        time.sleep(step)
