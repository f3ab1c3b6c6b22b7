// kill -9 end-to-end test of erc20-indexer at seeded random moments of every phase:
//   node tests/e2e/crash.test.mjs [--seed N] [--blocks N] [--rpc-delay-ms N]
// (daemon binary: $ERC20_INDEXER_BIN, default <repo>/build/erc20-indexer)
//
// One database, restarted after every kill (at least 11 kills in total):
//   A. backfill: the daemon reads a seeded chain through a proxy adding --rpc-delay-ms per request,
//      with --max-range 2, so the backfill is slow; killed 4 times 50-450 ms after its start;
//   B. following: blocks are mined while it runs; killed 3 times at a random moment, more blocks
//      mined while it is down;
//   C. reorg: anvil_reorg of depth 3-6 (other transfers in the new blocks) while it follows,
//      killed 0-200 ms later, 2 times;
//   D. reindex: `erc20-indexer reindex --from-block N` through the running daemon's admin API,
//      killed during the re-ingestion, 2 times (the second followed by an offline
//      `erc20-indexer rollback --to-block M` on the killed database).
// The killed daemon writes every batch as ingested table files (--ingest-min-transfers 1), the
// reference through the memtables and WAL (the default for small batches), so the comparison also
// holds the two write paths to the same result.
// Then the dump of everything it serves (dumpState) must deep-equal an uninterrupted run on a fresh
// database against the same final chain, and both must match ground truth from the node.
import { spawn } from 'node:child_process';
import fs from 'node:fs';
import { startAnvil, mine } from './lib/chain.mjs';
import { makeTempDir, sleep, trackChild, freePort } from './lib/proc.mjs';
import { buildChain, Rng } from './lib/workload.mjs';
import { groundTruth } from './lib/truth.mjs';
import { startDaemon, waitForMetadata, dumpState, api, DAEMON_BIN } from './lib/daemon.mjs';
import { verifyAgainstTruth } from './lib/checks.mjs';
import { startRpcProxy } from './lib/rpcproxy.mjs';
import { waitSynced, resyncWorkload, planReplacement, anvilReorg, nodeHead } from './lib/reorg.mjs';
import { createHarness, assert, parseArgs, FatalError, deepEqualWithPath } from './lib/harness.mjs';

const args = parseArgs();
const seed = Number(args.seed ?? 5);
const blocks = Number(args.blocks ?? 150);
// Each workload block is followed by this many empty blocks: a long chain, cheap to build, whose
// --max-range 2 backfill through the delaying proxy lasts a few seconds.
const gap = Number(args.gap ?? 1);
const rpcDelayMs = Number(args['rpc-delay-ms'] ?? 30);
const h = createHarness('crash', { timeoutMs: 175000 });
const rng = new Rng(seed * 104729 + 3);
let anvil = null;
let daemon = null;
let proxy = null;
let code = 1;
const kills = []; // {phase, ms, block, note}
const selfExits = [];

/** Run an erc20-indexer command; resolves {code, stdout, stderr}. */
function cli(argv, timeoutMs = 60000) {
  return new Promise((resolve, reject) => {
    const p = trackChild(spawn(DAEMON_BIN, argv, { stdio: ['ignore', 'pipe', 'pipe'] }));
    let stdout = '';
    let stderr = '';
    p.stdout.on('data', (c) => { stdout += c; });
    p.stderr.on('data', (c) => { stderr += c; });
    const timer = setTimeout(() => { p.kill('SIGKILL'); reject(new Error(`${argv.join(' ')}: timeout`)); }, timeoutMs);
    p.on('error', (e) => { clearTimeout(timer); reject(e); });
    p.on('exit', (c) => { clearTimeout(timer); resolve({ code: c, stdout, stderr }); });
  });
}

async function statusOrNull(port) {
  try {
    const r = await api(port, '/v1/status', { timeoutMs: 2000 });
    return r.status === 200 ? r.json : null;
  } catch { return null; }
}

/** kill -9 the current daemon, noting when and where. */
async function kill(phase, ms, note = '') {
  const st = await statusOrNull(daemon.port);
  if (daemon.exited()) selfExits.push({ phase, logs: daemon.logs() });
  await daemon.kill9();
  kills.push({ phase, ms, block: st?.block ?? null, state: st?.state ?? null, note });
  h.log(`kill -9 #${kills.length} [${phase}] after ${ms} ms at block ${st?.block ?? '-'} (${st?.state ?? 'no answer'})${note ? `; ${note}` : ''}`);
  daemon = null;
}

try {
  h.log(`daemon binary: ${DAEMON_BIN}; seed ${seed}; ${blocks} blocks; rpc delay ${rpcDelayMs} ms`);
  anvil = await h.must('anvil starts', () => startAnvil({}));
  const url = anvil.url;
  const chain = await h.must(`build chain of ${blocks} blocks`, () => buildChain(url, { seed, blocks, emptyGap: gap > 0 ? [gap, gap] : null }));
  const w = chain.workload;
  h.log(`chain head ${chain.head}, ${w.stats.txs} txs`);
  const tmp = makeTempDir('erc20-e2e-crash-');
  const tokenFile = `${tmp}/admin-token`;
  fs.writeFileSync(tokenFile, `crash-test-token-${seed}-0123456789abcdef\n`);
  proxy = await startRpcProxy({ target: url, delayMs: rpcDelayMs });
  const db = `${tmp}/crash`;
  const port = await freePort(); // the same port for every restart (the CLI finds the daemon there)
  const daemonArgs = ['--max-range', '2', '--admin-token-file', tokenFile, '--ingest-min-transfers', '1'];
  const start = (waitReady = true) => startDaemon({ rpcUrl: proxy.url, db, port, extraArgs: daemonArgs, waitReady, logLevel: 'info' });

  // ---- A. backfill ---------------------------------------------------------------------------
  // Some kills land before the API answers (RocksDB opening, the first calls), most during the
  // backfill itself.
  // The first kill counts from the start; the others from the API's first answer, so that a
  // loaded machine (a slow start-up) still sees kills land mid-backfill.
  for (let i = 0; i < 4; i++) {
    const ms = rng.int(100, 900);
    const t0 = Date.now();
    daemon = await start(false);
    let firstAnswer = null;
    while (i > 0 && firstAnswer === null && Date.now() - t0 < 15000 && !daemon.exited()) {
      if (await statusOrNull(port)) firstAnswer = Date.now() - t0;
      else await sleep(20);
    }
    const until = (i > 0 ? Date.now() : t0) + ms;
    while (Date.now() < until && !daemon.exited()) {
      const st = await statusOrNull(port);
      if (st && firstAnswer === null) firstAnswer = Date.now() - t0;
      await sleep(Math.min(20, Math.max(0, until - Date.now())));
    }
    await kill('backfill', ms, `API answered after ${firstAnswer ?? '-'} ms`);
  }
  await h.check('at least 2 backfill kills landed mid-backfill (0 < block < head)', async () => {
    const mid = kills.filter((k) => k.phase === 'backfill' && k.block > 0 && k.block < chain.head);
    assert.ok(mid.length >= 2, `blocks at the kills: ${kills.map((k) => k.block).join(', ')}`);
  });
  await h.check('indexed block never went backwards across the backfill kills', async () => {
    const b = kills.map((k) => k.block).filter((x) => typeof x === 'number');
    for (let i = 1; i < b.length; i++) assert.ok(b[i] >= b[i - 1], `block ${b[i - 1]} then ${b[i]}`);
  });
  daemon = await h.must('daemon restarts after the backfill kills', () => start());
  await h.must(`daemon finishes the backfill to ${chain.head}`, () => waitSynced(port, url, { timeoutMs: 60000, daemon }));

  // ---- B. following, blocks mined while it runs -------------------------------------------
  for (let i = 0; i < 3; i++) {
    let producing = true;
    const producer = (async () => {
      while (producing) {
        await w.step();
        await sleep(rng.int(30, 150));
      }
    })();
    const ms = rng.int(150, 1200);
    await sleep(ms);
    await kill('follow', ms, `node head ${w.head}`);
    await sleep(rng.int(0, 400)); // still mining while it is down
    producing = false;
    await producer;
    if (rng.chance(0.5)) w.head = await mine(url, rng.int(1, 3));
    daemon = await h.must(`daemon restarts after follow kill ${i + 1}`, () => start());
    await h.must(`daemon catches up to ${w.head} after follow kill ${i + 1}`, () => waitSynced(port, url, { timeoutMs: 60000, daemon }));
  }

  // ---- C. reorgs, killed right after -------------------------------------------------------
  for (let i = 0; i < 2; i++) {
    const depth = rng.int(3, 6);
    for (let k = 0; k < depth + 1; k++) await w.step({ txs: rng.int(5, 10) });
    await h.must(`[reorg ${i + 1}] daemon on the head before the reorg`, () => waitSynced(port, url, { timeoutMs: 60000, daemon }));
    const plan = await planReplacement(url, { w, rng, depth });
    const before = await nodeHead(url);
    const reorgLines = () => (daemon.logs().match(/reorg: old head/g) ?? []).length;
    const linesBefore = reorgLines();
    await anvilReorg(url, depth, plan.txs);
    const ms = rng.int(0, 200);
    await sleep(ms);
    const seen = reorgLines() > linesBefore ? 'the daemon had undone it' : 'the daemon had not undone it yet';
    await kill('reorg', ms, `depth ${depth} at head ${before.number}, ${plan.txs.length} replacement txs; ${seen}`);
    await resyncWorkload(w);
    if (rng.chance(0.5)) { await w.step(); }
    daemon = await h.must(`daemon restarts after reorg kill ${i + 1}`, () => start());
    await h.must(`daemon on the new branch after reorg kill ${i + 1}`, () => waitSynced(port, url, { timeoutMs: 60000, daemon }));
  }

  // ---- D. reindex through the admin API, killed during the re-ingestion ---------------------
  for (let i = 0; i < 2; i++) {
    const s = await h.must(`[reindex ${i + 1}] daemon on the head`, () => waitSynced(port, url, { timeoutMs: 60000, daemon }));
    const from = rng.int(Math.floor(s.head / 3), Math.max(6, s.head - 80));
    const r = await h.must(`[reindex ${i + 1}] \`erc20-indexer reindex --from-block ${from}\` through the admin API`, async () => {
      const out = await cli(['reindex', '--from-block', String(from), '--json', '--listen', `127.0.0.1:${port}`, '--admin-token-file', tokenFile]);
      assert.equal(out.code, 0, `exit ${out.code}: ${out.stdout} ${out.stderr}`);
      return out;
    });
    h.log(`[reindex ${i + 1}] ${r.stdout.trim()}`);
    const ms = rng.int(50, 400);
    await sleep(ms);
    await kill('reindex', ms, `reindex from ${from} of ${s.head}`);
    await h.check(`[reindex ${i + 1}] the kill landed during the re-ingestion (block < ${s.head})`, async () => {
      const k = kills[kills.length - 1];
      assert.ok(typeof k.block === 'number' && k.block < s.head, `block ${k.block}, state ${k.state}`);
    });
    if (i === 1) {
      const to = rng.int(Math.max(1, from - 20), from);
      await h.check(`offline \`erc20-indexer rollback --to-block ${to}\` on the killed database`, async () => {
        const out = await cli(['rollback', '--to-block', String(to), '--json', '--db', db, '--rpc-url', url, '--listen', `127.0.0.1:${port}`]);
        assert.equal(out.code, 0, `exit ${out.code}: ${out.stdout} ${out.stderr}`);
        h.log(`offline rollback: ${out.stdout.trim()}`);
      });
    }
    daemon = await h.must(`daemon restarts after reindex kill ${i + 1}`, () => start());
    await h.must(`daemon re-ingests to the head after reindex kill ${i + 1}`, () => waitSynced(port, url, { timeoutMs: 60000, daemon }));
  }

  await h.check(`${kills.length} kill -9 in total (>= 10) over backfill, follow, reorg and reindex`, async () => {
    assert.ok(kills.length >= 10);
    for (const p of ['backfill', 'follow', 'reorg', 'reindex']) assert.ok(kills.some((k) => k.phase === p), p);
  });
  await h.check('the daemon never exited by itself between kills', async () => {
    assert.equal(selfExits.length, 0, selfExits.map((e) => `${e.phase}: ${e.logs.slice(-2000)}`).join('\n---\n'));
  });

  // ---- final comparison ----------------------------------------------------------------------
  const fin = await h.must('crashed daemon on the final head', () => waitSynced(port, url, { timeoutMs: 60000, daemon }));
  const head = fin.head;
  await h.must('metadata settled (crashed db)', () => waitForMetadata(port, chain.tokens, 30000));
  const got = await h.must('dumpState of the crashed db', () => dumpState(port));
  const truth = await groundTruth(url, head);
  await verifyAgainstTruth({ h, port, url, head, chain, label: 'after-kills' }, truth);
  await h.check('crashed daemon stops on SIGTERM with code 0', async () => {
    const r = await daemon.stop('SIGTERM', 15000);
    assert.equal(r.escalated, false);
    assert.equal(r.code, 0, JSON.stringify(r));
  });
  daemon = null;

  const t0 = Date.now();
  daemon = await h.must('reference daemon on a fresh db (same chain, no kills)', () => startDaemon({ rpcUrl: url, db: `${tmp}/ref`, extraArgs: ['--max-range', '2'] }));
  await h.must('reference daemon on the final head', () => waitSynced(daemon.port, url, { timeoutMs: 60000, daemon }));
  await h.must('reference metadata settled', () => waitForMetadata(daemon.port, chain.tokens, 30000));
  const ref = await h.must('reference dumpState', () => dumpState(daemon.port));
  h.log(`reference run took ${((Date.now() - t0) / 1000).toFixed(1)}s: ${ref.status.transfers} transfers, ${Object.keys(ref.details).length} tokens`);
  await h.check('dumpState after all the kills deep-equals the uninterrupted run', async () => {
    deepEqualWithPath(got, ref);
  });
  await h.check('reference run == ground truth (transfer count, head hash)', async () => {
    assert.equal(ref.status.transfers, truth.transfers.length);
    assert.equal(ref.status.block_hash, fin.hash);
  });
  await daemon.stop('SIGTERM', 15000);
  daemon = null;
} catch (e) {
  if (!(e instanceof FatalError)) h.fail('unexpected error', e);
  if (daemon) console.log(`--- daemon output (tail) ---\n${daemon.logs().slice(-6000)}\n---`);
} finally {
  if (daemon && !daemon.exited()) await daemon.stop('SIGKILL');
  if (proxy) await proxy.close();
  if (anvil) await anvil.stop();
  code = h.finish();
}
process.exit(code);
