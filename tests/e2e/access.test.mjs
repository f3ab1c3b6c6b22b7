// Access control over the wire:
//   node tests/e2e/access.test.mjs
// On an anvil chain with an airdrop token of 5,000 holders:
// - a daemon listening on 0.0.0.0 without read tokens or --public refuses to start (exit 2, a
//   message naming --listen, --read-token-file and --public); --public starts and says so; a token
//   file with a short token, or with the admin token in it, stops start-up naming the line;
// - with read tokens (on 0.0.0.0, reached over 127.0.0.1), every route of docs/openapi.yaml answers
//   401 with a JSON error and WWW-Authenticate to no token, a wrong token and the admin token, and
//   200 to a read token; /healthz and /readyz stay open; the admin API still takes only the admin
//   token; a token removed from the file is refused after SIGHUP, a bad file on SIGHUP keeps the
//   tokens in use; /metrics counts requests per client name and the refusals;
// - eight concurrent full CSV exports, repeated for 3 s, each come back complete (or as 429
//   too_busy), while single-balance requests stay under 50 ms at the 99th percentile;
// - --rate-limit: a client above its rate gets 429 with Retry-After while another client is
//   unaffected, per token name and (without tokens) per peer address;
// - connection caps: the peer's longest idle connection makes room for a new one; when all its
//   connections are busy a new one is closed, while another address is served up to the total cap;
//   slowloris is still dropped; a reader that stops reading an export is cut by --write-timeout-ms.
import fs from 'node:fs';
import path from 'node:path';
import net from 'node:net';
import { Worker } from 'node:worker_threads';
import { startAnvil, rpc } from './lib/chain.mjs';
import { makeTempDir, httpRequest, freePort, runCli, sleep } from './lib/proc.mjs';
import { deployAirdrop, airdrop } from './lib/airdrop.mjs';
import { startDaemon, waitForBlock, DAEMON_BIN } from './lib/daemon.mjs';
import { slowSender } from './lib/httpraw.mjs';
import { loadSpec } from './lib/openapi.mjs';
import { createHarness, assert, kSlow } from './lib/harness.mjs';

const h = createHarness('access', { timeoutMs: 300000 });
const HOLDERS = 5000;
const ADMIN = 'access-admin-token-0123456789';
const ALICE = 'alice-read-token-0123456789abcdef';
const BOB = 'bob-read-token-0123456789abcdef';
let code = 1;

const bearer = (t) => (t ? { authorization: `Bearer ${t}` } : {});
/** GET 127.0.0.1:port+p with an optional bearer token: {status, headers, text, json}. */
async function get(port, p, token = null, { localAddress } = {}) {
  const r = localAddress ? await getFrom(port, p, token, localAddress) : await httpRequest(`http://127.0.0.1:${port}${p}`, { headers: bearer(token) });
  let json = null;
  try { json = JSON.parse(r.text); } catch { /* not JSON */ }
  return { ...r, json };
}

/** The same GET from another loopback address (another peer for the daemon). */
function getFrom(port, p, token, localAddress) {
  return new Promise((resolve, reject) => {
    import('node:http').then(({ default: http }) => {
      const req = http.request({ host: '127.0.0.1', port, path: p, localAddress, agent: false, headers: bearer(token) }, (res) => {
        const chunks = [];
        res.on('data', (c) => chunks.push(c));
        res.on('end', () => resolve({ status: res.statusCode, headers: res.headers, text: Buffer.concat(chunks).toString('utf8') }));
      });
      req.setTimeout(10000, () => req.destroy(new Error(`timeout: GET ${p}`)));
      req.on('error', reject);
      req.end();
    });
  });
}

/** The daemon's metric samples named `name` as [{labels, value}]. */
async function metric(port, token, name) {
  const r = await get(port, '/metrics', token);
  assert.equal(r.status, 200, r.text.slice(0, 200));
  const out = [];
  for (const line of r.text.split('\n')) {
    const m = /^([a-zA-Z_:][a-zA-Z0-9_:]*)(?:\{([^}]*)\})? (\S+)$/.exec(line);
    if (!m || m[1] !== name) continue;
    const labels = Object.fromEntries([...(m[2] ?? '').matchAll(/(\w+)="([^"]*)"/g)].map((x) => [x[1], x[2]]));
    out.push({ labels, value: Number(m[3]) });
  }
  return out;
}
const valueOf = (samples, labels) => samples.find((s) => Object.entries(labels).every(([k, v]) => s.labels[k] === v))?.value ?? 0;

/** A connection to 127.0.0.1:port from `localAddress`: {socket, closed: Promise, isClosed(), data()}. */
function connect(port, localAddress = '127.0.0.1') {
  return new Promise((resolve, reject) => {
    const socket = net.connect({ port, host: '127.0.0.1', localAddress });
    const chunks = [];
    let closedFlag = false;
    const closed = new Promise((r) => socket.on('close', () => { closedFlag = true; r(); }));
    socket.on('data', (c) => chunks.push(c));
    socket.on('error', () => {});
    socket.on('connect', () => resolve({ socket, closed, isClosed: () => closedFlag, data: () => Buffer.concat(chunks).toString('latin1') }));
    socket.on('error', reject);
  });
}
const within = (p, ms) => Promise.race([p.then(() => true), sleep(ms).then(() => false)]);

/**
 * A worker thread that GETs `url` with a read token again and again for `ms` (at least once):
 * resolves [{status, lines, retryAfter, text (for errors)}].
 */
function runExporter(url, token, ms) {
  const code = `
    const { parentPort, workerData: w } = require('node:worker_threads');
    const http = require('node:http');
    const once = () => new Promise((resolve, reject) => {
      http.get(w.url, { agent: false, headers: { authorization: 'Bearer ' + w.token } }, (res) => {
        let lines = 0, text = '';
        res.on('data', (c) => { for (const b of c) if (b === 10) lines++; if (res.statusCode !== 200) text += c; });
        res.on('end', () => resolve({ status: res.statusCode, lines, retryAfter: res.headers['retry-after'], text }));
        res.on('error', reject);
      }).on('error', reject);
    });
    (async () => {
      const out = [];
      const until = Date.now() + w.ms;
      do out.push(await once()); while (Date.now() < until);
      parentPort.postMessage(out);
    })().catch((e) => parentPort.postMessage({ error: String(e) }));`;
  return new Promise((resolve, reject) => {
    const worker = new Worker(code, { eval: true, workerData: { url, token, ms } });
    worker.once('message', (m) => { worker.terminate(); if (m.error) reject(new Error(m.error)); else resolve(m); });
    worker.once('error', reject);
  });
}

/** Stop a daemon and start it again on the same database with `args`. */
async function restart(d, opts) {
  if (d) await d.stop();
  return startDaemon(opts);
}

try {
  const anvil = await h.must('start anvil', () => startAnvil({ args: ['--gas-limit', '1000000000'] }));
  const [from] = await rpc(anvil.url, 'eth_accounts');
  const air = await h.must(`an airdrop token with ${HOLDERS} holders`, async () => {
    const t = await deployAirdrop(anvil.url, from, { symbol: 'AIR' });
    await airdrop(anvil.url, from, t, 0, HOLDERS, { perTx: 2500 });
    return t;
  });
  const head = Number(BigInt(await rpc(anvil.url, 'eth_blockNumber')));
  const tmp = makeTempDir();
  const db = path.join(tmp, 'db');
  const adminFile = path.join(tmp, 'admin-token');
  const tokenFile = path.join(tmp, 'read-tokens');
  fs.writeFileSync(adminFile, `${ADMIN}\n`, { mode: 0o600 });
  const writeTokens = (text) => fs.writeFileSync(tokenFile, text, { mode: 0o600 });
  const run = (extra) => runCli(DAEMON_BIN, ['run', '--rpc-url', anvil.url, '--db', path.join(tmp, 'refused'), '--poll-interval-ms', '100', ...extra], { timeoutMs: 20000 });

  // ---- start-up ---------------------------------------------------------------------------------
  await h.check('--listen 0.0.0.0 without read tokens or --public: exit 2, a message naming the three options', async () => {
    const r = await run(['--listen', `0.0.0.0:${await freePort()}`]);
    assert.equal(r.code, 2, r.stderr);
    assert.match(r.stderr, /--listen 0\.0\.0\.0.*not a loopback address/);
    assert.match(r.stderr, /--read-token-file/);
    assert.match(r.stderr, /--public/);
    assert.equal(fs.existsSync(path.join(tmp, 'refused', 'CURRENT')), false, 'no database was made');
  });
  await h.check('bad token files stop start-up naming the file line: a short token, the admin token, a repeated name', async () => {
    const cases = [
      [`alice:${ALICE}\nbob:short-token\n`, /line 2.*at least 16 characters/],
      [`# team\nalice:${ALICE}\nops:${ADMIN}\n`, /line 3.*admin token is never a read token/],
      [`alice:${ALICE}\nalice:${BOB}\n`, /line 2.*name alice again/],
      ['# nobody\n\n', /no token in it/],
    ];
    for (const [text, want] of cases) {
      writeTokens(text);
      const r = await run(['--listen', `0.0.0.0:${await freePort()}`, '--read-token-file', tokenFile, '--admin-token-file', adminFile]);
      assert.equal(r.code, 2, `${JSON.stringify(text)}: ${r.stderr}`);
      assert.match(r.stderr, want);
      assert.ok(r.stderr.includes(tokenFile), `the message names ${tokenFile}: ${r.stderr}`);
    }
  });
  await h.check('--public on 0.0.0.0 starts, says the API is open, and reads need no token', async () => {
    const d = await startDaemon({ rpcUrl: anvil.url, db, listenHost: '0.0.0.0', extraArgs: ['--public'], logLevel: 'info' });
    try {
      await waitForBlock(d.port, head, 60000, d);
      assert.match(d.logs(), /access: open to the network \(--public\), no read tokens/);
      assert.equal((await get(d.port, '/v1/status')).status, 200);
    } finally { await d.stop(); }
  });

  // ---- read tokens on every route -------------------------------------------------------------
  writeTokens(`# the team's read tokens\nalice:${ALICE}\nbob:${BOB}\n`);
  const tokenArgs = ['--read-token-file', tokenFile, '--admin-token-file', adminFile];
  let d = await h.must('start on 0.0.0.0 with read tokens (the log says for how many clients)', async () => {
    const x = await startDaemon({ rpcUrl: anvil.url, db, listenHost: '0.0.0.0', extraArgs: tokenArgs, logLevel: 'info', readyHeaders: bearer(ALICE) });
    await waitForBlock(x.port, head, 60000, x).catch(() => {}); // status needs a token: checked below
    assert.match(x.logs(), /access: read tokens for 2 clients/);
    return x;
  });
  const status = await h.must('the daemon reaches the head (asked with a read token)', async () => {
    for (let i = 0; i < 600; i++) {
      const r = await get(d.port, '/v1/status', ALICE);
      if (r.status === 200 && r.json.block >= head) return r.json;
      await sleep(100);
    }
    throw new Error('not at the head');
  });
  const firstHolders = (await get(d.port, `/v1/tokens/${air}/holders?limit=100`, ALICE)).json.items;
  const holder = firstHolders[0].holder ?? firstHolders[0].address;
  const spec = loadSpec();
  // The query each route needs to answer 200 (the series take a step).
  const needs = { '/v1/tokens/{token}/series': '?step=100', '/v1/series': '?step=100' };
  const routes = Object.keys(spec.paths).map((p) => p.replace('{token}', air).replace('{account}', holder) + (needs[p] ?? ''));
  const guarded = routes.filter((p) => p.startsWith('/v1/') || p === '/metrics');
  await h.check(`every /v1 route and /metrics (${guarded.length}): no token, a wrong token, the admin token -> 401 + WWW-Authenticate; a read token -> 200`, async () => {
    assert.ok(guarded.length >= 14, `${guarded.length} routes`);
    for (const p of guarded) {
      for (const t of [null, 'wrong-token-0123456789abcdef', ADMIN, ALICE.slice(0, -1)]) {
        const r = await get(d.port, p, t);
        assert.equal(r.status, 401, `${p} with ${t}: ${r.status} ${r.text.slice(0, 200)}`);
        assert.equal(r.json?.error?.code, 'unauthorized', r.text);
        assert.match(String(r.headers['www-authenticate']), /^Bearer realm="erc20-indexer"/);
      }
      for (const t of [ALICE, BOB]) {
        const r = await get(d.port, p, t);
        assert.equal(r.status, 200, `${p} with a read token: ${r.status} ${r.text.slice(0, 200)}`);
      }
    }
    const lower = await get(d.port, '/v1/status', null);
    assert.match(lower.json.error.message, /read token/);
  });
  await h.check('/healthz and /readyz stay open; the dashboard page loads without a token', async () => {
    assert.equal((await get(d.port, '/healthz')).status, 200);
    assert.notEqual((await get(d.port, '/readyz')).status, 401);
    assert.equal((await get(d.port, '/')).status, 200);
  });
  await h.check('the admin API takes the admin token only, never a read token', async () => {
    assert.equal((await get(d.port, '/admin/v1/jobs/999', ALICE)).status, 401);
    const r = await get(d.port, '/admin/v1/jobs/999', ADMIN);
    assert.notEqual(r.status, 401, r.text);
  });
  await h.check('/metrics counts requests per client name and the refusals', async () => {
    const before = valueOf(await metric(d.port, BOB, 'erc20_http_client_requests_total'), { client: 'bob' });
    for (let i = 0; i < 5; i++) assert.equal((await get(d.port, '/v1/status', BOB)).status, 200);
    const after = await metric(d.port, ALICE, 'erc20_http_client_requests_total');
    assert.equal(valueOf(after, { client: 'bob' }), before + 5, 'five reads after the /metrics read that counted itself');
    assert.ok(valueOf(after, { client: 'alice' }) > guarded.length);
    const rejected = await metric(d.port, ALICE, 'erc20_http_rejected_total');
    assert.ok(valueOf(rejected, { reason: 'unauthorized' }) >= guarded.length * 4, JSON.stringify(rejected));
    const text = (await get(d.port, '/metrics', ALICE)).text;
    assert.ok(!text.includes(ALICE) && !text.includes(BOB), 'no secret in the metrics');
  });
  await h.check('SIGHUP: a token taken out of the file gets 401, the others go on; a bad file keeps the tokens in use', async () => {
    writeTokens(`alice:${ALICE}\n`);
    process.kill(d.pid, 'SIGHUP');
    let r;
    for (let i = 0; i < 100; i++) {
      r = await get(d.port, '/v1/status', BOB);
      if (r.status === 401) break;
      await sleep(50);
    }
    assert.equal(r.status, 401, 'bob is revoked');
    assert.match(String(r.headers['www-authenticate']), /^Bearer/);
    assert.equal((await get(d.port, '/v1/status', ALICE)).status, 200);
    writeTokens(`alice:${ALICE}\nbob:short\n`);
    process.kill(d.pid, 'SIGHUP');
    for (let i = 0; i < 100 && !/read tokens not reloaded/.test(d.logs()); i++) await sleep(50);
    assert.match(d.logs(), /SIGHUP: read tokens not reloaded, the 1 in use stay: .*line 2/);
    assert.equal((await get(d.port, '/v1/status', ALICE)).status, 200);
    assert.equal((await get(d.port, '/v1/status', BOB)).status, 401);
    writeTokens(`alice:${ALICE}\nbob:${BOB}\n`);
    process.kill(d.pid, 'SIGHUP');
    for (let i = 0; i < 100 && (await get(d.port, '/v1/status', BOB)).status !== 200; i++) await sleep(50);
    assert.equal((await get(d.port, '/v1/status', BOB)).status, 200, 'bob is back');
  });

  // ---- concurrent exports against cheap reads ----------------------------------------------------
  await h.check('eight concurrent full CSV exports (holders and transfers), again and again for 3 s, come back complete while single balances stay under 50 ms p99', async () => {
    const holders = (await get(d.port, `/v1/tokens/${air}`, ALICE)).json.holders;
    assert.equal(holders, HOLDERS);
    // Four exporters of the holder list and four of the transfer list (1.5 MB), 5,000 rows each,
    // in worker threads: this thread's timings then measure the daemon, not its own event loop.
    const exporters = Array.from({ length: 8 }, (_, i) => runExporter(
      `http://127.0.0.1:${d.port}/v1/tokens/${air}/${i % 2 ? 'transfers' : 'holders'}?format=csv`, ALICE, 3000));
    let exporting = true;
    const all = Promise.all(exporters).finally(() => { exporting = false; });
    const times = [];
    const accounts = firstHolders.map((x) => x.holder ?? x.address);
    for (let i = 0; exporting; i++) {
      const t0 = process.hrtime.bigint();
      const r = await get(d.port, `/v1/tokens/${air}/holders/${accounts[i % accounts.length]}`, BOB);
      times.push(Number(process.hrtime.bigint() - t0) / 1e6);
      assert.equal(r.status, 200, r.text);
      assert.equal(r.json.balance, firstHolders[i % accounts.length].balance);
    }
    const answers = (await all).flat();
    let complete = 0;
    for (const r of answers) {
      if (r.status === 429) { assert.match(r.text, /too_busy/); assert.ok(r.retryAfter); continue; }
      assert.equal(r.status, 200, r.text);
      assert.equal(r.lines, HOLDERS + 1, 'a header and every row');
      complete++;
    }
    times.sort((a, b) => a - b);
    const p99 = times[Math.ceil(times.length * 0.99) - 1];
    h.log(`exports: ${complete} of ${answers.length} complete (${answers.length - complete} too_busy) in 3 s; ${times.length} single-balance reads meanwhile, p50 ${times[Math.floor(times.length / 2)].toFixed(1)} ms, p99 ${p99.toFixed(1)} ms, max ${times.at(-1).toFixed(1)} ms`);
    assert.ok(complete >= 8, 'every exporter got its export at least once');
    assert.ok(times.length >= 100, `only ${times.length} reads`);
    assert.ok(p99 < 50 * kSlow, `p99 ${p99.toFixed(1)} ms`);
  });

  // ---- rate limits -----------------------------------------------------------------------------
  d = await h.must('restart with --rate-limit 5/s --rate-burst 5', () => restart(d, {
    rpcUrl: anvil.url, db, listenHost: '0.0.0.0', extraArgs: [...tokenArgs, '--rate-limit', '5/s', '--rate-burst', '5'], readyHeaders: bearer(ALICE),
  }));
  await h.check('a client above its rate gets 429 rate_limited with Retry-After; another client is unaffected', async () => {
    await sleep(1500); // the start-up probe's tokens come back
    const alice = [];
    for (let i = 0; i < 20; i++) alice.push(await get(d.port, `/v1/tokens/${air}`, ALICE));
    const limited = alice.filter((r) => r.status === 429);
    assert.ok(alice.slice(0, 4).every((r) => r.status === 200), 'the burst is served');
    assert.ok(limited.length >= 10, `${limited.length} of 20 refused`);
    for (const r of limited) {
      assert.match(r.text, /rate_limited/);
      assert.ok(Number(r.headers['retry-after']) >= 1, `Retry-After ${r.headers['retry-after']}`);
    }
    for (let i = 0; i < 4; i++) assert.equal((await get(d.port, `/v1/tokens/${air}`, BOB)).status, 200, 'bob is not limited by alice');
    await sleep(Number(limited[0].headers['retry-after']) * 1000 + 200);
    assert.equal((await get(d.port, '/v1/status', ALICE)).status, 200, 'alice again after Retry-After');
    const rejected = await metric(d.port, BOB, 'erc20_http_rejected_total');
    assert.ok(valueOf(rejected, { reason: 'rate_limited' }) >= limited.length);
  });
  d = await h.must('restart on loopback without tokens, --rate-limit 5/s', () => restart(d, {
    rpcUrl: anvil.url, db, extraArgs: ['--rate-limit', '5/s'],
  }));
  await h.check('without tokens the limit is per peer address: 127.0.0.1 limited, 127.0.0.2 served', async () => {
    await sleep(1500);
    const one = [];
    for (let i = 0; i < 15; i++) one.push(await get(d.port, '/v1/status', null, { localAddress: '127.0.0.1' }));
    assert.ok(one.filter((r) => r.status === 429).length >= 5);
    assert.match(one.find((r) => r.status === 429).text, /127\.0\.0\.1/);
    for (let i = 0; i < 4; i++) assert.equal((await get(d.port, '/v1/status', null, { localAddress: '127.0.0.2' })).status, 200);
  });

  // ---- connections -----------------------------------------------------------------------------
  d = await h.must('restart with --max-connections-per-peer 4 --max-connections 6 --write-timeout-ms 2000', () => restart(d, {
    rpcUrl: anvil.url, db, extraArgs: ['--max-connections-per-peer', '4', '--max-connections', '6', '--write-timeout-ms', '2000'],
  }));
  const request = (p) => `GET ${p} HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n`;
  await h.check('per peer: four idle connections, a fifth is served and the longest idle one is closed', async () => {
    const idle = [];
    for (let i = 0; i < 4; i++) { idle.push(await connect(d.port)); await sleep(30); }
    const fifth = await connect(d.port);
    fifth.socket.write(request('/v1/status'));
    assert.ok(await within(idle[0].closed, 3000), 'the oldest idle connection is closed');
    for (let i = 0; i < 50 && !/^HTTP\/1\.1 200/.test(fifth.data()); i++) await sleep(20);
    assert.match(fifth.data(), /^HTTP\/1\.1 200/);
    assert.deepEqual(idle.slice(1).map((c) => c.isClosed()), [false, false, false], 'the other three stay');
    for (const c of [...idle, fifth]) c.socket.destroy();
  });
  await h.check('all of a peer\'s connections busy: a new one is closed unanswered; another address is served up to the total cap', async () => {
    await sleep(200);
    const busy = [];
    for (let i = 0; i < 4; i++) {
      const c = await connect(d.port);
      c.socket.write('GET /v1/status HTTP/1.1\r\nHost: 127'); // a request under way
      busy.push(c);
    }
    await sleep(100);
    const refused = await connect(d.port);
    refused.socket.write(request('/v1/status'));
    assert.ok(await within(refused.closed, 3000), 'the fifth connection is closed');
    assert.equal(refused.data(), '', 'with no answer');
    const other = [];
    for (let i = 0; i < 2; i++) {
      const c = await connect(d.port, '127.0.0.2');
      c.socket.write('GET /v1/status HTTP/1.1\r\nHost: 127');
      other.push(c);
    }
    await sleep(100);
    const third = await connect(d.port, '127.0.0.3');
    third.socket.write(request('/v1/status'));
    assert.ok(await within(third.closed, 3000), 'the seventh connection (total cap 6) is closed');
    assert.equal(third.data(), '');
    other[0].socket.write('.0.0.1\r\n\r\n');
    for (let i = 0; i < 50 && !/^HTTP\/1\.1 200/.test(other[0].data()); i++) await sleep(20);
    assert.match(other[0].data(), /^HTTP\/1\.1 200/, 'a busy connection finishes its request');
    for (const c of [...busy, ...other]) c.socket.destroy();
    await sleep(200);
    const rejected = await metric(d.port, null, 'erc20_http_rejected_total');
    assert.ok(valueOf(rejected, { reason: 'peer_connections' }) >= 1, JSON.stringify(rejected));
    assert.ok(valueOf(rejected, { reason: 'connections' }) >= 1, JSON.stringify(rejected));
    assert.ok(valueOf(rejected, { reason: 'idle_closed' }) >= 1, JSON.stringify(rejected));
  });
  await h.check('slowloris under the caps is still dropped by the read timeout within 15 s', async () => {
    const s = await slowSender(d.port, { intervalMs: 1000, maxMs: 20000 });
    assert.notEqual(s.closedAfterMs, null);
    assert.ok(s.closedAfterMs <= 15000, `dropped after ${s.closedAfterMs} ms`);
  });
  await h.check('a reader that stops reading a large export is cut by --write-timeout-ms; the daemon goes on', async () => {
    const c = await connect(d.port);
    c.socket.pause(); // read nothing: the kernel buffers fill, the daemon's write stalls
    c.socket.write(request(`/v1/tokens/${air}/transfers?format=ndjson`));
    await sleep(5000); // the 2 s write timeout, and room
    c.socket.resume(); // what the kernel holds, then the daemon's close
    assert.ok(await within(c.closed, 3000), 'the connection was closed while the reader slept');
    const got = c.data();
    assert.match(got, /^HTTP\/1\.1 200/);
    assert.ok(!got.endsWith('\r\n0\r\n\r\n'), 'the export was cut, not finished');
    const full = await get(d.port, `/v1/tokens/${air}/transfers?format=ndjson`);
    h.log(`slow reader got ${got.length} bytes of a ${full.text.length}-byte export before the cut`);
    assert.ok(got.length < full.text.length);
    assert.equal(full.text.trimEnd().split('\n').length, HOLDERS, 'a reader that reads gets it all');
  });
  await d.stop();
  code = h.finish();
} catch (e) {
  if (!(e && e.constructor && e.constructor.name === 'FatalError')) h.fail('unexpected error', e);
  code = h.finish();
}
process.exit(code);
