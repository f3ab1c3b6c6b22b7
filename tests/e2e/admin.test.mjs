// Operations end-to-end test of erc20-indexer: the admin commands and the admin API.
//   node tests/e2e/admin.test.mjs [--seed N] [--blocks N] [--reindex-delay-ms N]
// (daemon binary: $ERC20_INDEXER_BIN, default <repo>/build/erc20-indexer)
//
// One seeded anvil chain (3 ERC20s, NFT, Batcher, WeirdToken, >= 60 blocks), then:
//  1. SIGTERM during a slow backfill (delaying RPC proxy, --max-range 2): exit 0 within 5 s,
//     restart gives the exact state; the admin API is off without --admin-token-file (404 admin_off).
//  2. A daemon with --admin-token-file: raw POST /admin/v1/status without / with a wrong token (401),
//     GET with the right token (405); every command through the running daemon (status, verify,
//     compact, rollback, reindex --wait, reindex), human output and --json; rollback then resume is
//     exact; during a slow reindex every /v1/status, token, holders and paged-holders answer equals
//     the ground truth at the answer's own block, /v1/status says `reindexing`, and it ends exact.
//  3. A database held by a running daemon: the CLI pointed at another --listen opens the db and
//     fails with "locked by another process".
//  4. Backups taken while blocks are mined and applied: each backup's own cursor equals the block the
//     command reported; a copy of it served (node unreachable) equals the ground truth at that block
//     (balances == balanceOf at that block); a daemon on the copy resumes and ends exact. With the
//     node unreachable, admin actions still answer and SIGTERM still stops the daemon.
//  5. Every command against the stopped daemon (--db opened directly), then restart: exact.
//  6. verify on a RebasingToken (balanceOf = raw balance * factor, rebased without Transfer events):
//     exit 0 while factor == 1, exit 1 listing every drifted holder after setFactor (human, --json).
//  7. SIGHUP re-reads --config: log-level warn -> debug, debug lines appear.
// Prints "N passed, M failed"; exit code 0 on success.
import { spawn } from 'node:child_process';
import crypto from 'node:crypto';
import fs from 'node:fs';
import { startAnvil, rpc, rpcBatch, hex, calldata, deploy } from './lib/chain.mjs';
import { makeTempDir, freePort, sleep, httpRequest, trackChild, stopChild, tailBuffer, cleanEnv, runCli } from './lib/proc.mjs';
import { buildChain } from './lib/workload.mjs';
import { erc20Transfers, balancesFromLogs, tokenStats, sortedHolders, balancesOf } from './lib/truth.mjs';
import { startDaemon, waitForBlock, api, apiOk, allPages, tokenAddressOf, DAEMON_BIN } from './lib/daemon.mjs';
import { startRpcProxy } from './lib/rpcproxy.mjs';
import { createHarness, assert, parseArgs, FatalError, deepEqualWithPath, kSlow } from './lib/harness.mjs';

const args = parseArgs();
const seed = Number(args.seed ?? 11);
const blocks = Number(args.blocks ?? 60);
// Delay the proxy adds to every JSON-RPC request while a reindex runs (with --max-range 2 it makes
// the reindex last a few seconds, long enough to sample the API many times during it).
const reindexDelayMs = Number(args['reindex-delay-ms'] ?? 50);
const h = createHarness('admin', { timeoutMs: 175000 });
const daemons = new Set();
const proxies = [];
let anvil = null;
let code = 1;

// ---------------------------------------------------------------------------------------------
// helpers
// ---------------------------------------------------------------------------------------------

/** Run `erc20-indexer ...argv`; resolves {code, signal, stdout, stderr, ms}. */
const cli = (argv, opts) => runCli(DAEMON_BIN, argv, opts);
const show = (r) => `exit ${r.code}${r.signal ? ` (${r.signal})` : ''}\n--- stdout ---\n${r.stdout}--- stderr ---\n${r.stderr}`;
function jsonOut(r) {
  try { return JSON.parse(r.stdout.trim()); } catch { throw new assert.AssertionError({ message: `stdout is not one JSON document: ${show(r)}` }); }
}

async function startTracked(opts) {
  const d = await startDaemon(opts);
  daemons.add(d);
  return d;
}
async function stopTracked(d, signal = 'SIGTERM', timeoutMs = 15000) {
  const r = await d.stop(signal, timeoutMs);
  daemons.delete(d);
  return r;
}

/** POST/GET /admin/v1/{action} with an optional Authorization header; {status, json, text}. */
async function adminRaw(port, action, { method = 'POST', auth } = {}) {
  const headers = auth === undefined ? {} : { authorization: auth };
  const r = await httpRequest(`http://127.0.0.1:${port}/admin/v1/${action}`, { method, headers, body: method === 'POST' ? '' : undefined });
  let json = null;
  try { json = JSON.parse(r.text); } catch { /* not JSON */ }
  return { status: r.status, json, text: r.text };
}

/** Expected index at block B from the ERC20 transfers (sorted) of the chain. Memoised per list. */
const memo = new WeakMap();
function expectedAt(transfers, B) {
  if (!memo.has(transfers)) memo.set(transfers, new Map());
  const m = memo.get(transfers);
  if (!m.has(B)) {
    const xs = transfers.filter((t) => t.block <= B);
    const stats = tokenStats(xs);
    m.set(B, { xs, balances: balancesFromLogs(xs), stats, tokens: [...stats.keys()].sort() });
  }
  return m.get(B);
}
const stripTs = ({ timestamp: _t, ...rest }) => rest;

/**
 * Everything the daemon on `port` serves equals the chain's ERC20 logs up to block B, and every
 * address that appeared has balanceOf(at B) == its indexed balance (except tokens in `drift`).
 */
async function assertExact(port, B, { drift = new Set() } = {}) {
  const url = anvil.url;
  const transfers = await erc20Transfers(url, B);
  const exp = expectedAt(transfers, B);
  const st = await apiOk(port, '/v1/status');
  assert.equal(st.block, B, 'status.block');
  const blk = await rpc(url, 'eth_getBlockByNumber', [hex(B), false]);
  assert.equal(st.block_hash, blk.hash.toLowerCase(), 'status.block_hash');
  assert.equal(st.transfers, transfers.length, 'status.transfers');
  assert.equal(st.tokens, exp.tokens.length, 'status.tokens');
  const tl = await allPages(port, '/v1/tokens?limit=1000');
  assert.ok(tl.blocks.every((b) => b === B), `token list blocks ${tl.blocks}`);
  assert.deepEqual(tl.items.map(tokenAddressOf).sort(), exp.tokens, 'token set');
  const pairs = [];
  const want = [];
  for (const t of exp.tokens) {
    const s = exp.stats.get(t);
    const bal = exp.balances.get(t);
    const holders = sortedHolders(bal);
    const d = await apiOk(port, `/v1/tokens/${t}`);
    assert.equal(d.block, B, `${t} detail block`);
    assert.equal(d.minted, s.minted.toString(), `${t} minted`);
    assert.equal(d.burned, s.burned.toString(), `${t} burned`);
    assert.equal(d.indexed_supply, (s.minted - s.burned).toString(), `${t} indexed_supply`);
    assert.equal(d.holders, holders.length, `${t} holders`);
    assert.equal(d.transfers, s.transfers, `${t} transfers`);
    assert.equal(d.negative_balances, 0, `${t} negative_balances`);
    assert.equal(d.first_block, s.firstBlock, `${t} first_block`);
    assert.equal(d.last_block, s.lastBlock, `${t} last_block`);
    const hp = await allPages(port, `/v1/tokens/${t}/holders?limit=1000`);
    assert.ok(hp.blocks.every((b) => b === B), `${t} holders blocks ${hp.blocks}`);
    deepEqualWithPath(hp.items, holders, `${t}.holders`);
    const xp = await allPages(port, `/v1/tokens/${t}/transfers?limit=1000`);
    assert.ok(xp.blocks.every((b) => b === B), `${t} transfers blocks ${xp.blocks}`);
    deepEqualWithPath(xp.items.map(stripTs), exp.xs.filter((x) => x.token === t), `${t}.transfers`);
    if (drift.has(t)) continue;
    for (const [a, v] of bal) { pairs.push([t, a]); want.push(v); }
  }
  const onchain = await balancesOf(url, pairs, B);
  pairs.forEach(([t, a], i) => assert.equal(onchain[i], want[i], `balanceOf(${a}) of ${t} at block ${B} vs indexed`));
  return { transfers: transfers.length, tokens: exp.tokens.length, balances: pairs.length };
}

/** Wait until the daemon is at `head` and following, then check exactness. */
async function settleExact(title, d, head, opts) {
  await h.check(title, async () => {
    await waitForBlock(d.port, head, 60000, d);
    const r = await assertExact(d.port, head, opts);
    return r;
  });
}

/** Keep the workload's nonce model in step after a transaction sent outside it. */
async function syncNonce(w, a) {
  w.nonces.set(a, Number(BigInt(await rpc(anvil.url, 'eth_getTransactionCount', [a, 'pending']))));
}

// ---------------------------------------------------------------------------------------------
try {
  h.log(`daemon binary: ${DAEMON_BIN}; seed ${seed}; ${blocks} blocks`);
  anvil = await h.must('anvil starts', () => startAnvil({}));
  const chain = await h.must(`build chain: 3 tokens, ${blocks} blocks`, () => buildChain(anvil.url, { seed, blocks }));
  const w = chain.workload;
  let head = chain.head;
  h.log(`chain head ${head}, ${w.stats.txs} txs, tokens ${chain.tokens.join(' ')}`);
  const tmp = makeTempDir('erc20-e2e-admin-');
  const tokenFile = `${tmp}/admin-token`;
  const adminToken = crypto.randomBytes(16).toString('hex');
  fs.writeFileSync(tokenFile, `${adminToken}\n`);
  const wrongTokenFile = `${tmp}/wrong-token`;
  fs.writeFileSync(wrongTokenFile, `${'f'.repeat(32)}\n`);
  const deadPort = await freePort(); // nothing listens here: the CLI finds no daemon, the daemon no node
  const deadListen = ['--listen', `127.0.0.1:${deadPort}`];
  const deadRpc = `http://127.0.0.1:${deadPort}`;
  const offline = (db) => [...deadListen, '--db', db, '--rpc-url', anvil.url];

  // =============================================================================================
  // 1. SIGTERM during a slow backfill; admin API off
  // =============================================================================================
  const slow = await startRpcProxy({ target: anvil.url, delayMs: 40 });
  proxies.push(slow);
  let t0 = Date.now();
  const sdb = `${tmp}/sigterm`;
  let s = await h.must('daemon without --admin-token-file starts a slow backfill (proxy +40 ms, --max-range 2)',
    () => startTracked({ rpcUrl: slow.url, db: sdb, extraArgs: ['--max-range', '2'], logLevel: 'info' }));
  let midBlock = null;
  await h.check('admin API off: POST /admin/v1/status (even with a bearer token) -> 404 admin_off', async () => {
    for (const auth of [undefined, `Bearer ${adminToken}`]) {
      const r = await adminRaw(s.port, 'status', { auth });
      assert.equal(r.status, 404, r.text);
      assert.equal(r.json?.error?.code, 'admin_off', r.text);
    }
  });
  await h.check('CLI against a daemon with the admin API off: exit 1, says the admin API is off', async () => {
    const r = await cli(['compact', '--listen', `127.0.0.1:${s.port}`, '--db', sdb, '--admin-token-file', tokenFile]);
    assert.equal(r.code, 1, show(r));
    assert.match(r.stderr, /admin API is off/, show(r));
  });
  await h.check('SIGTERM mid-backfill: exit code 0 within 5 s', async () => {
    let st = null;
    const until = Date.now() + 30000;
    while (!(st && st.block >= 4) && Date.now() < until && !s.exited()) { // tight poll: catch it early
      st = (await api(s.port, '/v1/status')).json;
      await sleep(20);
    }
    assert.ok(st && st.block >= 4, `no progress: ${JSON.stringify(st)}\n${s.logs()}`);
    midBlock = st.block;
    assert.ok(st.block < head, `backfill already done (block ${st.block}); slow it down`);
    const t = Date.now();
    const r = await stopTracked(s, 'SIGTERM', 5000);
    const ms = Date.now() - t;
    h.log(`SIGTERM at block ${st.block} of ${head} (${st.state}): exit ${JSON.stringify(r)} after ${ms} ms`);
    assert.equal(r.escalated, false, `no exit within 5 s: ${ms} ms\n${s.logs()}`);
    assert.equal(r.code, 0, `${JSON.stringify(r)}\n${s.logs()}`);
    assert.match(s.logs(), /SIGTERM: stopping/);
  });
  await h.check('status --json of the stopped database: state stopped, cursor mid-backfill', async () => {
    const r = await cli(['status', '--json', ...offline(sdb)]);
    assert.equal(r.code, 0, show(r));
    const j = jsonOut(r);
    assert.equal(j.state, 'stopped');
    assert.ok(j.block >= midBlock && j.block < head, `block ${j.block}, seen ${midBlock}, head ${head}`);
  });
  slow.setDelay(0);
  s = await h.must('daemon restarts on the same database', () => startTracked({ rpcUrl: slow.url, db: sdb, extraArgs: ['--max-range', '2'] }));
  await settleExact(`after SIGTERM mid-backfill and restart: exact at head ${head}`, s, head);
  await h.check('daemon stops on SIGTERM (code 0)', async () => {
    const r = await stopTracked(s);
    assert.equal(r.code, 0, JSON.stringify(r));
  });
  h.log(`phase 1 (SIGTERM) took ${((Date.now() - t0) / 1000).toFixed(1)}s`);

  // =============================================================================================
  // 2. Running daemon with the admin API
  // =============================================================================================
  t0 = Date.now();
  const main = await startRpcProxy({ target: anvil.url, delayMs: 0 });
  proxies.push(main);
  const db = `${tmp}/main`;
  const dArgs = ['--max-range', '2', '--admin-token-file', tokenFile];
  let d = await h.must('daemon with --admin-token-file starts', () => startTracked({ rpcUrl: main.url, db, extraArgs: dArgs }));
  await h.must(`daemon reaches head ${head}`, () => waitForBlock(d.port, head, 60000, d));
  const online = () => ['--listen', `127.0.0.1:${d.port}`, '--db', db, '--admin-token-file', tokenFile, '--rpc-url', anvil.url];

  await h.check('POST /admin/v1/status without Authorization -> 401', async () => {
    const r = await adminRaw(d.port, 'status');
    assert.equal(r.status, 401, r.text);
    assert.equal(r.json?.error?.code, 'unauthorized', r.text);
  });
  await h.check('POST /admin/v1/status with a wrong token / wrong scheme / token prefix -> 401', async () => {
    for (const auth of [`Bearer ${'f'.repeat(32)}`, `Bearer ${adminToken.slice(0, -1)}`, `Bearer ${adminToken}x`,
      `Basic ${adminToken}`, adminToken, 'Bearer ']) {
      const r = await adminRaw(d.port, 'status', { auth });
      assert.equal(r.status, 401, `${auth}: ${r.text}`);
    }
  });
  await h.check('GET /admin/v1/status with the right token -> 405', async () => {
    const r = await adminRaw(d.port, 'status', { method: 'GET', auth: `Bearer ${adminToken}` });
    assert.equal(r.status, 405, r.text);
    assert.equal(typeof r.json?.error?.code, 'string', r.text);
  });
  await h.check('POST with the right token: status 200; unknown action 404; rollback without to_block 400', async () => {
    const ok = await adminRaw(d.port, 'status', { auth: `Bearer ${adminToken}` });
    assert.equal(ok.status, 200, ok.text);
    assert.equal(ok.json.block, head);
    const unknown = await adminRaw(d.port, 'nope', { auth: `Bearer ${adminToken}` });
    assert.equal(unknown.status, 404, unknown.text);
    const bad = await adminRaw(d.port, 'rollback', { auth: `Bearer ${adminToken}` });
    assert.equal(bad.status, 400, bad.text);
    const st = await apiOk(d.port, '/v1/status');
    assert.equal(st.block, head, 'a refused rollback must not move the cursor');
  });
  await h.check('CLI while the daemon runs: without --admin-token-file exit 2, with a wrong token exit 1 (401 message)', async () => {
    const r1 = await cli(['compact', '--listen', `127.0.0.1:${d.port}`, '--db', db]);
    assert.equal(r1.code, 2, show(r1));
    assert.match(r1.stderr, /admin-token-file/, show(r1));
    const r2 = await cli(['compact', '--listen', `127.0.0.1:${d.port}`, '--db', db, '--admin-token-file', wrongTokenFile]);
    assert.equal(r2.code, 1, show(r2));
    assert.match(r2.stderr, /token/i, show(r2));
  });

  await h.check('status --json (running): block, node_block, lag_blocks, state, transfers_per_s, db_size_bytes', async () => {
    const r = await cli(['status', '--json', ...online()]);
    assert.equal(r.code, 0, show(r));
    const j = jsonOut(r);
    const truthCount = (await erc20Transfers(anvil.url, head)).length;
    assert.equal(j.block, head);
    assert.equal(j.node_block, head);
    assert.equal(j.lag_blocks, 0);
    assert.equal(j.state, 'following');
    assert.equal(typeof j.transfers_per_s, 'number');
    assert.ok(j.transfers_per_s >= 0, `transfers_per_s ${j.transfers_per_s}`);
    assert.ok(Number.isInteger(j.db_size_bytes) && j.db_size_bytes > 0, `db_size_bytes ${j.db_size_bytes}`);
    assert.equal(j.transfers, truthCount);
    assert.equal(j.tokens, chain.tokens.length);
  });
  await h.check('status (human, running): state, block, lag, database size', async () => {
    const r = await cli(['status', ...online()]);
    assert.equal(r.code, 0, show(r));
    assert.match(r.stdout, /state:\s+following/);
    assert.match(r.stdout, new RegExp(`block:\\s+${head} \\(0x[0-9a-f]{64}\\)`));
    assert.match(r.stdout, /lag:\s+0 blocks/);
    assert.match(r.stdout, /database:\s+[0-9.]+ (B|KiB|MiB|GiB)/);
  });
  const holderTotal = async (port) => {
    let n = 0;
    for (const t of chain.tokens) n += (await apiOk(port, `/v1/tokens/${t}`)).holders;
    return n;
  };
  await h.check('verify (human, running): exit 0, "0 mismatches", every holder checked', async () => {
    const r = await cli(['verify', ...online()]);
    assert.equal(r.code, 0, show(r));
    const n = await holderTotal(d.port);
    assert.match(r.stdout, new RegExp(`verify: block ${head}, 3 tokens, ${n} balances checked, 0 mismatches`), show(r));
    assert.doesNotMatch(r.stdout, /MISMATCH/);
  });
  await h.check('verify --json (running): exit 0, mismatches [], checked == holders; --token T --sample 3 checks 3', async () => {
    const r = await cli(['verify', '--json', ...online()]);
    assert.equal(r.code, 0, show(r));
    const j = jsonOut(r);
    assert.deepEqual(j.mismatches, []);
    assert.equal(j.block, head);
    assert.equal(j.tokens, 3);
    assert.equal(j.checked, await holderTotal(d.port));
    const r2 = await cli(['verify', '--json', '--token', chain.tokens[1], '--sample', '3', ...online()]);
    assert.equal(r2.code, 0, show(r2));
    const j2 = jsonOut(r2);
    assert.equal(j2.tokens, 1);
    assert.equal(j2.checked, 3);
    assert.deepEqual(j2.mismatches, []);
  });
  await h.check('compact --json and compact (running): exit 0, sizes before and after', async () => {
    const r = await cli(['compact', '--json', ...online()]);
    assert.equal(r.code, 0, show(r));
    const j = jsonOut(r);
    assert.ok(Number.isInteger(j.db_size_bytes_before) && j.db_size_bytes_before > 0, r.stdout);
    assert.ok(Number.isInteger(j.db_size_bytes_after) && j.db_size_bytes_after > 0, r.stdout);
    const r2 = await cli(['compact', ...online()]);
    assert.equal(r2.code, 0, show(r2));
    assert.match(r2.stdout, /^compact: \d+ -> \d+ bytes$/m, show(r2));
  });

  // ---- rollback, then resume ----
  const all0 = await erc20Transfers(anvil.url, head);
  const undoneAfter = (n) => all0.filter((x) => x.block > n).length;
  const removedAfter = (n) => [...tokenStats(all0).values()].filter((st) => st.firstBlock > n).length;
  const rb1 = head - 25;
  await h.check(`rollback --to-block ${rb1} (human, running): exit 0, counts, then resumes`, async () => {
    const r = await cli(['rollback', '--to-block', String(rb1), ...online()]);
    assert.equal(r.code, 0, show(r));
    assert.match(r.stdout, new RegExp(`rollback: cursor moved from block ${head} to block ${rb1}, ${undoneAfter(rb1)} transfers and ${removedAfter(rb1)} tokens undone`), show(r));
  });
  await settleExact(`after rollback --to-block ${rb1}: exact at head ${head} again`, d, head);
  const rb2 = 12;
  await h.check(`rollback --json --to-block ${rb2} (running): from_block, to_block, transfers_undone, tokens_removed`, async () => {
    const r = await cli(['rollback', '--json', '--to-block', String(rb2), ...online()]);
    assert.equal(r.code, 0, show(r));
    const j = jsonOut(r);
    assert.equal(j.from_block, head);
    assert.equal(j.to_block, rb2);
    assert.equal(j.transfers_undone, undoneAfter(rb2));
    assert.equal(j.tokens_removed, removedAfter(rb2));
  });
  await settleExact(`after rollback --to-block ${rb2}: exact at head ${head} again`, d, head);

  // ---- reindex while serving ----
  const ri = Math.max(2, Math.floor(head / 5));
  const hashes = new Map();
  {
    const res = await rpcBatch(anvil.url, Array.from({ length: head + 1 }, (_, b) => ['eth_getBlockByNumber', [hex(b), false]]));
    res.forEach((b, i) => hashes.set(i, b.hash.toLowerCase()));
  }
  main.setDelay(reindexDelayMs);
  let mon = null;
  let waitCli = null;
  let atCliExit = null;
  await h.check(`reindex --from-block ${ri} --wait (running, node slowed by ${reindexDelayMs} ms): exit 0, rewind line`, async () => {
    const stats0 = tokenStats(all0);
    let done = false;
    const monP = monitor(d.port, all0, hashes, ri, stats0, () => done);
    const t = Date.now();
    waitCli = await cli(['reindex', '--from-block', String(ri), '--wait', ...online()], { timeoutMs: 90000 });
    atCliExit = (await apiOk(d.port, '/v1/status'));
    h.log(`reindex --wait returned after ${Date.now() - t} ms at daemon block ${atCliExit.block} (${atCliExit.state}); stderr tail: ${JSON.stringify(waitCli.stderr.slice(-120))}`);
    await waitForBlock(d.port, head, 90000, d);
    for (let i = 0; i < 20; i++) { // a few samples in the following state too
      const st = await apiOk(d.port, '/v1/status');
      if (st.state === 'following' && st.block === head) break;
      await sleep(100);
    }
    await sleep(300);
    done = true;
    mon = await monP;
    h.log(`reindex: ${mon.samples} samples (${mon.walks} paged walks) at blocks ${Math.min(...mon.blocks)}..${Math.max(...mon.blocks)}, states ${[...mon.states].join(',')}, took ${Date.now() - t} ms`);
    assert.equal(waitCli.code, 0, show(waitCli));
    assert.match(waitCli.stdout, new RegExp(`reindex: cursor moved from block ${head} to block ${ri - 1}, ${undoneAfter(ri - 1)} transfers and ${removedAfter(ri - 1)} tokens undone`), show(waitCli));
  });
  main.setDelay(0);
  await h.check('reindex --wait returns only once the daemon is caught up again (block >= the old head)', async () => {
    assert.ok(atCliExit, 'no status at CLI exit');
    const m = /caught up at block (\d+)/.exec(waitCli?.stderr ?? '');
    assert.ok(m, `no "caught up" line: ${show(waitCli)}`);
    assert.ok(Number(m[1]) >= head && atCliExit.block >= head,
      `reindex --wait said "caught up at block ${m[1]}" and exited with the daemon at block ${atCliExit.block} (${atCliExit.state}), the reindex goes on to ${head}`);
  });
  await h.check('during the reindex every answer equals the ground truth at its own block (status, token, holders, paged walks)', async () => {
    assert.ok(mon, 'no monitor result');
    assert.deepEqual(mon.errors.slice(0, 5), [], `${mon.errors.length} inconsistent answers`);
    assert.ok(mon.samples >= 5, `only ${mon.samples} samples`);
    assert.ok(Math.min(...mon.blocks) < head, `never saw a block below the head: ${[...new Set(mon.blocks)]}`);
    assert.ok(new Set(mon.blocks).size >= 3, `saw only blocks ${[...new Set(mon.blocks)]}`);
  });
  await h.check('/v1/status says "reindexing" during the reindex', async () => {
    assert.ok(mon?.states.has('reindexing'), `states seen: ${[...(mon?.states ?? [])]}`);
  });
  await settleExact(`after reindex --from-block ${ri}: exact at head ${head}`, d, head);
  const ri2 = head - 10;
  await h.check(`reindex --json --from-block ${ri2} (running): answer fields, then exact again`, async () => {
    const r = await cli(['reindex', '--json', '--from-block', String(ri2), ...online()]);
    assert.equal(r.code, 0, show(r));
    const j = jsonOut(r);
    assert.equal(j.from_block, head);
    assert.equal(j.to_block, ri2 - 1);
    assert.equal(j.transfers_undone, undoneAfter(ri2 - 1));
    await waitForBlock(d.port, head, 60000, d);
    await assertExact(d.port, head);
  });

  // =============================================================================================
  // 3. Database locked by the running daemon, CLI pointed at another --listen
  // =============================================================================================
  for (const [name, extra] of [['rollback', ['--to-block', '5']], ['reindex', ['--from-block', '5']], ['compact', []],
    ['backup', ['--to', `${tmp}/locked-backup`]], ['status', []]]) {
    await h.check(`${name} on a database held by a daemon on another --listen: exit 1, "locked by another process"`, async () => {
      const r = await cli([name, ...extra, ...offline(db)]);
      assert.notEqual(r.code, 0, `exit 0 while the daemon holds the database: ${show(r)}`);
      assert.match(r.stderr, /locked by another process/, show(r));
    });
  }
  await h.check('the locked attempts changed nothing: still exact at head', async () => {
    assert.equal(fs.existsSync(`${tmp}/locked-backup`), false, 'a backup folder was written');
    await assertExact(d.port, head);
  });
  h.log(`phase 2-3 (running daemon) took ${((Date.now() - t0) / 1000).toFixed(1)}s`);

  // =============================================================================================
  // 4. Backups while blocks are mined and applied
  // =============================================================================================
  t0 = Date.now();
  const backups = [];
  await h.check('3 backups (--json and human) taken while blocks are mined and applied: exit 0', async () => {
    // The miner goes on until 2 blocks after the last backup (at most 60 blocks, more for a
    // slow build: E2E_SLOW).
    let mined = 0;
    let stopAt = null;
    const miner = (async () => {
      while (mined < 60 * kSlow && (stopAt === null || mined < stopAt)) {
        await w.step();
        mined++;
        await sleep(60);
      }
    })();
    try {
      for (let i = 0; i < 3; i++) {
        await sleep(250);
        const dir = `${tmp}/backup${i}`;
        const before = (await apiOk(d.port, '/v1/status')).block;
        const r = await cli(['backup', ...(i === 1 ? [] : ['--json']), '--to', dir, ...online()]);
        assert.equal(r.code, 0, show(r));
        let block;
        if (i === 1) {
          const m = /^backup: (\S+) holds the database at block (\d+); to restore/m.exec(r.stdout);
          assert.ok(m, show(r));
          assert.equal(m[1], dir);
          block = Number(m[2]);
        } else {
          const j = jsonOut(r);
          assert.equal(j.path, dir);
          block = j.block;
        }
        assert.ok(block >= before, `backup block ${block} < block ${before} served before it`);
        backups.push({ dir, block });
      }
    } finally {
      stopAt = mined + 2;
      await miner;
    }
    h.log(`backups at blocks ${backups.map((b) => b.block).join(', ')} while mining to ${w.head}`);
    assert.equal(backups.length, 3);
    assert.ok(backups[2].block < w.head, `mining had stopped before the last backup (${backups[2].block}, head ${w.head})`);
  });
  head = w.head;
  await settleExact(`daemon followed the mining: exact at head ${head}`, d, head);
  await h.check('backup --to an existing folder: exit 1, "already exists"', async () => {
    const r = await cli(['backup', '--to', backups[0]?.dir ?? tmp, ...online()]);
    assert.equal(r.code, 1, show(r));
    assert.match(r.stderr, /already exists/, show(r));
  });
  for (const [i, b] of backups.entries()) {
    await h.check(`backup ${i}: its own cursor (status --json --db backup) is the reported block ${b.block}`, async () => {
      const r = await cli(['status', '--json', ...offline(b.dir)]);
      assert.equal(r.code, 0, show(r));
      const j = jsonOut(r);
      b.actual = j.block;
      assert.equal(j.block, b.block, `the backup holds block ${j.block}, the backup command said ${b.block}`);
    });
    const restored = `${tmp}/restored${i}`;
    fs.cpSync(b.dir, restored, { recursive: true });
    const at = b.actual ?? b.block;
    await h.check(`backup ${i} restored to a new folder, served with the node unreachable: exact at its own block ${at} (balanceOf at ${at})`, async () => {
      const r = await startTracked({ rpcUrl: deadRpc, db: restored });
      try {
        await assertExact(r.port, at);
      } finally {
        await stopTracked(r, 'SIGTERM', 10000);
      }
    });
    if (i !== 1) continue; // resuming once per backup style is enough
    await h.check(`backup ${i} restored: a daemon on it resumes and is exact at head ${head}`, async () => {
      const r = await startTracked({ rpcUrl: anvil.url, db: restored });
      try {
        await waitForBlock(r.port, head, 60000, r);
        await assertExact(r.port, head);
      } finally {
        const x = await stopTracked(r);
        assert.equal(x.code, 0);
      }
    });
  }
  if (fs.existsSync(`${tmp}/restored0`)) {
    // The node is unreachable: the indexer thread retries eth_chainId; admin actions must still
    // answer, and SIGTERM must still stop the daemon.
    const r = await startTracked({ rpcUrl: deadRpc, db: `${tmp}/restored0`, extraArgs: ['--admin-token-file', tokenFile] });
    await h.check('node unreachable: POST /admin/v1/status answers 200 (node_reachable false once the first call failed)', async () => {
      const until = Date.now() + 5000;
      for (;;) {
        const a = await httpRequest(`http://127.0.0.1:${r.port}/admin/v1/status`, { method: 'POST', body: '', headers: { authorization: `Bearer ${adminToken}` }, timeoutMs: 5000 });
        assert.equal(a.status, 200, a.text);
        if (JSON.parse(a.text).node_reachable === false) break;
        if (Date.now() > until) assert.fail(`node_reachable still true after 5 s: ${a.text}`);
        await sleep(100);
      }
    });
    await h.check('node unreachable: POST /admin/v1/rollback answers within 5 s (done or refused, not hung)', async () => {
      const t = Date.now();
      try {
        const a = await httpRequest(`http://127.0.0.1:${r.port}/admin/v1/rollback?to_block=10`, { method: 'POST', body: '', headers: { authorization: `Bearer ${adminToken}` }, timeoutMs: 5000 });
        h.log(`rollback with the node down answered HTTP ${a.status} after ${Date.now() - t} ms: ${a.text.slice(0, 200)}`);
      } catch (e) {
        throw new assert.AssertionError({ message: `no answer to the rollback within 5 s while the node is unreachable (${e.message})` });
      }
    });
    await h.check('node unreachable (after an admin rollback request): SIGTERM exits 0 within 5 s', async () => {
      const x = await stopTracked(r, 'SIGTERM', 5000);
      assert.equal(x.escalated, false, `no exit within 5 s of SIGTERM, SIGKILLed\n${r.logs().slice(-1000)}`);
      assert.equal(x.code, 0, JSON.stringify(x));
    });
  }
  h.log(`phase 4 (backups) took ${((Date.now() - t0) / 1000).toFixed(1)}s`);

  // =============================================================================================
  // 5. Every command against the stopped daemon
  // =============================================================================================
  t0 = Date.now();
  await h.check('daemon stops on SIGTERM (code 0)', async () => {
    const r = await stopTracked(d);
    assert.equal(r.code, 0, JSON.stringify(r));
  });
  const allNow = await erc20Transfers(anvil.url, head);
  await h.check('status --json (stopped): state stopped, block head, node_block null (the node read under local), transfers_per_s 0, db_size_bytes', async () => {
    const r = await cli(['status', '--json', ...offline(db)]);
    assert.equal(r.code, 0, show(r));
    const j = jsonOut(r);
    assert.equal(j.state, 'stopped');
    assert.equal(j.block, head);
    assert.equal(j.node_block, null);
    assert.equal(j.lag_blocks, null);
    assert.equal(j.local.node_block, head);
    assert.equal(j.local.source, 'database');
    assert.equal(j.transfers_per_s, 0);
    assert.ok(Number.isInteger(j.db_size_bytes) && j.db_size_bytes > 0);
    assert.equal(j.transfers, allNow.length);
  });
  await h.check('status (human, stopped): state stopped', async () => {
    const r = await cli(['status', ...offline(db)]);
    assert.equal(r.code, 0, show(r));
    assert.match(r.stdout, /state:\s+stopped/);
    assert.match(r.stdout, new RegExp(`block:\\s+${head} `));
  });
  await h.check('verify and verify --json (stopped): exit 0, no mismatches', async () => {
    const r = await cli(['verify', ...offline(db)]);
    assert.equal(r.code, 0, show(r));
    assert.match(r.stdout, new RegExp(`verify: block ${head}, 3 tokens, \\d+ balances checked, 0 mismatches`));
    const r2 = await cli(['verify', '--json', '--sample', '5', ...offline(db)]);
    assert.equal(r2.code, 0, show(r2));
    const j = jsonOut(r2);
    assert.equal(j.checked, 15);
    assert.deepEqual(j.mismatches, []);
  });
  await h.check('compact --json and compact (stopped): exit 0, sizes', async () => {
    const r = await cli(['compact', '--json', ...offline(db)]);
    assert.equal(r.code, 0, show(r));
    const j = jsonOut(r);
    assert.ok(j.db_size_bytes_before > 0 && j.db_size_bytes_after > 0, r.stdout);
    const r2 = await cli(['compact', ...offline(db)]);
    assert.equal(r2.code, 0, show(r2));
    assert.match(r2.stdout, /^compact: \d+ -> \d+ bytes$/m);
  });
  await h.check('backup (stopped): exit 0, the copy holds the head', async () => {
    const dir = `${tmp}/backup-stopped`;
    const r = await cli(['backup', '--to', dir, ...offline(db)]);
    assert.equal(r.code, 0, show(r));
    assert.match(r.stdout, new RegExp(`holds the database at block ${head};`));
    const r2 = await cli(['status', '--json', ...offline(dir)]);
    assert.equal(r2.code, 0, show(r2));
    assert.equal(jsonOut(r2).block, head);
  });
  const undoneNow = (n) => allNow.filter((x) => x.block > n).length;
  const orb = head - 20;
  await h.check(`rollback --to-block ${orb} (stopped, human): exit 0, status then says block ${orb}`, async () => {
    const r = await cli(['rollback', '--to-block', String(orb), ...offline(db)]);
    assert.equal(r.code, 0, show(r));
    assert.match(r.stdout, new RegExp(`rollback: cursor moved from block ${head} to block ${orb}, ${undoneNow(orb)} transfers`), show(r));
    const r2 = await cli(['status', '--json', ...offline(db)]);
    assert.equal(jsonOut(r2).block, orb);
    assert.equal(jsonOut(r2).transfers, allNow.length - undoneNow(orb));
  });
  const ori = orb - 15;
  await h.check(`reindex --json --from-block ${ori} and reindex --wait (stopped): exit 0, cursor ${ori - 1}`, async () => {
    const r = await cli(['reindex', '--json', '--from-block', String(ori), ...offline(db)]);
    assert.equal(r.code, 0, show(r));
    const j = jsonOut(r);
    assert.equal(j.from_block, orb);
    assert.equal(j.to_block, ori - 1);
    assert.equal(j.transfers_undone, undoneNow(ori - 1) - undoneNow(orb));
    const r2 = await cli(['reindex', '--from-block', String(ori), '--wait', ...offline(db)]);
    assert.equal(r2.code, 0, show(r2));
    assert.match(r2.stdout, new RegExp(`reindex: nothing to undo, the cursor is at block ${ori - 1}`), show(r2));
    assert.match(r2.stderr, /re-ingested when it starts/, show(r2));
    const r3 = await cli(['reindex', '--json', '--from-block', String(ori + 5), ...offline(db)]);
    assert.equal(r3.code, 0, show(r3));
    assert.equal(jsonOut(r3).transfers_undone, 0);
    const r4 = await cli(['status', '--json', ...offline(db)]);
    assert.equal(jsonOut(r4).block, ori - 1, 'a reindex from a block after the cursor must not move it');
  });
  d = await h.must('daemon restarts after the offline rollback and reindex', () => startTracked({ rpcUrl: main.url, db, extraArgs: dArgs }));
  await settleExact(`after offline rollback + reindex and restart: exact at head ${head}`, d, head);
  h.log(`phase 5 (stopped daemon) took ${((Date.now() - t0) / 1000).toFixed(1)}s`);

  // =============================================================================================
  // 6. verify on a token whose balanceOf drifts from its Transfer events
  // =============================================================================================
  t0 = Date.now();
  const reb = await h.must('deploy RebasingToken; mint to 4 accounts and transfer in one block', async () => {
    const a = await deploy(anvil.url, w.deployer, 'RebasingToken', []);
    await syncNonce(w, w.deployer);
    const acc = w.accounts;
    const ops = [1, 2, 3, 4].map((k) => ({ kind: 'rebMint', tx: { from: acc[0], to: a, data: calldata('RebasingToken', 'mint', [acc[k], 1000n * BigInt(k) + 7n]), gas: 200000 }, apply: () => {} }));
    await w.sendAndMine(ops);
    await w.sendAndMine([{ kind: 'rebTransfer', tx: { from: acc[1], to: a, data: calldata('RebasingToken', 'transfer', [acc[5], 500n]), gas: 200000 }, apply: () => {} }]);
    return a;
  });
  head = w.head;
  const drift = new Set([reb]);
  await settleExact(`RebasingToken indexed (factor 1): exact at head ${head}`, d, head);
  await h.check('verify (factor 1): exit 0, 4 tokens, 0 mismatches', async () => {
    const r = await cli(['verify', ...online()]);
    assert.equal(r.code, 0, show(r));
    assert.match(r.stdout, /4 tokens, \d+ balances checked, 0 mismatches/, show(r));
  });
  await w.sendAndMine([{ kind: 'rebase', tx: { from: w.accounts[0], to: reb, data: calldata('RebasingToken', 'setFactor', [3n]), gas: 100000 }, apply: () => {} }]);
  head = w.head;
  const rebHolders = sortedHolders(balancesFromLogs(await erc20Transfers(anvil.url, head)).get(reb));
  await h.check(`after setFactor(3) (no Transfer): daemon at ${head}, RebasingToken holders unchanged in the index`, async () => {
    await waitForBlock(d.port, head, 30000, d);
    await assertExact(d.port, head, { drift });
    assert.equal(rebHolders.length, 5);
  });
  const expectMismatches = rebHolders.map((x) => ({ token: reb, holder: x.address, indexed: x.balance, chain: (BigInt(x.balance) * 3n).toString() }))
    .sort((a, b) => (a.holder < b.holder ? -1 : 1));
  await h.check('verify (human, running) after the rebase: exit 1, one MISMATCH line per drifted holder', async () => {
    const r = await cli(['verify', ...online()]);
    assert.equal(r.code, 1, show(r));
    for (const m of expectMismatches) assert.ok(r.stdout.includes(`MISMATCH token ${reb} holder ${m.holder}: indexed ${m.indexed}, balanceOf ${m.chain}`), `missing line for ${m.holder}: ${show(r)}`);
    assert.equal((r.stdout.match(/^MISMATCH /gm) ?? []).length, expectMismatches.length, show(r));
    assert.match(r.stdout, new RegExp(`verify: block ${head}, 4 tokens, \\d+ balances checked, ${expectMismatches.length} mismatches`), show(r));
  });
  await h.check('verify --json (running) after the rebase: exit 1, mismatches == the drifted holders (indexed, chain)', async () => {
    const r = await cli(['verify', '--json', ...online()]);
    assert.equal(r.code, 1, show(r));
    const j = jsonOut(r);
    assert.equal(j.block, head);
    const got = j.mismatches.map(({ token, holder, indexed, chain: c, ...rest }) => ({ token, holder, indexed, chain: c, ...rest }))
      .sort((a, b) => (a.holder < b.holder ? -1 : 1));
    deepEqualWithPath(got, expectMismatches, 'mismatches');
  });
  await h.check('verify --token <a TestToken> exit 0; verify --token <RebasingToken> --sample 2 --json exit 1 with 2 mismatches', async () => {
    const r = await cli(['verify', '--token', chain.tokens[0], ...online()]);
    assert.equal(r.code, 0, show(r));
    const r2 = await cli(['verify', '--json', '--token', reb, '--sample', '2', ...online()]);
    assert.equal(r2.code, 1, show(r2));
    const j = jsonOut(r2);
    assert.equal(j.tokens, 1);
    assert.equal(j.checked, 2);
    assert.equal(j.mismatches.length, 2);
  });
  await h.check('daemon stops on SIGTERM (code 0); verify --json on the stopped database: exit 1, same mismatches', async () => {
    const x = await stopTracked(d);
    assert.equal(x.code, 0, JSON.stringify(x));
    const r = await cli(['verify', '--json', ...offline(db)]);
    assert.equal(r.code, 1, show(r));
    const got = jsonOut(r).mismatches.sort((a, b) => (a.holder < b.holder ? -1 : 1));
    deepEqualWithPath(got, expectMismatches, 'mismatches');
    const r2 = await cli(['verify', ...offline(db)]);
    assert.equal(r2.code, 1, show(r2));
    assert.match(r2.stdout, /MISMATCH token /);
  });
  h.log(`phase 6 (verify drift) took ${((Date.now() - t0) / 1000).toFixed(1)}s`);

  // =============================================================================================
  // 7. SIGHUP re-reads the config file's log level
  // =============================================================================================
  t0 = Date.now();
  await h.check('SIGHUP: config log-level warn -> debug takes effect without a restart', async () => {
    const cfg = `${tmp}/hup.conf`;
    fs.writeFileSync(cfg, '# admin.test.mjs\nlog-level = warn\n');
    const port = await freePort();
    const argv = ['run', '--config', cfg, '--rpc-url', anvil.url, '--db', `${tmp}/hup`, '--listen', `127.0.0.1:${port}`, '--poll-interval-ms', '100'];
    const log = tailBuffer(256 * 1024);
    const proc = trackChild(spawn(DAEMON_BIN, argv, { stdio: ['ignore', 'pipe', 'pipe'], env: cleanEnv() }));
    proc.stdout.on('data', (c) => log.push(c));
    proc.stderr.on('data', (c) => log.push(c));
    try {
      await waitForBlock(port, head, 30000, { exited: () => proc.exitCode !== null || proc.signalCode !== null, logs: () => log.text() });
      await sleep(300);
      assert.doesNotMatch(log.text(), / (info|debug) /, `info/debug lines at log-level warn:\n${log.text()}`);
      fs.writeFileSync(cfg, '# admin.test.mjs\nlog-level = debug\n');
      process.kill(proc.pid, 'SIGHUP');
      const until = Date.now() + 5000;
      while (!/SIGHUP: log level is now debug/.test(log.text()) && Date.now() < until) await sleep(50);
      assert.match(log.text(), /SIGHUP: log level is now debug/, log.text());
      // A new token: its metadata is logged at debug level.
      const t = await deploy(anvil.url, w.deployer, 'TestToken', ['Hup Token', 'HUP', 18]);
      await syncNonce(w, w.deployer);
      await w.sendAndMine([{ kind: 'hupMint', tx: { from: w.accounts[0], to: t, data: calldata('TestToken', 'mint', [w.accounts[1], 5n]), gas: 200000 }, apply: () => {} }]);
      const until2 = Date.now() + 10000;
      while (!/ debug .*metadata: /.test(log.text()) && Date.now() < until2) await sleep(50);
      assert.match(log.text(), / debug .*metadata: /, `no debug line after SIGHUP:\n${log.text()}`);
      // A bad value: reported, the daemon keeps running.
      fs.writeFileSync(cfg, 'log-level = loud\n');
      process.kill(proc.pid, 'SIGHUP');
      const until3 = Date.now() + 5000;
      while (!/SIGHUP: config not reloaded/.test(log.text()) && Date.now() < until3) await sleep(50);
      assert.match(log.text(), /SIGHUP: config not reloaded/, log.text());
      assert.equal((await api(port, '/healthz')).status, 200, 'daemon still serving after a bad SIGHUP reload');
    } finally {
      const r = await stopChild(proc, 'SIGTERM', 10000);
      assert.equal(r.code, 0, `exit ${JSON.stringify(r)}\n${log.text()}`);
    }
  });
  h.log(`phase 7 (SIGHUP) took ${((Date.now() - t0) / 1000).toFixed(1)}s`);
} catch (e) {
  if (!(e instanceof FatalError)) h.fail('unexpected error', e);
  for (const d of daemons) console.log(`--- daemon ${d.pid} output (tail) ---\n${d.logs().slice(-4000)}\n---`);
} finally {
  for (const d of daemons) if (!d.exited()) await d.stop('SIGKILL');
  for (const p of proxies) await p.close();
  if (anvil) await anvil.stop();
  code = h.finish();
}
process.exit(code);

// ---------------------------------------------------------------------------------------------
/**
 * Sample the API until stop(): /v1/status, a token's detail, its holders (one page) and a paged
 * holders walk (limit 7); each answer must equal the ground truth at the block it carries.
 * Tokens whose first transfer is at or after `from` may be absent (404) while they are re-ingested.
 */
async function monitor(port, transfers, hashes, from, stats, stop) {
  const out = { samples: 0, walks: 0, states: new Set(), blocks: [], errors: [] };
  const tokens = [...stats.keys()].sort();
  const err = (m) => { if (out.errors.length < 50) out.errors.push(m); };
  const mayBeAbsent = (t) => stats.get(t).firstBlock >= from;
  let i = 0;
  while (!stop()) {
    try {
      const st = await apiOk(port, '/v1/status');
      out.states.add(st.state);
      out.blocks.push(st.block);
      const e = expectedAt(transfers, st.block);
      if (st.transfers !== e.xs.length) err(`status at ${st.block}: transfers ${st.transfers}, expected ${e.xs.length}`);
      if (st.tokens !== e.tokens.length) err(`status at ${st.block}: tokens ${st.tokens}, expected ${e.tokens.length}`);
      if (st.block_hash !== hashes.get(st.block)) err(`status at ${st.block}: block_hash ${st.block_hash}, chain ${hashes.get(st.block)}`);
      const tl = await apiOk(port, '/v1/tokens?limit=1000');
      const te = expectedAt(transfers, tl.block);
      const listed = tl.items.map(tokenAddressOf).sort();
      if (JSON.stringify(listed) !== JSON.stringify(te.tokens)) err(`tokens at ${tl.block}: ${listed}, expected ${te.tokens}`);
      const t = tokens[i % tokens.length];
      const dr = await api(port, `/v1/tokens/${t}`);
      let detail = null;
      if (dr.status === 200) {
        detail = dr.json;
        const de = expectedAt(transfers, detail.block);
        const s = de.stats.get(t);
        if (!s) err(`${t} at ${detail.block}: served, but it has no transfer up to that block`);
        else {
          const nh = sortedHolders(de.balances.get(t)).length;
          const got = [detail.holders, detail.transfers, detail.minted, detail.burned, detail.indexed_supply, detail.first_block, detail.last_block];
          const want = [nh, s.transfers, s.minted.toString(), s.burned.toString(), (s.minted - s.burned).toString(), s.firstBlock, s.lastBlock];
          if (JSON.stringify(got) !== JSON.stringify(want)) err(`${t} detail at ${detail.block}: ${JSON.stringify(got)}, expected ${JSON.stringify(want)}`);
        }
      } else if (!(dr.status === 404 && mayBeAbsent(t))) err(`${t} detail: HTTP ${dr.status} ${dr.text.slice(0, 200)}`);
      const hr = await api(port, `/v1/tokens/${t}/holders?limit=1000`);
      if (hr.status === 200) {
        const hp = hr.json;
        const want = sortedHolders(expectedAt(transfers, hp.block).balances.get(t));
        if (hp.next_cursor !== null) err(`${t} holders at ${hp.block}: more than one page`);
        if (JSON.stringify(hp.items) !== JSON.stringify(want)) err(`${t} holders at ${hp.block}: ${hp.items.length} items differ from the ${want.length} expected`);
        if (detail && detail.block === hp.block) {
          const sum = hp.items.reduce((a, x) => a + BigInt(x.balance), 0n);
          if (hp.items.length !== detail.holders) err(`${t} at ${hp.block}: holders list has ${hp.items.length}, detail says ${detail.holders}`);
          if (sum.toString() !== detail.indexed_supply) err(`${t} at ${hp.block}: holders sum ${sum}, indexed_supply ${detail.indexed_supply}`);
        }
      } else if (!(hr.status === 404 && mayBeAbsent(t))) err(`${t} holders: HTTP ${hr.status} ${hr.text.slice(0, 200)}`);
      if (i % 3 === 0) {
        try {
          const wk = await allPages(port, `/v1/tokens/${t}/holders?limit=7`);
          out.walks++;
          if (!wk.blocks.every((b) => b === wk.blocks[0])) err(`${t} paged walk: pages at blocks ${wk.blocks}`);
          const want = sortedHolders(expectedAt(transfers, wk.blocks[0]).balances.get(t));
          if (JSON.stringify(wk.items) !== JSON.stringify(want)) err(`${t} paged walk at ${wk.blocks[0]}: ${wk.items.length} items differ from the ${want.length} expected`);
        } catch (e) {
          if (!(/HTTP 404/.test(e.message) && mayBeAbsent(t))) err(`${t} paged walk: ${e.message}`);
        }
      }
      out.samples++;
      i++;
    } catch (e) {
      err(`sample ${i}: ${e.message}`);
      await sleep(50);
    }
  }
  return out;
}
