// Fault-injection end-to-end test of erc20-indexer:
//   node tests/e2e/faults.test.mjs [--seed N] [--blocks N] [--rate R] [--no-empty-logs] [--lax-retry-after]
// (daemon binary: $ERC20_INDEXER_BIN, default <repo>/build/erc20-indexer)
//
// The daemon reads anvil through lib/faultproxy.mjs, which fails a share `rate` (default 0.3) of
// the requests in every way a node, a load balancer or an RPC provider does (429 + Retry-After,
// 500/502/503, answers held past --rpc-timeout-ms, connection resets mid-request and
// mid-response, truncated and malformed bodies, -32603 errors, a lagging eth_blockNumber, null
// headers, reordered batch answers, eth_getLogs missing the logs of some blocks) and refuses
// eth_getLogs over more than 3 blocks with -32005 (with and without a suggested range).
//  1. backfill of a seeded chain (--max-range 50) under faults;
//  2. following new blocks under faults;
//  3. a total outage of 3 s (faults off): the log says once that the node fails and once that it
//     answers again, /v1/status says node_reachable false and /readyz answers 503 meanwhile;
//  4. faults off, the head reached: everything served == eth_getLogs / balanceOf ground truth,
//     every fault kind was injected, /metrics counts rpc errors of several kinds, and the daemon
//     never exited nor entered the error state;
//  5. a token first seen while every eth_call batch entry fails with -32603 gets its metadata
//     once the node answers again.
import { startAnvil, mine, deploy, rpc, calldata, hex } from './lib/chain.mjs';
import { makeTempDir, sleep } from './lib/proc.mjs';
import { buildChain } from './lib/workload.mjs';
import { groundTruth } from './lib/truth.mjs';
import { startDaemon, waitForBlock, waitForMetadata, api, DAEMON_BIN } from './lib/daemon.mjs';
import { verifyAgainstTruth } from './lib/checks.mjs';
import { startFaultProxy, FAULT_KINDS, RANGE_KINDS } from './lib/faultproxy.mjs';
import { createHarness, assert, parseArgs, FatalError } from './lib/harness.mjs';

const args = parseArgs();
const seed = Number(args.seed ?? 11);
const blocks = Number(args.blocks ?? 70);
const rate = Number(args.rate ?? 0.3);
const emptyLogs = !args['no-empty-logs'];
const strictRetryAfter = !args['lax-retry-after'];  // every retry after a 429 waits its Retry-After
const RPC_TIMEOUT_MS = 600;
const h = createHarness('faults', { timeoutMs: 175000 });
let anvil = null;
let daemon = null;
let proxy = null;
let monitor = null;
let code = 1;

/** Collect every stderr line of the daemon with its arrival time (logs() keeps only a tail). */
function collectLines(d) {
  const lines = [];
  let partial = '';
  d.proc.stderr.on('data', (c) => {
    partial += c.toString('utf8');
    const parts = partial.split('\n');
    partial = parts.pop();
    for (const l of parts) lines.push({ at: Date.now(), line: l });
  });
  return lines;
}

/** Poll /v1/status in the background: every state seen, and whether the process exited. */
function startMonitor(d) {
  const seen = { states: new Map(), polls: 0, failedPolls: 0, exited: false, stop: false };
  (async () => {
    while (!seen.stop) {
      if (d.exited()) { seen.exited = true; break; }
      try {
        const r = await api(d.port, '/v1/status', { timeoutMs: 3000 });
        seen.polls++;
        if (r.status === 200 && r.json) seen.states.set(r.json.state, (seen.states.get(r.json.state) ?? 0) + 1);
        else seen.failedPolls++;
      } catch { seen.failedPolls++; }
      await sleep(200);
    }
  })();
  return seen;
}

try {
  h.log(`daemon binary: ${DAEMON_BIN}; seed ${seed}; ${blocks} blocks; fault rate ${rate}; emptyLogs ${emptyLogs}`);
  anvil = await h.must('anvil starts', () => startAnvil({}));
  const chain = await h.must(`build chain of ${blocks} blocks`, () => buildChain(anvil.url, { seed, blocks }));
  const w = chain.workload;
  h.log(`chain head ${chain.head}, ${w.stats.txs} txs`);
  proxy = await startFaultProxy({ target: anvil.url, seed, rate, emptyLogs, maxLogRange: 3, delayMs: [1000, 2000] });
  h.log(`fault proxy ${proxy.url} -> ${anvil.url}`);

  const tmp = makeTempDir('erc20-e2e-faults-');
  const t0 = Date.now();
  daemon = await h.must('daemon starts behind the fault proxy and serves /v1/status', () => startDaemon({
    rpcUrl: proxy.url, db: `${tmp}/db`, logLevel: 'info',
    extraArgs: ['--max-range', '50', '--rpc-timeout-ms', String(RPC_TIMEOUT_MS), '--fetch-workers', '4'],
  }));
  const lines = collectLines(daemon);
  monitor = startMonitor(daemon);
  const port = daemon.port;

  // ---- 1. backfill under faults ------------------------------------------------------------
  await h.must(`backfill under faults reaches head ${chain.head}`, () => waitForBlock(port, chain.head, 100000, daemon));
  h.log(`backfill of ${chain.head} blocks under faults took ${((Date.now() - t0) / 1000).toFixed(1)}s; ${JSON.stringify(proxy.stats().faults)}`);

  // ---- 2. following under faults -----------------------------------------------------------
  const t1 = Date.now();
  for (let i = 0; i < 15; i++) {
    await w.step();
    await sleep(150);
  }
  let head = await mine(anvil.url, 2);
  w.head = head;
  await h.must(`follows under faults to the new head ${head}`, () => waitForBlock(port, head, 60000, daemon));
  h.log(`followed ${head - chain.head} new blocks under faults in ${((Date.now() - t1) / 1000).toFixed(1)}s`);

  // ---- 3. a total outage of 3 s --------------------------------------------------------------
  proxy.setEnabled(false);
  await h.must('with faults off the daemon is on the head and ready', async () => {
    await waitForBlock(port, head, 30000, daemon);
    const deadline = Date.now() + 20000;
    for (;;) {
      const r = await api(port, '/readyz');
      const s = await api(port, '/v1/status');
      if (r.status === 200 && s.json?.node_reachable === true) return;
      if (Date.now() > deadline) throw new Error(`/readyz ${r.status} ${r.text}; status ${s.text}`);
      await sleep(100);
    }
  });
  await sleep(1000); // let the tail of the fault period's log lines out
  const mark = lines.length;
  const outageMs = 3000;
  const outage = proxy.down(outageMs);
  const during = { statuses: [], readyz: [], sawUnreachable: false };
  const tOut = Date.now();
  while (proxy.isDown() && Date.now() - tOut < outageMs + 1000) {
    try {
      const s = await api(port, '/v1/status', { timeoutMs: 1000 });
      const r = await api(port, '/readyz', { timeoutMs: 1000 });
      during.statuses.push(s.status);
      if (s.json?.node_reachable === false) {
        during.sawUnreachable = true;
        during.readyz.push(r.status);
      }
    } catch (e) { during.statuses.push(`error ${e.message}`); }
    await sleep(100);
  }
  await outage;
  head = await mine(anvil.url, 1); // a new block for when the node is back
  w.head = head;
  await h.check('during the outage /v1/status keeps answering 200 with node_reachable false', async () => {
    assert.ok(during.statuses.length >= 5, `only ${during.statuses.length} polls`);
    assert.ok(during.statuses.every((s) => s === 200), `statuses ${during.statuses.join(',')}`);
    assert.ok(during.sawUnreachable, 'node_reachable never false during the outage');
  });
  await h.check('during the outage /readyz answers 503 (while node_reachable is false)', async () => {
    assert.ok(during.readyz.length > 0, 'no /readyz sample while unreachable');
    assert.ok(during.readyz.every((s) => s === 503), `readyz ${during.readyz.join(',')}`);
  });
  await h.must(`after the outage the daemon reaches ${head} and is reachable/ready again`, async () => {
    await waitForBlock(port, head, 30000, daemon);
    const deadline = Date.now() + 15000;
    for (;;) {
      const s = await api(port, '/v1/status');
      const r = await api(port, '/readyz');
      if (s.json?.node_reachable === true && r.status === 200) return;
      if (Date.now() > deadline) throw new Error(`status ${s.text}; readyz ${r.status} ${r.text}`);
      await sleep(100);
    }
  });
  await sleep(500);
  await h.check('the outage is logged once ("node: ... failed") and its end once ("node: answering again"), not per retry', async () => {
    const mine2 = lines.slice(mark).map((l) => l.line).filter((l) => /\bnode: /.test(l));
    const failed = mine2.filter((l) => /node: .* failed/.test(l) && !/failed again/.test(l));
    const again = mine2.filter((l) => /node: answering again/.test(l));
    h.log(`outage log lines: ${failed.length} failed, ${again.length} answering again`);
    for (const l of mine2) h.log(`  ${l.trim().slice(0, 200)}`);
    assert.ok(failed.length >= 1 && failed.length <= 3, `${failed.length} "failed" lines`);
    assert.ok(again.length >= 1 && again.length <= 3, `${again.length} "answering again" lines`);
    assert.equal(mine2.filter((l) => /failed again/.test(l)).length, 0, 'per-retry lines at info level');
  });

  // ---- 4. more following under faults, then faults off and the final comparison ----------------
  proxy.setEnabled(true);
  for (let i = 0; i < 6; i++) {
    await w.step();
    await sleep(200);
  }
  head = await mine(anvil.url, 1);
  w.head = head;
  await h.must(`follows under faults again to ${head}`, () => waitForBlock(port, head, 60000, daemon));
  proxy.setEnabled(false);
  await w.step();
  head = await mine(anvil.url, 1);
  w.head = head;
  await h.must(`faults off: daemon reaches the final head ${head}`, () => waitForBlock(port, head, 30000, daemon));

  const stats = proxy.stats();
  h.log(`proxy: ${stats.requests} requests, ${stats.total} faults injected: ${JSON.stringify(stats.faults)}`);
  await h.check(`every fault kind was injected at least once (${[...FAULT_KINDS.filter((k) => k !== 'emptyLogs' || emptyLogs), ...RANGE_KINDS].join(', ')})`, async () => {
    const missing = [...FAULT_KINDS, ...RANGE_KINDS].filter((k) => (k !== 'emptyLogs' || emptyLogs) && !(stats.faults[k] > 0));
    assert.deepEqual(missing, [], `never injected: ${missing.join(', ')}`);
  });
  h.log(`ms from a 429 (Retry-After: 1) to the next request on that connection: ${proxy.gapsAfter429().map((g) => `${g.ms} (${g.method.slice(0, 30)})`).join(', ')}`);
  await h.check('the fault rate was really high (>= 15% of requests)', async () => {
    assert.ok(stats.total >= 0.15 * stats.requests, `${stats.total} of ${stats.requests}`);
  });
  await h.check('/metrics counts erc20_rpc_errors_total of at least 4 kinds', async () => {
    const r = await api(port, '/metrics');
    assert.equal(r.status, 200);
    const kinds = new Map();
    for (const m of r.text.matchAll(/^erc20_rpc_errors_total\{([^}]*)\}\s+([0-9.e+]+)$/gm)) {
      const k = /kind="([^"]+)"/.exec(m[1])?.[1];
      if (k) kinds.set(k, (kinds.get(k) ?? 0) + Number(m[2]));
    }
    h.log(`rpc errors by kind: ${JSON.stringify(Object.fromEntries(kinds))}`);
    assert.ok(kinds.size >= 4, `kinds ${[...kinds.keys()].join(', ')}`);
    for (const k of ['timeout', 'transport', 'http_status', 'rate_limited', 'malformed', 'range_too_large']) {
      assert.ok(kinds.get(k) > 0, `no ${k} errors counted`);
    }
  });

  await h.check('metadata of every token fetched and total_supply settled despite faults', () => waitForMetadata(port, chain.tokens, 30000));
  const truth = await groundTruth(anvil.url, head);
  await verifyAgainstTruth({ h, port, url: anvil.url, head, chain, label: 'after-faults' }, truth);

  // ---- 5. transient JSON-RPC errors in the metadata eth_call batches ---------------------------
  // A -32603 "internal error" is the node failing, not the token answering: once the node answers
  // again, name/symbol/decimals/total_supply of a token first seen meanwhile must be filled in.
  await h.check('a token first seen while every eth_call batch entry fails with -32603 gets its metadata once the node recovers', async () => {
    proxy.configure({ rate: 1, kinds: ['rpcError'], methods: ['eth_call'], rpcErrorEntries: 'all' });
    proxy.setEnabled(true);
    const from = chain.accounts[0];
    const late = await deploy(anvil.url, from, 'TestToken', ['Late Token', 'LATE', 9]);
    await rpc(anvil.url, 'eth_sendTransaction', [{ from, to: late, data: calldata('TestToken', 'mint', [chain.accounts[1], 123456789n]), gas: hex(200000) }]);
    head = await mine(anvil.url, 1);
    await waitForBlock(port, head, 30000, daemon);
    await sleep(2500); // the metadata worker meets the errors
    const errors = proxy.stats().faults.rpcError;
    proxy.setEnabled(false);
    proxy.configure();
    await mine(anvil.url, 1); // the node answers again; one more block
    let meta;
    try {
      meta = (await waitForMetadata(port, [late], 15000))[late];
    } catch (e) {
      const d = await api(port, `/v1/tokens/${late}`);
      throw new Error(`${e.message}; detail ${d.text} (${errors} rpcError answers injected)`);
    }
    assert.equal(meta.name, 'Late Token');
    assert.equal(meta.symbol, 'LATE');
    assert.equal(meta.decimals, 9);
    assert.equal(meta.total_supply, '123456789');
  });

  if (strictRetryAfter) {
    await h.check('after a 429 with Retry-After: 1 the next request on that connection waits >= 0.9 s', async () => {
      const short = proxy.gapsAfter429().filter((g) => g.ms < 900);
      assert.deepEqual(short, []);
    });
  }

  monitor.stop = true;
  await h.check('the daemon never exited and never entered the error state', async () => {
    assert.equal(daemon.exited(), false, 'daemon exited');
    assert.equal(monitor.exited, false, 'daemon exited');
    assert.ok(!monitor.states.has('error'), `states seen ${JSON.stringify(Object.fromEntries(monitor.states))}`);
    assert.ok(monitor.polls > 20, `only ${monitor.polls} status polls`);
    h.log(`states seen: ${JSON.stringify(Object.fromEntries(monitor.states))}`);
  });
  await h.check('daemon exits cleanly (code 0) on SIGTERM', async () => {
    const r = await daemon.stop('SIGTERM', 15000);
    assert.equal(r.escalated, false, 'had to SIGKILL');
    assert.equal(r.code, 0, `exit ${JSON.stringify(r)}`);
  });
} catch (e) {
  if (!(e instanceof FatalError)) h.fail('unexpected error', e);
  if (daemon) console.log(`--- daemon output (tail) ---\n${daemon.logs().slice(-6000)}\n---`);
  if (proxy) console.log(`proxy stats ${JSON.stringify(proxy.stats())}\nlast faults: ${proxy.recent().slice(-20).join('; ')}`);
} finally {
  if (monitor) monitor.stop = true;
  if (daemon && !daemon.exited()) await daemon.stop('SIGKILL');
  if (proxy) await proxy.close();
  if (anvil) await anvil.stop();
  code = h.finish();
}
process.exit(code);
