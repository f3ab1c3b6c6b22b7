#!/usr/bin/env node
// The node mode of the scale benchmark (bench/scale.sh --mode node; docs/performance.md, "The
// scale benchmark"): the whole daemon end to end against bench/scale_node, the synthetic JSON-RPC
// node that serves the chain of bench/scale_chain.hpp as a provider would.
//
//   node bench/scale-node.mjs --transfers N --db DIR [--seed S] [--node-bin B] [--daemon-bin B]
//        [--interval-ms 500] [--queries 300] [--query-budget-s 15] [--timeout-s 86400]
//        [-- daemon options...]
//
// Starts the node (127.0.0.1, a free port), then the daemon on a fresh --db with --start-block at
// the chain's first block, and samples the daemon's /v1/status and /proc/PID/status every
// --interval-ms: transfers/s per tenth of the run, the checkpoints at 1M, 10M and 100M transfers
// (those below N; figures only, no queries, so that the backfill is not disturbed), and the time
// from the node's first answer holding the last block to the daemon's state "following" at the
// head. Then /metrics (refusals, the learned log limit), the node's own counts, the queries of
// bench/scale_queries.cpp through the HTTP API, and a check against the generator's figures.
// Both processes are stopped by PID at the end (SIGTERM; the daemon must exit 0). Exit 1 when a
// check fails or the daemon exits early.
import { spawn } from 'node:child_process';
import fs from 'node:fs';
import http from 'node:http';
import net from 'node:net';
import path from 'node:path';

const argv = process.argv.slice(2);
const dashes = argv.indexOf('--');
const daemonExtra = dashes >= 0 ? argv.slice(dashes + 1) : [];
const own = dashes >= 0 ? argv.slice(0, dashes) : argv;
const a = {};
for (let i = 0; i + 1 < own.length; i += 2) a[own[i].replace(/^--/, '')] = own[i + 1];
const transfers = Number(a.transfers ?? 1e6);
const seed = Number(a.seed ?? 1);
const db = a.db;
const nodeBin = a['node-bin'] ?? 'build/bench/scale_node';
const daemonBin = a['daemon-bin'] ?? 'build/erc20-indexer';
const interval = Number(a['interval-ms'] ?? 500);
const maxQueries = Number(a.queries ?? 300);
const budgetS = Number(a['query-budget-s'] ?? 15);
const timeoutS = Number(a['timeout-s'] ?? 86400);
if (!db) throw new Error('--db DIR is required');

const sleep = (ms) => new Promise((r) => setTimeout(r, ms));
const children = [];
function stopAll() {
  for (const c of children) if (c.exitCode === null && c.signalCode === null) c.kill('SIGTERM');
}
process.on('exit', stopAll);
for (const sig of ['SIGINT', 'SIGTERM']) process.on(sig, () => { stopAll(); process.exit(130); });

function freePort() {
  return new Promise((resolve, reject) => {
    const s = net.createServer();
    s.once('error', reject);
    s.listen(0, '127.0.0.1', () => { const { port } = s.address(); s.close(() => resolve(port)); });
  });
}
const agent = new http.Agent({ keepAlive: true, maxSockets: 4 });
// GET (or POST body) on host:port; resolves {status, body} or null on a transport error.
function request(port, pathName, { body = null, onData = null, timeoutMs = 600000 } = {}) {
  return new Promise((resolve) => {
    const req = http.request({ agent, host: '127.0.0.1', port, path: pathName, method: body ? 'POST' : 'GET',
      headers: body ? { 'content-type': 'application/json' } : {} }, (res) => {
      const chunks = [];
      res.on('data', (c) => (onData ? onData(c) : chunks.push(c)));
      res.on('end', () => resolve({ status: res.statusCode, body: Buffer.concat(chunks).toString() }));
      res.on('error', () => resolve(null));
    });
    req.setTimeout(timeoutMs, () => req.destroy());
    req.on('error', () => resolve(null));
    if (body) req.write(body);
    req.end();
  });
}
async function getJson(port, p) {
  const r = await request(port, p);
  try { return r && r.status === 200 ? JSON.parse(r.body) : null; } catch { return null; }
}
async function nodeStats(port) {
  const r = await request(port, '/', { body: '{"jsonrpc":"2.0","id":1,"method":"bench_stats","params":[]}' });
  return JSON.parse(r.body).result;
}
function procKib(pid, key) {
  try {
    const m = new RegExp(`^${key}:\\s+(\\d+)`, 'm').exec(fs.readFileSync(`/proc/${pid}/status`, 'utf8'));
    return m ? Number(m[1]) : 0;
  } catch { return 0; }
}
function procCpu(pid) {
  try {
    const s = fs.readFileSync(`/proc/${pid}/stat`, 'utf8');
    const f = s.slice(s.lastIndexOf(')') + 2).split(' ');
    return (Number(f[11]) + Number(f[12])) / 100;
  } catch { return 0; }
}
function duBytes(dir) {
  let n = 0;
  for (const e of fs.readdirSync(dir, { withFileTypes: true })) {
    const p = path.join(dir, e.name);
    n += e.isDirectory() ? duBytes(p) : fs.statSync(p).size;
  }
  return n;
}
const mib = (kib) => `${(kib / 1024).toFixed(0)} MiB`;
const fmt = (x) => Math.round(x).toLocaleString('en-US');

// ---- start the node, then the daemon
const t00 = Date.now();
const readyFile = `${db}.node-port`;
fs.rmSync(readyFile, { force: true });
const node = spawn(nodeBin, ['--transfers', String(transfers), '--seed', String(seed), '--ready-file', readyFile,
  '--chain-file', `${db}.chain.bin`], { stdio: ['ignore', 'inherit', 'inherit'] });
children.push(node);
while (!fs.existsSync(readyFile) || fs.readFileSync(readyFile, 'utf8').trim() === '') {
  if (node.exitCode !== null) throw new Error('scale_node exited');
  await sleep(100);
}
const nodePort = Number(fs.readFileSync(readyFile, 'utf8'));
const expect = (await nodeStats(nodePort)).expect;
console.log(`node ready in ${((Date.now() - t00) / 1000).toFixed(1)} s: blocks [${expect.first_block}, ${expect.head}], ` +
  `${fmt(expect.transfers)} transfers, ${fmt(expect.tokens)} tokens, ${fmt(expect.addresses)} addresses, max block ${fmt(expect.max_block)}`);

const apiPort = await freePort();
const logFile = `${db}.daemon.log`;
const daemonArgs = ['run', '--rpc-url', `http://127.0.0.1:${nodePort}`, '--db', db, '--listen', `127.0.0.1:${apiPort}`,
  '--start-block', String(expect.first_block), ...daemonExtra];
console.log(`daemon: ${daemonBin} ${daemonArgs.join(' ')} (log ${logFile})`);
const t0 = Date.now();
const daemon = spawn(daemonBin, daemonArgs, { stdio: ['ignore', 'ignore', fs.openSync(logFile, 'w')] });
children.push(daemon);

// ---- sample until following at the head
const marks = [1e6, 1e7, 1e8].filter((m) => m < transfers);
const tenths = []; // {t, done}: the first sample past each tenth
let crossed = 0;
const checkpoints = [];
let hwm = 0;
let allAppliedS = null;
let followingS = null;
let last = null;
for (;;) {
  if (daemon.exitCode !== null) throw new Error(`the daemon exited (${daemon.exitCode}); see ${logFile}`);
  if ((Date.now() - t0) / 1000 > timeoutS) throw new Error('timeout');
  const st = await getJson(apiPort, '/v1/status');
  const t = (Date.now() - t0) / 1000;
  hwm = Math.max(hwm, procKib(daemon.pid, 'VmHWM'));
  if (st && typeof st.transfers === 'number') {
    last = st;
    // Several tenths crossed by one sample (one large batch) are one entry, the last of them.
    while (crossed < 10 && st.transfers >= (transfers * (crossed + 1)) / 10) {
      ++crossed;
      if (tenths.length > 0 && tenths[tenths.length - 1].t === t) tenths.pop();
      tenths.push({ t, done: st.transfers });
    }
    while (checkpoints.length < marks.length && st.transfers >= marks[checkpoints.length]) {
      checkpoints.push({ transfers: st.transfers, t, hwm, dbBytes: st.db_size_bytes, state: st.state });
      console.log(`checkpoint at ${fmt(st.transfers)} transfers: ${t.toFixed(1)} s, ${fmt(st.transfers / t)} transfers/s so far, ` +
        `VmHWM ${mib(hwm)}, ${(st.db_size_bytes / st.transfers).toFixed(1)} bytes/transfer (${st.state})`);
    }
    if (allAppliedS === null && st.transfers >= expect.transfers) allAppliedS = t;
    if (st.state === 'following' && st.block === expect.head) { followingS = t; break; }
  }
  await sleep(interval);
}
const nstats = await nodeStats(nodePort);
const lastServedS = (nstats.last_block_served_ms - t0) / 1000;
const dbBytes = duBytes(db);
const metrics = (await request(apiPort, '/metrics')).body;
const metric = (name) => {
  let sum = 0;
  for (const m of metrics.matchAll(new RegExp(`^${name}(?:\\{[^}]*\\})? ([0-9.e+-]+)$`, 'gm'))) sum += Number(m[1]);
  return sum;
};
const rpcByMethod = {};
for (const m of metrics.matchAll(/^erc20_rpc_requests_total\{method="([^"]+)"\} ([0-9.e+]+)$/gm)) rpcByMethod[m[1]] = Number(m[2]);
const cpu = procCpu(daemon.pid);
const nodeCpu = procCpu(node.pid);
console.log(`following at block ${expect.head} after ${followingS.toFixed(1)} s (all transfers applied at ${allAppliedS.toFixed(1)} s, ` +
  `last block first served at ${lastServedS.toFixed(1)} s); daemon ${cpu.toFixed(1)} CPU-s, VmHWM ${mib(hwm)}; node ${nodeCpu.toFixed(1)} CPU-s`);
console.log(`database: ${fmt(dbBytes)} bytes (du), ${(dbBytes / expect.transfers).toFixed(1)} bytes/transfer; ` +
  `status db_size_bytes ${(last.db_size_bytes / expect.transfers).toFixed(1)} bytes/transfer`);
const refusedPct = (100 * nstats.refused) / nstats.get_logs;
console.log(`provider: ${fmt(nstats.get_logs)} eth_getLogs, ${fmt(nstats.refused)} refused (${refusedPct.toFixed(2)}%), ` +
  `${fmt(nstats.logs_served)} logs served, ${fmt(nstats.logs_again)} twice (${((100 * nstats.logs_again) / expect.logs).toFixed(2)}% of the chain's), ` +
  `${fmt(nstats.header_calls)} headers, ${fmt(nstats.calls)} eth_call, ${fmt(nstats.requests)} HTTP requests`);
console.log(`daemon metrics: erc20_rpc_log_limit ${metric('erc20_rpc_log_limit')}, erc20_rpc_logs_refused_total ` +
  `${metric('erc20_rpc_logs_refused_total')}, erc20_rpc_errors_total ${metric('erc20_rpc_errors_total')}; requests ${JSON.stringify(rpcByMethod)}`);

// ---- the checks against the generator's figures
const failures = [];
const check = (ok, what) => { if (!ok) failures.push(what); };
const status = await getJson(apiPort, '/v1/status');
check(status.transfers === expect.transfers, `transfers ${status.transfers} != ${expect.transfers}`);
check(status.tokens === expect.tokens, `tokens ${status.tokens} != ${expect.tokens}`);
for (const w of ['top', 'mid']) {
  const tok = expect[`${w}_token`];
  const s = await getJson(apiPort, `/v1/tokens/${tok}`);
  check(s && s.holders === expect[`${w}_holders`], `${w} holders ${s?.holders} != ${expect[`${w}_holders`]}`);
  check(s && s.transfers === expect[`${w}_transfers`], `${w} transfers ${s?.transfers} != ${expect[`${w}_transfers`]}`);
  check(s && s.negative_balances === 0, `${w} negative balances ${s?.negative_balances}`);
  check(s && s.indexed_supply === expect[`${w}_supply`], `${w} indexed supply ${s?.indexed_supply} != ${expect[`${w}_supply`]}`);
  check(s && s.total_supply === expect[`${w}_supply`], `${w} totalSupply ${s?.total_supply} (at ${s?.total_supply_block}) != ${expect[`${w}_supply`]}`);
  check(s && s.name === `Scale Token ${w === 'top' ? 0 : expect.mid}`, `${w} name ${s?.name}`);
  for (const b of expect[`${w}_balances`]) {
    const h = await getJson(apiPort, `/v1/tokens/${tok}/holders/${b.account}`);
    check(h && h.balance === b.balance, `${w} balance of ${b.account}: ${h?.balance} != ${b.balance}`);
  }
}
console.log(`check: ${failures.length === 0 ? 'ok' : `FAILED\n  ${failures.join('\n  ')}`} (transfers, tokens; holders, ` +
  'transfers, negative balances, indexed and eth_call supply, name and 16 balances of the top and mid token)');

// ---- the queries through the HTTP API (after following)
let rng = (seed * 2654435761 + expect.head) >>> 0;
const rand = () => ((rng = (Math.imul(rng, 1664525) + 1013904223) >>> 0) / 2 ** 32);
const pastBlock = () => expect.first_block + Math.floor(rand() * (expect.head - expect.first_block + 1));
const account = () => expect.accounts[Math.floor(rand() * expect.accounts.length)];
const pct = (v, q) => { const s = [...v].sort((x, y) => x - y); return s[Math.min(s.length - 1, Math.floor(q * s.length))] ?? 0; };
async function latencies(token, kind, one) {
  const ms = [];
  let errors = 0;
  const q0 = performance.now();
  while (ms.length < maxQueries && (ms.length < 3 || (performance.now() - q0) / 1000 < budgetS)) {
    const s = performance.now();
    if (!(await one())) ++errors;
    ms.push(performance.now() - s);
  }
  // The first is apart: the daemon caches answers (ETags, --query-cache-mb), and a kind repeats URLs.
  return { token, kind, n: ms.length, errors, first: ms[0], p50: pct(ms, 0.5), p99: pct(ms, 0.99), max: Math.max(...ms) };
}
const ok = async (p) => (await request(apiPort, p))?.status === 200;
async function exportRate(token, kind, p) {
  let rows = 0;
  const s = performance.now();
  const r = await request(apiPort, p, { onData: (c) => { for (const b of c) if (b === 10) ++rows; } });
  const secs = (performance.now() - s) / 1000;
  return { token, kind, n: 1, errors: r?.status === 200 ? 0 : 1, first: secs * 1e3, p50: secs * 1e3, p99: secs * 1e3, max: secs * 1e3, rows, rate: rows / secs };
}
const figures = [];
for (const w of ['top', 'mid']) {
  const base = `/v1/tokens/${expect[`${w}_token`]}`;
  let cursor = '';
  figures.push(await latencies(w, 'holders page (limit=100, walking)', async () => {
    const r = await request(apiPort, `${base}/holders?limit=100${cursor ? `&cursor=${cursor}` : ''}`);
    cursor = r?.status === 200 ? (JSON.parse(r.body).next_cursor ?? '') : '';
    return r?.status === 200;
  }));
  figures.push(await latencies(w, 'holders?block=N&limit=100', () => ok(`${base}/holders?limit=100&block=${pastBlock()}`)));
  figures.push(await exportRate(w, 'holders export (ndjson)', `${base}/holders?format=ndjson`));
  figures.push(await exportRate(w, 'holders export ?block=N (ndjson)', `${base}/holders?format=ndjson&block=${pastBlock()}`));
  figures.push(await latencies(w, 'distribution', () => ok(`${base}/distribution`)));
  figures.push(await latencies(w, 'distribution?block=N', () => ok(`${base}/distribution?block=${pastBlock()}`)));
  figures.push(await latencies(w, 'single balance', () => ok(`${base}/holders/${account()}`)));
  figures.push(await latencies(w, 'account transfers (limit=100, token)',
    () => ok(`/v1/accounts/${account()}/transfers?limit=100&token=${expect[`${w}_token`]}`)));
}
figures.push(await latencies('-', 'account transfers (limit=100)', () => ok(`/v1/accounts/${account()}/transfers?limit=100`)));

// ---- stop both by PID
daemon.kill('SIGTERM');
const code = await new Promise((r) => (daemon.exitCode !== null ? r(daemon.exitCode) : daemon.on('exit', (c) => r(c))));
node.kill('SIGTERM');
fs.rmSync(readyFile, { force: true });
check(code === 0, `the daemon exited ${code} on SIGTERM`);

// ---- the table
console.log('\ntransfers/s per tenth of the run (at the first status sample past each tenth; daemon start = 0 s)');
let prevT = 0;
let prevDone = 0;
console.log(`  ${tenths.map((x) => { const r = (x.done - prevDone) / (x.t - prevT); prevT = x.t; prevDone = x.done; return `${(x.done / 1e6).toFixed(2)}M: ${fmt(r)}`; }).join('  ')}`);
console.log(`\n${'transfers'.padStart(14)} ${'time s'.padStart(10)} ${'transfers/s'.padStart(12)} ${'VmHWM'.padStart(10)} ${'bytes/tr'.padStart(10)}  state`);
for (const c of checkpoints) {
  console.log(`${fmt(c.transfers).padStart(14)} ${c.t.toFixed(1).padStart(10)} ${fmt(c.transfers / c.t).padStart(12)} ${mib(c.hwm).padStart(10)} ${(c.dbBytes / c.transfers).toFixed(1).padStart(10)}  ${c.state}`);
}
console.log(`${fmt(expect.transfers).padStart(14)} ${followingS.toFixed(1).padStart(10)} ${fmt(expect.transfers / followingS).padStart(12)} ${mib(hwm).padStart(10)} ${(dbBytes / expect.transfers).toFixed(1).padStart(10)}  following (du)`);
console.log(`\nlast block first served -> following: ${(followingS - lastServedS).toFixed(1)} s; all transfers applied -> following: ` +
  `${(followingS - allAppliedS).toFixed(1)} s (the compaction before following; sampling every ${interval} ms)`);
console.log(`refused eth_getLogs: ${refusedPct.toFixed(2)}% (${fmt(nstats.refused)} of ${fmt(nstats.get_logs)}); logs served twice: ${fmt(nstats.logs_again)}; learned log limit ${metric('erc20_rpc_log_limit')}`);
console.log(`\n  ${'token'.padEnd(5)} ${'query'.padEnd(38)} ${'n'.padStart(5)} ${'errors'.padStart(6)} ${'first ms'.padStart(10)} ${'p50 ms'.padStart(10)} ${'p99 ms'.padStart(10)} ${'max ms'.padStart(10)} ${'rows/s'.padStart(12)}`);
for (const f of figures) {
  const rate = f.rate !== undefined ? `${fmt(f.rate)} (${f.rows})` : '';
  console.log(`  ${f.token.padEnd(5)} ${f.kind.padEnd(38)} ${String(f.n).padStart(5)} ${String(f.errors).padStart(6)} ${f.first.toFixed(2).padStart(10)} ${f.p50.toFixed(2).padStart(10)} ${f.p99.toFixed(2).padStart(10)} ${f.max.toFixed(2).padStart(10)} ${rate.padStart(12)}`);
}
console.log(`\n${failures.length === 0 ? 'ok' : `FAILED: ${failures.join('; ')}`}; wall ${((Date.now() - t00) / 1000).toFixed(0)} s in all`);
process.exit(failures.length === 0 ? 0 : 1);
