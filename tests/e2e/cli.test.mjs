// The command line's habits (issue #17, point 6):
//   node tests/e2e/cli.test.mjs
// Each command's --help lists the options it uses and no other (run's tuning options only on
// run); progress written to a pipe is whole lines, never '\r' frames (reindex --wait through the
// daemon, verify on a stopped database); status --json is /v1/status's object, key for key and
// value for value with the daemon running, with the same keys when it reads the stopped database,
// plus the command's own figures under "local"; --log-format json lines are JSON objects whose
// progress lines carry numeric block / blocks_per_s / transfers_per_s fields and whose levels are
// --log-level's words (warn, not warning), at info and at warn.
import fs from 'node:fs';
import path from 'node:path';
import { startAnvil, rpc, freePort } from './lib/chain.mjs';
import { makeTempDir, runCli, sleep } from './lib/proc.mjs';
import { buildChain } from './lib/workload.mjs';
import { startRpcProxy } from './lib/rpcproxy.mjs';
import { startDaemon, waitForBlock, apiOk, DAEMON_BIN } from './lib/daemon.mjs';
import { createHarness, assert } from './lib/harness.mjs';

const h = createHarness('cli', { timeoutMs: 240000 });
const LEVELS = new Set(['trace', 'debug', 'info', 'warn', 'error', 'critical']);
// What an admin command may take of the shared options; the rest of run's are tuning options.
const CONNECTION = ['db', 'listen', 'admin-token-file', 'rpc-url', 'rpc-timeout-ms'];
const OWN = {
  status: ['json'],
  reindex: ['from-block', 'wait', 'json'],
  rollback: ['to-block', 'json'],
  verify: ['token', 'sample', 'json'],
  backup: ['to', 'json'],
  compact: ['json'],
  'add-tokens': ['tokens', 'wait', 'json'],
};
let code = 1;

const cli = (argv, opts) => runCli(DAEMON_BIN, argv, opts);
const show = (r) => `exit ${r.code}\n--- stdout ---\n${r.stdout}--- stderr ---\n${JSON.stringify(r.stderr)}`;
/** The --options a help text lists (its option lines, not the prose). */
const listed = (help) => new Set([...help.matchAll(/^ {2}(?:-\w \[ )?--([a-z-]+)/gm)].map((m) => m[1]));

/** A daemon whose stderr lines are kept whole, each parsed when it is JSON. */
async function jsonDaemon(opts) {
  const lines = [];
  const d = await startDaemon({ ...opts, onStderrLine: (l) => { if (l.trim()) lines.push(l); } });
  return { d, lines };
}
const parsed = (lines) => lines.map((l) => { try { return JSON.parse(l); } catch { return null; } });

try {
  const runHelp = await cli(['run', '--help']);
  const runOptions = listed(runHelp.stdout);
  await h.check('run --help lists every option, the tuning ones too', () => {
    assert.equal(runHelp.code, 0, show(runHelp));
    for (const o of ['memtable-mb', 'cache-mb', 'write-batch-mb', 'fetch-workers', 'ingest-min-transfers',
      'log-format', 'log-level', 'confirmations', ...CONNECTION]) assert.ok(runOptions.has(o), `run --help lacks --${o}`);
    assert.ok(!runOptions.has('json') && !runOptions.has('from-block'), [...runOptions].join(' '));
  });
  for (const [command, own] of Object.entries(OWN)) {
    await h.check(`${command} --help lists its own options and none of run's tuning ones`, async () => {
      const r = await cli([command, '--help']);
      assert.equal(r.code, 0, show(r));
      const options = listed(r.stdout);
      for (const o of own) assert.ok(options.has(o), `${command} --help lacks --${o}`);
      for (const o of runOptions) {
        if (!CONNECTION.includes(o) && !own.includes(o) && !['help', 'version', 'config'].includes(o)) assert.ok(!options.has(o), `${command} --help lists run's --${o}`);
      }
      if (command === 'status') assert.ok(!options.has('admin-token-file'), 'status reads the public /v1/status');
      if (['backup', 'compact', 'add-tokens'].includes(command)) assert.ok(!options.has('rpc-url'), `${command} never asks the node`);
      if (command !== 'status') assert.ok(options.has('admin-token-file'), `${command} goes through the admin API`);
    });
  }

  const anvil = await h.must('start anvil', () => startAnvil());
  await h.must('build a small chain', () => buildChain(anvil.url, { seed: 17, blocks: 30 }));
  const head = Number(BigInt(await rpc(anvil.url, 'eth_blockNumber')));
  const tmp = makeTempDir();
  const db = path.join(tmp, 'db');
  const tokenFile = path.join(tmp, 'token');
  fs.writeFileSync(tokenFile, 'cli-test-admin-token-0123456789\n', { mode: 0o600 });
  // --reorg-window 4: the blocks are a backfill, not a catch-up; one block per request, one at a
  // time, through a proxy that answers after 250 ms: it lasts past the first progress line (5 s).
  const slow = await startRpcProxy({ target: anvil.url, delayMs: 250 });
  const { d, lines: infoLines } = await h.must('start a daemon with --log-format json --log-level info', () => jsonDaemon({
    rpcUrl: slow.url, db, logLevel: 'info',
    extraArgs: ['--log-format', 'json', '--reorg-window', '4', '--max-range', '1', '--fetch-workers', '1', '--admin-token-file', tokenFile],
  }));
  await h.must(`the daemon reaches head ${head}`, () => waitForBlock(d.port, head, 90000, d));
  slow.setDelay(0);
  const online = ['--listen', `127.0.0.1:${d.port}`, '--db', db];

  await h.check('status --json with the daemon running: every key of /v1/status, equal values', async () => {
    const r = await cli(['status', '--json', ...online]);
    const status = await apiOk(d.port, '/v1/status');
    assert.equal(r.code, 0, show(r));
    const j = JSON.parse(r.stdout);
    for (const [k, v] of Object.entries(status)) {
      assert.ok(k in j, `status --json lacks ${k}: ${r.stdout}`);
      if (['transfers_per_s', 'db_size_bytes'].includes(k)) assert.equal(typeof j[k], typeof v, k); // they move
      else assert.deepEqual(j[k], v, k);
    }
    assert.deepEqual(Object.keys(j).filter((k) => k !== 'local'), Object.keys(status));
    assert.equal(j.block, head);
    assert.equal(j.local.source, 'daemon');
    assert.equal(j.local.db, db);
    assert.ok(Number.isInteger(j.local.db_dir_bytes) && j.local.db_dir_bytes > 0, r.stdout);
  });
  const onlineKeys = Object.keys(await apiOk(d.port, '/v1/status'));

  await h.check('reindex --wait with stderr piped: whole lines, no \\r', async () => {
    const r = await cli(['reindex', '--from-block', '5', '--wait', ...online, '--admin-token-file', tokenFile], { timeoutMs: 90000 });
    assert.equal(r.code, 0, show(r));
    assert.ok(!r.stderr.includes('\r'), `\\r in stderr: ${show(r)}`);
    assert.match(r.stderr, /^reindex: caught up at block \d+ \(following\)$/m, show(r));
    for (const l of r.stderr.split('\n').filter(Boolean)) assert.match(l, /^reindex: /, show(r));
  });
  await waitForBlock(d.port, head, 60000, d);
  await sleep(300);

  await h.check('--log-format json --log-level info: JSON lines, progress figures as numeric fields', () => {
    const objects = parsed(infoLines);
    const bad = infoLines.filter((_, i) => objects[i] === null);
    assert.deepEqual(bad, [], 'lines that are not JSON');
    for (const o of objects) {
      assert.ok(LEVELS.has(o.level), `level ${o.level}: ${JSON.stringify(o)}`);
      assert.equal(typeof o.msg, 'string');
      assert.match(o.time, /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d+Z$/);
    }
    const progress = objects.filter((o) => /^(backfilling|reindexing): block \d+ of \d+/.test(o.msg));
    assert.ok(progress.length > 0, `no progress line:\n${infoLines.join('\n')}`);
    for (const p of progress) {
      for (const k of ['block', 'to_block', 'blocks_per_s', 'transfers_per_s', 'percent']) assert.equal(typeof p[k], 'number', `${k}: ${JSON.stringify(p)}`);
      assert.ok(p.eta_s === null || typeof p.eta_s === 'number', JSON.stringify(p));
      assert.ok(p.msg.includes(`block ${p.block} of ${p.to_block}`), JSON.stringify(p));
    }
    const followed = objects.find((o) => o.msg.startsWith('following: at block'));
    assert.ok(followed && followed.block === head && typeof followed.node_block === 'number', JSON.stringify(followed));
  });

  const { d: quiet, lines: warnLines } = await h.must('start a daemon with --log-format json --log-level warn and no node', async () => {
    const deadPort = await freePort();
    return jsonDaemon({ rpcUrl: `http://127.0.0.1:${deadPort}`, db: path.join(tmp, 'db-warn'), logLevel: 'warn', extraArgs: ['--log-format', 'json'] });
  });
  await h.check('--log-level warn: only warn and above, spelt "warn"', async () => {
    for (let i = 0; i < 100 && warnLines.length === 0; i++) await sleep(100);
    const objects = parsed(warnLines);
    assert.ok(objects.length > 0, 'no warning about the missing node');
    for (const o of objects) {
      assert.ok(o !== null, warnLines.join('\n'));
      assert.ok(['warn', 'error', 'critical'].includes(o.level), JSON.stringify(o));
    }
    assert.ok(objects.some((o) => o.level === 'warn' && /node: .* failed/.test(o.msg)), warnLines.join('\n'));
    assert.ok(!warnLines.some((l) => l.includes('"warning"')), warnLines.join('\n'));
  });
  await quiet.stop();

  await h.check('daemon stops', async () => {
    const r = await d.stop();
    assert.equal(r.code, 0, JSON.stringify(r));
  });
  const offline = ['--listen', `127.0.0.1:${await freePort()}`, '--db', db, '--rpc-url', anvil.url];
  await h.check('status --json on the stopped database: the same keys, its own node reading under local', async () => {
    const r = await cli(['status', '--json', ...offline]);
    assert.equal(r.code, 0, show(r));
    const j = JSON.parse(r.stdout);
    assert.deepEqual(Object.keys(j).filter((k) => k !== 'local'), onlineKeys);
    assert.equal(j.state, 'stopped');
    assert.equal(j.block, head);
    assert.equal(j.node_block, null, 'only a running daemon has a node head of its own');
    assert.equal(j.lag_blocks, null);
    assert.equal(j.local.source, 'database');
    assert.equal(j.local.node_block, head);
    assert.ok(Number.isInteger(j.local.db_dir_bytes) && j.local.db_dir_bytes > 0, r.stdout);
    assert.deepEqual(Object.keys(j.local).sort(), ['db', 'db_dir_bytes', 'listen', 'node_block', 'source']);
  });
  await h.check('verify on the stopped database with stderr piped: progress in whole lines, no \\r', async () => {
    const r = await cli(['verify', ...offline]);
    assert.equal(r.code, 0, show(r));
    assert.ok(!r.stderr.includes('\r'), show(r));
    assert.match(r.stderr, /^verify: \d+ of \d+ balances \(\d+%\), \d+ s$/m, show(r));
  });
  await slow.close();
  await anvil.stop();
} catch (e) {
  h.fail('unexpected error', e);
} finally {
  code = h.finish();
}
process.exit(code);
