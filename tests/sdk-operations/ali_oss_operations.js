// OSS operations through ali-oss (6.23.0) against the cbspec emulator.
//
// Environment: CBSPEC_ENDPOINT, OSS_ACCESS_KEY_ID, OSS_ACCESS_KEY_SECRET, CBSPEC_BUCKET,
// CBSPEC_BUCKET2, CBSPEC_STS_AK, CBSPEC_STS_SECRET, CBSPEC_STS_TOKEN.
//
// Every expected value is written from the OSS API reference (or computed here from the
// bytes this program sent), never read back from the emulator. With an IP endpoint ali-oss
// connects to the IP and sends `Host: <bucket>.oss-cn-hangzhou.aliyuncs.com`
// (lib/common/utils/createRequest.js, isIP branch) with a path of just the key, which the
// emulator routes virtual-hosted; ListBuckets sends `Host: .oss-cn-hangzhou.aliyuncs.com`.
'use strict';

const crypto = require('crypto');
const fs = require('fs');
const os = require('os');
const path = require('path');
const OSS = require(path.join(__dirname, '..', '..', 'drivers', 'node', 'node_modules', 'ali-oss'));

function env(name) {
  const v = process.env[name];
  if (v === undefined) {
    console.error(`${name} must be set`);
    process.exit(2);
  }
  return v;
}

const ENDPOINT = env('CBSPEC_ENDPOINT');
const AK = env('OSS_ACCESS_KEY_ID');
const SK = env('OSS_ACCESS_KEY_SECRET');
const BUCKET = env('CBSPEC_BUCKET');
const BUCKET2 = env('CBSPEC_BUCKET2');
const STS_AK = env('CBSPEC_STS_AK');
const STS_SECRET = env('CBSPEC_STS_SECRET');
const STS_TOKEN = env('CBSPEC_STS_TOKEN');
const RUN = crypto.randomBytes(4).toString('hex');
const K = name => `ops-ali-oss/${RUN}/${name}`;

function client(opts = {}) {
  return new OSS({
    region: 'oss-cn-hangzhou',
    endpoint: ENDPOINT,
    secure: false,
    cname: false,
    accessKeyId: AK,
    accessKeySecret: SK,
    bucket: BUCKET,
    timeout: 30000,
    ...opts,
  });
}

const c1 = client();
const c2 = client({ bucket: BUCKET2 });

// ---- digests computed here -------------------------------------------------------------
const CRC64_POLY = 0xc96c5795d7870f42n; // ECMA-182, reflected
const CRC64_TABLE = (() => {
  const t = [];
  for (let i = 0n; i < 256n; i++) {
    let crc = i;
    for (let j = 0; j < 8; j++) crc = crc & 1n ? (crc >> 1n) ^ CRC64_POLY : crc >> 1n;
    t.push(crc);
  }
  return t;
})();
/** CRC-64/XZ, which OSS calls CRC64-ECMA; returned as the decimal string OSS puts in x-oss-hash-crc64ecma. */
function crc64(buf) {
  let crc = 0xffffffffffffffffn;
  for (const b of buf) crc = CRC64_TABLE[Number((crc ^ BigInt(b)) & 0xffn)] ^ (crc >> 8n);
  return (crc ^ 0xffffffffffffffffn).toString();
}
if (crc64(Buffer.from('123456789')) !== (0x995dc9bbdf1939fan).toString()) throw new Error('crc64 helper is wrong');
const md5Upper = buf => crypto.createHash('md5').update(buf).digest('hex').toUpperCase();
const quoted = buf => `"${md5Upper(buf)}"`;
const md5b64 = buf => crypto.createHash('md5').update(buf).digest('base64');
function pattern(n, seed) {
  const parts = [];
  let len = 0;
  for (let i = 0; len < n; i++) {
    const d = crypto.createHash('sha256').update(`${seed}:${i}`).digest();
    parts.push(d);
    len += d.length;
  }
  return Buffer.concat(parts).subarray(0, n);
}
const sleep = ms => new Promise(res => setTimeout(res, ms));

// ---- the runner ------------------------------------------------------------------------
class Skip extends Error {}
class Check {
  constructor() {
    this.problems = [];
  }
  eq(what, expected, observed) {
    const e = JSON.stringify(expected);
    const o = JSON.stringify(observed);
    if (e !== o) this.problems.push(`${what}: expected ${e}, observed ${o}`);
  }
  true(what, cond, observed) {
    if (!cond) this.problems.push(`${what}: observed ${JSON.stringify(observed)}`);
  }
  contains(what, needle, hay) {
    if (typeof hay !== 'string' || !hay.includes(needle)) {
      this.problems.push(`${what}: expected to contain ${JSON.stringify(needle)}, observed ${JSON.stringify(hay)}`);
    }
  }
  fail(msg) {
    this.problems.push(msg);
  }
  /** Awaits fn, which must reject with this status (and code); returns the error. */
  async rejects(what, fn, status, code) {
    try {
      await fn();
    } catch (err) {
      this.eq(`${what} status`, status, err.status);
      if (code !== undefined) this.eq(`${what} code`, code, err.code);
      return err;
    }
    this.fail(`${what}: expected an error with status ${status}${code ? ` code ${code}` : ''}, observed success`);
    return null;
  }
}
const checks = [];
const check = (name, fn) => checks.push([name, fn]);
const asArray = v => (v === undefined || v === null ? [] : Array.isArray(v) ? v : [v]);

// ---- the checks ------------------------------------------------------------------------
const STD = {
  'Content-Type': 'text/plain',
  'Content-Disposition': 'attachment; filename="report.txt"',
  'Content-Encoding': 'identity',
  'Content-Language': 'zh-CN',
  'Cache-Control': 'no-cache',
  Expires: 'Wed, 21 Oct 2026 07:28:00 GMT',
  'x-oss-storage-class': 'IA',
  'x-oss-server-side-encryption': 'AES256',
};

function checkStd(c, what, headers, body) {
  for (const [name, value] of Object.entries(STD)) c.eq(`${what} ${name}`, value, headers[name.toLowerCase()]);
  c.eq(`${what} x-oss-meta-author`, 'cbspec', headers['x-oss-meta-author']);
  c.eq(`${what} content-length`, String(body.length), headers['content-length']);
  c.eq(`${what} etag`, quoted(body), headers.etag);
  c.eq(`${what} content-md5`, md5b64(body), headers['content-md5']);
  c.eq(`${what} x-oss-hash-crc64ecma`, crc64(body), headers['x-oss-hash-crc64ecma']);
  c.eq(`${what} x-oss-object-type`, 'Normal', headers['x-oss-object-type']);
}

// PutObject with headers + GetObject + HeadObject
check('put_get_head_standard_headers', async c => {
  const key = K('std-headers.txt');
  const body = Buffer.from('standard headers body\n');
  const put = await c1.put(key, body, { headers: { ...STD }, meta: { author: 'cbspec' } });
  c.eq('PutObject status', 200, put.res.status);
  c.eq('PutObject etag', quoted(body), put.res.headers.etag);
  const got = await c1.get(key);
  c.eq('GetObject body', body.toString('hex'), got.content.toString('hex'));
  checkStd(c, 'GetObject', got.res.headers, body);
  const head = await c1.head(key);
  checkStd(c, 'HeadObject', head.res.headers, body);
  c.eq('HeadObject meta', { author: 'cbspec' }, head.meta);
});

// GetObjectMeta (HEAD ?objectMeta)
check('get_object_meta', async c => {
  const key = K('meta.bin');
  const body = pattern(1234, 1);
  const before = Date.now() - 2000;
  await c1.put(key, body);
  const after = Date.now() + 2000;
  const meta = await c1.getObjectMeta(key);
  const h = meta.res.headers;
  c.eq('status', 200, meta.status);
  c.eq('content-length', '1234', h['content-length']);
  c.eq('etag', quoted(body), h.etag);
  c.eq('x-oss-hash-crc64ecma', crc64(body), h['x-oss-hash-crc64ecma']);
  const lm = Date.parse(h['last-modified']);
  c.true('last-modified within the PUT second', lm >= before && lm <= after, h['last-modified']);
});

// HeadObject / GetObjectMeta / GetObject of a missing key
check('head_missing_key_nosuchkey', async c => {
  // ali-oss names any body-less 404 NoSuchKey (client.js requestError), so also check x-oss-err
  const err = await c.rejects('HeadObject missing', () => c1.head(K('missing')), 404, 'NoSuchKey');
  if (err && err.res) c.true('x-oss-err header present', !!err.res.headers['x-oss-err'], err.res.headers);
  await c.rejects('GetObjectMeta missing', () => c1.getObjectMeta(K('missing')), 404, 'NoSuchKey');
  await c.rejects('GetObject missing', () => c1.get(K('missing')), 404, 'NoSuchKey');
});

async function copyChecks(c, dst, label) {
  const src = K(`${label}-src.txt`);
  const dstKey = K(`${label}-dst.txt`);
  const body = Buffer.from(`copy source for ${label}`);
  await c1.put(src, body, { meta: { origin: 'source' }, mime: 'text/plain' });
  const res = await dst.copy(dstKey, src, BUCKET);
  c.eq('CopyObject status', 200, res.res.status);
  c.eq('CopyObject ETag (the source MD5)', quoted(body), res.data && res.data.etag);
  const got = await dst.get(dstKey);
  c.eq('copied body', body.toString(), got.content.toString());
  c.eq('copied x-oss-meta-origin', 'source', got.res.headers['x-oss-meta-origin']);
  c.eq('copied content-type', 'text/plain', got.res.headers['content-type']);
}

// CopyObject within one bucket
check('copy_same_bucket', async c => copyChecks(c, c1, 'copy-same'));

// CopyObject from BUCKET to BUCKET2
check('copy_cross_bucket', async c => copyChecks(c, c2, 'copy-cross'));

// putMeta: CopyObject onto itself with x-oss-metadata-directive REPLACE
check('put_meta_replace', async c => {
  const key = K('put-meta.txt');
  const body = Buffer.from('metadata to be replaced');
  await c1.put(key, body, { meta: { old: '1' } });
  const res = await c1.putMeta(key, { new: '2' });
  c.eq('status', 200, res.res.status);
  const h = (await c1.head(key)).res.headers;
  c.eq('x-oss-meta-new', '2', h['x-oss-meta-new']);
  c.eq('x-oss-meta-old removed', undefined, h['x-oss-meta-old']);
  c.eq('body unchanged', body.toString(), (await c1.get(key)).content.toString());
});

async function appendChecks(c, cl, label) {
  const key = K(`${label}.log`);
  const p1 = Buffer.from('first line\n');
  const p2 = Buffer.from('second line, longer\n');
  const r1 = await cl.append(key, p1);
  c.eq('AppendObject(0) nextAppendPosition', String(p1.length), r1.nextAppendPosition);
  c.eq('AppendObject(0) crc', crc64(p1), r1.res.headers['x-oss-hash-crc64ecma']);
  const r2 = await cl.append(key, p2, { position: r1.nextAppendPosition });
  c.eq('AppendObject(next) nextAppendPosition', String(p1.length + p2.length), r2.nextAppendPosition);
  c.eq('whole-object crc', crc64(Buffer.concat([p1, p2])), r2.res.headers['x-oss-hash-crc64ecma']);
  const got = await cl.get(key);
  c.eq('appended body', Buffer.concat([p1, p2]).toString(), got.content.toString());
  c.eq('x-oss-object-type', 'Appendable', got.res.headers['x-oss-object-type']);
  return key;
}

// AppendObject positions
check('append_positions_and_crc', async c => {
  const key = await appendChecks(c, c1, 'append');
  // wrong position: 409 PositionNotEqualToLength
  const err = await c.rejects('AppendObject wrong position', () => c1.append(key, Buffer.from('x'), { position: 3 }),
    409, 'PositionNotEqualToLength');
  if (err && err.res) c.eq('x-oss-next-append-position on 409', '31', err.res.headers['x-oss-next-append-position']);
  // appending to a Normal object: 409 ObjectNotAppendable
  const normal = K('normal-not-appendable.txt');
  await c1.put(normal, Buffer.from('normal'));
  await c.rejects('AppendObject on Normal', () => c1.append(normal, Buffer.from('x'), { position: 6 }), 409,
    'ObjectNotAppendable');
});

// DeleteMultipleObjects, Quiet false
check('delete_multi_quiet_false', async c => {
  const keys = [K('batch/a b.txt'), K('batch/中文 名.txt'), K('batch/amp&lt.txt'), K('batch/plain')];
  for (const k of keys) await c1.put(k, Buffer.from('delete me'));
  const missing = K('batch/never-existed');
  const res = await c1.deleteMulti([...keys, missing], { quiet: false });
  c.eq('status', 200, res.res.status);
  c.eq('deleted keys', [...keys, missing].sort(), res.deleted.map(d => d.Key).sort());
  for (const k of keys) await c.rejects(`HEAD ${k} after delete`, () => c1.head(k), 404);
});

// PutObjectACL / GetObjectACL
check('object_acl', async c => {
  const key = K('acl.txt');
  await c1.put(key, Buffer.from('acl'));
  c.eq('default ACL', 'default', (await c1.getACL(key)).acl);
  c.eq('PutObjectACL status', 200, (await c1.putACL(key, 'public-read')).res.status);
  c.eq('GetObjectACL', 'public-read', (await c1.getACL(key)).acl);
});

// PutBucketACL / GetBucketACL
check('bucket_acl', async c => {
  try {
    c.eq('PutBucketACL status', 200, (await c1.putBucketACL(BUCKET, 'public-read')).res.status);
    c.eq('GetBucketACL', 'public-read', (await c1.getBucketACL(BUCKET)).acl);
  } finally {
    await c1.putBucketACL(BUCKET, 'private');
  }
  c.eq('GetBucketACL after private', 'private', (await c1.getBucketACL(BUCKET)).acl);
});

// PutObjectTagging / GetObjectTagging / DeleteObjectTagging, and x-oss-tagging on PUT
check('object_tagging', async c => {
  const key = K('tagging.txt');
  await c1.put(key, Buffer.from('tags'));
  c.eq('PutObjectTagging status', 200, (await c1.putObjectTagging(key, { project: 'cbspec', stage: 'test 1' })).status);
  c.eq('GetObjectTagging', { project: 'cbspec', stage: 'test 1' }, (await c1.getObjectTagging(key)).tag);
  c.eq('x-oss-tagging-count', '2', (await c1.head(key)).res.headers['x-oss-tagging-count']);
  c.eq('DeleteObjectTagging status', 204, (await c1.deleteObjectTagging(key)).status);
  c.eq('GetObjectTagging after delete', {}, (await c1.getObjectTagging(key)).tag);
  const k2 = K('tag-header.txt');
  await c1.put(k2, Buffer.from('tagged at put'), { headers: { 'x-oss-tagging': 'a=1&b=2' } });
  c.eq('x-oss-tagging-count from the PUT header', '2', (await c1.head(k2)).res.headers['x-oss-tagging-count']);
});

// PutSymlink / GetSymlink
check('symlink', async c => {
  const target = K('symlink-target.txt');
  const link = K('symlink-link');
  const body = Buffer.from("the target's bytes");
  await c1.put(target, body);
  c.eq('PutSymlink status', 200, (await c1.putSymlink(link, target)).res.status);
  c.eq('GetSymlink targetName', target, (await c1.getSymlink(link)).targetName);
  c.eq('GET through symlink', body.toString(), (await c1.get(link)).content.toString());
  c.eq('HEAD x-oss-object-type', 'Symlink', (await c1.head(link)).res.headers['x-oss-object-type']);
});

// RestoreObject of an Archive object
check('archive_restore', async c => {
  const key = K('archive.bin');
  const body = Buffer.from('cold data');
  await c1.put(key, body, { headers: { 'x-oss-storage-class': 'Archive' } });
  await c.rejects('GetObject frozen', () => c1.get(key), 403, 'InvalidObjectState');
  c.eq('RestoreObject status', 202, (await c1.restore(key)).res.status);
  c.eq('x-oss-restore right after', 'ongoing-request="true"', (await c1.head(key)).res.headers['x-oss-restore']);
  await c.rejects('second RestoreObject', () => c1.restore(key), 409, 'RestoreAlreadyInProgress');
  await sleep(1500);
  let header;
  for (let i = 0; i < 20; i++) {
    header = (await c1.head(key)).res.headers['x-oss-restore'];
    if (header && header.includes('ongoing-request="false"')) break;
    await sleep(250);
  }
  c.contains('x-oss-restore after the delay', 'ongoing-request="false"', header);
  c.contains('x-oss-restore expiry-date', 'expiry-date=', header);
  c.eq('GetObject after restore', body.toString(), (await c1.get(key)).content.toString());
});

// ListMultipartUploads with prefix and max-uploads
check('list_uploads', async c => {
  const prefix = K('mpu-list/');
  const ka = `${prefix}a`;
  const kb = `${prefix}b`;
  const ua = (await c1.initMultipartUpload(ka)).uploadId;
  const ub = (await c1.initMultipartUpload(kb)).uploadId;
  const pairs = res => res.uploads.map(u => [u.name, u.uploadId]);
  try {
    const all = await c1.listUploads({ prefix });
    c.eq('uploads under prefix', [[ka, ua], [kb, ub]], pairs(all));
    c.eq('isTruncated', false, all.isTruncated);
    const p1 = await c1.listUploads({ prefix, 'max-uploads': 1 });
    c.eq('page 1', [[ka, ua]], pairs(p1));
    c.eq('page 1 isTruncated', true, p1.isTruncated);
    c.eq('page 1 nextKeyMarker', ka, p1.nextKeyMarker);
    c.eq('page 1 nextUploadIdMarker', ua, p1.nextUploadIdMarker);
    const p2 = await c1.listUploads({ prefix, 'max-uploads': 1, 'key-marker': p1.nextKeyMarker,
      'upload-id-marker': p1.nextUploadIdMarker });
    c.eq('page 2', [[kb, ub]], pairs(p2));
    c.eq('page 2 isTruncated', false, p2.isTruncated);
  } finally {
    await c1.abortMultipartUpload(ka, ua);
    await c1.abortMultipartUpload(kb, ub);
  }
  c.eq('uploads after abort', [], pairs(await c1.listUploads({ prefix })));
});

// GetBucketInfo
check('get_bucket_info', async c => {
  const b = (await c1.getBucketInfo(BUCKET)).bucket;
  c.eq('Name', BUCKET, b.Name);
  c.eq('Location', 'oss-cn-hangzhou', b.Location);
  c.eq('StorageClass', 'Standard', b.StorageClass);
  c.true('Owner ID non-empty', !!(b.Owner && b.Owner.ID), b.Owner);
  c.eq('Grant', 'private', b.AccessControlList && b.AccessControlList.Grant);
});

// GetBucketLocation
check('get_bucket_location', async c => {
  c.eq('location', 'oss-cn-hangzhou', (await c1.getBucketLocation(BUCKET)).location);
});

async function emptyBucket(cl) {
  const ups = await cl.listUploads({ 'max-uploads': 1000 });
  for (const u of ups.uploads) await cl.abortMultipartUpload(u.name, u.uploadId);
  let marker;
  for (;;) {
    const page = await cl.list({ 'max-keys': 1000, marker });
    const names = (page.objects || []).map(o => o.name);
    if (names.length) await cl.deleteMulti(names, { quiet: true });
    if (!page.isTruncated) break;
    marker = page.nextMarker;
  }
}

// GetBucketStat on a bucket this check empties first
check('get_bucket_stat', async c => {
  await emptyBucket(c2);
  const sizes = [5, 10, 20];
  for (let i = 0; i < sizes.length; i++) await c2.put(K(`stat/${i}`), pattern(sizes[i], 10 + i));
  await c2.initMultipartUpload(K('stat/mpu'));
  const s = (await c1.getBucketStat(BUCKET2)).stat;
  c.eq('ObjectCount', '3', s.ObjectCount);
  c.eq('Storage', '35', s.Storage);
  c.eq('MultipartUploadCount', '1', s.MultipartUploadCount);
  c.eq('StandardObjectCount', '3', s.StandardObjectCount);
  c.eq('StandardStorage', '35', s.StandardStorage);
  await emptyBucket(c2);
});

function commonPrefix(a, b) {
  let i = 0;
  while (i < a.length && i < b.length && a[i] === b[i]) i++;
  return a.slice(0, i);
}

// ListBuckets with prefix and max-keys
check('list_buckets_prefix_max_keys', async c => {
  const prefix = commonPrefix(BUCKET, BUCKET2);
  const names = [BUCKET, BUCKET2].sort();
  const all = await c1.listBuckets({ prefix });
  c.eq('buckets', names, (all.buckets || []).map(b => b.name));
  c.eq('regions (Location)', ['oss-cn-hangzhou', 'oss-cn-hangzhou'], (all.buckets || []).map(b => b.region));
  c.true('owner id non-empty', !!all.owner.id, all.owner);
  const p1 = await c1.listBuckets({ prefix, 'max-keys': 1 });
  c.eq('page 1', names.slice(0, 1), (p1.buckets || []).map(b => b.name));
  c.eq('page 1 isTruncated', true, p1.isTruncated);
  c.eq('page 1 nextMarker', names[0], p1.nextMarker);
  const p2 = await c1.listBuckets({ prefix, 'max-keys': 1, marker: p1.nextMarker });
  c.eq('page 2', names.slice(1), (p2.buckets || []).map(b => b.name));
  c.eq('page 2 isTruncated', false, p2.isTruncated);
});

// PutBucketCors / GetBucketCors / DeleteBucketCors
check('bucket_cors', async c => {
  const res = await c1.putBucketCORS(BUCKET, [{
    allowedOrigin: 'https://example.com',
    allowedMethod: ['GET', 'PUT'],
    allowedHeader: 'Authorization',
    exposeHeader: ['x-oss-request-id', 'ETag'],
    maxAgeSeconds: '100',
  }]);
  c.eq('PutBucketCors status', 200, res.res.status);
  const rules = (await c1.getBucketCORS(BUCKET)).rules;
  c.eq('rule count', 1, rules.length);
  if (rules.length) {
    const r = rules[0];
    c.eq('allowedOrigin', ['https://example.com'], asArray(r.allowedOrigin));
    c.eq('allowedMethod', ['GET', 'PUT'], asArray(r.allowedMethod));
    c.eq('allowedHeader', ['Authorization'], asArray(r.allowedHeader));
    c.eq('exposeHeader', ['x-oss-request-id', 'ETag'], asArray(r.exposeHeader));
    c.eq('maxAgeSeconds', '100', r.maxAgeSeconds);
  }
  c.eq('DeleteBucketCors status', 204, (await c1.deleteBucketCORS(BUCKET)).res.status);
  await c.rejects('GetBucketCors after delete', () => c1.getBucketCORS(BUCKET), 404, 'NoSuchCORSConfiguration');
});

function tempFile(buf) {
  const p = path.join(os.tmpdir(), `cbspec-ops-${RUN}-${crypto.randomBytes(4).toString('hex')}`);
  fs.writeFileSync(p, buf);
  return p;
}

// InitiateMultipartUpload / UploadPart / CompleteMultipartUpload
check('multipart_upload_part_etag_crc', async c => {
  const key = K('multipart.bin');
  const part1 = pattern(100 * 1024, 20);
  const part2 = pattern(777, 21);
  const file = tempFile(Buffer.concat([part1, part2]));
  try {
    const uid = (await c1.initMultipartUpload(key)).uploadId;
    const r1 = await c1.uploadPart(key, uid, 1, file, 0, part1.length);
    const r2 = await c1.uploadPart(key, uid, 2, file, part1.length, part1.length + part2.length);
    c.eq('UploadPart 1 etag', quoted(part1), r1.etag);
    c.eq('UploadPart 2 etag', quoted(part2), r2.etag);
    c.eq('UploadPart 1 crc', crc64(part1), r1.res.headers['x-oss-hash-crc64ecma']);
    c.eq('UploadPart 2 crc', crc64(part2), r2.res.headers['x-oss-hash-crc64ecma']);
    const done = await c1.completeMultipartUpload(key, uid, [{ number: 1, etag: r1.etag }, { number: 2, etag: r2.etag }]);
    c.eq('Complete status', 200, done.res.status);
    c.eq('Complete crc', crc64(Buffer.concat([part1, part2])), done.res.headers['x-oss-hash-crc64ecma']);
    const got = await c1.get(key);
    c.true('body', got.content.equals(Buffer.concat([part1, part2])), got.content.length);
    c.eq('x-oss-object-type', 'Multipart', got.res.headers['x-oss-object-type']);
  } finally {
    fs.unlinkSync(file);
  }
});

// UploadPartCopy with byte ranges
check('upload_part_copy_range', async c => {
  const src = K('part-copy-src.bin');
  const dst = K('part-copy-dst.bin');
  const data = pattern(200 * 1024, 30);
  await c1.put(src, data);
  const uid = (await c1.initMultipartUpload(dst)).uploadId;
  const source = { sourceKey: src, sourceBucketName: BUCKET };
  const p1 = await c1.uploadPartCopy(dst, uid, 1, '0-102399', source);
  const p2 = await c1.uploadPartCopy(dst, uid, 2, '150000-150999', source);
  c.eq('UploadPartCopy 1 etag', quoted(data.subarray(0, 102400)), p1.etag);
  c.eq('UploadPartCopy 2 etag', quoted(data.subarray(150000, 151000)), p2.etag);
  await c1.completeMultipartUpload(dst, uid, [{ number: 1, etag: p1.etag }, { number: 2, etag: p2.etag }]);
  const got = (await c1.get(dst)).content;
  c.eq('length', 103400, got.length);
  c.true('bytes are exactly the two ranges',
    got.equals(Buffer.concat([data.subarray(0, 102400), data.subarray(150000, 151000)])), 'different bytes');
});

// Conditional GetObject
check('conditional_get', async c => {
  const key = K('conditional.txt');
  const body = Buffer.from('conditional body');
  await c1.put(key, body);
  // ali-oss get() accepts 304 as a success status (lib/common/object/get.js)
  const nm = await c1.get(key, { headers: { 'If-None-Match': quoted(body) } });
  c.eq('If-None-Match matching status', 304, nm.res.status);
  const other = await c1.get(key, { headers: { 'If-None-Match': '"0000"' } });
  c.eq('If-None-Match other status', 200, other.res.status);
  await c.rejects('If-Match wrong', () => c1.get(key, { headers: { 'If-Match': '"0000"' } }), 412,
    'PreconditionFailed');
  const ims = await c1.get(key, { headers: { 'If-Modified-Since': 'Fri, 01 Jan 2100 00:00:00 GMT' } });
  c.eq('If-Modified-Since future status', 304, ims.res.status);
  await c.rejects('If-Unmodified-Since past',
    () => c1.get(key, { headers: { 'If-Unmodified-Since': 'Mon, 01 Jan 2001 00:00:00 GMT' } }), 412,
    'PreconditionFailed');
});

// GetObject with response-content-type / response-content-disposition
check('get_response_overrides', async c => {
  const key = K('override.txt');
  await c1.put(key, Buffer.from('override me'), { mime: 'text/plain' });
  const got = await c1.get(key, { subres: {
    'response-content-type': 'application/octet-stream',
    'response-content-disposition': 'attachment; filename="x.bin"',
  } });
  c.eq('content-type', 'application/octet-stream', got.res.headers['content-type']);
  c.eq('content-disposition', 'attachment; filename="x.bin"', got.res.headers['content-disposition']);
});

// STS via the stsToken option, V1 and V4
check('sts_token_put_get', async c => {
  for (const authorizationV4 of [false, true]) {
    const sts = client({ accessKeyId: STS_AK, accessKeySecret: STS_SECRET, stsToken: STS_TOKEN,
      refreshSTSTokenInterval: 3600000, authorizationV4 });
    const key = K(`sts-${authorizationV4 ? 'v4' : 'v1'}.txt`);
    const body = Buffer.from(`written with STS v4=${authorizationV4}`);
    c.eq(`PutObject STS v4=${authorizationV4}`, 200, (await sts.put(key, body)).res.status);
    c.eq(`GetObject STS v4=${authorizationV4}`, body.toString(), (await sts.get(key)).content.toString());
  }
  const bad = client({ accessKeyId: STS_AK, accessKeySecret: STS_SECRET, stsToken: `${STS_TOKEN}-wrong`,
    refreshSTSTokenInterval: 3600000 });
  const err = await c.rejects('PutObject with a wrong token', () => bad.put(K('sts-wrong.txt'), Buffer.from('x')), 403);
  if (err) console.log(`     info: wrong STS token answered ${err.status} ${err.code}`);
});

// Bucket callback policy: ali-oss has no API for it
check('bucket_callback_policy', async () => {
  if (typeof c1.putBucketCallbackPolicy !== 'function') throw new Skip('SDK has no API');
});

// Signature V4 (authorizationV4): put, get, copy, append
check('authorization_v4_put_get_copy_append', async c => {
  const v4 = client({ authorizationV4: true });
  const key = K('v4/object.txt');
  const body = Buffer.from('signed with V4');
  c.eq('PutObject', 200, (await v4.put(key, body)).res.status);
  c.eq('GetObject', body.toString(), (await v4.get(key)).content.toString());
  const copy = await client({ authorizationV4: true, bucket: BUCKET2 }).copy(K('v4/copy.txt'), key, BUCKET);
  c.eq('CopyObject cross-bucket etag', quoted(body), copy.data && copy.data.etag);
  await appendChecks(c, v4, 'v4/append');
});

// A wrong secret: 403 SignatureDoesNotMatch
check('wrong_secret_signature_does_not_match', async c => {
  for (const authorizationV4 of [false, true]) {
    const bad = client({ accessKeySecret: `${SK}x`, authorizationV4 });
    await c.rejects(`PutObject wrong secret v4=${authorizationV4}`, () => bad.put(K('wrong.txt'), Buffer.from('x')),
      403, 'SignatureDoesNotMatch');
  }
});

(async () => {
  let passed = 0;
  let failed = 0;
  let skipped = 0;
  for (const [name, fn] of checks) {
    const c = new Check();
    try {
      await fn(c);
    } catch (err) {
      if (err instanceof Skip) {
        skipped++;
        console.log(`skip ${name}: ${err.message}`);
        continue;
      }
      c.fail(`unexpected error ${err.name}: status ${err.status} code ${err.code}: ${String(err.message).slice(0, 400)}`);
    }
    if (c.problems.length) {
      failed++;
      console.log(`FAIL ${name}: ${c.problems.join('; ')}`);
    } else {
      passed++;
      console.log(`ok   ${name}`);
    }
  }
  console.log(`ali-oss: ${passed} passed, ${failed} failed, ${skipped} skipped`);
  process.exit(failed ? 1 : 0);
})();
