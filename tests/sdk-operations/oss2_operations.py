"""OSS operations through oss2 (2.19.1) against the cbspec emulator.

Environment: CBSPEC_ENDPOINT, OSS_ACCESS_KEY_ID, OSS_ACCESS_KEY_SECRET, CBSPEC_BUCKET,
CBSPEC_BUCKET2, CBSPEC_STS_AK, CBSPEC_STS_SECRET, CBSPEC_STS_TOKEN.

Every expected value is written from the OSS API reference (or computed here from
the bytes this program sent), never read back from the emulator. oss2 addresses an
IP endpoint path-style by itself (oss2/api.py _determine_endpoint_type ->
utils.is_ip_or_localhost)."""

import base64
import datetime
import json
import os
import sys
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

import oss2  # noqa: E402
from oss2 import exceptions as oe  # noqa: E402
from oss2.models import (  # noqa: E402
    BucketCors, CallbackPolicyInfo, CorsRule, PartInfo, Tagging, TaggingRule)

from opscheck import (  # noqa: E402
    Runner, Skip, crc64_ecma, env, md5_b64, md5_hex_upper, pattern_bytes, wait_until)

ENDPOINT = env("CBSPEC_ENDPOINT")
AK = env("OSS_ACCESS_KEY_ID")
SK = env("OSS_ACCESS_KEY_SECRET")
BUCKET = env("CBSPEC_BUCKET")
BUCKET2 = env("CBSPEC_BUCKET2")
STS_AK = env("CBSPEC_STS_AK")
STS_SECRET = env("CBSPEC_STS_SECRET")
STS_TOKEN = env("CBSPEC_STS_TOKEN")
REGION = "cn-hangzhou"

AUTH_V1 = oss2.Auth(AK, SK)
AUTH_V4 = oss2.AuthV4(AK, SK)


def bucket(name=BUCKET, auth=AUTH_V1):
    return oss2.Bucket(auth, ENDPOINT, name, region=REGION, connect_timeout=30)


b1 = bucket()
b2 = bucket(BUCKET2)
r = Runner("oss2")
K = r.key


def expect_error(c, what, fn, status, code=None, klass=None):
    """Runs fn, which must raise an oss2 ServerError with this status (and code/class)."""
    try:
        fn()
    except oe.ServerError as e:
        c.eq(f"{what} status", status, e.status)
        if code is not None:
            c.eq(f"{what} code", code, e.code)
        if klass is not None:
            c.true(f"{what} exception class {klass.__name__}", isinstance(e, klass), type(e).__name__)
        return e
    c.fail(f"{what}: expected an error with status {status}" + (f" code {code}" if code else "")
           + ", observed success")
    return None


STD_HEADERS = {
    "Content-Type": "text/plain",
    "Content-Disposition": 'attachment; filename="report.txt"',
    "Content-Encoding": "identity",
    "Content-Language": "zh-CN",
    "Cache-Control": "no-cache",
    "Expires": "Wed, 21 Oct 2026 07:28:00 GMT",
    "x-oss-meta-author": "cbspec",
    "x-oss-meta-purpose": "sdk-operations",
    "x-oss-storage-class": "IA",
    "x-oss-server-side-encryption": "AES256",
}


def check_std_headers(c, what, headers, body):
    for name, value in STD_HEADERS.items():
        c.eq(f"{what} {name}", value, headers.get(name))
    c.eq(f"{what} Content-Length", str(len(body)), headers.get("Content-Length"))
    c.eq(f"{what} ETag", '"' + md5_hex_upper(body) + '"', headers.get("ETag"))
    c.eq(f"{what} x-oss-hash-crc64ecma", str(crc64_ecma(body)), headers.get("x-oss-hash-crc64ecma"))
    c.eq(f"{what} Content-MD5", md5_b64(body), headers.get("Content-MD5"))
    c.eq(f"{what} x-oss-object-type", "Normal", headers.get("x-oss-object-type"))


# PutObject + GetObject + HeadObject with the standard headers
@r.check("put_get_head_standard_headers")
def _(c):
    key = K("std-headers.txt")
    body = b"standard headers body\n"
    res = b1.put_object(key, body, headers=dict(STD_HEADERS))
    c.eq("PutObject status", 200, res.status)
    c.eq("PutObject etag (oss2 strips quotes)", md5_hex_upper(body), res.etag)
    c.eq("PutObject crc", crc64_ecma(body), res.crc)
    got = b1.get_object(key)
    data = got.read()
    c.eq("GetObject body", body, data)
    check_std_headers(c, "GetObject", got.headers, body)
    head = b1.head_object(key)
    check_std_headers(c, "HeadObject", head.headers, body)
    c.eq("HeadObject content_length", len(body), head.content_length)
    c.eq("HeadObject object_type", "Normal", head.object_type)


# HeadObject ?objectMeta (GetObjectMeta) via object_exists: True and False
@r.check("object_exists_true_false")
def _(c):
    key = K("exists.txt")
    b1.put_object(key, b"x")
    c.eq("object_exists(existing)", True, b1.object_exists(key))
    c.eq("object_exists(missing)", False, b1.object_exists(K("never-written")))


# GetObjectMeta: content_length, etag, last_modified
@r.check("get_object_meta")
def _(c):
    key = K("meta.bin")
    body = pattern_bytes(1234, 1)
    before = int(time.time()) - 2
    b1.put_object(key, body)
    after = int(time.time()) + 2
    meta = b1.get_object_meta(key)
    c.eq("content_length", 1234, meta.content_length)
    c.eq("etag", md5_hex_upper(body), meta.etag)
    c.true("last_modified within the PUT's second", meta.last_modified is not None
           and before <= meta.last_modified <= after, meta.last_modified)
    c.eq("x-oss-hash-crc64ecma", str(crc64_ecma(body)), meta.headers.get("x-oss-hash-crc64ecma"))


# HeadObject of a missing key: NoSuchKey from the x-oss-err header (oss2/exceptions.py make_exception)
@r.check("head_missing_key_nosuchkey")
def _(c):
    e = expect_error(c, "HeadObject missing", lambda: b1.head_object(K("missing")), 404, "NoSuchKey", oe.NoSuchKey)
    if e is not None:
        c.true("x-oss-err header present on HEAD error", e.headers.get("x-oss-err") is not None, dict(e.headers))
        c.true("x-oss-ec header present", bool(e.headers.get("x-oss-ec")), dict(e.headers))
    # GET of a missing key: the XML error body
    expect_error(c, "GetObject missing", lambda: b1.get_object(K("missing")), 404, "NoSuchKey", oe.NoSuchKey)


def copy_checks(c, bkt_from, bkt_to, src_name, label):
    src = K(f"{label}-src.txt")
    dst = K(f"{label}-dst.txt")
    body = f"copy source for {label}".encode()
    bkt_from.put_object(src, body, headers={"x-oss-meta-origin": "source", "Content-Type": "text/plain"})
    res = bkt_to.copy_object(src_name, src, dst)
    c.eq("CopyObject status", 200, res.status)
    c.eq("CopyObject etag (same as source's MD5)", md5_hex_upper(body), res.etag)
    got = bkt_to.get_object(dst)
    c.eq("copied body", body, got.read())
    c.eq("copied x-oss-meta-origin (COPY directive keeps metadata)", "source", got.headers.get("x-oss-meta-origin"))
    c.eq("copied Content-Type", "text/plain", got.headers.get("Content-Type"))


# CopyObject within one bucket
@r.check("copy_object_same_bucket")
def _(c):
    copy_checks(c, b1, b1, BUCKET, "copy-same")


# CopyObject from BUCKET to BUCKET2
@r.check("copy_object_cross_bucket")
def _(c):
    copy_checks(c, b1, b2, BUCKET, "copy-cross")


# CopyObject onto itself with x-oss-metadata-directive: REPLACE (update_object_meta)
@r.check("update_object_meta_replace")
def _(c):
    key = K("update-meta.txt")
    body = b"metadata to be replaced"
    b1.put_object(key, body, headers={"x-oss-meta-old": "1", "Content-Type": "text/plain"})
    res = b1.update_object_meta(key, {"x-oss-meta-new": "2", "Content-Type": "application/json",
                                      "Cache-Control": "max-age=60"})
    c.eq("CopyObject(REPLACE) status", 200, res.status)
    head = b1.head_object(key)
    c.eq("x-oss-meta-new", "2", head.headers.get("x-oss-meta-new"))
    c.eq("x-oss-meta-old removed by REPLACE", None, head.headers.get("x-oss-meta-old"))
    c.eq("Content-Type", "application/json", head.headers.get("Content-Type"))
    c.eq("Cache-Control", "max-age=60", head.headers.get("Cache-Control"))
    c.eq("body unchanged", body, b1.get_object(key).read())


def append_checks(c, bkt, label):
    key = K(f"{label}.log")
    p1, p2 = b"first line\n", b"second line, longer\n"
    r1 = bkt.append_object(key, 0, p1, init_crc=0)
    c.eq("AppendObject(0) next_position", len(p1), r1.next_position)
    c.eq("AppendObject(0) crc", crc64_ecma(p1), r1.crc)
    # init_crc makes oss2 check the combined CRC of the whole object itself (api.py append_object)
    r2 = bkt.append_object(key, len(p1), p2, init_crc=crc64_ecma(p1))
    c.eq("AppendObject(len1) next_position", len(p1) + len(p2), r2.next_position)
    c.eq("AppendObject whole-object crc", crc64_ecma(p1 + p2), r2.crc)
    got = bkt.get_object(key)
    c.eq("appended body", p1 + p2, got.read())
    c.eq("x-oss-object-type", "Appendable", got.headers.get("x-oss-object-type"))
    c.eq("x-oss-next-append-position on GET", str(len(p1) + len(p2)), got.headers.get("x-oss-next-append-position"))
    c.eq("x-oss-hash-crc64ecma on GET", str(crc64_ecma(p1 + p2)), got.headers.get("x-oss-hash-crc64ecma"))


# AppendObject at position 0 then at the next position; CRC64 of the whole object
@r.check("append_object_positions_and_crc")
def _(c):
    append_checks(c, b1, "append")


# AppendObject with a wrong position: 409 PositionNotEqualToLength (+ x-oss-next-append-position)
@r.check("append_object_wrong_position")
def _(c):
    key = K("append-wrong.log")
    b1.append_object(key, 0, b"12345")
    e = expect_error(c, "AppendObject(position 3)", lambda: b1.append_object(key, 3, b"zz"), 409,
                     "PositionNotEqualToLength", oe.PositionNotEqualToLength)
    if e is not None:
        c.eq("x-oss-next-append-position on the 409", "5", e.headers.get("x-oss-next-append-position"))


# AppendObject to a Normal object: 409 ObjectNotAppendable
@r.check("append_object_not_appendable")
def _(c):
    key = K("normal-not-appendable.txt")
    b1.put_object(key, b"normal")
    expect_error(c, "AppendObject on Normal object", lambda: b1.append_object(key, 6, b"more"), 409,
                 "ObjectNotAppendable", oe.ObjectNotAppendable)


# DeleteMultipleObjects (Quiet false, encoding-type=url) with keys needing encoding
@r.check("batch_delete_objects_encoded_keys")
def _(c):
    keys = [K("batch/a b.txt"), K("batch/中文 名.txt"), K("batch/plus+amp&.txt"), K("batch/plain")]
    for k in keys:
        b1.put_object(k, b"delete me")
    missing = K("batch/never-existed")
    res = b1.batch_delete_objects(keys + [missing])
    c.eq("DeleteMultipleObjects status", 200, res.status)
    # OSS lists every requested key as Deleted, existing or not
    c.eq("deleted keys", sorted(keys + [missing]), sorted(res.deleted_keys))
    for k in keys:
        c.eq(f"object_exists({k!r}) after delete", False, b1.object_exists(k))


# PutObjectACL / GetObjectACL
@r.check("object_acl")
def _(c):
    key = K("acl.txt")
    b1.put_object(key, b"acl")
    c.eq("default object ACL", "default", b1.get_object_acl(key).acl)
    c.eq("PutObjectACL status", 200, b1.put_object_acl(key, oss2.OBJECT_ACL_PUBLIC_READ).status)
    c.eq("GetObjectACL", "public-read", b1.get_object_acl(key).acl)
    b1.put_object_acl(key, oss2.OBJECT_ACL_PRIVATE)
    c.eq("GetObjectACL after private", "private", b1.get_object_acl(key).acl)


# PutBucketACL / GetBucketACL
@r.check("bucket_acl")
def _(c):
    try:
        c.eq("PutBucketACL status", 200, b1.put_bucket_acl(oss2.BUCKET_ACL_PUBLIC_READ).status)
        c.eq("GetBucketACL", "public-read", b1.get_bucket_acl().acl)
    finally:
        b1.put_bucket_acl(oss2.BUCKET_ACL_PRIVATE)
    c.eq("GetBucketACL after private", "private", b1.get_bucket_acl().acl)


# PutObjectTagging / GetObjectTagging / DeleteObjectTagging
@r.check("object_tagging")
def _(c):
    key = K("tagging.txt")
    b1.put_object(key, b"tags")
    rule = TaggingRule()
    rule.add("project", "cbspec")
    rule.add("stage", "test 1")
    c.eq("PutObjectTagging status", 200, b1.put_object_tagging(key, Tagging(rule)).status)
    c.eq("GetObjectTagging", {"project": "cbspec", "stage": "test 1"},
         b1.get_object_tagging(key).tag_set.tagging_rule)
    c.eq("x-oss-tagging-count after PutObjectTagging", "2", b1.head_object(key).headers.get("x-oss-tagging-count"))
    c.eq("DeleteObjectTagging status", 204, b1.delete_object_tagging(key).status)
    c.eq("GetObjectTagging after delete", {}, b1.get_object_tagging(key).tag_set.tagging_rule)


# PutObject with x-oss-tagging, then HeadObject x-oss-tagging-count
@r.check("put_object_x_oss_tagging_header")
def _(c):
    key = K("tag-header.txt")
    b1.put_object(key, b"tagged at put", headers={"x-oss-tagging": "a=1&b=2"})
    c.eq("x-oss-tagging-count", "2", b1.head_object(key).headers.get("x-oss-tagging-count"))
    c.eq("GetObjectTagging", {"a": "1", "b": "2"}, b1.get_object_tagging(key).tag_set.tagging_rule)


# PutSymlink / GetSymlink, GET and HEAD through the symlink
@r.check("symlink")
def _(c):
    target = K("symlink-target.txt")
    link = K("symlink-link")
    body = b"the target's bytes"
    b1.put_object(target, body)
    c.eq("PutSymlink status", 200, b1.put_symlink(target, link).status)
    c.eq("GetSymlink target_key", target, b1.get_symlink(link).target_key)
    c.eq("GET through symlink", body, b1.get_object(link).read())
    c.eq("HEAD symlink x-oss-object-type", "Symlink", b1.head_object(link).headers.get("x-oss-object-type"))


# Archive object: GetObject 403 InvalidObjectState, RestoreObject 202, 409 while in progress, then readable
@r.check("archive_restore")
def _(c):
    key = K("archive.bin")
    body = b"cold data"
    b1.put_object(key, body, headers={"x-oss-storage-class": "Archive"})
    c.eq("HEAD x-oss-storage-class", "Archive", b1.head_object(key).headers.get("x-oss-storage-class"))
    expect_error(c, "GetObject of frozen Archive", lambda: b1.get_object(key), 403, "InvalidObjectState")
    res = b1.restore_object(key)
    c.eq("RestoreObject status", 202, res.status)
    c.eq("x-oss-restore right after restore", 'ongoing-request="true"',
         b1.head_object(key).headers.get("x-oss-restore"))
    expect_error(c, "second RestoreObject while in progress", lambda: b1.restore_object(key), 409,
                 "RestoreAlreadyInProgress", oe.RestoreAlreadyInProgress)
    time.sleep(1.5)
    restored = wait_until(lambda: 'ongoing-request="false"' in (b1.head_object(key).headers.get("x-oss-restore") or ""),
                          timeout=5)
    header = b1.head_object(key).headers.get("x-oss-restore")
    c.true('x-oss-restore has ongoing-request="false"', restored, header)
    c.contains("x-oss-restore expiry-date", "expiry-date=", header)
    c.eq("GetObject after restore", body, b1.get_object(key).read())
    # RestoreObject on a Standard object: 400 OperationNotSupported
    std = K("archive-standard.txt")
    b1.put_object(std, b"standard")
    expect_error(c, "RestoreObject on Standard", lambda: b1.restore_object(std), 400, "OperationNotSupported")


# ListMultipartUploads with prefix and max-uploads pagination
@r.check("list_multipart_uploads")
def _(c):
    prefix = K("mpu-list/")
    ka, kb = prefix + "a", prefix + "b"
    ua = b1.init_multipart_upload(ka).upload_id
    ub = b1.init_multipart_upload(kb).upload_id
    try:
        res = b1.list_multipart_uploads(prefix=prefix)
        c.eq("uploads under prefix", [(ka, ua), (kb, ub)], [(u.key, u.upload_id) for u in res.upload_list])
        c.eq("is_truncated", False, res.is_truncated)
        p1 = b1.list_multipart_uploads(prefix=prefix, max_uploads=1)
        c.eq("page 1 uploads", [(ka, ua)], [(u.key, u.upload_id) for u in p1.upload_list])
        c.eq("page 1 is_truncated", True, p1.is_truncated)
        c.eq("page 1 next_key_marker", ka, p1.next_key_marker)
        c.eq("page 1 next_upload_id_marker", ua, p1.next_upload_id_marker)
        p2 = b1.list_multipart_uploads(prefix=prefix, max_uploads=1, key_marker=p1.next_key_marker,
                                       upload_id_marker=p1.next_upload_id_marker)
        c.eq("page 2 uploads", [(kb, ub)], [(u.key, u.upload_id) for u in p2.upload_list])
        c.eq("page 2 is_truncated", False, p2.is_truncated)
    finally:
        b1.abort_multipart_upload(ka, ua)
        b1.abort_multipart_upload(kb, ub)
    c.eq("uploads after abort", [], b1.list_multipart_uploads(prefix=prefix).upload_list)


# GetBucketInfo
@r.check("get_bucket_info")
def _(c):
    info = b1.get_bucket_info()
    c.eq("name", BUCKET, info.name)
    c.eq("location", "oss-cn-hangzhou", info.location)
    c.eq("storage_class", "Standard", info.storage_class)
    c.true("owner id non-empty", bool(info.owner and info.owner.id), info.owner and info.owner.id)
    c.true("creation_date non-empty", bool(info.creation_date), info.creation_date)
    c.eq("acl grant", "private", info.acl.grant if info.acl else None)


# GetBucketLocation
@r.check("get_bucket_location")
def _(c):
    c.eq("location", "oss-cn-hangzhou", b1.get_bucket_location().location)


def empty_bucket(bkt):
    for upload in oss2.MultipartUploadIterator(bkt):
        bkt.abort_multipart_upload(upload.key, upload.upload_id)
    keys = [o.key for o in oss2.ObjectIterator(bkt)]
    for i in range(0, len(keys), 1000):
        bkt.batch_delete_objects(keys[i:i + 1000])


# GetBucketStat on a bucket this check empties first
@r.check("get_bucket_stat")
def _(c):
    empty_bucket(b2)
    sizes = [5, 10, 20]
    for i, n in enumerate(sizes):
        b2.put_object(K(f"stat/{i}"), pattern_bytes(n, 10 + i))
    b2.init_multipart_upload(K("stat/mpu"))
    stat = b2.get_bucket_stat()
    c.eq("object_count", 3, stat.object_count)
    c.eq("storage_size_in_bytes", 35, stat.storage_size_in_bytes)
    c.eq("multi_part_upload_count", 1, stat.multi_part_upload_count)
    c.eq("standard_object_count", 3, stat.standard_object_count)
    c.eq("standard_storage", 35, stat.standard_storage)
    empty_bucket(b2)


# ListBuckets (GetService) with prefix and max-keys
@r.check("list_buckets_prefix_max_keys")
def _(c):
    service = oss2.Service(AUTH_V1, ENDPOINT, region=REGION)
    prefix = os.path.commonprefix([BUCKET, BUCKET2])
    names = sorted([BUCKET, BUCKET2])
    res = service.list_buckets(prefix=prefix)
    c.eq("buckets with prefix", names, [b.name for b in res.buckets])
    c.eq("locations", ["oss-cn-hangzhou"] * 2, [b.location for b in res.buckets])
    p1 = service.list_buckets(prefix=prefix, max_keys=1)
    c.eq("page 1", names[:1], [b.name for b in p1.buckets])
    c.eq("page 1 is_truncated", True, p1.is_truncated)
    c.eq("page 1 next_marker", names[0], p1.next_marker)
    p2 = service.list_buckets(prefix=prefix, max_keys=1, marker=p1.next_marker)
    c.eq("page 2", names[1:], [b.name for b in p2.buckets])
    c.eq("page 2 is_truncated", False, p2.is_truncated)
    c.eq("no bucket with an unused prefix", [], service.list_buckets(prefix="zz-no-such-prefix").buckets)


# PutBucketCors / GetBucketCors / DeleteBucketCors
@r.check("bucket_cors")
def _(c):
    rule = CorsRule(allowed_origins=["https://example.com"], allowed_methods=["GET", "PUT"],
                    allowed_headers=["Authorization"], expose_headers=["x-oss-request-id", "ETag"],
                    max_age_seconds=100)
    c.eq("PutBucketCors status", 200, b1.put_bucket_cors(BucketCors([rule])).status)
    got = b1.get_bucket_cors()
    c.eq("rule count", 1, len(got.rules))
    if got.rules:
        g = got.rules[0]
        c.eq("AllowedOrigin", ["https://example.com"], g.allowed_origins)
        c.eq("AllowedMethod", ["GET", "PUT"], g.allowed_methods)
        c.eq("AllowedHeader", ["Authorization"], g.allowed_headers)
        c.eq("ExposeHeader", ["x-oss-request-id", "ETag"], g.expose_headers)
        c.eq("MaxAgeSeconds", 100, g.max_age_seconds)
    c.eq("DeleteBucketCors status", 204, b1.delete_bucket_cors().status)
    expect_error(c, "GetBucketCors after delete", b1.get_bucket_cors, 404, "NoSuchCORSConfiguration", oe.NoSuchCors)


# InitiateMultipartUpload / UploadPart (ETag, CRC64) / CompleteMultipartUpload
@r.check("multipart_upload_part_etag_crc")
def _(c):
    key = K("multipart.bin")
    part1 = pattern_bytes(100 * 1024, 20)
    part2 = pattern_bytes(777, 21)
    upload_id = b1.init_multipart_upload(key).upload_id
    r1 = b1.upload_part(key, upload_id, 1, part1)
    r2 = b1.upload_part(key, upload_id, 2, part2)
    c.eq("UploadPart 1 ETag header", '"' + md5_hex_upper(part1) + '"', r1.headers.get("ETag"))
    c.eq("UploadPart 2 ETag header", '"' + md5_hex_upper(part2) + '"', r2.headers.get("ETag"))
    c.eq("UploadPart 1 x-oss-hash-crc64ecma", str(crc64_ecma(part1)), r1.headers.get("x-oss-hash-crc64ecma"))
    c.eq("UploadPart 2 x-oss-hash-crc64ecma", str(crc64_ecma(part2)), r2.headers.get("x-oss-hash-crc64ecma"))
    done = b1.complete_multipart_upload(key, upload_id, [PartInfo(1, r1.etag), PartInfo(2, r2.etag)])
    c.eq("CompleteMultipartUpload status", 200, done.status)
    c.eq("CompleteMultipartUpload crc", crc64_ecma(part1 + part2), done.crc)
    got = b1.get_object(key)
    c.eq("body", part1 + part2, got.read())
    c.eq("x-oss-object-type", "Multipart", got.headers.get("x-oss-object-type"))
    etag = got.headers.get("ETag") or ""
    c.true('multipart ETag looks like "<32 upper hex>-2"', len(etag) == 36 and etag.startswith('"') and etag.endswith('-2"')
           and all(ch in "0123456789ABCDEF" for ch in etag[1:33]), etag)


# UploadPartCopy with byte ranges
@r.check("upload_part_copy_range")
def _(c):
    src = K("part-copy-src.bin")
    dst = K("part-copy-dst.bin")
    data = pattern_bytes(200 * 1024, 30)
    b1.put_object(src, data)
    upload_id = b1.init_multipart_upload(dst).upload_id
    # byte_range is inclusive at both ends: (0, 102399) is the first 100 KiB
    p1 = b1.upload_part_copy(BUCKET, src, (0, 102399), dst, upload_id, 1)
    p2 = b1.upload_part_copy(BUCKET, src, (150000, 150999), dst, upload_id, 2)
    c.eq("UploadPartCopy 1 etag", md5_hex_upper(data[0:102400]), p1.etag)
    c.eq("UploadPartCopy 2 etag", md5_hex_upper(data[150000:151000]), p2.etag)
    b1.complete_multipart_upload(dst, upload_id, [PartInfo(1, p1.etag), PartInfo(2, p2.etag)])
    got = b1.get_object(dst).read()
    c.eq("length", 102400 + 1000, len(got))
    c.true("bytes are exactly the two ranges", got == data[0:102400] + data[150000:151000], "different bytes")


# GetObject conditions: If-None-Match, If-Match, If-Modified-Since, If-Unmodified-Since
@r.check("conditional_get")
def _(c):
    key = K("conditional.txt")
    body = b"conditional body"
    b1.put_object(key, body)
    etag = '"' + md5_hex_upper(body) + '"'
    future = "Fri, 01 Jan 2100 00:00:00 GMT"
    past = "Mon, 01 Jan 2001 00:00:00 GMT"
    expect_error(c, "If-None-Match matching", lambda: b1.get_object(key, headers={"If-None-Match": etag}), 304)
    c.eq("If-None-Match other", body, b1.get_object(key, headers={"If-None-Match": '"0000"'}).read())
    expect_error(c, "If-Match wrong", lambda: b1.get_object(key, headers={"If-Match": '"0000"'}), 412,
                 "PreconditionFailed", oe.PreconditionFailed)
    c.eq("If-Match right", body, b1.get_object(key, headers={"If-Match": etag}).read())
    expect_error(c, "If-Modified-Since future", lambda: b1.get_object(key, headers={"If-Modified-Since": future}), 304)
    c.eq("If-Modified-Since past", body, b1.get_object(key, headers={"If-Modified-Since": past}).read())
    expect_error(c, "If-Unmodified-Since past",
                 lambda: b1.get_object(key, headers={"If-Unmodified-Since": past}), 412, "PreconditionFailed")


# GetObject with response-content-type / response-content-disposition overrides
@r.check("get_object_response_overrides")
def _(c):
    key = K("override.txt")
    b1.put_object(key, b"override me", headers={"Content-Type": "text/plain"})
    got = b1.get_object(key, params={"response-content-type": "application/octet-stream",
                                     "response-content-disposition": 'attachment; filename="x.bin"',
                                     "response-cache-control": "no-store"})
    c.eq("Content-Type", "application/octet-stream", got.headers.get("Content-Type"))
    c.eq("Content-Disposition", 'attachment; filename="x.bin"', got.headers.get("Content-Disposition"))
    c.eq("Cache-Control", "no-store", got.headers.get("Cache-Control"))
    c.eq("body", b"override me", got.read())


# STS: requests signed with the temporary key and x-oss-security-token
@r.check("sts_auth_put_get")
def _(c):
    for version in (oss2.AUTH_VERSION_1, oss2.AUTH_VERSION_4):
        sts = bucket(auth=oss2.StsAuth(STS_AK, STS_SECRET, STS_TOKEN, auth_version=version))
        key = K(f"sts-{version}.txt")
        body = f"written with STS {version}".encode()
        c.eq(f"PutObject with StsAuth {version}", 200, sts.put_object(key, body).status)
        c.eq(f"GetObject with StsAuth {version}", body, sts.get_object(key).read())


# STS with a wrong security token: 403
@r.check("sts_wrong_token_403")
def _(c):
    sts = bucket(auth=oss2.StsAuth(STS_AK, STS_SECRET, STS_TOKEN + "-wrong"))
    e = expect_error(c, "PutObject with a wrong token", lambda: sts.put_object(K("sts-wrong.txt"), b"x"), 403)
    if e is not None:
        print(f"     info: wrong STS token answered {e.status} {e.code}: {e.message}")
        c.true("an error code is given", bool(e.code), e.code)
    sts_no = bucket(auth=oss2.Auth(STS_AK, STS_SECRET))
    e = expect_error(c, "PutObject with the STS key but no token", lambda: sts_no.put_object(K("sts-none.txt"), b"x"),
                     403)
    if e is not None:
        print(f"     info: STS key without token answered {e.status} {e.code}")


# PutBucketCallbackPolicy / GetBucketCallbackPolicy / DeleteBucketCallbackPolicy
@r.check("bucket_callback_policy")
def _(c):
    callback = base64.b64encode(json.dumps(
        {"callbackUrl": "http://127.0.0.1:1/cb", "callbackBody": "bucket=${bucket}&object=${object}"}
    ).encode()).decode()
    callback_var = base64.b64encode(json.dumps({"x:team": "cbspec"}).encode()).decode()
    policies = [CallbackPolicyInfo("cbspec_first", callback, callback_var), CallbackPolicyInfo("cbspec_second", callback)]
    c.eq("PutBucketCallbackPolicy status", 200, b1.put_bucket_callback_policy(policies).status)
    got = b1.get_bucket_callback_policy()
    # oss2 sends an empty CallbackVar element when callback_var is None
    # (xml_utils.to_do_bucket_callback_policy_request); the policy document's CallbackVar is
    # "Base64 JSON or empty", and oss2 reads an empty element as '' and a missing one as None
    # (xml_utils._find_tag_with_default), so both count as empty here.
    c.eq("policies", [("cbspec_first", callback, callback_var), ("cbspec_second", callback, "")],
         [(p.policy_name, p.callback, p.callback_var or "") for p in got.callback_policies])
    c.eq("DeleteBucketCallbackPolicy status", 204, b1.delete_bucket_callback_policy().status)
    expect_error(c, "GetBucketCallbackPolicy after delete", b1.get_bucket_callback_policy, 404,
                 "BucketCallbackPolicyNotExist")


def signed_basics(c, auth, label):
    bkt = bucket(auth=auth)
    key = K(f"{label}/object.txt")
    body = f"signed with {label}".encode()
    c.eq(f"{label} PutObject", 200, bkt.put_object(key, body).status)
    c.eq(f"{label} GetObject", body, bkt.get_object(key).read())
    c.eq(f"{label} CopyObject etag", md5_hex_upper(body), bkt.copy_object(BUCKET, key, K(f"{label}/copy.txt")).etag)
    c.eq(f"{label} copied body", body, bkt.get_object(K(f"{label}/copy.txt")).read())
    c.eq(f"{label} copy to other bucket", md5_hex_upper(body),
         bucket(BUCKET2, auth).copy_object(BUCKET, key, K(f"{label}/copy.txt")).etag)
    append_checks(c, bkt, f"{label}/append")


# Signature V1 (oss2.Auth): put, get, copy, append
@r.check("auth_v1_put_get_copy_append")
def _(c):
    signed_basics(c, AUTH_V1, "v1")


# Signature V4 (oss2.AuthV4, region cn-hangzhou): put, get, copy, append
@r.check("auth_v4_put_get_copy_append")
def _(c):
    signed_basics(c, AUTH_V4, "v4")


# A wrong secret: 403 SignatureDoesNotMatch, for V1 and V4
@r.check("wrong_secret_signature_does_not_match")
def _(c):
    for auth in (oss2.Auth(AK, SK + "x"), oss2.AuthV4(AK, SK + "x")):
        expect_error(c, f"PutObject with a wrong secret ({type(auth).__name__})",
                     lambda: bucket(auth=auth).put_object(K("wrong-secret.txt"), b"x"), 403,
                     "SignatureDoesNotMatch", oe.SignatureDoesNotMatch)


if __name__ == "__main__":
    r.run()
