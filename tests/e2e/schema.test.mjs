// Live answers vs docs/openapi.yaml:
//   node tests/e2e/schema.test.mjs [--seed N] [--blocks N] [--spec docs/openapi.yaml]
// (daemon binary: $ERC20_INDEXER_BIN, default <repo>/build/erc20-indexer)
//
// Builds a seeded chain (the core workload: 3 tokens, NFT, Batcher and WeirdToken noise) and runs the
// daemon (--labels with the standard labels, --reorg-window 16, --max-range 4, --admin-token-file) behind a gate proxy
// that holds or slows its JSON-RPC calls. Then every route of the document is asked, in every
// variant the document describes (JSON pages and the next page of a walk, ?block=N, the NDJSON and
// CSV exports of every list route, series by step and by period, with distribution and without
// activity, If-None-Match 304s, 400s, 404s, 503s, an unlisted path, a POST, 431 for big headers),
// and each answer is checked by lib/openapi.mjs's checkAnswer against the document (status, media
// type, body schema with Ajv 2020-12, no undocumented property, each NDJSON line, the CSV header and
// each typed CSV record), in four phases:
//   1. start-up, the node silent: the gate holds every call (node_block and lag_blocks are null,
//      nothing is indexed: every data route 503);
//   2. start-up, nothing indexed: eth_chainId and eth_blockNumber pass, the rest is held;
//   3. backfilling: calls pass until the tokens have transfers, then each is delayed by 1 s so the
//      daemon stays in `backfilling` while the routes are asked;
//   4. following: the backfill done, blocks with transfers are mined while the routes are asked;
//      then an admin verify job runs (slowed by the gate) and /v1/status shows it as admin_job.
// A violation prints the phase, the request, the status and content type, where (body, line N,
// record N, header), the instance path and Ajv's message. Phases 3 and 4 must see a 200 of every
// route in each of its documented media types, and an error answer of each; phases 1-2 a 503 of
// every data route. Prints "N passed, M failed"; exit code 0 on success.
import crypto from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import { startAnvil, blockNumber, REPO_DIR } from './lib/chain.mjs';
import { makeTempDir, httpRequest, sleep } from './lib/proc.mjs';
import { buildChain } from './lib/workload.mjs';
import { standardLabels, writeLabels } from './lib/labels.mjs';
import { startDaemon, api, waitForBlock, DAEMON_BIN } from './lib/daemon.mjs';
import { createHarness, assert, parseArgs, FatalError } from './lib/harness.mjs';
import { startGate } from './lib/gate.mjs';
import { loadSpec, createContract, essence, SPEC_FILE } from './lib/openapi.mjs';

const args = parseArgs();
const seed = Number(args.seed ?? 11);
const blocks = Number(args.blocks ?? 120);
const h = createHarness('schema', { timeoutMs: 240000 });
const spec = loadSpec(args.spec ? path.resolve(REPO_DIR, args.spec) : SPEC_FILE);
const contract = createContract(spec);
const ROUTES = Object.keys(spec.paths);
// Routes answered from a snapshot with a head (503 before anything is indexed): the /v1 ones
// but /v1/status.
const DATA_ROUTES = ROUTES.filter((r) => r.startsWith('/v1/') && r !== '/v1/status');
const UNKNOWN = '0x1212121212121212121212121212121212121212';
const NOBODY = '0x3434343434343434343434343434343434343434';
let anvil = null;
let gate = null;
let daemon = null;
let code = 1;


// ---------------------------------------------------------------------------------------------
// One sweep: every route, in its variants; each answer checked against the document
// ---------------------------------------------------------------------------------------------
/** The requests of a sweep: [route template or null, path, {method, headers, follow, revalidate}]. */
function requestsOf({ T, T2, A, past, from, to, everyone }) {
  const tk = `/v1/tokens/${T}`;
  const acc = `/v1/accounts/${A}`;
  // A list route: a JSON page of `limit` items (and the walk's next page), its NDJSON export
  // (and a 304 of each), its CSV export, its table export.
  const list = (route, p, limit, extra = []) => {
    const q = p.includes('?') ? '&' : '?';
    return [
      [route, limit ? `${p}${q}limit=${limit}` : p, { follow: true, revalidate: true }],
      [route, `${p}${q}format=ndjson`, { revalidate: true }],
      [route, `${p}${q}format=csv`],
      [route, `${p}${q}format=table`],
      ...extra,
    ];
  };
  return [
    ['/healthz', '/healthz'],
    ['/healthz', '/healthz?verbose=1'],
    ['/readyz', '/readyz'],
    ['/readyz', '/readyz?x=1'],
    ['/metrics', '/metrics'],
    ['/metrics', '/metrics?x=1'],
    ['/v1/status', '/v1/status', { revalidate: true }],
    ['/v1/status', '/v1/status?x=1'],
    ...list('/v1/tokens', '/v1/tokens', 2, [
      ['/v1/tokens', '/v1/tokens?order=transfers&format=csv'],
      ['/v1/tokens', '/v1/tokens?limit=0'],
      ['/v1/tokens', '/v1/tokens?format=ndjson&limit=5'],
      ['/v1/tokens', '/v1/tokens?symbol=t&limit=1', { follow: true, revalidate: true }],
      ['/v1/tokens', '/v1/tokens?symbol=T&format=csv'],
      ['/v1/tokens', '/v1/tokens?symbol='],
      ['/v1/tokens', '/v1/tokens?symbol=t&order=holders'],
    ]),
    ['/v1/tokens/{token}', tk, { revalidate: true }],
    ['/v1/tokens/{token}', `${tk}?block=${past}`],
    ['/v1/tokens/{token}', `${tk}?block=0`],
    ['/v1/tokens/{token}', `/v1/tokens/${T2}`],
    ['/v1/tokens/{token}', `/v1/tokens/${UNKNOWN}`],
    ['/v1/tokens/{token}', '/v1/tokens/0x12'],
    ...list('/v1/tokens/{token}/holders', `${tk}/holders`, 3, [
      ['/v1/tokens/{token}/holders', `${tk}/holders?block=${past}&limit=2`, { follow: true }],
      ['/v1/tokens/{token}/holders', `${tk}/holders?block=${past}&format=csv`],
      ['/v1/tokens/{token}/holders', `/v1/tokens/${UNKNOWN}/holders`],
      ['/v1/tokens/{token}/holders', `${tk}/holders?cursor=zz`],
    ]),
    ['/v1/tokens/{token}/holders/{account}', `${tk}/holders/${A}`, { revalidate: true }],
    ['/v1/tokens/{token}/holders/{account}', `${tk}/holders/${A}?block=${past}`],
    ['/v1/tokens/{token}/holders/{account}', `${tk}/holders/${NOBODY}`],
    ['/v1/tokens/{token}/holders/{account}', `/v1/tokens/${UNKNOWN}/holders/${A}`],
    ['/v1/tokens/{token}/holders/{account}', `${tk}/holders/${A}?block=99999999`],
    ...list('/v1/tokens/{token}/transfers', `${tk}/transfers`, 3, [
      ['/v1/tokens/{token}/transfers', `${tk}/transfers?from_block=${from}&to_block=${to}&format=ndjson`],
      ['/v1/tokens/{token}/transfers', `${tk}/transfers?from_block=9&to_block=3`],
      ['/v1/tokens/{token}/transfers', `/v1/tokens/${UNKNOWN}/transfers`],
    ]),
    ['/v1/tokens/{token}/distribution', `${tk}/distribution`, { revalidate: true }],
    ['/v1/tokens/{token}/distribution', `${tk}/distribution?lorenz=4&percentiles=true`],
    ['/v1/tokens/{token}/distribution', `${tk}/distribution?block=${past}&exclude=${A},&exclude_category=treasury,burn&percentiles=true&lorenz=1`],
    ['/v1/tokens/{token}/distribution', `${tk}/distribution?exclude=${A}&block=0`],
    ['/v1/tokens/{token}/distribution', `${tk}/distribution?lorenz=0`],
    ['/v1/tokens/{token}/distribution', `/v1/tokens/${UNKNOWN}/distribution`],
    ...(everyone ? [['/v1/tokens/{token}/distribution', `/v1/tokens/${everyone.token}/distribution?exclude=${everyone.holders.join(',')}&percentiles=true&lorenz=3`]] : []),
    ...list('/v1/tokens/{token}/series', `${tk}/series?step=10`, 0, [
      ['/v1/tokens/{token}/series', `${tk}/series?period=hour&distribution=true`],
      ['/v1/tokens/{token}/series', `${tk}/series?period=hour&distribution=true&format=ndjson`],
      ['/v1/tokens/{token}/series', `${tk}/series?period=day&distribution=true&format=csv`],
      ['/v1/tokens/{token}/series', `${tk}/series?step=7&activity=false&from_block=${from}&format=csv`],
      ['/v1/tokens/{token}/series', `${tk}/series?step=7&activity=false&from_block=${from}`],
      ['/v1/tokens/{token}/series', `${tk}/series`],
      ['/v1/tokens/{token}/series', `${tk}/series?step=1&from_block=0&to_block=99999999`],
      ['/v1/tokens/{token}/series', `/v1/tokens/${UNKNOWN}/series?step=5`],
    ]),
    ...list('/v1/series', '/v1/series?step=10', 0, [
      ['/v1/series', '/v1/series?period=hour'],
      ['/v1/series', '/v1/series?period=day&format=csv'],
      ['/v1/series', '/v1/series?period=week&from_block=0&format=ndjson'],
      ['/v1/series', '/v1/series?step=0'],
    ]),
    ...list('/v1/tokens/{token}/flows', `${tk}/flows?from_block=${from}`, 3, [
      ['/v1/tokens/{token}/flows', `${tk}/flows?order=loss&to_block=${to}&limit=2`, { follow: true }],
      ['/v1/tokens/{token}/flows', `${tk}/flows?order=loss&format=csv`],
      ['/v1/tokens/{token}/flows', `${tk}/flows?order=up`],
      ['/v1/tokens/{token}/flows', `/v1/tokens/${UNKNOWN}/flows`],
    ]),
    ...list('/v1/accounts/{account}/balances', `${acc}/balances`, 1, [
      ['/v1/accounts/{account}/balances', `/v1/accounts/${NOBODY}/balances?format=csv`],
      ['/v1/accounts/{account}/balances', `/v1/accounts/${NOBODY}/balances?format=ndjson`],
      ['/v1/accounts/{account}/balances', `/v1/accounts/${NOBODY}/balances`],
      ['/v1/accounts/{account}/balances', '/v1/accounts/0xZZ/balances'],
    ]),
    ...list('/v1/accounts/{account}/transfers', `${acc}/transfers`, 3, [
      ['/v1/accounts/{account}/transfers', `${acc}/transfers?direction=in&token=${T}&from_block=${from}&format=csv`],
      ['/v1/accounts/{account}/transfers', `${acc}/transfers?direction=out&to_block=${to}&limit=2`, { follow: true }],
      ['/v1/accounts/{account}/transfers', `${acc}/transfers?direction=sideways`],
      ['/v1/accounts/{account}/transfers', `${acc}/transfers?token=0x12`],
    ]),
    ...list('/v1/accounts/{account}/tokens/{token}/history', `${acc}/tokens/${T}/history`, 2, [
      ['/v1/accounts/{account}/tokens/{token}/history', `${acc}/tokens/${T}/history?from_block=${from}&to_block=${to}&format=ndjson`],
      ['/v1/accounts/{account}/tokens/{token}/history', `${acc}/tokens/${UNKNOWN}/history?format=csv`],
      ['/v1/accounts/{account}/tokens/{token}/history', `${acc}/tokens/${T}/history?from_block=5&to_block=1`],
    ]),
    // Paths and methods the document does not list: the Error body.
    [null, '/v1/nope'],
    [null, `/v1/tokens/${T}/nope`],
    [null, '/v1/status', { method: 'POST', body: '{}' }],
    // 431 on a listed route: its default response.
    ['/v1/status', '/v1/status', { headers: { 'x-padding': 'p'.repeat(9000) } }],
  ];
}

/** A phase's record: answers and violations by route. */
function newPhase(name) {
  return { name, byRoute: new Map(), violations: [], seen: new Set(), answers: 0 };
}

async function ask(phase, route, p, opts = {}) {
  const key = route ?? '(unlisted)';
  if (!phase.byRoute.has(key)) phase.byRoute.set(key, { answers: [], violations: [] });
  const rec = phase.byRoute.get(key);
  const method = opts.method ?? 'GET';
  const r = await httpRequest(`http://127.0.0.1:${daemon.port}${p}`, { method, headers: opts.headers ?? {}, body: opts.body, timeoutMs: 60000 });
  const ct = essence(r.headers['content-type']);
  phase.answers++;
  rec.answers.push(`${r.status}${ct ? ' ' + ct : ''}`);
  phase.seen.add(`${key} ${r.status} ${ct}`);
  const label = `${method} ${p.length > 140 ? p.slice(0, 140) + '…' : p} -> ${r.status} ${r.headers['content-type'] ?? ''}`;
  const found = contract.checkAnswer({ route, method: method.toLowerCase(), status: r.status, headers: r.headers, text: r.text });
  for (const v of found) {
    const line = `[${phase.name}] ${label}: ${v.where} ${v.instancePath || '/'}: ${v.message}`;
    rec.violations.push(line);
    phase.violations.push(line);
  }
  if (r.status === 200 && opts.revalidate && r.headers.etag) {
    await ask(phase, route, p, { headers: { 'if-none-match': r.headers.etag } });
  }
  if (r.status === 200 && opts.follow && ct === 'application/json') {
    let j = null;
    try { j = JSON.parse(r.text); } catch { /* reported above */ }
    if (typeof j?.next_cursor === 'string') await ask(phase, route, `${p}${p.includes('?') ? '&' : '?'}cursor=${j.next_cursor}`);
  }
  return r;
}

async function status() {
  const r = await api(daemon.port, '/v1/status', { timeoutMs: 10000 });
  if (r.status !== 200 || !r.json) throw new Error(`/v1/status: HTTP ${r.status} ${r.text.slice(0, 200)}`);
  return r.json;
}

/** The sweep's parameters from the daemon's state: a past block, a range, a held token. */
async function contextOf(chain, st) {
  const T = chain.tokens[0];
  const ctx = { T, T2: chain.tokens[1], A: chain.accounts[1], past: 1, from: 0, to: 1 };
  if (st.block === null) return ctx;
  const t = await api(daemon.port, `/v1/tokens/${T}`);
  if (t.status === 200) {
    ctx.past = Math.max(t.json.first_block, st.block - 3);
    ctx.from = t.json.first_block + 1;
    ctx.to = Math.max(ctx.from, st.block - 1);
  }
  // The token with the fewest holders, all of them excluded: a distribution of no one, whose
  // figures, percentiles and lorenz are null.
  const lines = (r) => (r.status === 200 ? r.text.split('\n').filter((l) => l).map((l) => JSON.parse(l)) : []);
  const fewest = lines(await api(daemon.port, '/v1/tokens?format=ndjson')).filter((x) => x.holders > 0).sort((a, b) => a.holders - b.holders)[0];
  if (fewest && fewest.holders <= 150) {
    ctx.everyone = { token: fewest.address, holders: lines(await api(daemon.port, `/v1/tokens/${fewest.address}/holders?format=ndjson`)).map((x) => x.address) };
  }
  return ctx;
}

async function sweep(phase, chain) {
  const ctx = await contextOf(chain, await status());
  for (const [route, p, opts] of requestsOf(ctx)) await ask(phase, route, p, opts);
}

/** One check per route: its answers in this phase match the document. */
async function report(phase) {
  h.log(`${phase.name}: ${phase.answers} answers, ${phase.violations.length} violations`);
  for (const route of [...ROUTES, '(unlisted)']) {
    const rec = phase.byRoute.get(route);
    const counts = {};
    for (const a of rec?.answers ?? []) counts[a] = (counts[a] ?? 0) + 1;
    const summary = Object.entries(counts).map(([k, n]) => `${n}x ${k}`).join(', ');
    await h.check(`${phase.name}: ${route} matches the document (${summary || 'not asked'})`, () => {
      assert.ok(rec && rec.answers.length > 0, `${route} was not asked`);
      if (rec.violations.length) {
        const shown = rec.violations.slice(0, 40);
        if (rec.violations.length > shown.length) shown.push(`… and ${rec.violations.length - shown.length} more`);
        console.log(shown.map((l) => `       ${l}`).join('\n'));
        assert.fail(`${rec.violations.length} violations of docs/openapi.yaml by ${route}'s answers (listed above)`);
      }
    });
  }
}

/** Phases with data: every route answered 200 in each documented media type, and an error. */
async function coverage(phase, { notReady = false } = {}) {
  const what = notReady ? ' (/readyz: 503, the lag above --ready-max-lag)' : '';
  await h.check(`${phase.name}: every route answered 200 in each of its documented media types${what}, a 304 where documented, and a 4xx`, () => {
    const missing = [];
    for (const route of ROUTES) {
      const ok = contract.resolve(spec.paths[route].get.responses['200']);
      for (const mt of Object.keys(ok.content ?? {})) {
        const want = notReady && route === '/readyz' ? `${route} 503 ${mt}` : `${route} 200 ${mt}`;
        if (!phase.seen.has(want)) missing.push(want);
      }
      if (![...phase.seen].some((s) => s.startsWith(`${route} 4`))) missing.push(`${route} 4xx`);
      if (spec.paths[route].get.responses['304'] && !phase.seen.has(`${route} 304 `)) missing.push(`${route} 304`);
    }
    assert.deepEqual(missing, [], `not seen: ${missing.join('; ')}`);
  });
}

async function startupCoverage(phase) {
  await h.check(`${phase.name}: every data route answered 503 not_ready (nothing indexed), /readyz too`, () => {
    const missing = [...DATA_ROUTES, '/readyz'].filter((r) => !phase.seen.has(`${r} 503 application/json`));
    assert.deepEqual(missing, [], `no 503 from ${missing.join(', ')}`);
  });
}

// =============================================================================================
try {
  h.log(`daemon binary: ${DAEMON_BIN}; seed ${seed}; ${blocks} blocks`);
  anvil = await h.must('anvil starts', () => startAnvil());
  const chain = await h.must(`a seeded chain of ${blocks} workload blocks`, () => buildChain(anvil.url, { seed, blocks }));
  const head = await blockNumber(anvil.url);
  h.log(`chain: head ${head}, tokens ${chain.tokens.join(', ')}`);
  const tmp = makeTempDir('erc20-e2e-schema-');
  writeLabels(`${tmp}/labels.csv`, standardLabels(chain));
  const adminToken = crypto.randomBytes(16).toString('hex');
  fs.writeFileSync(`${tmp}/admin-token`, `${adminToken}\n`);
  gate = await startGate(anvil.url);

  // ---- 1. start-up, the node silent ----------------------------------------------------------
  daemon = await h.must('the daemon starts behind a closed gate (the node never answers)', () => startDaemon({
    rpcUrl: gate.url, db: `${tmp}/db`,
    extraArgs: ['--labels', `${tmp}/labels.csv`, '--reorg-window', '16', '--max-range', '4', '--admin-token-file', `${tmp}/admin-token`],
  }));
  const silent = newPhase('start-up, node silent');
  await h.must('start-up: /v1/status says nothing indexed and the node not yet seen', async () => {
    const st = await status();
    assert.equal(st.block, null);
    assert.equal(st.node_block, null, 'node_block null until the node answers');
    assert.equal(st.lag_blocks, null);
  });
  await sweep(silent, chain);
  await report(silent);
  await startupCoverage(silent);

  // ---- 2. start-up, the node's head known, nothing indexed --------------------------------------
  gate.setMode('head');
  const headOnly = newPhase('start-up, nothing indexed');
  await h.must('the gate lets eth_chainId and eth_blockNumber through: node_block known, block still null', async () => {
    const deadline = Date.now() + 20000;
    for (;;) {
      const st = await status();
      if (st.node_block !== null) { assert.equal(st.block, null); return; }
      if (Date.now() > deadline) throw new Error(`node_block still null: ${JSON.stringify(st)}`);
      await sleep(50);
    }
  });
  await sweep(headOnly, chain);
  await report(headOnly);
  await startupCoverage(headOnly);

  // ---- 3. backfilling ----------------------------------------------------------------------
  gate.setDelay(20);
  gate.setMode('open');
  const firstTransferBlock = await h.must('backfill: the daemon indexes the first tokens\' transfers', async () => {
    const deadline = Date.now() + 60000;
    for (;;) {
      const st = await status();
      const t = await api(daemon.port, `/v1/tokens/${chain.tokens[0]}`);
      if (t.status === 200 && st.block >= t.json.first_block + 8) {
        gate.setDelay(1000); // the daemon now crawls while the routes are asked
        return t.json.first_block;
      }
      if (Date.now() > deadline) throw new Error(`no transfers indexed: ${JSON.stringify(st)}`);
      await sleep(20);
    }
  });
  const backfill = newPhase('backfilling');
  const before = await status();
  await h.must(`backfill: state backfilling at block ${before.block} of ${head} (first transfer in ${firstTransferBlock})`, () => assert.equal(before.state, 'backfilling'));
  await sweep(backfill, chain);
  const after = await status();
  await h.check(`backfill: still backfilling after the sweep (block ${after.block})`, () => assert.equal(after.state, 'backfilling'));
  await h.check('backfill: /v1/status progress runs from the run\'s first block to the node\'s head, with a pace and an ETA once measured', async () => {
    for (const st of [before, after]) {
      assert.ok(st.progress, JSON.stringify(st));
      assert.equal(st.progress.from_block, 1);
      assert.equal(st.progress.target_block, head);
      assert.ok(st.block >= st.progress.from_block - 1 && st.block <= st.progress.target_block);
    }
    // The pace is measured every 5 s: wait for one.
    const deadline = Date.now() + 15000;
    let st = await status();
    while (st.progress?.blocks_per_s == null && st.state === 'backfilling' && Date.now() < deadline) { await sleep(250); st = await status(); }
    assert.ok(st.progress.blocks_per_s > 0 && st.progress.eta_seconds > 0, JSON.stringify(st.progress));
    assert.ok(st.progress.transfers_per_s >= 0);
  });
  await report(backfill);
  await coverage(backfill, { notReady: true });

  // ---- 4. following ------------------------------------------------------------------------
  gate.setDelay(0);
  await h.must(`the backfill ends at the head (${head}), state following`, async () => {
    await waitForBlock(daemon.port, head, 90000, daemon);
    const deadline = Date.now() + 10000;
    while ((await status()).state !== 'following') {
      if (Date.now() > deadline) throw new Error(`state ${(await status()).state}`);
      await sleep(50);
    }
  });
  await h.check('following: /v1/status progress is null', async () => assert.equal((await status()).progress, null));
  const follow = newPhase('following');
  let mining = true;
  let mined = 0;
  const miner = (async () => {
    // At least two blocks, however slowly a loaded machine mines them beside the sweeps.
    while (mining || mined < 2) {
      await chain.workload.run(1);
      mined++;
      await sleep(150);
    }
  })();
  const f0 = await status();
  await sweep(follow, chain);
  await sweep(follow, chain);
  mining = false;
  await miner;
  const f1 = await waitForBlock(daemon.port, await blockNumber(anvil.url), 30000, daemon);
  await h.check(`following: ${mined} blocks mined during the sweeps, indexed live (block ${f0.block} -> ${f1.block}, state ${f1.state})`, () => {
    assert.ok(mined >= 2, `only ${mined} blocks mined`);
    assert.ok(f1.block > f0.block);
    assert.equal(f0.state, 'following');
    assert.equal(f1.state, 'following');
  });
  // An admin job running: /v1/status's admin_job is an object (its eth_calls slowed by the gate).
  gate.setDelay(1000);
  const verify = await httpRequest(`http://127.0.0.1:${daemon.port}/admin/v1/verify`, { method: 'POST', body: '', headers: { authorization: `Bearer ${adminToken}` }, timeoutMs: 30000 });
  await h.check('following: POST /admin/v1/verify starts a job (202), which /v1/status shows as admin_job', async () => {
    assert.equal(verify.status, 202, verify.text);
    const deadline = Date.now() + 10000;
    for (;;) {
      const r = await ask(follow, '/v1/status', '/v1/status');
      const job = JSON.parse(r.text).admin_job;
      if (job) { h.log(`admin_job: ${JSON.stringify(job)}`); break; }
      if (Date.now() > deadline) throw new Error('admin_job stayed null');
      await sleep(20);
    }
  });
  gate.setDelay(0);
  await report(follow);
  await coverage(follow);
} catch (e) {
  if (!(e instanceof FatalError)) h.fail('unexpected error', e);
} finally {
  if (daemon && !daemon.exited()) await daemon.stop('SIGTERM', 10000);
  if (gate) await gate.close();
  if (anvil) await anvil.stop();
  code = h.finish();
}
process.exit(code);
