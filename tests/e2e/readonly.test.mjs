// Read-only end-to-end test of erc20-indexer: the --db folder's filesystem turns read-only under
// the running daemon, the way a failing disk does it.
//   node tests/e2e/readonly.test.mjs [--seed N] [--blocks N]
// (daemon binary: $ERC20_INDEXER_BIN, default <repo>/build/erc20-indexer)
//
// The --db folder is an ext4 image on a loop device mounted with errors=remount-ro (root only:
// without the right to mount it prints a SKIP line and exits 0). The test raises a real filesystem
// error through /sys/fs/ext4/<dev>/trigger_fs_error: the kernel aborts the journal and remounts the
// filesystem read-only with every file of the daemon open (Linux refuses `mount -o remount,ro` while
// files are open for writing, so this is the one way a test can make a live database folder
// read-only that production also sees).
//  1. backfill a seeded chain; the filesystem error; more blocks of traffic: ingestion stops with one
//     error line naming the cause and the folder, /v1/status says state "error", /readyz answers
//     503, and the API serves its last block exactly (balances == balanceOf, transfers == eth_getLogs);
//  2. an aborted ext4 cannot be remounted read-write (the kernel answers EROFS): the operator's way
//     back is stop, e2fsck, mount, start. SIGTERM stops the daemon with exit code 0 on the read-only
//     folder; after e2fsck and a fresh mount the restarted daemon reaches the head with everything
//     == ground truth (nothing lost, nothing doubled).
//  3. a folder that becomes read-only and writable again while the daemon runs: the daemon as an
//     unprivileged user (setpriv, as systemd's DynamicUser runs it), its --db folder's write
//     permission removed (chmod -R a-w) and given back. With --ingest-min-transfers 1 every batch
//     creates table files, which fails at once (EACCES; appends to the open WAL still work); the
//     same checks while paused, then it resumes by itself with one line and ends == ground truth.
// diskfull.test.mjs has the full disk and a read-only filesystem over the ingestion folder.
import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { startAnvil } from './lib/chain.mjs';
import { makeTempDir, sleep } from './lib/proc.mjs';
import { buildChain } from './lib/workload.mjs';
import { groundTruth } from './lib/truth.mjs';
import { startDaemon, waitForBlock, api, apiOk, DAEMON_BIN } from './lib/daemon.mjs';
import { verifyAgainstTruth } from './lib/checks.mjs';
import { createHarness, assert, parseArgs, FatalError } from './lib/harness.mjs';

const args = parseArgs();
const seed = Number(args.seed ?? 6);
const blocks = Number(args.blocks ?? 40);
const IMAGE_MB = 96;
const h = createHarness('readonly', { timeoutMs: 170000 });
let anvil = null;
let daemon = null;
let mounted = null;
let code = 1;

const run = (cmd, a) => execFileSync(cmd, a, { stdio: ['ignore', 'pipe', 'pipe'] }).toString();
function unmount() {
  if (!mounted) return;
  try { execFileSync('umount', ['-l', mounted], { stdio: 'ignore' }); } catch { /* already gone */ }
  mounted = null;
}
process.on('exit', unmount);

function skip(why) {
  console.log(`SKIP readonly: ${why}`);
  console.log('0 passed, 0 failed, 1 skipped');
  process.exit(0);
}

/** Mount `image` at `dir` (ext4, errors=remount-ro); returns the sysfs folder of its device. */
function mountImage(image, dir) {
  run('mount', ['-o', 'loop,errors=remount-ro', image, dir]);
  mounted = dir;
  const dev = path.basename(run('findmnt', ['-no', 'SOURCE', dir]).trim());
  return `/sys/fs/ext4/${dev}`;
}

const lines = [];
const linesMatching = (re) => lines.filter((l) => re.test(l));
const status = (port) => apiOk(port, '/v1/status');

function daemonOn(db, { bin = DAEMON_BIN, extraArgs = [] } = {}) {
  return startDaemon({
    rpcUrl: anvil.url, db, logLevel: 'info', pollMs: 100, bin,
    extraArgs: ['--memtable-mb', '16', '--cache-mb', '8', ...extraArgs],
    onStderrLine: (l) => lines.push(l),
  });
}

/** The paused checks: one error line matching `cause` and naming `db`, /readyz 503, exact. */
async function checkPaused(chain, label, db, cause) {
  const st = await h.must(`[${label}] ingestion stops: state error`, () => driveUntilError(chain));
  h.log(`[${label}] paused at block ${st.block}, node at ${st.node_block}`);
  await h.check(`[${label}] one error line naming the cause and the folder`, async () => {
    await sleep(3000); // the retries meanwhile must not log again
    const errs = linesMatching(/^\S+ \S+ error /);
    assert.equal(errs.length, 1, errs.join('\n'));
    assert.match(errs[0], /storage failure/);
    assert.match(errs[0], cause);
    assert.ok(errs[0].includes(db), errs[0]);
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

/** Part 3: an unprivileged daemon whose folder loses its write permission and gets it back. */
async function permissionsPart(chain) {
  const tmp = makeTempDir('erc20-e2e-readonly-perm-');
  fs.chmodSync(tmp, 0o755); // nobody passes through it
  const db = `${tmp}/db`;
  fs.mkdirSync(db);
  fs.chownSync(db, 65534, 65534);
  const wrapper = `${tmp}/as-nobody.sh`;
  fs.writeFileSync(wrapper, `#!/bin/sh\nexec setpriv --reuid=65534 --regid=65534 --clear-groups '${DAEMON_BIN}' "$@"\n`, { mode: 0o755 });
  lines.length = 0;
  daemon = await h.must('[permissions] the daemon starts as nobody (setpriv) with --ingest-min-transfers 1', () =>
    daemonOn(db, { bin: wrapper, extraArgs: ['--ingest-min-transfers', '1'] }));
  await chain.workload.run(2);
  await h.must(`[permissions] it reaches head ${chain.workload.head}`, () => waitForBlock(daemon.port, chain.workload.head, 60000, daemon));
  run('chmod', ['-R', 'a-w', db]);
  h.log(`chmod -R a-w ${db}`);
  await checkPaused(chain, 'permissions', db, /Permission denied|EACCES/i);
  run('chmod', ['-R', 'u+w', db]);
  h.log(`chmod -R u+w ${db}`);
  await h.must('[permissions] resumes by itself: state following', async () => {
    const until = Date.now() + 60000;
    while ((await status(daemon.port)).state !== 'following') {
      if (Date.now() > until) throw new Error(`not following after 60 s\n${daemon.logs()}`);
      await sleep(100);
    }
  });
  await h.check('[permissions] one line says it resumed', async () => {
    const resumed = linesMatching(/storage: writable again/);
    assert.equal(resumed.length, 1, resumed.join('\n'));
  });
  await chain.workload.run(2);
  const head = chain.workload.head;
  await h.must(`[permissions] reaches head ${head}`, () => waitForBlock(daemon.port, head, 60000, daemon));
  const truth = await groundTruth(anvil.url, head);
  await verifyAgainstTruth({ h, port: daemon.port, url: anvil.url, head, chain, label: 'permissions, resumed' }, truth);
  await h.check('[permissions] /readyz 200; SIGTERM stops it with code 0', async () => {
    assert.equal((await api(daemon.port, '/readyz')).status, 200);
    const r = await daemon.stop('SIGTERM', 15000);
    assert.equal(r.code, 0, JSON.stringify(r) + '\n' + daemon.logs());
  });
  daemon = null;
}

/** Mine traffic until the daemon reports state error; returns its frozen status. */
async function driveUntilError(chain) {
  const until = Date.now() + 40000;
  while (Date.now() < until) {
    await chain.workload.run(3);
    const st = await status(daemon.port);
    if (st.state === 'error') return st;
  }
  throw new Error(`no storage failure on the read-only folder: ${JSON.stringify(await status(daemon.port))}\n${daemon.logs()}`);
}

try {
  if (process.getuid && process.getuid() !== 0) skip('needs root (a loop device and mount)');
  const tmp = makeTempDir('erc20-e2e-readonly-');
  const image = `${tmp}/fs.img`;
  const dir = `${tmp}/mnt`;
  fs.mkdirSync(dir);
  let sysfs;
  try {
    execFileSync('truncate', ['-s', `${IMAGE_MB}M`, image]);
    run('mkfs.ext4', ['-q', '-F', image]);
    sysfs = mountImage(image, dir);
  } catch (e) {
    skip(`cannot mount an ext4 image on a loop device (${String(e.stderr || e.message).trim()})`);
  }
  if (!fs.existsSync(`${sysfs}/trigger_fs_error`)) skip(`the kernel has no ${sysfs}/trigger_fs_error`);
  const db = `${dir}/db`;
  h.log(`daemon binary: ${DAEMON_BIN}; seed ${seed}; --db on a ${IMAGE_MB} MiB ext4 image at ${dir} (${sysfs})`);
  anvil = await h.must('anvil starts', () => startAnvil({}));
  const chain = await h.must(`build chain of ${blocks} blocks`, () => buildChain(anvil.url, { seed, blocks }));
  daemon = await h.must('daemon starts on the ext4 image', () => daemonOn(db));
  await h.must(`backfill reaches head ${chain.head}`, () => waitForBlock(daemon.port, chain.head, 60000, daemon));

  // ---- 1. the filesystem turns read-only under the daemon --------------------------------------
  fs.writeFileSync(`${sysfs}/trigger_fs_error`, 'erc20-indexer readonly test');
  await h.must('the kernel remounted the filesystem read-only', async () => {
    assert.match(run('findmnt', ['-no', 'OPTIONS', dir]).trim(), /(^|,)(ro|emergency_ro)(,|$)/);
  });
  // ext4's error aborts the journal: the first failing call is a write (EROFS) or, when an fsync
  // comes first, EIO; either way the line names what the kernel said.
  await checkPaused(chain, 'read-only', db, /Read-only file system|EROFS|Input\/output error|EIO/i);

  // ---- 2. stop, e2fsck, mount, start -----------------------------------------------------------
  await h.check('SIGTERM stops the daemon with exit code 0 on the read-only folder', async () => {
    const r = await daemon.stop('SIGTERM', 15000);
    assert.equal(r.code, 0, JSON.stringify(r) + '\n' + daemon.logs());
  });
  daemon = null;
  await h.must('umount, e2fsck -fy, mount again', async () => {
    run('umount', [dir]);
    mounted = null;
    try { run('e2fsck', ['-fy', image]); } catch (e) { if (e.status !== 1) throw e; } // 1: errors corrected
    mountImage(image, dir);
  });
  lines.length = 0;
  daemon = await h.must('the daemon starts again on the repaired folder', () => daemonOn(db));
  await chain.workload.run(2);
  const head = chain.workload.head;
  await h.must(`it reaches head ${head}`, () => waitForBlock(daemon.port, head, 60000, daemon));
  const truth = await groundTruth(anvil.url, head);
  await verifyAgainstTruth({ h, port: daemon.port, url: anvil.url, head, chain, label: 'repaired' }, truth);
  await h.check('/readyz answers 200, no error line since the restart', async () => {
    const r = await api(daemon.port, '/readyz');
    assert.equal(r.status, 200, r.text);
    assert.deepEqual(linesMatching(/^\S+ \S+ error /), []);
  });
  await h.check('daemon stops on SIGTERM with code 0', async () => {
    const r = await daemon.stop('SIGTERM', 15000);
    assert.equal(r.code, 0, JSON.stringify(r) + '\n' + daemon.logs());
  });
  daemon = null;

  // ---- 3. read-only by permissions, and writable again -----------------------------------------
  await permissionsPart(chain);
} catch (e) {
  if (!(e instanceof FatalError)) h.fail('unexpected error', e);
  if (daemon) console.log(daemon.logs().split('\n').slice(-30).join('\n'));
} finally {
  if (daemon) await daemon.kill9();
  if (anvil) await anvil.stop().catch(() => {});
  unmount();
  code = h.finish();
}
process.exit(code);
