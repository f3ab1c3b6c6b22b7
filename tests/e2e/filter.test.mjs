// The --tokens filter and --start-block stored with the database, and `add-tokens`:
//   node tests/e2e/filter.test.mjs [--seed N] [--blocks N] [--rpc-delay-ms N]
// (daemon binary: $ERC20_INDEXER_BIN, default <repo>/build/erc20-indexer)
//
// One seeded anvil chain with 3 ERC20s (A, B, C), then:
//  1. Options: `reindex --token A --from-block 10` and `reindex --tokens A ...` exit 2 naming the option.
//  2. A database built with --tokens A: restarted with --tokens A,B, with --tokens '' (every token)
//     or with another --start-block, the daemon exits 2 naming the option and the stored value;
//     restarted without --tokens it goes on with A only (blocks mined meanwhile: B and C stay out).
//  3. `add-tokens --tokens B` through the running daemon (slowed by a proxy, blocks mined during it):
//     state `reindexing`, refusals (A already indexed, C while B runs) exit 2, a reorg of depth 5
//     while it runs (undone first, by the main loop); afterwards the whole
//     served state (dumpState) equals a fresh database indexed with --tokens A,B, balances equal
//     balanceOf; a reorg right after it is undone exactly (both daemons equal again).
//  4. kill -9 during `add-tokens --tokens C` on another database, restart: equal to a fresh --tokens A,C.
//  5. Offline `add-tokens` on a stopped database, done at the next start; a database of every
//     token refuses add-tokens (exit 2).
// Prints "N passed, M failed"; exit code 0 on success.
import { spawn } from 'node:child_process';
import crypto from 'node:crypto';
import fs from 'node:fs';
import { startAnvil } from './lib/chain.mjs';
import { makeTempDir, freePort, sleep, trackChild, runCli } from './lib/proc.mjs';
import { buildChain, Rng } from './lib/workload.mjs';
import { erc20Transfers, balancesFromLogs, sortedHolders, balancesOf } from './lib/truth.mjs';
import { startDaemon, api, apiOk, dumpState, waitForMetadata, DAEMON_BIN } from './lib/daemon.mjs';
import { startRpcProxy } from './lib/rpcproxy.mjs';
import { waitSynced, resyncWorkload, planReplacement, anvilReorg } from './lib/reorg.mjs';
import { createHarness, assert, parseArgs, FatalError, deepEqualWithPath } from './lib/harness.mjs';

const args = parseArgs();
const seed = Number(args.seed ?? 21);
const blocks = Number(args.blocks ?? 50);
const rpcDelayMs = Number(args['rpc-delay-ms'] ?? 40);
const h = createHarness('filter', { timeoutMs: 170000 });
const rng = new Rng(seed * 7919 + 1);
const daemons = new Set();
let anvil = null;
let proxy = null;
let code = 1;

/** Run `erc20-indexer ...argv`; resolves {code, signal, stdout, stderr, ms}. */
const cli = (argv, timeoutMs = 60000) => runCli(DAEMON_BIN, argv, { timeoutMs });
const show = (r) => `exit ${r.code}\n--- stdout ---\n${r.stdout}--- stderr ---\n${r.stderr}`;

async function start(opts) {
  const d = await startDaemon({ logLevel: 'info', ...opts });
  daemons.add(d);
  return d;
}
async function stop(d, signal = 'SIGTERM') {
  const r = await d.stop(signal);
  daemons.delete(d);
  return r;
}

/** A daemon that must refuse to start: resolves {code, logs}. */
async function refusedStart(opts) {
  const d = await start({ ...opts, waitReady: false });
  const until = Date.now() + 20000;
  while (!d.exited() && Date.now() < until) await sleep(50);
  const exited = d.exited();
  if (!exited) await stop(d, 'SIGKILL');
  daemons.delete(d);
  return { code: exited ? d.proc.exitCode : null, logs: d.logs() };
}

/** Until /v1/status is no longer `reindexing` and the daemon is on the node's head. */
async function waitAddDone(d, timeoutMs = 60000) {
  const until = Date.now() + timeoutMs;
  for (;;) {
    const st = (await api(d.port, '/v1/status')).json;
    if (st && st.state !== 'reindexing' && st.state !== 'starting') break;
    if (d.exited()) throw new Error(`daemon exited\n${d.logs()}`);
    if (Date.now() > until) throw new Error(`still ${st?.state} after ${timeoutMs} ms`);
    await sleep(50);
  }
  return waitSynced(d.port, anvil.url, { timeoutMs, daemon: d });
}

/** The served state of `d` for `tokens`: transfers == eth_getLogs, balances == balanceOf at its head. */
async function assertChain(d, tokens, head) {
  const xs = (await erc20Transfers(anvil.url, head)).filter((t) => tokens.includes(t.token));
  const st = await apiOk(d.port, '/v1/status');
  assert.equal(st.block, head);
  assert.equal(st.transfers, xs.length, 'status.transfers');
  assert.equal(st.tokens, tokens.length, 'status.tokens');
  const bal = balancesFromLogs(xs);
  const pairs = [];
  const want = [];
  for (const t of tokens) {
    const holders = (await apiOk(d.port, `/v1/tokens/${t}/holders?limit=1000`)).items;
    deepEqualWithPath(holders, sortedHolders(bal.get(t)), `${t}.holders`);
    for (const [a, v] of bal.get(t) ?? []) { pairs.push([t, a]); want.push(v); }
  }
  const onchain = await balancesOf(anvil.url, pairs, head);
  pairs.forEach(([t, a], i) => assert.equal(onchain[i], want[i], `balanceOf(${a}) of ${t} at ${head}`));
  return pairs.length;
}

/** dumpState of `d` deep-equals a fresh database indexed with `tokens` from the start. */
async function assertEqualsFresh(d, tokens, label) {
  const head = (await waitSynced(d.port, anvil.url, { timeoutMs: 60000, daemon: d })).head;
  const ref = await start({ rpcUrl: anvil.url, db: `${tmp}/ref-${label}`, extraArgs: ['--tokens', tokens.join(',')] });
  await waitSynced(ref.port, anvil.url, { timeoutMs: 60000, daemon: ref });
  await waitForMetadata(ref.port, tokens);
  await waitForMetadata(d.port, tokens);
  const want = await dumpState(ref.port);
  const got = await dumpState(d.port);
  deepEqualWithPath(got, want);
  assert.equal(got.status.block, head);
  await stop(ref);
  return { head, transfers: got.status.transfers };
}

let tmp;
let reorgDuringAdd = false;
try {
  h.log(`daemon binary: ${DAEMON_BIN}; seed ${seed}; ${blocks} blocks`);
  anvil = await h.must('anvil starts', () => startAnvil({}));
  const chain = await h.must(`build chain: 3 tokens, ${blocks} blocks`, () => buildChain(anvil.url, { seed, blocks, emptyGap: [1, 1] }));
  const w = chain.workload;
  const [A, B, C] = chain.tokens;
  tmp = makeTempDir('erc20-e2e-filter-');
  const tokenFile = `${tmp}/admin-token`;
  fs.writeFileSync(tokenFile, `${crypto.randomBytes(16).toString('hex')}\n`);
  const deadListen = ['--listen', `127.0.0.1:${await freePort()}`];
  proxy = await startRpcProxy({ target: anvil.url, delayMs: 0 });

  // 1. ------------------------------------------------------------------------------------------
  await h.check('`reindex --token A --from-block 10`: exit 2 naming --token (no prefix guessing)', async () => {
    const r = await cli(['reindex', '--token', A, '--from-block', '10', '--db', `${tmp}/none`, ...deadListen]);
    assert.equal(r.code, 2, show(r));
    assert.match(r.stderr, /--token\b/, show(r));
    assert.ok(!fs.existsSync(`${tmp}/none`), 'no database was opened');
  });
  await h.check('`reindex --tokens A --from-block 10`: exit 2, --tokens does not apply to reindex', async () => {
    const r = await cli(['reindex', '--tokens', A, '--from-block', '10', '--db', `${tmp}/none`, ...deadListen]);
    assert.equal(r.code, 2, show(r));
    assert.match(r.stderr, /--tokens does not apply to `erc20-indexer reindex`/, show(r));
  });

  // 2. ------------------------------------------------------------------------------------------
  const db = `${tmp}/a`;
  const port = await freePort();
  const base = { db, port, extraArgs: ['--admin-token-file', tokenFile] };
  let d = await h.must('daemon with --tokens A builds its database', () => start({ ...base, rpcUrl: anvil.url, extraArgs: [...base.extraArgs, '--tokens', A] }));
  await h.must('it reaches the head', () => waitSynced(port, anvil.url, { timeoutMs: 60000, daemon: d }));
  await stop(d);
  for (const [title, extra, pattern] of [
    ['--tokens A,B', ['--tokens', `${A},${B}`], /--tokens \S+ differs from the --tokens stored with the database/],
    ["--tokens '' (every token)", ['--tokens', ''], /--tokens \(every token\) differs/],
    ['--start-block 5', ['--tokens', A, '--start-block', '5'], /--start-block 5 differs from the --start-block stored with the database \S+: 0\b/],
  ]) {
    await h.check(`restart with ${title}: exit 2, names the option, the stored value and add-tokens`, async () => {
      const r = await refusedStart({ ...base, rpcUrl: anvil.url, extraArgs: [...base.extraArgs, ...extra] });
      assert.equal(r.code, 2, r.logs);
      assert.match(r.logs, pattern, r.logs);
      if (!extra.includes('--start-block')) {
        assert.ok(r.logs.includes(`: ${A}`), `stored value not named: ${r.logs}`);
        assert.match(r.logs, /erc20-indexer add-tokens --tokens/, r.logs);
      }
    });
  }
  for (let i = 0; i < 3; i++) await w.step();
  d = await h.must('restart without --tokens', () => start({ ...base, rpcUrl: proxy.url }));
  await h.check('it uses the stored --tokens A (logged) and indexes only A', async () => {
    const s = await waitSynced(port, anvil.url, { timeoutMs: 60000, daemon: d });
    assert.match(d.logs(), new RegExp(`using its stored --tokens ${A} --start-block 0`), d.logs());
    await assertChain(d, [A], s.head);
  });

  // 3. ------------------------------------------------------------------------------------------
  const admin = ['--listen', `127.0.0.1:${port}`, '--admin-token-file', tokenFile];
  proxy.setDelay(rpcDelayMs);
  await stop(d);
  d = await h.must('restart through a slow proxy with --max-range 2', () => start({ ...base, rpcUrl: proxy.url, extraArgs: [...base.extraArgs, '--max-range', '2'] }));
  await waitSynced(port, anvil.url, { timeoutMs: 60000, daemon: d });
  await h.check('add-tokens --tokens A: exit 2, already indexed', async () => {
    const r = await cli(['add-tokens', '--tokens', A, ...admin]);
    assert.equal(r.code, 2, show(r));
    assert.match(r.stderr, /already indexed/, show(r));
  });
  await h.check('add-tokens --tokens B --json through the running daemon: from block 0 to the cursor', async () => {
    const r = await cli(['add-tokens', '--tokens', B, '--json', ...admin]);
    assert.equal(r.code, 0, show(r));
    const j = JSON.parse(r.stdout);
    assert.deepEqual(j.tokens, [B]);
    assert.equal(j.from_block, 0);
    assert.equal((await apiOk(port, '/v1/status')).state, 'reindexing');
  });
  await h.check('while it runs: add-tokens C is refused (exit 2, in progress); blocks mined, then a reorg', async () => {
    const r = await cli(['add-tokens', '--tokens', C, ...admin]);
    assert.equal(r.code, 2, show(r));
    assert.match(r.stderr, /in progress/, show(r));
    // 2 new blocks and 3 indexed ones replaced: the indexed block waits, so the reorg reaches it.
    for (let i = 0; i < 2; i++) await w.step();
    const plan = await planReplacement(anvil.url, { w, rng, depth: 5, tokens: [A, B] });
    await anvilReorg(anvil.url, 5, plan.txs);
    await resyncWorkload(w);
    reorgDuringAdd = (await apiOk(port, '/v1/status')).state === 'reindexing';
    h.log(`reorg of depth 5 while the add-tokens ${reorgDuringAdd ? 'runs' : 'had ended'}`);
  });
  proxy.setDelay(0);
  await h.check('add-tokens B ends (logged); the state equals a fresh --tokens A,B database', async () => {
    await waitAddDone(d);
    assert.match(d.logs(), /add-tokens: done: /, d.logs());
    if (reorgDuringAdd) assert.match(d.logs(), /reorg: old head[^]*add-tokens: done: /, 'the reorg was undone first');
    await assertEqualsFresh(d, [A, B], 'ab');
  });
  await h.check('balances equal balanceOf for A and B at the head', async () => {
    const s = await waitSynced(port, anvil.url, { timeoutMs: 30000, daemon: d });
    const n = await assertChain(d, [A, B], s.head);
    h.log(`${n} balances checked at block ${s.head}`);
  });
  await h.check('a reorg right after it (depth 4, new transfers of A and B) is undone exactly', async () => {
    const plan = await planReplacement(anvil.url, { w, rng, depth: 4, tokens: [A, B] });
    await anvilReorg(anvil.url, 4, plan.txs);
    await resyncWorkload(w);
    await waitSynced(port, anvil.url, { timeoutMs: 30000, daemon: d });
    assert.match(d.logs(), /reorg: old head/, d.logs());
    await assertEqualsFresh(d, [A, B], 'ab-reorg');
  });
  await stop(d);
  await h.check('restart with --tokens A after the add: exit 2, the stored value is A,B', async () => {
    const r = await refusedStart({ ...base, rpcUrl: anvil.url, extraArgs: [...base.extraArgs, '--tokens', A] });
    assert.equal(r.code, 2, r.logs);
    assert.ok(r.logs.includes([A, B].sort().join(',')), r.logs);
  });

  // 4. ------------------------------------------------------------------------------------------
  const db2 = `${tmp}/ac`;
  const port2 = await freePort();
  const base2 = { db: db2, port: port2, extraArgs: ['--admin-token-file', tokenFile, '--max-range', '2'] };
  d = await h.must('second database with --tokens A', () => start({ ...base2, rpcUrl: anvil.url, extraArgs: [...base2.extraArgs, '--tokens', A] }));
  await waitSynced(port2, anvil.url, { timeoutMs: 60000, daemon: d });
  await stop(d);
  proxy.setDelay(rpcDelayMs);
  d = await h.must('restart through the slow proxy', () => start({ ...base2, rpcUrl: proxy.url }));
  await waitSynced(port2, anvil.url, { timeoutMs: 60000, daemon: d });
  await h.check('kill -9 during add-tokens C, restart: equal to a fresh --tokens A,C database', async () => {
    const r = await cli(['add-tokens', '--tokens', C, '--listen', `127.0.0.1:${port2}`, '--admin-token-file', tokenFile]);
    assert.equal(r.code, 0, show(r));
    await sleep(rng.int(300, 700));
    const st = (await api(port2, '/v1/status')).json;
    assert.equal(st.state, 'reindexing', 'the kill must land during the add-tokens');
    await stop(d, 'SIGKILL');
    const off = await cli(['status', '--json', '--db', db2, ...deadListen, '--rpc-url', anvil.url]);
    assert.equal(off.code, 0, show(off));
    h.log(`killed during add-tokens at block ${st.block}; offline status ${off.stdout.trim()}`);
    assert.equal(JSON.parse(off.stdout).tokens, 2, 'some of C was written before the kill');
    proxy.setDelay(0);
    d = await start({ ...base2, rpcUrl: proxy.url });
    await waitAddDone(d);
    await assertEqualsFresh(d, [A, C], 'ac');
  });
  await stop(d);

  // 5. ------------------------------------------------------------------------------------------
  await h.check('offline add-tokens B on the stopped database: indexed at the next start', async () => {
    const r = await cli(['add-tokens', '--tokens', B, '--db', db2, ...deadListen]);
    assert.equal(r.code, 0, show(r));
    assert.match(r.stderr, /indexed when it starts/, show(r));
    d = await start({ ...base2, rpcUrl: anvil.url });
    await waitAddDone(d);
    await assertEqualsFresh(d, [A, B, C], 'abc');
    await stop(d);
  });
  await h.check('a database of every token refuses add-tokens: exit 2', async () => {
    const db3 = `${tmp}/all`;
    d = await start({ rpcUrl: anvil.url, db: db3 });
    await waitSynced(d.port, anvil.url, { timeoutMs: 60000, daemon: d });
    await stop(d);
    const r = await cli(['add-tokens', '--tokens', A, '--db', db3, ...deadListen]);
    assert.equal(r.code, 2, show(r));
    assert.match(r.stderr, /indexes every token/, show(r));
  });
} catch (e) {
  if (!(e instanceof FatalError)) h.fail('unexpected error', e);
  for (const d of daemons) console.log(`--- daemon output (tail) ---\n${d.logs().slice(-4000)}\n---`);
} finally {
  for (const d of daemons) if (!d.exited()) await d.stop('SIGKILL');
  if (proxy) await proxy.close();
  if (anvil) await anvil.stop();
  code = h.finish();
}
process.exit(code);
