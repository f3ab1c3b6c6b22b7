// Crash-safety end-to-end test of erc20-indexer:
//   node tests/e2e/restart.test.mjs [--seed N] [--blocks N] [--kills N]
// (daemon binary: $ERC20_INDEXER_BIN, default <repo>/build/erc20-indexer)
//
// 1. Builds a seeded chain of >= 150 blocks.
// 2. Reference run: the daemon on a fresh db with --max-range 2 (many small backfill steps),
//    uninterrupted, then a full dumpState() of its API.
// 3. Crash run: a second fresh db; start the daemon, kill -9 it after a seeded random 30-400 ms,
//    restart, at least 5 times; then let it finish. Its dumpState() must deep-equal the reference,
//    and both must match ground truth from the node.
// 4. kill -9 while following new blocks, restart, and check it catches up correctly.
import { startAnvil, mine } from './lib/chain.mjs';
import { makeTempDir, sleep } from './lib/proc.mjs';
import { buildChain, Rng } from './lib/workload.mjs';
import { groundTruth } from './lib/truth.mjs';
import { startDaemon, waitForBlock, waitForMetadata, dumpState, api, DAEMON_BIN } from './lib/daemon.mjs';
import { verifyAgainstTruth } from './lib/checks.mjs';
import { startRpcProxy } from './lib/rpcproxy.mjs';
import { createHarness, assert, parseArgs, FatalError, deepEqualWithPath } from './lib/harness.mjs';

const args = parseArgs();
const seed = Number(args.seed ?? 7);
const blocks = Number(args.blocks ?? 150);
const kills = Math.max(5, Number(args.kills ?? 8));
// The daemon reads the node through a proxy that delays every JSON-RPC request by this much, so
// that the --max-range 2 backfill lasts a few seconds and the kills land in the middle of it
// (anvil answers in well under a millisecond). Optional: empty blocks after each workload block.
const rpcDelayMs = Number(args['rpc-delay-ms'] ?? 25);
const gap = args['gap-max'] ? [Number(args['gap-min'] ?? 1), Number(args['gap-max'])] : null;
const MAX_RANGE = ['--max-range', '2'];
const h = createHarness('restart', { timeoutMs: 175000 });
let anvil = null;
let daemon = null;
let proxy = null;
let code = 1;

/** Drop the fields that legitimately depend on when the dump was taken (only used if heads differ). */
function withoutHeadFields(dump) {
  const { block: _b, block_hash: _h, ...status } = dump.status;
  return { ...dump, status };
}

/** Start, wait `ms` while watching /v1/status, kill -9. Returns {ms, lastBlock, exitedEarly}. */
async function startAndKill(rpcUrl, db, ms) {
  const d = await startDaemon({ rpcUrl, db, extraArgs: MAX_RANGE, waitReady: false });
  daemon = d;
  // The kill comes `ms` after the API first answers (the process is up and
  // ingesting), so a slow start on a busy machine does not eat the window.
  const started = Date.now();
  let until = started + 10000 + ms;
  let lastBlock = null;
  let firstAnswerMs = null;
  while (Date.now() < until) {
    if (d.exited()) break;
    try {
      const r = await api(d.port, '/v1/status', { timeoutMs: Math.max(5, Math.min(1000, until - Date.now())) });
      if (r.status === 200 && r.json) {
        lastBlock = r.json.block;
        if (firstAnswerMs === null) {
          firstAnswerMs = Date.now() - started;
          until = Date.now() + ms;
        }
      }
    } catch { /* not up yet */ }
    await sleep(Math.min(20, Math.max(0, until - Date.now())));
  }
  const exitedEarly = d.exited();
  const res = await d.kill9();
  daemon = null;
  return { ms, lastBlock, firstAnswerMs, exitedEarly, exit: res, logs: exitedEarly ? d.logs() : '' };
}

try {
  h.log(`daemon binary: ${DAEMON_BIN}; seed ${seed}; ${blocks} blocks; ${kills} kills`);
  anvil = await h.must('anvil starts', () => startAnvil({}));
  const chain = await h.must(`build chain of ${blocks} blocks${gap ? `, each followed by ${gap[0]}-${gap[1]} empty blocks` : ''}`, async () => {
    const c = await buildChain(anvil.url, { seed, blocks, emptyGap: gap });
    assert.ok(c.head >= 150 || blocks < 150);
    return c;
  });
  const head = chain.head;
  h.log(`chain head ${head}, ${chain.workload.stats.txs} txs`);
  const truth = await groundTruth(anvil.url, head);
  const tmp = makeTempDir('erc20-e2e-restart-');
  proxy = await startRpcProxy({ target: anvil.url, delayMs: rpcDelayMs });
  const rpcUrl = proxy.url;
  h.log(`daemon talks to anvil through a proxy adding ${rpcDelayMs} ms per request: ${rpcUrl}`);

  // ---- reference run ----------------------------------------------------------------------
  let t0 = Date.now();
  daemon = await h.must('reference daemon starts (--max-range 2)', () => startDaemon({ rpcUrl, db: `${tmp}/ref`, extraArgs: MAX_RANGE }));
  await h.must(`reference daemon reaches head ${head}`, () => waitForBlock(daemon.port, head, 90000, daemon));
  h.log(`reference backfill of ${head} blocks took ${((Date.now() - t0) / 1000).toFixed(2)}s`);
  await h.must('reference metadata fetched', () => waitForMetadata(daemon.port, chain.tokens, 30000));
  const ref = await h.must('reference dumpState', () => dumpState(daemon.port));
  h.log(`reference dump: ${Object.keys(ref.details).length} tokens, ${ref.status.transfers} transfers`);
  await h.check('reference daemon stops on SIGTERM with code 0', async () => {
    const r = await daemon.stop('SIGTERM', 15000);
    assert.equal(r.escalated, false);
    assert.equal(r.code, 0, JSON.stringify(r));
  });
  daemon = null;

  // ---- crash run --------------------------------------------------------------------------
  const rng = new Rng(seed * 7919 + 17);
  const rounds = [];
  t0 = Date.now();
  for (let i = 0; i < kills; i++) {
    const ms = rng.int(30, 400);
    const r = await startAndKill(rpcUrl, `${tmp}/crash`, ms);
    rounds.push(r);
    h.log(`kill -9 #${i + 1} after ${ms} ms: API up after ${r.firstAnswerMs ?? '-'} ms, last block seen ${r.lastBlock ?? '-'}${r.exitedEarly ? ` (EXITED BY ITSELF: ${JSON.stringify(r.exit)})` : ''}`);
  }
  await h.check(`daemon survived ${kills} kill -9 restarts without exiting by itself`, async () => {
    const early = rounds.filter((r) => r.exitedEarly);
    assert.equal(early.length, 0, early.map((r) => r.logs).join('\n---\n'));
  });
  const seen = rounds.map((r) => r.lastBlock).filter((b) => typeof b === 'number');
  if (seen.length && Math.max(...seen) >= head) h.log('note: the daemon reached the head before some kills (fast backfill)');
  if (seen.some((b) => b < head)) h.log(`kills happened mid-backfill at blocks ${seen.filter((b) => b < head).join(', ')}`);
  await h.check('at least 3 kills landed in the middle of the backfill (0 < block < head)', async () => {
    const mid = seen.filter((b) => b > 0 && b < head);
    assert.ok(mid.length >= 3, `only ${mid.length} kills mid-backfill (blocks seen: ${seen.join(', ')}); make the chain longer (--gap-min/--gap-max)`);
  });
  await h.check('indexed block never goes backwards across kill -9 restarts', async () => {
    for (let i = 1; i < seen.length; i++) assert.ok(seen[i] >= seen[i - 1], `block ${seen[i - 1]} then ${seen[i]}`);
  });

  daemon = await h.must('daemon restarts after the last kill -9', () => startDaemon({ rpcUrl, db: `${tmp}/crash`, extraArgs: MAX_RANGE }));
  await h.must(`restarted daemon reaches head ${head}`, () => waitForBlock(daemon.port, head, 90000, daemon));
  h.log(`crash run total ${((Date.now() - t0) / 1000).toFixed(2)}s`);
  await h.must('metadata fetched after restarts', () => waitForMetadata(daemon.port, chain.tokens, 30000));
  const got = await h.must('dumpState after restarts', () => dumpState(daemon.port));
  await h.check('same head and block hash as the reference run', async () => {
    assert.equal(got.status.block, ref.status.block);
    assert.equal(got.status.block_hash, ref.status.block_hash);
  });
  await h.check('dumpState after kill -9 restarts deep-equals the uninterrupted run', async () => {
    if (got.status.block === ref.status.block) deepEqualWithPath(got, ref);
    else deepEqualWithPath(withoutHeadFields(got), withoutHeadFields(ref));
  });
  await verifyAgainstTruth({ h, port: daemon.port, url: anvil.url, head, chain, label: 'after-crashes' }, truth);

  // ---- kill -9 while following ------------------------------------------------------------
  const w = chain.workload;
  for (let i = 0; i < 4; i++) await w.step();
  const killMs = rng.int(30, 200);
  await sleep(killMs);
  await daemon.kill9();
  daemon = null;
  for (let i = 0; i < 3; i++) await w.step();
  const newHead = await mine(anvil.url, 2);
  h.log(`killed while following after ${killMs} ms; new head ${newHead}`);
  daemon = await h.must('daemon restarts after kill -9 while following', () => startDaemon({ rpcUrl, db: `${tmp}/crash`, extraArgs: MAX_RANGE }));
  await h.must(`daemon catches up to ${newHead}`, () => waitForBlock(daemon.port, newHead, 60000, daemon));
  const truth2 = await groundTruth(anvil.url, newHead);
  await verifyAgainstTruth({ h, port: daemon.port, url: anvil.url, head: newHead, chain, label: 'follow-after-crash' }, truth2);
  await h.check('daemon stops on SIGTERM with code 0', async () => {
    const r = await daemon.stop('SIGTERM', 15000);
    assert.equal(r.escalated, false);
    assert.equal(r.code, 0, JSON.stringify(r));
  });
} catch (e) {
  if (!(e instanceof FatalError)) h.fail('unexpected error', e);
  if (daemon) console.log(`--- daemon output (tail) ---\n${daemon.logs()}\n---`);
} finally {
  if (daemon && !daemon.exited()) await daemon.stop('SIGKILL');
  if (proxy) await proxy.close();
  if (anvil) await anvil.stop();
  code = h.finish();
}
process.exit(code);
