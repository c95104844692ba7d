#!/usr/bin/env node
// cbspec driver adapter "browser-js": ali-oss's browser bundle (Browser.js, the
// dist/aliyun-oss-sdk.min.js that ships in the ali-oss package pinned by drivers/node) running in
// headless Chromium (Debian's /usr/bin/chromium), driven with playwright-core (pinned in
// drivers/browser/package-lock.json).
//
// Speaks the JSON-lines protocol of drivers/PROTOCOL.md on stdin/stdout: one hello line, then exactly
// one result line per upload request, one at a time. The adapter judges nothing: it turns a request
// into the calls a web page makes and reports what the SDK, inside the browser, resolved or rejected
// with. What the browser does not let the page see (response headers CORS does not expose) stays
// unseen.
//
// How it works:
// - A tiny HTTP server on 127.0.0.1:<random port> serves page.html and the bundle. That origin
//   differs from the OSS endpoint's, so every upload is a real cross-origin request: preflight,
//   Access-Control-Allow-*, Access-Control-Expose-Headers.
// - Browsers sign with temporary credentials: the request's `sts` triple (accessKeyId,
//   accessKeySecret, stsToken). Without one the upload is unsupported.
// - Before each upload the adapter checks, with an unauthenticated preflight from Node, that the
//   bucket lets the page's origin in (cbspec's runner puts such a rule on the embedded emulator's
//   bucket for every SDK run); if not, it puts one with the long-term key (ali-oss's Node build,
//   putBucketCORS), as a site operator does once. When no rule can be had, the upload is reported
//   `failed`, naming the CORS configuration that is missing: a browser could not make it either.
// - Addressing: ali-oss in a browser can only use virtual-hosted URLs. Given an IP endpoint it builds
//   http://IP:PORT/key and tries to name the bucket with a Host header, which browsers refuse to set
//   (the request then names no bucket). So for an IP endpoint the page gets the endpoint
//   http://oss-<region>.aliyuncs.com:PORT, and Chromium is started with
//   --host-resolver-rules "MAP *.aliyuncs.com IP": <bucket>.oss-<region>.aliyuncs.com:PORT then reaches
//   the emulator, with that name as Host, as a browser reaching real OSS does.
//
// Layout: (1) request → what the page does, (2) CORS set-up, (3) the browser and the page server,
// (4) page outcomes → protocol results, (5) the protocol loop.

import fs from 'node:fs';
import http from 'node:http';
import https from 'node:https';
import net from 'node:net';
import path from 'node:path';
import readline from 'node:readline';
import { createRequire } from 'node:module';
import { fileURLToPath } from 'node:url';

// stdout carries only protocol lines; anything printed with console.log goes to stderr.
const writeProtocolLine = (obj) => process.stdout.write(`${JSON.stringify(obj)}\n`);
console.log = (...args) => console.error(...args);
console.info = (...args) => console.error(...args);
console.warn = (...args) => console.error(...args);

const HERE = path.dirname(fileURLToPath(import.meta.url));
const require = createRequire(import.meta.url);
const { chromium } = require('playwright-core');
// The Node build of the same ali-oss package, only for the one-off PutBucketCors with the long-term key.
const NodeOSS = require('../node/node_modules/ali-oss');
const BUNDLE_PATH = path.join(HERE, '../node/node_modules/ali-oss/dist/aliyun-oss-sdk.min.js');
const PAGE_PATH = path.join(HERE, 'page.html');

const PROTOCOL_VERSION = 1;
const DRIVER_NAME = 'browser-js';
const SDK_NAME = 'ali-oss (browser bundle)';
const CHROMIUM = process.env.CHROMIUM || '/usr/bin/chromium';
const CHROMIUM_ARGS = [
  '--headless', '--no-sandbox', '--disable-gpu', '--disable-background-networking',
  '--disable-component-update', '--disable-sync', '--no-first-run',
];
// Below the runner's 5 s grace, so the runner gets a reason rather than killing the adapter.
const WATCHDOG_GRACE_MS = 4000;
const PRESIGN_EXPIRES_S = 900;

// The CORS rule a site serving an upload page puts on its bucket (the methods and exposed headers
// ali-oss's browser documentation asks for, plus the other response headers the SDK reads).
// AllowedOrigin is a pattern for every port of the page's host, because the runner may start several
// copies of this adapter (each its own port) and each copy (re)writes the same rule.
const CORS_METHODS = ['PUT', 'POST', 'GET', 'HEAD', 'DELETE'];
const CORS_EXPOSE = [
  'ETag', 'x-oss-request-id', 'x-oss-hash-crc64ecma', 'x-oss-version-id', 'x-oss-object-type',
  'x-oss-next-append-position', 'x-oss-err', 'x-oss-ec', 'x-oss-server-time', 'Content-MD5', 'Date',
];
const CORS_MAX_AGE_S = 600;
// How long an upload whose key cannot set the CORS rule waits for another copy to have set it.
const CORS_WAIT_MS = 2000;

// BROWSER_JS_DRIVER_LOG=DIR also appends each copy's log to DIR/browser-js-<pid>.log (the runner
// shows an adapter's stderr only when the exchange itself goes wrong).
const LOG_FILE = process.env.BROWSER_JS_DRIVER_LOG
  ? path.join(process.env.BROWSER_JS_DRIVER_LOG, `browser-js-${process.pid}.log`) : null;
function log(...args) {
  console.error('[browser-js driver]', ...args);
  if (LOG_FILE) {
    const line = args.map((a) => (typeof a === 'string' ? a : String(a))).join(' ');
    try { fs.appendFileSync(LOG_FILE, `${new Date().toISOString()} ${line}\n`); } catch { /* best effort */ }
  }
}

// ---------------------------------------------------------------------------------------------------
// (1) Request → what the page does
// ---------------------------------------------------------------------------------------------------

/** Thrown while translating a request Browser.js cannot express; becomes an `unsupported` result. */
class Unsupported extends Error {}

const given = (v) => v !== null && v !== undefined;
const isNonEmptyObject = (v) => v !== null && typeof v === 'object' && Object.keys(v).length > 0;

/** ali-oss's options.callback ({url, host, body, contentType, callbackSNI, customValue}), or undefined. */
function callbackOption(req) {
  const cb = req.callback;
  if (!given(cb)) {
    if (req.callback_base64) {
      throw new Unsupported("Browser.js (ali-oss) builds the callback JSON itself; this scenario's callback is not expressible as fields");
    }
    if (req.vars || req.vars_base64) {
      throw new Unsupported('Browser.js (ali-oss) only sends callback variables together with a callback (customValue)');
    }
    return undefined;
  }
  if (isNonEmptyObject(cb.extra)) {
    throw new Unsupported(`Browser.js (ali-oss) callback option has no way to add other JSON members (${Object.keys(cb.extra).join(', ')})`);
  }
  const option = {};
  if (given(cb.url)) option.url = cb.url;
  if (given(cb.host)) option.host = cb.host;
  if (given(cb.body)) option.body = cb.body;
  if (given(cb.body_type)) option.contentType = cb.body_type;
  // An explicit false is passed on as asked; whether it reaches the wire is the SDK's business.
  if (given(cb.sni)) option.callbackSNI = cb.sni;
  if (!given(req.vars)) {
    if (req.vars_base64) {
      throw new Unsupported("Browser.js (ali-oss) builds the callback-var JSON itself; this scenario's variables are not expressible as fields");
    }
  } else {
    // ali-oss prefixes every customValue name with x:, so names are given without it.
    const customValue = {};
    for (const [name, value] of Object.entries(req.vars)) {
      if (!name.startsWith('x:')) {
        throw new Unsupported(`Browser.js (ali-oss) always adds the x: prefix, so the variable name ${JSON.stringify(name)} is not expressible`);
      }
      customValue[name.slice(2)] = value;
    }
    option.customValue = customValue;
  }
  return option;
}

function requireCarrier(req, expected, why) {
  const carrier = given(req.carrier) ? req.carrier : expected;
  if (carrier !== expected) throw new Unsupported(`carrier ${JSON.stringify(carrier)}: ${why}`);
}

function authV4(req) {
  if (req.auth === 'v1') return false;
  if (req.auth === 'v4') return true;
  throw new Unsupported(`unknown auth ${JSON.stringify(req.auth)}`);
}

const isIp = (host) => net.isIP(host.replace(/^\[|\]$/g, '')) !== 0;

/**
 * Where the page sends requests, and the resolver rule Chromium needs for it (null: none).
 * See the header comment: an IP endpoint becomes oss-<region>.aliyuncs.com on the same port,
 * mapped to the IP.
 */
function browserAddressing(req) {
  const ep = new URL(req.endpoint);
  if (!isIp(ep.hostname)) return { endpoint: req.endpoint, resolverRule: null };
  const port = ep.port ? `:${ep.port}` : '';
  return {
    endpoint: `${ep.protocol}//oss-${req.region}.aliyuncs.com${port}`,
    resolverRule: `MAP *.aliyuncs.com ${ep.hostname}`,
  };
}

/** The options a browser application passes to new OSS(): STS credentials and token. */
function clientOptions(req, endpoint, { v4 }) {
  return {
    region: `oss-${req.region}`,
    endpoint,
    accessKeyId: req.sts.access_key_id,
    accessKeySecret: req.sts.access_key_secret,
    stsToken: req.sts.security_token,
    bucket: req.bucket,
    timeout: req.timeout_ms,
    authorizationV4: v4,
  };
}

/** The page's instructions for one upload (everything JSON; the content as base64). */
function pageSpec(req) {
  if (!given(req.sts)) {
    throw new Unsupported('Browser.js uploads are signed with STS credentials; the target offers none');
  }
  const { endpoint } = browserAddressing(req);
  const headers = { ...(req.headers || {}) };
  const base = { operation: req.operation, key: req.key, headers, timeoutMs: req.timeout_ms };
  switch (req.operation) {
    case 'put': {
      requireCarrier(req, 'header', 'ali-oss put() only sends the callback as x-oss-callback / x-oss-callback-var headers');
      const v4 = authV4(req);
      // The content goes in as a Blob of that type; ali-oss takes the Blob's type as the mime (and
      // guesses from the key's extension when it is empty).
      return {
        ...base, client: clientOptions(req, endpoint, { v4 }), callback: callbackOption(req),
        blobType: given(req.content_type) ? req.content_type : '',
      };
    }
    case 'multipart': {
      requireCarrier(req, 'header', 'ali-oss completeMultipartUpload() only sends the callback as x-oss-callback headers');
      if (req.callback_on_every_request) {
        throw new Unsupported('ali-oss attaches the callback only to CompleteMultipartUpload; Initiate and UploadPart take none');
      }
      const v4 = authV4(req);
      const partSize = req.part_size || 102400;
      if (!Number.isInteger(partSize) || partSize < 1) {
        throw new Unsupported(`part_size ${JSON.stringify(req.part_size)} is not a positive integer`);
      }
      // Step calls, not multipartUpload(): that one does a single PutObject under 100 KiB and refuses
      // parts below 102400 bytes. Content-Type and the extra headers describe the object: on Initiate.
      return {
        ...base, client: clientOptions(req, endpoint, { v4 }), callback: callbackOption(req),
        mime: given(req.content_type) ? req.content_type : null, partSize,
      };
    }
    case 'presign-v1': {
      requireCarrier(req, 'query', 'ali-oss signatureUrl() only puts the callback in the callback / callback-var query parameters');
      const callback = callbackOption(req);
      // V1 presigning signs Content-Type, Content-MD5 and x-oss-* headers: they go to signatureUrl
      // too, as a caller would, and the fetch sends them.
      const signOptions = { method: 'PUT', expires: PRESIGN_EXPIRES_S };
      for (const [name, value] of Object.entries(headers)) {
        const lower = name.toLowerCase();
        if (lower.startsWith('x-oss-') || lower === 'content-md5' || lower === 'content-type') signOptions[name] = value;
      }
      if (given(req.content_type)) {
        signOptions['Content-Type'] = req.content_type;
        headers['Content-Type'] = req.content_type;
      }
      if (callback) signOptions.callback = callback;
      return { ...base, client: clientOptions(req, endpoint, { v4: false }), signOptions, putHeaders: headers };
    }
    case 'presign-v4':
      throw new Unsupported('ali-oss signatureUrlV4() has no callback option (only raw queries); the SDK builds the callback itself only for put, completeMultipartUpload and V1 signatureUrl');
    case 'post':
      throw new Unsupported('Browser.js (ali-oss) has no PostObject upload call (only the calculatePostSignature / signPostObjectPolicyV4 policy helpers)');
    default:
      throw new Unsupported(`unknown operation ${JSON.stringify(req.operation)}`);
  }
}

// ---------------------------------------------------------------------------------------------------
// (2) CORS set-up: one PutBucketCors per endpoint+bucket, from Node, with the long-term key
// ---------------------------------------------------------------------------------------------------

// endpoint+bucket → how the page's CORS rule came to be: 'set' (by this adapter), 'found' (already
// there), or why it could not be set.
const corsState = new Map();

function corsRuleFor(pageOrigin) {
  const u = new URL(pageOrigin);
  return {
    allowedOrigin: `${u.protocol}//${u.hostname}:*`,
    allowedMethod: CORS_METHODS,
    allowedHeader: ['*'],
    exposeHeader: CORS_EXPOSE,
    maxAgeSeconds: CORS_MAX_AGE_S,
  };
}

function describeCorsRule(rule) {
  return `AllowedOrigin ${rule.allowedOrigin}, AllowedMethod ${rule.allowedMethod.join('/')}, AllowedHeader *, ExposeHeader ${rule.exposeHeader.join(', ')}`;
}

/**
 * Whether the bucket already answers a preflight from the page's origin (an unauthenticated OPTIONS,
 * as the browser sends): another copy of this adapter, or an earlier run, may have set the rule.
 */
function corsInPlace(req, pageOrigin) {
  const ep = new URL(req.endpoint);
  const transport = ep.protocol === 'https:' ? https : http;
  const host = isIp(ep.hostname) ? `${req.bucket}.oss-${req.region}.aliyuncs.com` : `${req.bucket}.${ep.hostname}`;
  return new Promise((resolve) => {
    const probe = transport.request({
      method: 'OPTIONS',
      hostname: isIp(ep.hostname) ? ep.hostname.replace(/^\[|\]$/g, '') : host,
      port: ep.port || undefined,
      path: '/',
      headers: {
        Host: ep.port ? `${host}:${ep.port}` : host,
        Origin: pageOrigin,
        'Access-Control-Request-Method': 'PUT',
        'Access-Control-Request-Headers': 'authorization,content-type,x-oss-callback,x-oss-date',
      },
      timeout: 3000,
    }, (response) => {
      response.resume();
      resolve(response.statusCode === 200 && !!response.headers['access-control-allow-origin']);
    });
    probe.on('timeout', () => probe.destroy(new Error('timeout')));
    probe.on('error', () => resolve(false));
    probe.end();
  });
}

const sleep = (ms) => new Promise((resolve) => setTimeout(resolve, ms));

/**
 * Makes sure the bucket answers the page's preflights before an upload. The rule is checked with an
 * unauthenticated preflight before every upload, not only once: anything else that writes the
 * bucket's CORS configuration (another tool, a scenario's own rules) replaces it.
 */
async function ensureCors(req, pageOrigin) {
  const key = `${req.endpoint} ${req.bucket}`;
  if (await corsInPlace(req, pageOrigin)) {
    if (!corsState.has(key) || !['set', 'found'].includes(corsState.get(key))) corsState.set(key, 'found');
    return true;
  }
  const client = new NodeOSS({
    region: `oss-${req.region}`,
    endpoint: req.endpoint,
    accessKeyId: req.access_key_id,
    accessKeySecret: req.access_key_secret,
    bucket: req.bucket,
    timeout: req.timeout_ms,
  });
  try {
    await client.putBucketCORS(req.bucket, [corsRuleFor(pageOrigin)]);
    corsState.set(key, 'set');
    log(`CORS rule set on ${req.bucket} at ${req.endpoint}`);
    return true;
  } catch (err) {
    const why = `${err.name || 'Error'}: ${err.message}`;
    corsState.set(key, why);
    log(`PutBucketCors on ${req.bucket} at ${req.endpoint} failed (${why})`);
  }
  // A scenario with a deliberately wrong secret cannot set the rule. The rule is the site's set-up,
  // made once with the owner's key, not part of the upload: wait a little for another copy of the
  // adapter to set it (the runner starts several at once); failing that, the caller uploads from a
  // Chromium that does not enforce CORS (see answerUpload).
  const deadline = Date.now() + Math.min(CORS_WAIT_MS, Math.max(0, (req.timeout_ms || 10000) - 2000));
  while (Date.now() < deadline) {
    await sleep(250);
    if (await corsInPlace(req, pageOrigin)) {
      corsState.set(key, 'found');
      log(`a CORS rule for ${pageOrigin} is now in place on ${req.bucket} at ${req.endpoint}`);
      return true;
    }
  }
  log(`no CORS rule for ${pageOrigin} on ${req.bucket} at ${req.endpoint}, and this upload's key cannot set one`);
  return false;
}

// ---------------------------------------------------------------------------------------------------
// (3) The page server and the browser
// ---------------------------------------------------------------------------------------------------

function startPageServer() {
  const server = http.createServer((request, response) => {
    const url = new URL(request.url, 'http://127.0.0.1');
    const send = (status, type, file) => {
      try {
        const body = file ? fs.readFileSync(file) : Buffer.alloc(0);
        response.writeHead(status, { 'Content-Type': type, 'Cache-Control': 'no-store', 'Content-Length': body.length });
        response.end(body);
      } catch (err) {
        response.writeHead(500, { 'Content-Type': 'text/plain' });
        response.end(String(err));
      }
    };
    if (url.pathname === '/' || url.pathname === '/page.html') send(200, 'text/html; charset=utf-8', PAGE_PATH);
    else if (url.pathname === '/sdk/aliyun-oss-sdk.min.js') send(200, 'text/javascript; charset=utf-8', BUNDLE_PATH);
    else if (url.pathname === '/favicon.ico') send(204, 'image/x-icon', null);
    else send(404, 'text/plain', null);
  });
  return new Promise((resolve, reject) => {
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => resolve(server));
  });
}

class BrowserSession {
  constructor(pageUrl) {
    this.pageUrl = pageUrl;
    this.browser = null;
    this.page = null;
    this.resolverRule = undefined;
    this.events = [];
  }

  async launch(resolverRule) {
    await this.close();
    const args = [...CHROMIUM_ARGS];
    if (resolverRule) args.push(`--host-resolver-rules=${resolverRule}`);
    this.browser = await chromium.launch({ executablePath: CHROMIUM, args });
    this.browser.on('disconnected', () => log('Chromium disconnected'));
    this.resolverRule = resolverRule;
    log(`Chromium ${this.browser.version()} started${resolverRule ? ` with --host-resolver-rules=${resolverRule}` : ''}`);
  }

  /** A page with the bundle loaded, reused across uploads (a new one after a watchdog or crash). */
  async ready(resolverRule) {
    if (!this.browser || !this.browser.isConnected() || this.resolverRule !== resolverRule) {
      await this.launch(resolverRule);
    }
    if (this.page && !this.page.isClosed()) return this.page;
    const page = await this.browser.newPage();
    page.on('console', (msg) => {
      const text = msg.text();
      if (msg.type() === 'error') this.events.push(`console ${msg.type()}: ${text}`);
      log(`page console.${msg.type()}: ${text}`);
    });
    page.on('pageerror', (err) => {
      this.events.push(`page error: ${err}`);
      log(`page error: ${err}`);
    });
    page.on('requestfailed', (request) => {
      const failure = request.failure();
      this.events.push(`request failed: ${request.method()} ${request.url()}: ${failure ? failure.errorText : '?'}`);
    });
    page.on('response', (response) => {
      const request = response.request();
      if (request.url().startsWith(this.pageUrl.origin)) return;
      const h = response.headers();
      const cors = ['access-control-allow-origin', 'access-control-allow-methods', 'access-control-allow-headers', 'access-control-expose-headers']
        .filter((n) => n in h).map((n) => `${n}: ${h[n]}`).join('; ');
      this.events.push(`response ${request.method()} ${response.status()} ${request.url().split('?')[0]} [${cors || 'no Access-Control-* headers'}]`);
    });
    await page.goto(this.pageUrl.href, { waitUntil: 'load' });
    this.page = page;
    return page;
  }

  async sdkInfo() {
    const page = await this.ready(this.resolverRule ?? null);
    return page.evaluate(() => window.cbspecSdk());
  }

  /** Drops the page (aborting whatever it still has in flight). */
  async dropPage() {
    const page = this.page;
    this.page = null;
    if (page) await page.close().catch(() => {});
  }

  async close() {
    await this.dropPage();
    const browser = this.browser;
    this.browser = null;
    if (browser) await browser.close().catch(() => {});
  }
}

// ---------------------------------------------------------------------------------------------------
// (4) Page outcomes → protocol results
// ---------------------------------------------------------------------------------------------------

function lowerHeaders(headers) {
  const out = {};
  for (const [name, value] of Object.entries(headers || {})) out[name.toLowerCase()] = String(value);
  return out;
}

const orNull = (v) => (v === undefined || v === null ? null : String(v));

function resultFromSuccess(id, done) {
  if (done.kind === 'raw') {
    // The presigned PUT's answer, as fetch saw it; nothing interprets it.
    const raised = done.status >= 400;
    return {
      type: 'result', id, outcome: 'answer', status: done.status, raised,
      headers: lowerHeaders(done.headers), body: done.body,
      error: raised ? { code: null, message: null, ec: null, request_id: null, argument_name: null, argument_value: null } : null,
    };
  }
  const result = {
    type: 'result', id, outcome: 'answer', status: done.status, raised: false,
    headers: lowerHeaders(done.headers), error: null,
  };
  // With a callback, ali-oss hands over the callback reply only as JSON.parse(body) in `data`.
  if (done.data.present && done.data.bytes) result.body = done.data.text;
  else if (done.data.present) result.body_json = done.data.json;
  else result.body = null;
  return result;
}

/**
 * What the browser saw while the SDK failed without an HTTP answer: Chromium's CORS verdicts, failed
 * requests, the Access-Control-* headers of the answers, and the CORS rule the adapter set.
 */
function corsContext(req, events, pageOrigin) {
  const notes = [];
  const blocked = events.filter((e) => e.startsWith('console error') && /CORS policy/i.test(e));
  if (blocked.length) notes.push(`the browser's CORS check refused the answer: ${blocked.join(' | ')}`);
  const key = `${req.endpoint} ${req.bucket}`;
  const state = corsState.get(key);
  if (state === 'set') notes.push(`CORS rule the adapter put on the bucket: ${describeCorsRule(corsRuleFor(pageOrigin))}`);
  else if (state === 'found') notes.push("the bucket already had a CORS rule allowing the page's origin, left as it was");
  else if (state) notes.push(`the adapter could not set the bucket's CORS rule (${state})`);
  const seen = events.filter((e) => e.startsWith('response ') || e.startsWith('request failed')).slice(-4);
  if (seen.length) notes.push(`seen by the browser: ${seen.join(' | ')}`);
  return notes.join('; ');
}

function resultFromError(id, req, err, events, pageOrigin) {
  if (typeof err.status === 'number' && err.status > 0) {
    return {
      type: 'result', id, outcome: 'answer', status: err.status, raised: true,
      headers: lowerHeaders(err.resHeaders), body: null,
      error: {
        code: orNull(err.code), message: orNull(err.message), ec: orNull(err.ecCode),
        request_id: orNull(err.requestId), argument_name: null, argument_value: null,
      },
    };
  }
  // No HTTP answer reached the SDK (or it threw before or after): ali-oss's -1 / -2 network errors,
  // fetch's TypeError, the SDK's own "Please set the etag of expose-headers" when CORS hides ETag.
  let text = `${err.name || 'Error'}: ${err.message}`;
  if (/etag/i.test(err.message || '')) {
    text += ' [the response did not expose ETag to the page: the bucket CORS rule needs ExposeHeader ETag]';
  }
  if (err.fetch) text = `presigned PUT (fetch): ${text}`;
  // The CORS picture only where CORS can be the cause: no readable answer (ali-oss's -1 network
  // error, -2 timeout, fetch's TypeError) or a header the page could not read.
  const corsRelated = err.status === -1 || err.status === -2 || err.fetch || /etag|XHR error|Failed to fetch/i.test(err.message || '');
  if (corsRelated) text += `; ${corsContext(req, events, pageOrigin)}`;
  return { type: 'result', id, outcome: 'failed', error_text: text };
}

// ---------------------------------------------------------------------------------------------------
// (5) Protocol loop
// ---------------------------------------------------------------------------------------------------

let session = null;
let pageServer = null;
let pageOrigin = null;

async function answerUpload(req) {
  const id = req.id;
  let spec;
  try {
    spec = pageSpec(req);
  } catch (err) {
    if (err instanceof Unsupported) return { type: 'result', id, outcome: 'unsupported', reason: err.message };
    throw err;
  }
  const content = fs.readFileSync(req.content_file);
  spec.contentBase64 = content.toString('base64');

  const budgetMs = (Number.isFinite(req.timeout_ms) ? req.timeout_ms : 10000) + WATCHDOG_GRACE_MS;
  const started = Date.now();
  log(`upload ${id}: ${req.operation} ${req.key} to ${req.endpoint}`);
  let watchdog;
  let current = session;
  const timedOut = new Promise((resolve) => {
    watchdog = setTimeout(() => resolve({ watchdog: true }), budgetMs);
  });
  try {
    const work = (async () => {
      if (!(await ensureCors(req, pageOrigin))) {
        return { corsMissing: corsState.get(`${req.endpoint} ${req.bucket}`) || 'no rule' };
      }
      const page = await current.ready(browserAddressing(req).resolverRule);
      current.events = [];
      return page.evaluate((s) => window.cbspecUpload(s), spec);
    })();
    const out = await Promise.race([work, timedOut]);
    if (out.watchdog) {
      work.catch(() => {});
      const events = current.events;
      await current.dropPage();
      return {
        type: 'result', id, outcome: 'failed',
        error_text: `AdapterWatchdog: no answer from Browser.js within ${budgetMs} ms; ${corsContext(req, events, pageOrigin)}`,
      };
    }
    if (out.corsMissing) {
      return {
        type: 'result', id, outcome: 'failed',
        error_text: `CORS: the bucket ${req.bucket} has no CORS rule letting ${pageOrigin} upload (PutBucketCors failed: ${out.corsMissing}); a browser cannot upload until a rule allows this origin, PUT and POST, the x-oss-* request headers, and exposes ETag and x-oss-request-id`,
      };
    }
    log(`upload ${id} (${req.operation}) took ${Date.now() - started} ms`);
    if (out.ok) return resultFromSuccess(id, out);
    log(`upload ${id} rejected: ${out.name}: ${out.message} (status ${out.status})`);
    return resultFromError(id, req, out, current.events, pageOrigin);
  } finally {
    clearTimeout(watchdog);
  }
}

let shuttingDown = false;
async function shutdown(code) {
  if (shuttingDown) return;
  shuttingDown = true;
  const force = setTimeout(() => process.exit(code), 5000);
  force.unref();
  if (session) await session.close().catch(() => {});
  if (pageServer) pageServer.close();
  process.stdout.write('', () => process.exit(code));
}

process.on('uncaughtException', (err) => log('uncaught exception:', err && err.stack ? err.stack : err));
process.on('unhandledRejection', (err) => log('unhandled rejection:', err && err.stack ? err.stack : err));

async function main() {
  pageServer = await startPageServer();
  pageOrigin = `http://127.0.0.1:${pageServer.address().port}`;
  session = new BrowserSession(new URL(`${pageOrigin}/page.html`));
  // The embedded emulator listens on 127.0.0.1: start with that mapping, so the usual run needs one
  // launch. Another endpoint relaunches Chromium with its own rule (or none).
  await session.launch('MAP *.aliyuncs.com 127.0.0.1');
  const sdk = await session.sdkInfo();
  if (!sdk.loaded) throw new Error(`the bundle ${BUNDLE_PATH} did not define OSS in the page`);
  writeProtocolLine({
    type: 'hello', protocol: PROTOCOL_VERSION, driver: DRIVER_NAME, sdk: SDK_NAME,
    sdk_version: sdk.version, runtime: `Chromium ${session.browser.version()}`,
  });

  const lines = readline.createInterface({ input: process.stdin, crlfDelay: Infinity });
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
      log(`upload ${message.id}: adapter error:`, err && err.stack ? err.stack : err);
      result = { type: 'result', id: message.id, outcome: 'failed', error_text: `adapter error: ${err && err.message ? err.message : err}` };
      if (session) await session.dropPage();
    }
    writeProtocolLine(result);
  }
  await shutdown(0);
}

main().catch(async (err) => {
  log('fatal:', err && err.stack ? err.stack : err);
  await shutdown(1);
});
