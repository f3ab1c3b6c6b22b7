// Soak test of erc20-indexer: follow a chain with steady traffic for a given time while random
// reorgs and node faults are injected and every route is queried throughout; exact at every quiet
// checkpoint and at the end, and no growth of RSS, open files or threads.
//
//   node tests/soak/soak.mjs [--minutes N (60)] [--seed S (1)] [--fault-rate R (0.05)]
//        [--reorg-every-s S (120)] [--outage-every-s S (600)] [--checkpoint-every-s S (300)]
//        [--sample-every-s S (60)] [--daemon-log FILE]
// (daemon binary: $ERC20_INDEXER_BIN, default <repo>/build/erc20-indexer; bench/soak.sh wraps it)
//
// 1. anvil (manual mining, every block state kept in memory: see startAnvil below); the e2e
//    Workload deploys three TestTokens (18, 6 and 0 decimals, a first mint above 2^190), a
//    TestNFT (4-topic Transfer), a Batcher (several transfers in one transaction) and a
//    WeirdToken (Transfer-topic logs that are not ERC20-shaped).
// 2. The daemon follows anvil through lib/faultproxy.mjs, which fails `fault-rate` of the requests
//    in every way the proxy knows (429, 5xx, timeouts, resets, truncated/malformed answers, -32603,
//    lagging heads, null headers, reordered batches, missing logs) and refuses eth_getLogs over
//    more than 20 blocks; poll interval 250 ms; RocksDB block cache capped at 8 MiB and memtables at
//    16 MiB (the smallest values allowed), so that they fill early and cannot pass for growth.
// 3. Traffic: a block every 1-2 s with 2-30 transactions of the Workload mix.
// 4. About every `reorg-every-s` (random, 0.5x-1.5x) one of: anvil_reorg of depth 1-12 with other
//    transfers at the same height; anvil_rollback of 1-12 blocks, then new blocks; evm_snapshot,
//    1-8 blocks, evm_revert, then new blocks. About every `outage-every-s` a 2-10 s node outage
//    (the proxy refuses connections) while traffic goes on.
// 5. Two query workers call every route (lib queries.mjs) without pause: each answer 2xx and
//    well-formed.
// 6. Every `checkpoint-every-s`: traffic paused, one block, the daemon on the node's head hash
//    (faults on), then with faults off the e2e
//    verifyAgainstTruth (every balance == eth_getLogs == balanceOf, every transfer list ==
//    eth_getLogs, paging, status), account routes vs the logs, and historical balances vs
//    balanceOf at older blocks. The same, on every account, once traffic stops at the end.
// 7. Every `sample-every-s`: the daemon's VmRSS, threads and open fds, one line each; at the end the
//    growth verdict of procstat.mjs. Exit 0 only if every check passed and nothing grew.
import fs from 'node:fs';
import { startAnvil, rpc } from '../e2e/lib/chain.mjs';
import { makeTempDir, sleep } from '../e2e/lib/proc.mjs';
import { Workload, Rng } from '../e2e/lib/workload.mjs';
import { groundTruth } from '../e2e/lib/truth.mjs';
import { DAEMON_BIN, api } from '../e2e/lib/daemon.mjs';
import { verifyAgainstTruth } from '../e2e/lib/checks.mjs';
import { startFaultProxy } from '../e2e/lib/faultproxy.mjs';
import { startFollower, planReplacement, anvilReorg, resyncWorkload, waitSynced, status } from '../e2e/lib/reorg.mjs';
import { createHarness, parseArgs, FatalError } from '../e2e/lib/harness.mjs';
import { startQueries } from './queries.mjs';
import { sampleProc, dirBytes, growthVerdict, MiB } from './procstat.mjs';
import { verifyAccounts, verifyHistory } from './exact.mjs';
import { printSummary } from './summary.mjs';

const args = parseArgs();
const opt = {
  minutes: Number(args.minutes ?? 60),
  seed: Number(args.seed ?? 1),
  faultRate: Number(args['fault-rate'] ?? 0.05),
  reorgEveryS: Number(args['reorg-every-s'] ?? 120),
  outageEveryS: Number(args['outage-every-s'] ?? 600),
  checkpointEveryS: Number(args['checkpoint-every-s'] ?? 300),
  sampleEveryS: Number(args['sample-every-s'] ?? 60),
  daemonLog: args['daemon-log'] ?? null,
};
for (const [k, v] of Object.entries(opt)) {
  if (k !== 'daemonLog' && !(Number.isFinite(v) && v >= 0)) { console.error(`soak: bad --${k} ${v}`); process.exit(2); }
}
const CACHE_MB = 8;
const MEMTABLE_MB = 16;
// RSS may grow by what the capped caches can still take, plus allocator slack (docs/soak.md).
const RSS_BOUND_MIB = CACHE_MB + MEMTABLE_MB + 8;
const MAX_DEPTH = 12;

const h = createHarness('soak', { timeoutMs: (opt.minutes + 20) * 60000 });
const rng = new Rng(opt.seed * 7919 + 1);
const t0 = Date.now();
const minutesNow = () => (Date.now() - t0) / 60000;
const stats = {
  injected: { reorg: 0, rollback: 0, revert: 0 }, orphaned: 0, outages: 0, outageMs: 0,
  checkpoints: 0, samples: [], logLines: { warn: 0, error: 0 },
};
let anvil = null;
let daemon = null;
let proxy = null;
let queries = null;
let sampler = null;
let code = 1;

/** Gauge `name{kind="k"}` of a /metrics text, in MiB (throws when it is missing). */
function gaugeMiB(text, name, kind) {
  const m = new RegExp(`^${name}\\{kind="${kind}"\\} (\\d+)`, 'm').exec(text);
  if (!m) throw new Error(`no ${name}{kind="${kind}"} in /metrics`);
  return Number(m[1]) / MiB;
}

/**
 * One line per sample: resources of the daemon, what RocksDB and malloc say they hold
 * (erc20_rocksdb_memory_bytes, erc20_malloc_bytes of /metrics), anvil's RSS, and where the run
 * stands. `memMiB` is RocksDB's memtables.
 */
async function takeSample(dbDir, note = '') {
  const text = (await api(daemon.port, '/metrics')).text;
  const g = (name, kind) => gaugeMiB(text, name, kind);
  const s = {
    min: minutesNow(), ...sampleProc(daemon.pid), dbMiB: dirBytes(dbDir) / MiB,
    memMiB: g('erc20_rocksdb_memory_bytes', 'memtables'), readersMiB: g('erc20_rocksdb_memory_bytes', 'table_readers'),
    cacheMiB: g('erc20_rocksdb_memory_bytes', 'block_cache'), pinnedMiB: g('erc20_rocksdb_memory_bytes', 'block_cache_pinned'),
    heapMiB: g('erc20_malloc_bytes', 'in_use'), freeMiB: g('erc20_malloc_bytes', 'free'), mmapMiB: g('erc20_malloc_bytes', 'mmapped'),
    anvilMiB: sampleProc(anvil.pid).rssMiB,
  };
  stats.samples.push(s);
  const q = queries ? queries.stats() : null;
  const nq = q ? [...q.routes.values()].reduce((a, r) => a + r.n, 0) : 0;
  const nf = q ? [...q.routes.values()].reduce((a, r) => a + r.failed, 0) : 0;
  const inj = stats.injected;
  const f = (v) => v.toFixed(1);
  h.log(`sample ${stats.samples.length - 1}${note}: rss ${f(s.rssMiB)} MiB (rocksdb: memtables ${f(s.memMiB)}, table readers ${f(s.readersMiB)}, ` +
    `block cache ${f(s.cacheMiB)} of it pinned ${f(s.pinnedMiB)}; malloc: in use ${f(s.heapMiB)}, free ${f(s.freeMiB)}, mmapped ${f(s.mmapMiB)}), ` +
    `fds ${s.fds} (sst ${s.sst}, sockets ${s.sockets}, deleted ${s.deleted}, other ${s.other}), ` +
    `threads ${s.threads}, db ${f(s.dbMiB)} MiB, anvil rss ${f(s.anvilMiB)} MiB, node head ${w.head}, queries ${nq} (${nf} failed), ` +
    `reorgs ${inj.reorg}/${inj.rollback}/${inj.revert}, outages ${stats.outages}, faults ${proxy.stats().total}, daemon reorgs ${daemon.reorgs().length}`);
  return s;
}

/** Mine one traffic block, then wait so that blocks come every 1-2 s. */
async function trafficBlock() {
  const start = Date.now();
  await w.step();
  const wait = rng.int(1000, 2000) - (Date.now() - start);
  if (wait > 0) await sleep(wait);
}

/** Inject one random reorg of the chain (see the header). */
async function injectReorg() {
  const kind = rng.weighted([[2, 'reorg'], [1, 'rollback'], [1, 'revert']]);
  const room = w.head - setupHead - 1; // never undo the contracts' deployment
  const depth = Math.min(rng.int(1, MAX_DEPTH), room);
  if (depth < 1) return;
  const before = w.head;
  if (kind === 'reorg') {
    const plan = await planReplacement(anvil.url, { w, rng, depth });
    await anvilReorg(anvil.url, depth, plan.txs);
    await resyncWorkload(w);
    h.log(`inject: anvil_reorg depth ${depth} at head ${before}, ${plan.txs.length} replacement txs`);
  } else if (kind === 'rollback') {
    await rpc(anvil.url, 'anvil_rollback', [depth]);
    await resyncWorkload(w);
    h.log(`inject: anvil_rollback ${depth} from ${before} to ${w.head}`);
  } else {
    const id = await rpc(anvil.url, 'evm_snapshot', []);
    for (let i = 0; i < depth; i++) await trafficBlock();
    const top = w.head;
    if (!(await rpc(anvil.url, 'evm_revert', [id]))) throw new Error(`evm_revert ${id} refused`);
    await resyncWorkload(w);
    h.log(`inject: evm_snapshot at ${before}, ${depth} blocks to ${top}, evm_revert back to ${w.head}`);
  }
  stats.injected[kind]++;
  stats.orphaned += depth;
}

let outage = null;
function startOutage() {
  if (outage) return;
  const ms = rng.int(2000, 10000);
  stats.outages++;
  stats.outageMs += ms;
  h.log(`inject: node outage of ${ms} ms at head ${w.head}`);
  outage = proxy.down(ms).finally(() => { outage = null; });
}

/**
 * Traffic paused: wait for the daemon on the node's head hash, then compare with the chain. One
 * block first: after a rollback or revert the node's head may be a block the daemon still has, and
 * a node whose head is below the daemon's on the same chain counts as lagging, not as a reorg (the
 * daemon keeps the cut blocks until the chain has a block past the cut; README.md).
 */
async function exactAt(label, { allAccounts }) {
  if (outage) await outage;
  await w.step();
  const t = Date.now();
  await h.must(`[${label}] the daemon reaches the node's head ${w.head} (hash too)`, () => waitSynced(daemon.port, anvil.url, { timeoutMs: 180000, daemon }));
  // The comparison's status check wants node_block >= block, which a lagHead fault (an
  // eth_blockNumber answered below the head) breaks while it is the last answer: faults off
  // until the comparison is done, and a few polls for an honest node_block.
  proxy.setEnabled(false);
  for (let i = 0; i < 600; i++) {
    const st = await status(daemon.port);
    if (st.node_block >= st.block) break;
    await sleep(100);
  }
  const synced = await waitSynced(daemon.port, anvil.url, { timeoutMs: 60000, daemon });
  const head = synced.head;
  const truth = await groundTruth(anvil.url, head);
  const ctx = { h, port: daemon.port, url: anvil.url, head, chain: w.summary(), label };
  await verifyAgainstTruth(ctx, truth);
  const accounts = allAccounts ? [...w.accounts, ...w.externals] : Array.from({ length: 12 }, () => rng.pick([...w.accounts, ...w.externals]));
  await h.check(`[${label}] account balances and transfers of ${accounts.length} accounts == eth_getLogs`, () => verifyAccounts(ctx, truth, accounts));
  await h.check(`[${label}] 40 historical balances (holders/{a}?block=N) == balanceOf at N`, () => verifyHistory(ctx, rng, 40, truth));
  proxy.setEnabled(true);
  h.log(`[${label}] exact at head ${head}: ${truth.transfers.length} transfers, ${truth.tokens.length} tokens (${((Date.now() - t) / 1000).toFixed(1)} s)`);
  return truth;
}

let w = null;
let setupHead = 0;
try {
  h.log(`daemon ${DAEMON_BIN}; ${JSON.stringify(opt)}`);
  // anvil keeps the state of the last 500 blocks in memory and, once the chain is longer, lowers
  // that by one per block down to 10, moving older states to a disk cache. anvil_rollback and
  // anvil_reorg rewind to the common ancestor's in-memory state only: one deeper than 10 blocks
  // on a chain of more than ~1,000 blocks (20 min of soak) leaves an empty state behind (no code,
  // every eth_call `0x`), which is what aborted the first hour run at 52.9 min (docs/soak.md).
  // --prune-history N keeps the last N states in memory and never shrinks the limit; 100,000
  // covers any run (an hour is ~2,600 blocks; anvil's RSS is sampled beside the daemon's).
  anvil = await h.must('anvil starts', () => startAnvil({ args: ['--gas-limit', '100000000', '--prune-history', '100000'] }));
  w = new Workload(anvil.url, { seed: opt.seed, txPerBlock: [2, 30], log: (s) => h.log(s) });
  await h.must('deploy 3 TestTokens, TestNFT, Batcher, WeirdToken', () => w.setup());
  setupHead = w.head;
  await w.run(20);
  proxy = await startFaultProxy({ target: anvil.url, seed: opt.seed, rate: opt.faultRate, emptyLogs: true, maxLogRange: 20, delayMs: [1500, 2500] });
  const tmp = makeTempDir('erc20-soak-');
  const dbDir = `${tmp}/db`;
  daemon = await h.must('the daemon starts behind the fault proxy', () => startFollower({
    rpcUrl: proxy.url, db: dbDir, pollMs: 250, logLevel: 'info',
    extraArgs: ['--rpc-timeout-ms', '1000', '--max-range', '50', '--cache-mb', String(CACHE_MB), '--memtable-mb', String(MEMTABLE_MB)],
  }));
  const logFile = opt.daemonLog ? fs.createWriteStream(opt.daemonLog, { flags: 'w' }) : null;
  let partial = '';
  daemon.proc.stderr.on('data', (c) => {
    logFile?.write(c);
    partial += c.toString('utf8');
    const lines = partial.split('\n');
    partial = lines.pop();
    for (const l of lines) {
      if (/\b(warn|warning)\b/i.test(l.slice(0, 40))) stats.logLines.warn++;
      if (/\b(error|critical)\b/i.test(l.slice(0, 40))) stats.logLines.error++;
    }
  });
  h.log(`anvil ${anvil.url}, proxy ${proxy.url}, daemon pid ${daemon.pid} on port ${daemon.port}, db ${dbDir}`);

  await exactAt('start', { allAccounts: false });
  const pool = [...w.accounts, ...w.externals];
  queries = startQueries({ port: daemon.port, rng: new Rng(opt.seed * 31 + 7), tokens: () => w.tokens, accounts: () => pool });
  await takeSample(dbDir, ' (start)');
  sampler = setInterval(() => takeSample(dbDir).catch((e) => h.fail('sample the daemon', e)), opt.sampleEveryS * 1000);

  const every = (s) => Date.now() + s * 1000 * (0.5 + rng.float());
  const tEnd = t0 + opt.minutes * 60000;
  let nextReorg = every(opt.reorgEveryS);
  let nextOutage = every(opt.outageEveryS);
  let nextCheckpoint = Date.now() + opt.checkpointEveryS * 1000;
  while (Date.now() < tEnd) {
    if (daemon.exited()) throw new Error(`the daemon exited\n${daemon.logs()}`);
    // No checkpoint just before the end's own comparison.
    if (Date.now() >= nextCheckpoint && tEnd - Date.now() > Math.min(60000, opt.checkpointEveryS * 500)) {
      await exactAt(`checkpoint ${++stats.checkpoints}`, { allAccounts: false });
      nextCheckpoint = Date.now() + opt.checkpointEveryS * 1000;
    } else if (opt.reorgEveryS > 0 && Date.now() >= nextReorg) {
      await injectReorg();
      nextReorg = every(opt.reorgEveryS);
    } else if (opt.outageEveryS > 0 && Date.now() >= nextOutage) {
      startOutage();
      nextOutage = every(opt.outageEveryS);
    } else {
      await trafficBlock();
    }
  }

  h.log('traffic stopped: final comparison');
  const truth = await exactAt('end', { allAccounts: true });
  await queries.stop();
  clearInterval(sampler);
  const q = queries.stats();
  await h.check('every query answered 2xx and well-formed', async () => {
    const failed = [...q.routes.values()].reduce((a, r) => a + r.failed, 0);
    if (failed) throw new Error(`${failed} failed queries; first: ${q.failures.join('\n')}`);
  });
  await h.check('the daemon logged no error line', async () => {
    if (stats.logLines.error) throw new Error(`${stats.logLines.error} error lines; tail:\n${daemon.logs().slice(-3000)}`);
  });
  await sleep(2000);
  await takeSample(dbDir, ' (end)');
  const warmupMin = Math.max(1, Math.round(opt.minutes / 10));
  const verdict = growthVerdict(stats.samples, { warmupMin, baseMin: Math.max(1, Math.round(opt.minutes / 6)), rssBoundMiB: RSS_BOUND_MIB });
  for (const l of verdict.lines) console.log(l);
  if (!verdict.ok) h.fail('resources did not grow');
  await h.check('the daemon stops on SIGTERM with exit code 0', async () => {
    const r = await daemon.stop('SIGTERM', 30000);
    if (r.code !== 0 || r.escalated) throw new Error(`exit ${JSON.stringify(r)}`);
  });
  printSummary({ opt, stats, w, truth, q, proxy: proxy.stats(), daemonReorgs: daemon.reorgs().length, verdict, minutes: minutesNow(), rssBound: RSS_BOUND_MIB });
  code = h.finish();
} catch (e) {
  if (!(e instanceof FatalError)) h.fail('soak aborted', e);
  if (daemon) console.log(`daemon log tail:\n${daemon.logs().slice(-4000)}`);
  code = h.finish();
} finally {
  if (sampler) clearInterval(sampler);
  if (queries) await queries.stop().catch(() => {});
  if (daemon) await daemon.stop().catch(() => {});
  if (proxy) await proxy.close().catch(() => {});
  if (anvil) await anvil.stop().catch(() => {});
}
process.exit(code);
