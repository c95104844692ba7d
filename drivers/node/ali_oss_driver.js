#!/usr/bin/env node
// cbspec driver adapter for the npm SDK `ali-oss` (pinned in package-lock.json).
//
// Speaks the JSON-lines protocol of drivers/PROTOCOL.md on stdin/stdout: one hello line, then exactly
// one result line per upload request, handled strictly one at a time. The adapter judges nothing: it
// turns a request into ali-oss calls and reports what ali-oss returned or raised, without repairing it.
//
// Layout: (1) translating a request into ali-oss options, (2) the SDK calls, one function per
// operation, (3) turning SDK results and errors into protocol results, (4) the protocol loop.

'use strict';

const fs = require('fs');
const http = require('http');
const https = require('https');
const path = require('path');
const readline = require('readline');

// stdout carries only protocol lines. Anything a library prints with console.log goes to stderr
// instead, so it cannot corrupt the stream the runner parses.
const writeProtocolLine = (obj) => process.stdout.write(`${JSON.stringify(obj)}\n`);
console.log = (...args) => console.error(...args);
console.info = (...args) => console.error(...args);

const OSS = require('ali-oss');

const PROTOCOL_VERSION = 1;
const DRIVER_NAME = 'ali-oss';
const SDK_NAME = 'ali-oss';
// Extra time, beyond the request's timeout_ms, before the adapter gives up on a hung SDK call itself.
// It stays below the runner's 5 s grace so the runner gets a reason instead of killing the adapter.
const WATCHDOG_GRACE_MS = 4000;
// Lifetime of presigned URLs; only needs to outlive one upload.
const PRESIGN_EXPIRES_S = 900;

function log(...args) {
  console.error('[ali-oss driver]', ...args);
}

/** The ali-oss version actually loaded, read from its package.json rather than from a constant. */
function loadedSdkVersion() {
  const pkgPath = require.resolve('ali-oss/package.json');
  return JSON.parse(fs.readFileSync(pkgPath, 'utf8')).version;
}

// ---------------------------------------------------------------------------------------------------
// (1) Request → ali-oss options
// ---------------------------------------------------------------------------------------------------

/** Thrown while translating a request that ali-oss cannot express; becomes an `unsupported` result. */
class Unsupported extends Error {}

const isNonEmptyObject = (value) => value !== null && typeof value === 'object' && Object.keys(value).length > 0;

/**
 * Builds ali-oss's `options.callback` ({url, host, body, contentType, callbackSNI, customValue}) from
 * the request's `callback` and `vars`. Returns undefined when the upload carries no callback.
 *
 * ali-oss builds the callback JSON and the `x:` variable names itself, so the adapter passes the
 * fields as the caller asked for them and leaves absent (null) ones out; whatever ali-oss then puts
 * on the wire (or leaves out) is what cbspec judges.
 */
function callbackOptionFor(req) {
  const cb = req.callback;
  if (cb === null || cb === undefined) {
    if (req.callback_base64) {
      throw new Unsupported(
        "ali-oss builds the callback JSON itself; this scenario's callback is not expressible as fields"
      );
    }
    if (req.vars || req.vars_base64) {
      // ali-oss only takes custom variables inside options.callback (customValue).
      throw new Unsupported('ali-oss only sends callback variables together with a callback');
    }
    return undefined;
  }
  if (isNonEmptyObject(cb.extra)) {
    throw new Unsupported(
      `ali-oss's callback option has no way to add other JSON members (${Object.keys(cb.extra).join(', ')})`
    );
  }

  const option = {};
  if (cb.url !== null && cb.url !== undefined) option.url = cb.url;
  if (cb.host !== null && cb.host !== undefined) option.host = cb.host;
  if (cb.body !== null && cb.body !== undefined) option.body = cb.body;
  if (cb.body_type !== null && cb.body_type !== undefined) option.contentType = cb.body_type;
  // An explicit `false` is passed on as asked: whether it reaches the wire is ali-oss's decision.
  if (cb.sni !== null && cb.sni !== undefined) option.callbackSNI = cb.sni;

  if (req.vars === null || req.vars === undefined) {
    if (req.vars_base64) {
      throw new Unsupported(
        "ali-oss builds the callback-var JSON itself; this scenario's variables are not expressible as fields"
      );
    }
  } else {
    // ali-oss adds the `x:` prefix to every customValue key, so the names are given without it.
    const customValue = {};
    for (const [name, value] of Object.entries(req.vars)) {
      if (!name.startsWith('x:')) {
        throw new Unsupported(`ali-oss always adds the x: prefix, so the variable name ${JSON.stringify(name)} is not expressible`);
      }
      customValue[name.slice(2)] = value;
    }
    option.customValue = customValue;
  }
  return option;
}

/** Checks that the request's carrier is the one the chosen ali-oss call uses (null means default). */
function requireCarrier(req, expected, why) {
  const carrier = req.carrier === null || req.carrier === undefined ? expected : req.carrier;
  if (carrier !== expected) {
    throw new Unsupported(`carrier ${JSON.stringify(carrier)}: ${why}`);
  }
}

/** The client options a normal user would write for this endpoint and signing version. */
function clientOptionsFor(req, { authV4 }) {
  return {
    region: `oss-${req.region}`,
    endpoint: req.endpoint,
    accessKeyId: req.access_key_id,
    accessKeySecret: req.access_key_secret,
    bucket: req.bucket,
    timeout: req.timeout_ms,
    authorizationV4: authV4,
  };
}

/** put and multipart sign with V1 by default and with V4 when `authorizationV4` is set. */
function headerAuthV4(req) {
  if (req.auth === 'v1') return false;
  if (req.auth === 'v4') return true;
  throw new Unsupported(`unknown auth ${JSON.stringify(req.auth)}`);
}

// ---------------------------------------------------------------------------------------------------
// (2) SDK calls. Each returns {kind: 'sdk', value} for a resolved ali-oss promise or
//     {kind: 'raw', ...} for an HTTP answer read by the adapter itself (presigned PUT).
// ---------------------------------------------------------------------------------------------------

/** PutObject: client.put(key, Buffer, {headers, mime, callback}); the callback goes in x-oss-callback headers. */
async function putWithAliOss(req, content) {
  requireCarrier(req, 'header', 'ali-oss put() only sends the callback as x-oss-callback / x-oss-callback-var headers');
  const authV4 = headerAuthV4(req);
  const callback = callbackOptionFor(req);
  const client = new OSS(clientOptionsFor(req, { authV4 }));
  const options = { headers: { ...(req.headers || {}) } };
  if (req.content_type !== null && req.content_type !== undefined) options.mime = req.content_type;
  if (callback) options.callback = callback;
  return { kind: 'sdk', value: await client.put(req.key, content, options) };
}

/**
 * Multipart upload with ali-oss's part-level calls: initMultipartUpload, uploadPart for each
 * `part_size` chunk in order, completeMultipartUpload with the callback.
 *
 * Why not client.multipartUpload(): for content under 100 KiB it does a single PutObject instead of
 * a multipart upload, and it rejects any partSize below 102400 ("partSize must not be smaller than
 * 102400"), so it cannot perform the Initiate/UploadPart/Complete sequence the scenario asks for.
 * Its Complete request is built by the same completeMultipartUpload(…, {callback}) used here.
 */
async function multipartWithAliOss(req, content) {
  requireCarrier(req, 'header', 'ali-oss completeMultipartUpload() only sends the callback as x-oss-callback headers');
  if (req.callback_on_every_request) {
    throw new Unsupported('ali-oss attaches the callback only to CompleteMultipartUpload; Initiate and UploadPart take none');
  }
  const authV4 = headerAuthV4(req);
  const callback = callbackOptionFor(req);
  const partSize = req.part_size || 102400;
  if (!Number.isInteger(partSize) || partSize < 1) {
    throw new Unsupported(`part_size ${JSON.stringify(req.part_size)} is not a positive integer`);
  }
  const client = new OSS(clientOptionsFor(req, { authV4 }));

  // Content-Type and the extra headers describe the object, so they go on Initiate (as cbspec's
  // native client does).
  const initOptions = { headers: { ...(req.headers || {}) } };
  if (req.content_type !== null && req.content_type !== undefined) initOptions.mime = req.content_type;
  const init = await client.initMultipartUpload(req.key, initOptions);

  const parts = [];
  for (let start = 0, number = 1; start < content.length; start += partSize, number += 1) {
    const end = Math.min(start + partSize, content.length);
    // Fresh options per call: ali-oss's uploadPart writes Content-Length into options.headers.
    const part = await client.uploadPart(req.key, init.uploadId, number, content, start, end, {});
    parts.push({ number, etag: part.etag });
  }

  const completeOptions = {};
  if (callback) completeOptions.callback = callback;
  return {
    kind: 'sdk',
    value: await client.completeMultipartUpload(req.key, init.uploadId, parts, completeOptions),
  };
}

/**
 * Presigned PUT (V1): client.signatureUrl(key, {method: 'PUT', expires, 'Content-Type', callback}),
 * which puts `callback` / `callback-var` in the URL's query, then a plain PUT of the content to it.
 *
 * signatureUrl refuses an IP endpoint ("can not get the object URL when endpoint is IP"), so the
 * URL is signed by a client configured the usual way, by region only; it names
 * <bucket>.oss-<region>.aliyuncs.com. The PUT then connects to the request's endpoint and sends that
 * name as Host, which is what ali-oss itself does for requests to an IP endpoint.
 */
async function presignV1WithAliOss(req, content) {
  requireCarrier(req, 'query', 'ali-oss signatureUrl() only puts the callback in the callback / callback-var query parameters');
  const callback = callbackOptionFor(req);
  const endpoint = new URL(req.endpoint);
  const client = new OSS({
    region: `oss-${req.region}`,
    secure: endpoint.protocol === 'https:',
    accessKeyId: req.access_key_id,
    accessKeySecret: req.access_key_secret,
    bucket: req.bucket,
    timeout: req.timeout_ms,
  });

  // Headers the PUT sends. V1 presigning signs Content-Type, Content-MD5 and x-oss-* headers, so
  // those are also given to signatureUrl, as a caller would.
  const putHeaders = { ...(req.headers || {}) };
  const signOptions = { method: 'PUT', expires: PRESIGN_EXPIRES_S };
  for (const [name, value] of Object.entries(putHeaders)) {
    const lower = name.toLowerCase();
    if (lower.startsWith('x-oss-') || lower === 'content-md5' || lower === 'content-type') signOptions[name] = value;
  }
  if (req.content_type !== null && req.content_type !== undefined) {
    signOptions['Content-Type'] = req.content_type;
    putHeaders['Content-Type'] = req.content_type;
  }
  if (callback) signOptions.callback = callback;

  const signedUrl = client.signatureUrl(req.key, signOptions);
  log(`presigned URL: ${signedUrl}`);
  return await putToPresignedUrl(req, signedUrl, putHeaders, content);
}

/** PUTs `content` to a presigned URL, connecting to the request's endpoint with the URL's host as Host. */
function putToPresignedUrl(req, signedUrl, headers, content) {
  const target = new URL(signedUrl);
  const endpoint = new URL(req.endpoint);
  const transport = endpoint.protocol === 'https:' ? https : http;
  return new Promise((resolve, reject) => {
    const request = transport.request(
      {
        method: 'PUT',
        hostname: endpoint.hostname,
        port: endpoint.port || undefined,
        path: `${target.pathname}${target.search}`,
        headers: { ...headers, Host: target.host, 'Content-Length': content.length },
        timeout: req.timeout_ms,
      },
      (response) => {
        const chunks = [];
        response.on('data', (chunk) => chunks.push(chunk));
        response.on('error', reject);
        response.on('end', () =>
          resolve({
            kind: 'raw',
            status: response.statusCode,
            headers: response.headers,
            body: Buffer.concat(chunks).toString('utf8'),
          })
        );
      }
    );
    request.on('timeout', () => request.destroy(new Error(`presigned PUT timed out after ${req.timeout_ms} ms`)));
    request.on('error', reject);
    request.end(content);
  });
}

/** Routes an upload request to the ali-oss call that performs it. */
async function performUpload(req) {
  switch (req.operation) {
    case 'put':
    case 'multipart':
    case 'presign-v1': {
      const content = fs.readFileSync(req.content_file);
      if (req.operation === 'put') return putWithAliOss(req, content);
      if (req.operation === 'multipart') return multipartWithAliOss(req, content);
      return presignV1WithAliOss(req, content);
    }
    case 'presign-v4':
      throw new Unsupported(
        'ali-oss signatureUrlV4() has no callback option (only raw queries); ali-oss builds the callback itself only for put, completeMultipartUpload and V1 signatureUrl'
      );
    case 'post':
      throw new Unsupported('ali-oss has no PostObject upload call (only the calculatePostSignature / signPostObjectPolicyV4 policy helpers)');
    default:
      throw new Unsupported(`unknown operation ${JSON.stringify(req.operation)}`);
  }
}

// ---------------------------------------------------------------------------------------------------
// (3) SDK outcomes → protocol results
// ---------------------------------------------------------------------------------------------------

/** Response headers as a flat lower-case name → string map (urllib may hold arrays, e.g. set-cookie). */
function flatHeaders(headers) {
  const out = {};
  for (const [name, value] of Object.entries(headers || {})) {
    if (value === undefined || value === null) continue;
    out[name.toLowerCase()] = Array.isArray(value) ? value.join(', ') : String(value);
  }
  return out;
}

const orNull = (value) => (value === undefined || value === null ? null : String(value));

function resultFromSuccess(id, done) {
  if (done.kind === 'raw') {
    // The presigned PUT is sent by the adapter, not by ali-oss: nothing interprets the answer, so it
    // is reported as received and never as raised.
    return {
      type: 'result', id, outcome: 'answer', status: done.status, raised: false,
      headers: flatHeaders(done.headers), body: done.body, error: null,
    };
  }
  const value = done.value;
  const result = {
    type: 'result', id, outcome: 'answer', status: value.res.status, raised: false,
    headers: flatHeaders(value.res.headers), error: null,
  };
  // With a callback, ali-oss hands over the callback reply only as JSON.parse(body) in `data`,
  // so a string or null there is a parsed JSON value too, not text.
  if (Object.prototype.hasOwnProperty.call(value, 'data') && value.data !== undefined) {
    if (Buffer.isBuffer(value.data)) result.body = value.data.toString();
    else result.body_json = value.data;
  } else {
    result.body = null;
  }
  return result;
}

function resultFromError(id, err) {
  const status = err && err.status;
  // ali-oss uses status -1 (network error) and -2 (timeout) for requests that got no HTTP answer;
  // errors raised before sending (or while parsing the callback reply) carry no status at all.
  if (typeof status !== 'number' || status <= 0) {
    const name = (err && err.name) || 'Error';
    const message = (err && err.message) || String(err);
    return { type: 'result', id, outcome: 'failed', error_text: `${name}: ${message}` };
  }
  return {
    type: 'result', id, outcome: 'answer', status, raised: true,
    // ali-oss only attaches the response (err.res) to errors it could not read a message from.
    headers: flatHeaders(err.res && err.res.headers),
    body: null,
    error: {
      code: orNull(err.code),
      message: orNull(err.message),
      ec: orNull(err.ecCode),
      request_id: orNull(err.requestId),
      // ali-oss's error objects have no ArgumentName / ArgumentValue fields.
      argument_name: null,
      argument_value: null,
    },
  };
}

// ---------------------------------------------------------------------------------------------------
// (4) Protocol loop
// ---------------------------------------------------------------------------------------------------

// Rejects the upload in progress when something inside the SDK throws outside its promise chain, so
// the request still gets its one answer.
let abortCurrentUpload = null;
process.on('uncaughtException', (err) => {
  log('uncaught exception:', err && err.stack ? err.stack : err);
  if (abortCurrentUpload) abortCurrentUpload(err);
});
process.on('unhandledRejection', (err) => {
  log('unhandled rejection:', err && err.stack ? err.stack : err);
});

async function answerUpload(req) {
  const id = req.id;
  const budgetMs = (Number.isFinite(req.timeout_ms) ? req.timeout_ms : 10000) + WATCHDOG_GRACE_MS;
  let watchdog;
  const abort = new Promise((_, reject) => {
    abortCurrentUpload = reject;
    watchdog = setTimeout(
      () => reject(Object.assign(new Error(`no answer from ali-oss within ${budgetMs} ms`), { name: 'AdapterWatchdog' })),
      budgetMs
    );
  });
  try {
    const done = await Promise.race([performUpload(req), abort]);
    return resultFromSuccess(id, done);
  } catch (err) {
    if (err instanceof Unsupported) return { type: 'result', id, outcome: 'unsupported', reason: err.message };
    log(`upload ${id} raised:`, err && err.stack ? err.stack : err);
    return resultFromError(id, err);
  } finally {
    clearTimeout(watchdog);
    abortCurrentUpload = null;
  }
}

async function main() {
  writeProtocolLine({
    type: 'hello',
    protocol: PROTOCOL_VERSION,
    driver: DRIVER_NAME,
    sdk: SDK_NAME,
    sdk_version: loadedSdkVersion(),
    runtime: `node ${process.version}`,
  });

  const lines = readline.createInterface({ input: process.stdin, crlfDelay: Infinity });
  // for-await takes one line at a time, so each upload is answered before the next is read.
  for await (const line of lines) {
    if (line.trim() === '') continue;
    let message;
    try {
      message = JSON.parse(line);
    } catch (err) {
      log(`ignoring a line that is not JSON: ${err.message}`);
      continue;
    }
    if (!message || message.type !== 'upload') {
      log(`ignoring a message of type ${JSON.stringify(message && message.type)}`);
      continue;
    }
    let result;
    try {
      result = await answerUpload(message);
    } catch (err) {
      result = { type: 'result', id: message.id, outcome: 'failed', error_text: `adapter error: ${err && err.stack ? err.stack : err}` };
    }
    writeProtocolLine(result);
  }
  // Keep-alive sockets may hold the event loop open; stdin is closed and every answer is written.
  process.stdout.write('', () => process.exit(0));
}

main().catch((err) => {
  log('fatal:', err && err.stack ? err.stack : err);
  process.exit(1);
});
