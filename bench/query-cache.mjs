#!/usr/bin/env node
// The query caches (--query-cache-mb) under a loop of whole-list queries, with the head moving:
//
//   node bench/query-cache.mjs [--holders N] [--bin PATH] [--query-cache-mb N]
//
// Builds bench/query-chain.mjs's chain (one token, N holders, default 100,000), indexes it with
// the daemon ($ERC20_INDEXER_BIN or --bin, default build/erc20-indexer), then 3 rounds of: 12
// past blocks spread over the chain (holders?block=B&limit=100), 4 of them as distribution?block=B,
// the distribution at the head twice; one block mined between rounds. Prints per round the mean
// latencies (ms) and the daemon's RSS, then its erc20_cache_* lines (none for a build without
// them: the figures of the old 8-list cache keyed by the head).
import { spawn } from 'node:child_process';
import fs from 'node:fs';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import readline from 'node:readline';
import { fileURLToPath } from 'node:url';
import { parseArgs } from '../tests/e2e/lib/harness.mjs';

const args = parseArgs();
const repo = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const bin = args.bin ?? process.env.ERC20_INDEXER_BIN ?? `${repo}/build/erc20-indexer`;
const sleep = (ms) => new Promise((r) => setTimeout(r, ms));
const freePort = () => new Promise((r) => {
  const s = net.createServer().listen(0, '127.0.0.1', () => { const p = s.address().port; s.close(() => r(p)); });
});
const work = fs.mkdtempSync(path.join(os.tmpdir(), 'erc20-query-cache-'));
const chain = spawn('node', [`${repo}/bench/query-chain.mjs`, '--port', String(await freePort()), '--holders', String(args.holders ?? 100000)],
  { stdio: ['ignore', 'pipe', 'inherit'] });
let daemon = null;
try {
  const info = JSON.parse(await new Promise((resolve, reject) => {
    readline.createInterface({ input: chain.stdout }).once('line', resolve);
    chain.once('exit', () => reject(new Error('query-chain.mjs exited')));
  }));
  const port = await freePort();
  const api = `http://127.0.0.1:${port}`;
  const extra = args['query-cache-mb'] ? ['--query-cache-mb', String(args['query-cache-mb'])] : [];
  daemon = spawn(bin, ['run', '--rpc-url', info.rpc_url, '--db', `${work}/db`, '--listen', `127.0.0.1:${port}`,
    '--poll-interval-ms', '200', '--log-level', 'warn', ...extra], { stdio: ['ignore', 'ignore', 'inherit'] });
  const get = async (p) => {
    const r = await fetch(api + p);
    const t = await r.text();
    if (r.status !== 200) throw new Error(`${p}: ${r.status} ${t}`);
    return t;
  };
  const rss = () => Math.round(Number(/VmRSS:\s+(\d+)/.exec(fs.readFileSync(`/proc/${daemon.pid}/status`, 'utf8'))[1]) / 1024);
  const rpc = async (method, params = []) => (await (await fetch(info.rpc_url, {
    method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ jsonrpc: '2.0', id: 1, method, params }),
  })).json()).result;
  const indexed = async () => { try { return JSON.parse(await get('/v1/status')).block ?? -1; } catch { return -1; } };
  const caughtUp = async () => { const h = parseInt(await rpc('eth_blockNumber'), 16); while ((await indexed()) < h) await sleep(100); };
  const timed = async (paths) => { const t = performance.now(); for (const p of paths) await get(p); return +((performance.now() - t) / paths.length).toFixed(1); };
  await caughtUp();
  await sleep(1500);
  console.log(`${info.holders} holders, ${info.transfers} transfers, head ${info.head}; RSS before queries ${rss()} MiB`);
  const lo = info.blocks[0];
  const hi = info.blocks.at(-1);
  const blocks = Array.from({ length: 12 }, (_, i) => Math.round(lo + ((hi - lo) * (i + 1)) / 12));
  const T = `/v1/tokens/${info.token}`;
  console.log('round  past holders  past distribution  head distribution  repeat  RSS MiB');
  for (let round = 0; round < 3; round++) {
    const past = await timed(blocks.map((b) => `${T}/holders?block=${b}&limit=100`));
    const pastDist = await timed(blocks.slice(0, 4).map((b) => `${T}/distribution?block=${b}`));
    const head = await timed([`${T}/distribution`]);
    const repeat = await timed([`${T}/distribution`]);
    console.log(`${round}      ${past} ms  ${pastDist} ms  ${head} ms  ${repeat} ms  ${rss()}`);
    await rpc('evm_mine');
    await caughtUp();
  }
  console.log((await get('/metrics')).split('\n').filter((l) => l.startsWith('erc20_cache_')).join('\n'));
} finally {
  if (daemon) { daemon.kill('SIGTERM'); await new Promise((r) => daemon.once('exit', r)); }
  chain.kill('SIGTERM');
  fs.rmSync(work, { recursive: true, force: true });
}
