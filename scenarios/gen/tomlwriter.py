"""Writes scenario dictionaries as the TOML that scenarios/README.md describes.

A hand-rolled writer rather than a library: the generator is stdlib-only, and
its output is committed, so the exact bytes (quote style, key order, blank
lines) must not depend on a third-party formatter's version. Strings are
single-quoted literals whenever TOML allows it, because scenario values are
full of backslashes and double quotes that would otherwise need escaping.
"""

import json
import re


def toml_str(s):
    if ("'" not in s and "\n" not in s and "\r" not in s
            and not any(ord(c) < 0x20 and c != "\t" or ord(c) == 0x7F for c in s)):
        return "'" + s + "'"
    out = ['"']
    for c in s:
        o = ord(c)
        if c == '"':
            out.append('\\"')
        elif c == "\\":
            out.append("\\\\")
        elif c == "\n":
            out.append("\\n")
        elif c == "\t":
            out.append("\\t")
        elif c == "\r":
            out.append("\\r")
        elif o < 0x20 or o == 0x7F:
            out.append("\\u%04X" % o)
        else:
            out.append(c)
    out.append('"')
    return "".join(out)


def toml_key(k):
    if re.fullmatch(r"[A-Za-z0-9_-]+", k):
        return k
    return toml_str(k) if "'" not in k else json.dumps(k)


def toml_val(v):
    # bool before int: bool is a subclass of int.
    if isinstance(v, bool):
        return "true" if v else "false"
    if isinstance(v, int):
        return str(v)
    if isinstance(v, str):
        return toml_str(v)
    if isinstance(v, (list, tuple)):
        return "[" + ", ".join(toml_val(x) for x in v) + "]"
    if isinstance(v, dict):
        return "{ " + ", ".join("%s = %s" % (toml_key(k), toml_val(x)) for k, x in v.items()) + " }"
    raise TypeError(v)


def emit_table(lines, header, d):
    lines.append(header)
    for k, v in d.items():
        if v is None:
            continue
        lines.append("%s = %s" % (toml_key(k), toml_val(v)))


def scenario_text(s):
    """One [[scenario]] block, preceded by a blank line.

    Sub-tables come out in a fixed order whatever order the builder filled
    them in, so that every generated file reads the same way."""
    lines = ["", "[[scenario]]"]
    for k in ("id", "title", "requirements", "tags", "needs"):
        if s.get(k) is not None:
            lines.append("%s = %s" % (k, toml_val(s[k])))
    lines.append("")
    emit_table(lines, "[scenario.upload]", s["upload"])
    if s.get("callback") is not None:
        lines.append("")
        emit_table(lines, "[scenario.callback]", s["callback"])
    if s.get("vars") is not None:
        lines.append("")
        emit_table(lines, "[scenario.vars]", s["vars"])
    policy = s.get("callback_policy")
    if policy is not None:
        lines.append("")
        emit_table(lines, "[scenario.callback_policy]", {"name": policy["name"]})
        lines.append("")
        emit_table(lines, "[scenario.callback_policy.callback]", policy["callback"])
        if policy.get("vars") is not None:
            lines.append("")
            emit_table(lines, "[scenario.callback_policy.vars]", policy["vars"])
    cors = s.get("bucket_cors")
    if cors is not None:
        lines.append("")
        emit_table(lines, "[scenario.bucket_cors]", {"xml": cors["xml"]})
        if cors.get("preflight") is not None:
            lines.append("")
            emit_table(lines, "[scenario.bucket_cors.preflight]", cors["preflight"])
    for a in s.get("answer", []):
        lines.append("")
        emit_table(lines, "[[scenario.answer]]", a)
    e = dict(s["expect"])
    cbs = e.pop("callback", [])
    obj = e.pop("object", None)
    lines.append("")
    emit_table(lines, "[scenario.expect]", e)
    for cb in cbs:
        lines.append("")
        emit_table(lines, "[[scenario.expect.callback]]", cb)
    if obj is not None:
        lines.append("")
        emit_table(lines, "[scenario.expect.object]", obj)
    return "\n".join(lines) + "\n"
