"""Independently computed expected values: digests, encodings, template expansion.

The suite's expected values are literals in the TOML files, so they must come
from somewhere other than cbspec, or a bug in cbspec would be copied into the
very files meant to catch it. Everything here uses the Python standard library
only, and checks itself against published check values when imported:

- ETag: upper-case hex MD5; multipart: MD5 of the concatenated binary part
  MD5s, upper-case hex, then "-<parts>".
- Content-MD5: Base64 of the MD5.
- CRC-64/XZ (OSS crc64ecma), bit by bit: reflected polynomial
  0xC96C5795D7870F42, init and xorout all ones, printed as unsigned decimal.
- Form mode: urllib.parse.quote(value, safe="-._~") (space -> %20).
- JSON mode: json.dumps(value, ensure_ascii=False) (same escaping as
  serde_json: "/" not escaped, non-ASCII raw, controls as \\u00XX).
- imageInfo: height, width and format read from the fixture's own header.
"""

import base64
import hashlib
import json
import os
import urllib.parse

SCENARIOS_DIR = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
FIXTURES = os.path.join(SCENARIOS_DIR, "fixtures")

# The part size the runner uses for multipart uploads: 102400 bytes of padding
# make a full first part, so a short tail gives exactly two parts.
PART_SIZE = 102400

# ---------------------------------------------------------------- digests

CRC_POLY = 0xC96C5795D7870F42
MASK64 = 0xFFFFFFFFFFFFFFFF


def crc64_update(state, data):
    """Bit-by-bit CRC-64/XZ register update (state is the raw register).

    Deliberately the slow textbook form: a table-driven CRC would be one more
    thing that could share a bug with cbspec's implementation."""
    for byte in data:
        state ^= byte
        for _ in range(8):
            if state & 1:
                state = (state >> 1) ^ CRC_POLY
            else:
                state >>= 1
    return state


def crc64(data, prefix_state=None):
    state = MASK64 if prefix_state is None else prefix_state
    return crc64_update(state, data) ^ MASK64


assert crc64(b"123456789") == 0x995DC9BBDF1939FA
assert crc64(b"") == 0

# Every multipart scenario starts with the same 100 KiB of padding; the
# bit-by-bit CRC over it is the generator's only slow step, so do it once.
_PAD_STATE = {}


def crc64_padded(pad, pad_byte, rest):
    key = (pad, pad_byte)
    if key not in _PAD_STATE:
        _PAD_STATE[key] = crc64_update(MASK64, pad_byte * pad)
    return crc64_update(_PAD_STATE[key], rest) ^ MASK64


def md5_hex(data):
    return hashlib.md5(data).hexdigest().upper()


def md5_b64(data):
    return base64.b64encode(hashlib.md5(data).digest()).decode()


def mpu_etag(data, part_size):
    parts = [data[i:i + part_size] for i in range(0, len(data), part_size)]
    joined = b"".join(hashlib.md5(p).digest() for p in parts)
    return "%s-%d" % (hashlib.md5(joined).hexdigest().upper(), len(parts))


assert mpu_etag(b"123456789", 5) == "324730582F20C3F18CBB66D63A6137D2-2"
assert md5_b64(b"123456789") == "JfnnlDI7RTiF9RgfG2JNCw=="


def b64(text):
    if isinstance(text, str):
        text = text.encode()
    return base64.b64encode(text).decode()


def form_enc(value):
    return urllib.parse.quote(value, safe="-._~")


def json_enc(value):
    return json.dumps(value, ensure_ascii=False)


# ---------------------------------------------------------------- objects


class Content:
    """The bytes of an upload and their digests."""

    def __init__(self, text="", pad=0, pad_byte="a", file=None, multipart=False, part_size=PART_SIZE):
        self.text, self.pad, self.pad_byte, self.file = text, pad, pad_byte, file
        if file:
            with open(os.path.join(SCENARIOS_DIR, file), "rb") as f:
                self.data = f.read()
        else:
            self.data = pad_byte.encode() * pad + text.encode()
        self.multipart = multipart
        self.part_size = part_size
        self.size = len(self.data)
        if pad and not file:
            self.crc = crc64_padded(pad, pad_byte.encode(), text.encode())
        else:
            self.crc = crc64(self.data)
        self.etag = mpu_etag(self.data, part_size) if multipart else md5_hex(self.data)
        # CompleteMultipartUpload has no body digest of its own: ${contentMd5} is empty.
        self.md5 = "" if multipart else md5_b64(self.data)

    def upload_fields(self):
        """The [scenario.upload] keys that make the runner send these bytes."""
        out = {}
        if self.file:
            out["content_file"] = self.file
        else:
            out["content"] = self.text
            if self.pad:
                out["pad"] = self.pad
                if self.pad_byte != "a":
                    out["pad_byte"] = self.pad_byte
        if self.multipart:
            out["part_size"] = self.part_size
        return out


def multipart_content(text):
    """Two parts: a full padding part, then the text."""
    return Content(text, pad=PART_SIZE, multipart=True)


def image_info(data):
    """(height, width, format) read from the header, or None."""
    if data[:8] == b"\x89PNG\r\n\x1a\n":
        w = int.from_bytes(data[16:20], "big")
        h = int.from_bytes(data[20:24], "big")
        return h, w, "png"
    if data[:6] in (b"GIF87a", b"GIF89a"):
        return int.from_bytes(data[8:10], "little"), int.from_bytes(data[6:8], "little"), "gif"
    if data[:2] == b"BM":
        w = int.from_bytes(data[18:22], "little", signed=True)
        h = int.from_bytes(data[22:26], "little", signed=True)
        return abs(h), w, "bmp"
    if data[:4] == b"RIFF" and data[8:12] == b"WEBP":
        chunk = data[12:16]
        if chunk == b"VP8 ":
            w = int.from_bytes(data[26:28], "little") & 0x3FFF
            h = int.from_bytes(data[28:30], "little") & 0x3FFF
            return h, w, "webp"
        if chunk == b"VP8L":
            bits = int.from_bytes(data[21:25], "little")
            return ((bits >> 14) & 0x3FFF) + 1, (bits & 0x3FFF) + 1, "webp"
        if chunk == b"VP8X":
            w = int.from_bytes(data[24:27], "little") + 1
            h = int.from_bytes(data[27:30], "little") + 1
            return h, w, "webp"
    if data[:2] == b"\xff\xd8":
        i = 2
        while i < len(data):
            while data[i] != 0xFF:
                i += 1
            marker = data[i + 1]
            if marker in (0xC0, 0xC1, 0xC2, 0xC3, 0xC5, 0xC6, 0xC7, 0xC9, 0xCA, 0xCB, 0xCD, 0xCE, 0xCF):
                h = int.from_bytes(data[i + 5:i + 7], "big")
                w = int.from_bytes(data[i + 7:i + 9], "big")
                return h, w, "jpg"
            length = int.from_bytes(data[i + 2:i + 4], "big")
            i += 2 + length
    return None


# Fixture sizes are in their names; check the header reader against them.
for _name, _dims in [("red-5x3.png", (3, 5)), ("red-5x3.jpg", (3, 5)), ("red-5x3.gif", (3, 5)),
                     ("blue-4x7.bmp", (7, 4)), ("green-6x2.webp", (2, 6))]:
    with open(os.path.join(FIXTURES, _name), "rb") as _f:
        assert image_info(_f.read())[:2] == _dims, _name

# ---------------------------------------------------------------- template expansion

NUMERIC = {"size", "imageInfo.height", "imageInfo.width", "crc64"}
OP_NAME = {"put": "PutObject", "presign-v1": "PutObject", "presign-v4": "PutObject",
           "post": "PostObject", "multipart": "CompleteMultipartUpload"}

# Values only known at run time travel through expansion as sentinels, so that
# encoding leaves them intact and detok() can turn them into the suite's tokens.
TOKEN_CLIENT_IP = "\x00CLIENT_IP\x00"
TOKEN_REQUEST_ID = "\x00REQUEST_ID\x00"
TOKEN_BUCKET = "\x00BUCKET\x00"


def system_values(op, key, content, mime):
    info = image_info(content.data)
    if info is None:
        h = w = f = ""
    else:
        h, w, f = str(info[0]), str(info[1]), info[2]
    return {
        "bucket": TOKEN_BUCKET,
        "object": key,
        "etag": content.etag,
        "size": str(content.size),
        "mimeType": mime,
        "imageInfo.height": h,
        "imageInfo.width": w,
        "imageInfo.format": f,
        "crc64": str(content.crc),
        "contentMd5": content.md5,
        "vpcId": "",
        "clientIp": TOKEN_CLIENT_IP,
        "reqId": TOKEN_REQUEST_ID,
        "operation": OP_NAME[op],
    }


def expand(template, json_mode, sysvals, cvars):
    """Expands a valid template the way the spec says (single pass)."""
    out = []
    i = 0
    while i < len(template):
        c = template[i]
        if c != "$":
            out.append(c)
            i += 1
            continue
        assert template[i + 1] == "{", template
        end = template.index("}", i + 2)
        name = template[i + 2:end]
        i = end + 1
        if name.startswith("x:"):
            value = cvars.get(name)
            explicit = value is not None
            value = value or ""
            numeric = False
        else:
            value = sysvals.get(name, "")
            explicit = False
            numeric = name in NUMERIC
        if json_mode:
            if value == "" and not explicit:
                out.append("null")
            elif numeric:
                out.append(value)
            else:
                out.append(token_json(value))
        else:
            out.append(token_form(value))
    return "".join(out)


def token_form(value):
    for tok in (TOKEN_BUCKET, TOKEN_CLIENT_IP, TOKEN_REQUEST_ID):
        if value == tok:
            return tok
    return form_enc(value)


def token_json(value):
    for tok in (TOKEN_BUCKET, TOKEN_CLIENT_IP, TOKEN_REQUEST_ID):
        if value == tok:
            return '"' + tok + '"'
    return json_enc(value)


def detok(text):
    return (text.replace(TOKEN_BUCKET, "{bucket}").replace(TOKEN_CLIENT_IP, "{client_ip}")
            .replace(TOKEN_REQUEST_ID, "{request_id}"))


def has_tokens(text):
    return any(t in text for t in (TOKEN_BUCKET, TOKEN_CLIENT_IP, TOKEN_REQUEST_ID))
