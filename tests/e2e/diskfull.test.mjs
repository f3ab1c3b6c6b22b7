// Disk-full and read-only end-to-end test of erc20-indexer:
//   node tests/e2e/diskfull.test.mjs [--seed N] [--blocks N]
// (daemon binary: $ERC20_INDEXER_BIN, default <repo>/build/erc20-indexer)
//
// The --db folder is a small tmpfs mounted by the test (root only: without the right to mount it
// prints a SKIP line and exits 0).
//  1. backfill a seeded chain; fill the tmpfs with a filler file; more blocks of traffic: ingestion
//     stops with one error line naming the cause and the folder, /v1/status says state "error",
//     /readyz answers 503, and the API serves its last block exactly (balances == balanceOf and
//     transfers == eth_getLogs at that block);
//  2. the tmpfs grows (mount -o remount,size=...): the daemon resumes by itself, says so in one
//     line, and reaches the head with everything == ground truth (nothing lost, nothing doubled);
//  3. the same with a read-only folder: the folder of the table files that large batches write
//     before their ingestion becomes a read-only filesystem, then writable again (Linux refuses
//     `mount -o remount,ro` while the WAL is open for writing). A whole --db filesystem turning
//     read-only under the daemon (an ext4 error, errors=remount-ro) is readonly.test.mjs.
import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import { startAnvil } from './lib/chain.mjs';
import { makeTempDir, sleep } from './lib/proc.mjs';
import { buildChain } from './lib/workload.mjs';
import { groundTruth } from './lib/truth.mjs';
import { startDaemon, waitForBlock, api, apiOk, DAEMON_BIN } from './lib/daemon.mjs';
import { verifyAgainstTruth } from './lib/checks.mjs';
import { createHarness, assert, parseArgs, FatalError } from './lib/harness.mjs';

const args = parseArgs();
const seed = Number(args.seed ?? 5);
const blocks = Number(args.blocks ?? 40);
const MOUNT_MB = 24;
const h = createHarness('diskfull', { timeoutMs: 170000 });
let anvil = null;
let daemon = null;
let mounted = null;
let code = 1;

const mount = (...a) => execFileSync('mount', a, { stdio: ['ignore', 'pipe', 'pipe'] });
function unmount() {
  if (!mounted) return;
  try { execFileSync('umount', ['-l', mounted], { stdio: 'ignore' }); } catch { /* already gone */ }
  mounted = null;
}
process.on('exit', unmount);

/** Every stderr line of the daemon. */
const lines = [];
const linesMatching = (re) => lines.filter((l) => re.test(l));

/** Fill the filesystem at `dir` to the last byte with `name`. */
function fill(dir, name) {
  const fd = fs.openSync(`${dir}/${name}`, 'w');
  const chunk = Buffer.alloc(1 << 16, 0x5a);
  try {
    for (;;) fs.writeSync(fd, chunk);
  } catch (e) {
    if (e.code !== 'ENOSPC') throw e;
  } finally {
    fs.closeSync(fd);
  }
}

async function status(port) { return apiOk(port, '/v1/status'); }

async function waitForState(port, state, timeoutMs) {
  const until = Date.now() + timeoutMs;
  let st = null;
  while (Date.now() < until) {
    st = await status(port);
    if (st.state === state) return st;
    await sleep(100);
  }
  throw new Error(`state is ${st && st.state}, not ${state}, after ${timeoutMs} ms`);
}

/** Mine traffic until the daemon reports state error; returns its frozen status. */
async function driveUntilError(chain, what) {
  const until = Date.now() + 40000;
  while (Date.now() < until) {
    await chain.workload.run(3);
    const st = await status(daemon.port);
    if (st.state === 'error') return st;
  }
  throw new Error(`no storage failure after ${what}: ${JSON.stringify(await status(daemon.port))}\n${daemon.logs()}`);
}

/** The checks while ingestion is paused by a storage failure. */
async function checkPaused(chain, label, cause) {
  const st = await h.must(`[${label}] ingestion stops: state error`, () => driveUntilError(chain, label));
  h.log(`[${label}] paused at block ${st.block}, node at ${st.node_block}`);
  await h.check(`[${label}] one error line naming the cause and the folder`, async () => {
    await sleep(3000);  // retries meanwhile must not log again
    const errs = linesMatching(/^\S+ \S+ error /);
    assert.equal(errs.length, 1, errs.join('\n'));
    assert.match(errs[0], /storage failure/);
    assert.match(errs[0], cause);
    assert.ok(errs[0].includes(mounted), errs[0]);
  });
  await h.check(`[${label}] /readyz answers 503 and the block does not move`, async () => {
    const r = await api(daemon.port, '/readyz');
    assert.equal(r.status, 503, r.text);
    assert.equal((await status(daemon.port)).block, st.block);
  });
  const truth = await groundTruth(anvil.url, st.block);
  await verifyAgainstTruth({ h, port: daemon.port, url: anvil.url, head: st.block, chain, label: `${label}, paused` }, truth);
  return st;
}

/** After the cause is gone: resumes by itself and ends at the node's head, == ground truth. */
async function checkResumed(chain, label) {
  await h.must(`[${label}] resumes by itself: state following`, () => waitForState(daemon.port, 'following', 60000));
  await h.check(`[${label}] one line says it resumed`, async () => {
    const resumed = linesMatching(/storage: writable again/);
    assert.equal(resumed.length, 1, resumed.join('\n'));
  });
  await chain.workload.run(2);
  const head = chain.workload.head;
  await h.must(`[${label}] reaches head ${head}`, () => waitForBlock(daemon.port, head, 60000, daemon));
  const truth = await groundTruth(anvil.url, head);
  await verifyAgainstTruth({ h, port: daemon.port, url: anvil.url, head, chain, label: `${label}, resumed` }, truth);
  await h.check(`[${label}] /readyz answers 200`, async () => {
    const r = await api(daemon.port, '/readyz');
    assert.equal(r.status, 200, r.text);
  });
}

try {
  const tmp = makeTempDir('erc20-e2e-diskfull-');
  const dir = `${tmp}/mnt`;
  fs.mkdirSync(dir);
  try {
    mount('-t', 'tmpfs', '-o', `size=${MOUNT_MB}m`, 'tmpfs', dir);
    mounted = dir;
  } catch (e) {
    console.log(`SKIP diskfull: cannot mount a tmpfs (${String(e.stderr || e.message).trim()}); needs root`);
    console.log('0 passed, 0 failed, 1 skipped');
    process.exit(0);
  }
  h.log(`daemon binary: ${DAEMON_BIN}; seed ${seed}; --db on a ${MOUNT_MB} MiB tmpfs at ${dir}`);
  anvil = await h.must('anvil starts', () => startAnvil({}));
  const chain = await h.must(`build chain of ${blocks} blocks`, () => buildChain(anvil.url, { seed, blocks }));
  daemon = await h.must('daemon starts on the tmpfs', () => startDaemon({
    rpcUrl: anvil.url, db: `${dir}/db`, logLevel: 'info', pollMs: 100,
    extraArgs: ['--memtable-mb', '16', '--cache-mb', '8'],
    onStderrLine: (l) => lines.push(l),
  }));
  await h.must(`backfill reaches head ${chain.head}`, () => waitForBlock(daemon.port, chain.head, 60000, daemon));

  // ---- 1-2. no space left ---------------------------------------------------------------------
  fill(dir, 'filler');
  h.log(`tmpfs filled: ${fs.statfsSync ? fs.statfsSync(dir).bavail : '?'} blocks free`);
  await checkPaused(chain, 'disk full', /No space left on device|ENOSPC|no space/i);
  mount('-o', `remount,size=${MOUNT_MB * 8}m`, dir);
  h.log(`tmpfs grown to ${MOUNT_MB * 8} MiB`);
  await checkResumed(chain, 'disk full');

  // ---- 3. read-only ---------------------------------------------------------------------------
  // Linux refuses to remount a filesystem read-only while files on it are open for writing (the
  // WAL, the MANIFEST), so the folder where large batches write their table files before they are
  // ingested becomes a read-only filesystem instead: every batch (--ingest-min-transfers 1) fails
  // there with EROFS.
  await h.check('daemon stops on SIGTERM with code 0, restarts with --ingest-min-transfers 1', async () => {
    const r = await daemon.stop('SIGTERM', 15000);
    assert.equal(r.code, 0, JSON.stringify(r) + '\n' + daemon.logs());
    lines.length = 0;
    daemon = await startDaemon({
      rpcUrl: anvil.url, db: `${dir}/db`, logLevel: 'info', pollMs: 100,
      extraArgs: ['--memtable-mb', '16', '--cache-mb', '8', '--ingest-min-transfers', '1'],
      onStderrLine: (l) => lines.push(l),
    });
  });
  const ingestDir = `${dir}/db/ingest`;
  mount('-t', 'tmpfs', '-o', 'ro,size=1m', 'tmpfs', ingestDir);
  h.log(`${ingestDir} is now a read-only filesystem`);
  await checkPaused(chain, 'read-only', /Read-only file system|EROFS/i);
  execFileSync('umount', [ingestDir]);
  h.log(`${ingestDir} is writable again`);
  await checkResumed(chain, 'read-only');

  await h.check('daemon stops on SIGTERM with code 0', async () => {
    const r = await daemon.stop('SIGTERM', 15000);
    assert.equal(r.code, 0, JSON.stringify(r) + '\n' + daemon.logs());
  });
  daemon = null;
} catch (e) {
  if (!(e instanceof FatalError)) h.fail('unexpected error', e);
  if (daemon) console.log(daemon.logs().split('\n').slice(-30).join('\n'));
} finally {
  if (daemon) await daemon.kill9();
  unmount();
  code = h.finish();
}
process.exit(code);
