// /metrics as Prometheus tools read it:
//   node tests/e2e/metrics.test.mjs
// Runs Debian's promtool (package prometheus; scripts/install-deps.sh tools) on a live daemon's
// /metrics, while backfilling-or-following on a small anvil chain, and fails on any warning;
// checks the families an operator alerts on (erc20_state, build info, process_*, the head's
// timestamp against the node's block, the caches' hit and miss counters with RocksDB's block cache
// among them) and that `promtool check rules` accepts the alert rules of
// docs/operations.md exactly as written there.
import fs from 'node:fs';
import path from 'node:path';
import { spawnSync } from 'node:child_process';
import { startAnvil, rpc, REPO_DIR } from './lib/chain.mjs';
import { makeTempDir, httpRequest } from './lib/proc.mjs';
import { buildChain } from './lib/workload.mjs';
import { startDaemon, waitForBlock } from './lib/daemon.mjs';
import { createHarness, assert } from './lib/harness.mjs';

const h = createHarness('metrics', { timeoutMs: 240000 });
const PROMTOOL = process.env.PROMTOOL ?? '/usr/bin/promtool';
let code = 1;

function promtool(args, input) {
  const r = spawnSync(PROMTOOL, args, { input, encoding: 'utf8' });
  if (r.error) throw new Error(`${PROMTOOL}: ${r.error.message} (scripts/install-deps.sh tools installs it)`);
  return { status: r.status, out: `${r.stdout}${r.stderr}`.trim() };
}

try {
  const anvil = await h.must('start anvil', () => startAnvil());
  await h.must('build a small chain', () => buildChain(anvil.url, { seed: 3, blocks: 20 }));
  const head = Number(BigInt(await rpc(anvil.url, 'eth_blockNumber')));
  const db = path.join(makeTempDir(), 'db');
  let daemon = await h.must('start the daemon', () => startDaemon({ rpcUrl: anvil.url, db, extraArgs: ['--cache-mb', '48'] }));
  await h.must('the daemon reaches the head', () => waitForBlock(daemon.port, head));
  const text = (await httpRequest(`http://127.0.0.1:${daemon.port}/metrics`)).text;

  await h.check('promtool check metrics: no warning, no error', () => {
    const r = promtool(['check', 'metrics'], text);
    assert.equal(r.out, '', `promtool says:\n${r.out}`);
    assert.equal(r.status, 0);
  });
  await h.check('erc20_state: 1 for following, 0 for every other state', () => {
    const states = [...text.matchAll(/^erc20_state\{state="([a-z]+)"\} (\d)$/gm)].map((m) => [m[1], m[2]]);
    assert.deepEqual(states.map(([s]) => s).sort(), ['backfilling', 'error', 'following', 'reindexing', 'starting']);
    assert.deepEqual(states.filter(([, v]) => v === '1').map(([s]) => s), ['following']);
  });
  await h.check('erc20_build_info, process_*, and the head block timestamp equal the node\'s', async () => {
    assert.match(text, /^erc20_build_info\{version="[^"]+",schema="4",rocksdb="\d+\.\d+\.\d+",compiler="[^"]+"\} 1$/m);
    for (const f of ['process_cpu_seconds_total', 'process_resident_memory_bytes', 'process_open_fds', 'process_max_fds', 'process_start_time_seconds']) {
      const m = new RegExp(`^${f} ([0-9.e+]+)$`, 'm').exec(text);
      assert.ok(m && Number(m[1]) > 0, `${f}: ${m?.[1]}`);
    }
    const start = Number(/^process_start_time_seconds (\S+)$/m.exec(text)[1]);
    assert.ok(Math.abs(start - Date.now() / 1000) < 300, `process_start_time_seconds ${start}`);
    const indexed = Number(/^erc20_indexed_block (\d+)$/m.exec(text)[1]);
    const block = await rpc(anvil.url, 'eth_getBlockByNumber', ['0x' + indexed.toString(16), false]);
    const ts = Number(/^erc20_indexed_block_timestamp_seconds (\d+)$/m.exec(text)[1]);
    assert.equal(ts, Number(BigInt(block.timestamp)));
  });
  await h.check('caches: the query caches and RocksDB\'s block cache report hits, misses, bytes and budget; the block cache\'s grow with reads', async () => {
    const value = (t, f, cache) => Number(new RegExp(`^${f}\\{cache="${cache}"\\} (\\d+)$`, 'm').exec(t)?.[1]);
    for (const cache of ['distribution', 'flows', 'rocksdb_block']) {
      for (const f of ['erc20_cache_hits_total', 'erc20_cache_misses_total', 'erc20_cache_bytes', 'erc20_cache_entries', 'erc20_cache_budget_bytes']) {
        assert.ok(Number.isFinite(value(text, f, cache)), `${f}{cache="${cache}"}`);
      }
    }
    assert.equal(value(text, 'erc20_cache_budget_bytes', 'rocksdb_block'), 48 << 20, '--cache-mb 48');
    assert.ok(!/^erc20_cache_evictions_total\{cache="rocksdb_block"\}/m.test(text), 'no eviction count for the block cache');
    // A restart recovers the write-ahead log into table files: reads then go through the cache.
    await daemon.stop();
    daemon = await startDaemon({ rpcUrl: anvil.url, db, extraArgs: ['--cache-mb', '48'] });
    await waitForBlock(daemon.port, head);
    const lookups = async () => {
      const t = (await httpRequest(`http://127.0.0.1:${daemon.port}/metrics`)).text;
      return { hits: value(t, 'erc20_cache_hits_total', 'rocksdb_block'), misses: value(t, 'erc20_cache_misses_total', 'rocksdb_block'), bytes: value(t, 'erc20_cache_bytes', 'rocksdb_block') };
    };
    const before = await lookups();
    for (let i = 0; i < 3; i++) await httpRequest(`http://127.0.0.1:${daemon.port}/v1/tokens?format=ndjson`);
    const after = await lookups();
    assert.ok(after.hits + after.misses > before.hits + before.misses, `block cache lookups ${JSON.stringify(before)} -> ${JSON.stringify(after)}`);
    assert.ok(after.hits > before.hits, 'repeated reads hit the block cache');
    assert.ok(after.bytes > 0);
  });
  await h.check('label values have no spaces', () => {
    const spaced = text.split('\n').filter((l) => !l.startsWith('#') && /="[^"]* [^"]*"/.test(l));
    assert.deepEqual(spaced, []);
  });
  await h.check('promtool check rules accepts the alert rules of docs/operations.md', () => {
    const doc = fs.readFileSync(path.join(REPO_DIR, 'docs', 'operations.md'), 'utf8');
    const blocks = [...doc.matchAll(/```yaml\n([\s\S]*?)```/g)].map((m) => m[1]).filter((b) => b.startsWith('groups:'));
    assert.equal(blocks.length, 1, 'one rules block (groups:) in docs/operations.md');
    const file = path.join(makeTempDir(), 'rules.yml');
    fs.writeFileSync(file, blocks[0]);
    const r = promtool(['check', 'rules', file]);
    assert.equal(r.status, 0, r.out);
    assert.match(r.out, /SUCCESS: 5 rules found/);
  });
  await daemon.stop();
  await anvil.stop();
} catch (e) {
  h.fail('unexpected error', e);
} finally {
  code = h.finish();
}
process.exit(code);
