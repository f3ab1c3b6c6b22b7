// Exports with context, over the wire:
//   node tests/e2e/exports.test.mjs
// On a small anvil chain: X-Indexed-Block(-Hash) equal /v1/status's block and block_hash;
// Content-Disposition names the token and block; Accept-Encoding: gzip gives gzip that decodes to
// the plain export byte for byte, with a weak ETag that If-None-Match matches; ?columns= adds
// symbol, decimals, an exact decimal `amount` (checked with BigInt against the raw value) and an
// ISO `time`; --cors-origin answers preflights and reads for the listed origin only, never on
// /admin, and a default daemon sends no CORS header.
import fs from 'node:fs';
import path from 'node:path';
import zlib from 'node:zlib';
import { startAnvil, rpc } from './lib/chain.mjs';
import { makeTempDir, httpRequest } from './lib/proc.mjs';
import { buildChain } from './lib/workload.mjs';
import { startDaemon, waitForBlock, waitForMetadata, apiOk } from './lib/daemon.mjs';
import { createHarness, assert } from './lib/harness.mjs';

const h = createHarness('exports', { timeoutMs: 240000 });
const ORIGIN = 'http://localhost:8888';
let code = 1;

/** A raw GET: status, headers and the body as bytes (not decoded). */
function raw(port, p, { method = 'GET', headers = {} } = {}) {
  return new Promise((resolve, reject) => {
    import('node:http').then(({ default: http }) => {
      const req = http.request({ host: '127.0.0.1', port, path: p, method, headers }, (res) => {
        const chunks = [];
        res.on('data', (c) => chunks.push(c));
        res.on('end', () => resolve({ status: res.statusCode, headers: res.headers, body: Buffer.concat(chunks) }));
      });
      req.on('error', reject);
      req.end();
    });
  });
}

const scaled = (raw, d) => {
  const neg = raw.startsWith('-');
  const digits = (neg ? raw.slice(1) : raw).padStart(d + 1, '0');
  let whole = digits.slice(0, digits.length - d);
  let frac = digits.slice(digits.length - d).replace(/0+$/, '');
  const out = frac ? `${whole}.${frac}` : whole;
  return neg && /[1-9]/.test(out) ? `-${out}` : out;
};

try {
  const anvil = await h.must('start anvil', () => startAnvil());
  await h.must('build a small chain', () => buildChain(anvil.url, { seed: 5, blocks: 20 }));
  const head = Number(BigInt(await rpc(anvil.url, 'eth_blockNumber')));
  const tmp = makeTempDir();
  fs.writeFileSync(path.join(tmp, 'token'), 'exports-admin-token-0123456789\n', { mode: 0o600 });
  const d = await h.must('start the daemon with --cors-origin', () => startDaemon({
    rpcUrl: anvil.url, db: path.join(tmp, 'db'), extraArgs: ['--cors-origin', ORIGIN, '--admin-token-file', path.join(tmp, 'token')],
  }));
  await h.must('the daemon reaches the head', () => waitForBlock(d.port, head));
  const tokens = (await apiOk(d.port, '/v1/tokens?order=transfers')).items;
  const token = tokens[0].address;
  await waitForMetadata(d.port, [token]);
  const status = await apiOk(d.port, '/v1/status');

  await h.check('X-Indexed-Block and -Hash equal /v1/status block and block_hash', async () => {
    for (const p of ['/v1/status', '/v1/tokens', `/v1/tokens/${token}/holders?format=csv`, '/v1/tokens/0x01']) {
      const r = await raw(d.port, p);
      assert.equal(r.headers['x-indexed-block'], String(status.block), p);
      assert.equal(r.headers['x-indexed-block-hash'], status.block_hash, p);
    }
  });
  const exportPath = `/v1/tokens/${token}/transfers?format=csv`;
  const plain = await raw(d.port, exportPath);
  await h.check('an export is an attachment named after the token and block', () => {
    assert.equal(plain.headers['content-disposition'], `attachment; filename="${token}-transfers-${status.block}.csv"`);
    assert.ok(plain.headers.etag && !plain.headers.etag.startsWith('W/'));
  });
  await h.check('HEAD of an export: the GET\'s headers, no body, and no made-up Content-Length', async () => {
    const head = await raw(d.port, exportPath, { method: 'HEAD' });
    assert.equal(head.status, 200);
    assert.equal(head.body.length, 0);
    assert.equal(head.headers['content-length'], undefined, 'the length of a stream is not known');
    for (const k of ['etag', 'content-disposition', 'content-type', 'x-indexed-block']) assert.equal(head.headers[k], plain.headers[k], k);
  });
  await h.check('gzip: the same bytes, a weak ETag, and If-None-Match matches it', async () => {
    const gz = await raw(d.port, exportPath, { headers: { 'accept-encoding': 'gzip' } });
    assert.equal(gz.headers['content-encoding'], 'gzip');
    assert.match(gz.headers.vary, /Accept-Encoding/);
    assert.ok(zlib.gunzipSync(gz.body).equals(plain.body), 'gunzip(gzip answer) == plain answer');
    assert.equal(gz.headers.etag, `W/${plain.headers.etag}`);
    const again = await raw(d.port, exportPath, { headers: { 'accept-encoding': 'gzip', 'if-none-match': gz.headers.etag } });
    assert.equal(again.status, 304);
    const small = await raw(d.port, '/healthz', { headers: { 'accept-encoding': 'gzip' } });
    assert.equal(small.headers['content-encoding'], undefined, 'a tiny answer stays plain');
  });
  await h.check('columns=: symbol, decimals, an exact amount and ISO time beside the raw value', async () => {
    const meta = await apiOk(d.port, `/v1/tokens/${token}`);
    const page = await apiOk(d.port, `/v1/tokens/${token}/transfers?limit=1000&columns=block,value,amount,symbol,decimals,timestamp,time`);
    assert.ok(page.items.length > 0);
    for (const t of page.items) {
      assert.deepEqual(Object.keys(t), ['block', 'value', 'amount', 'symbol', 'decimals', 'timestamp', 'time']);
      assert.equal(t.symbol, meta.symbol);
      assert.equal(t.decimals, meta.decimals);
      assert.equal(t.amount, meta.decimals === null ? null : scaled(t.value, meta.decimals));
      assert.equal(t.time, new Date(t.timestamp * 1000).toISOString().replace('.000Z', 'Z'));
    }
    const bad = await httpRequest(`http://127.0.0.1:${d.port}/v1/tokens/${token}/holders?columns=nope`);
    assert.equal(bad.status, 400);
    assert.equal(JSON.parse(bad.text).error.code, 'bad_columns');
  });
  await h.check('CORS: the listed origin may read, another may not, /admin never answers it', async () => {
    const pre = await raw(d.port, `/v1/tokens/${token}/holders`, { method: 'OPTIONS', headers: { origin: ORIGIN, 'access-control-request-method': 'GET' } });
    assert.equal(pre.status, 204);
    assert.equal(pre.headers['access-control-allow-origin'], ORIGIN);
    assert.equal(pre.headers['access-control-allow-methods'], 'GET, HEAD');
    const get = await raw(d.port, '/v1/status', { headers: { origin: ORIGIN } });
    assert.equal(get.headers['access-control-allow-origin'], ORIGIN);
    assert.match(get.headers['access-control-expose-headers'], /X-Indexed-Block/);
    const other = await raw(d.port, '/v1/status', { method: 'OPTIONS', headers: { origin: 'http://evil.example' } });
    assert.equal(other.status, 403);
    assert.equal(JSON.parse(other.body.toString()).error.code, 'origin_not_allowed');
    const admin = await raw(d.port, '/admin/v1/compact', { method: 'OPTIONS', headers: { origin: ORIGIN } });
    assert.equal(admin.headers['access-control-allow-origin'], undefined);
    assert.notEqual(admin.status, 204);
  });
  await d.stop();
  const plainDaemon = await h.must('start a daemon without --cors-origin', () => startDaemon({ rpcUrl: anvil.url, db: path.join(tmp, 'db') }));
  await h.check('without --cors-origin: no CORS header, a preflight is a 405 as before', async () => {
    const pre = await raw(plainDaemon.port, '/v1/status', { method: 'OPTIONS', headers: { origin: ORIGIN } });
    assert.equal(pre.status, 405);
    const get = await raw(plainDaemon.port, '/v1/status', { headers: { origin: ORIGIN } });
    assert.equal(get.headers['access-control-allow-origin'], undefined);
    assert.doesNotMatch(get.headers.vary ?? '', /Origin/);
  });
  await plainDaemon.stop();
  await anvil.stop();
} catch (e) {
  h.fail('unexpected error', e);
} finally {
  code = h.finish();
}
process.exit(code);
