#!/usr/bin/env node
// Watcher of bench/backfill.sh: polls the daemon's /v1/status every --interval-ms (one keep-alive
// connection, one process, so that watching costs the 2-core machine next to nothing) until its
// block reaches --head, sampling VmHWM/VmRSS and CPU of --pid from /proc on the way.
//
//   node bench/backfill-wait.mjs --url http://127.0.0.1:PORT --pid PID --head N --t0-ms EPOCH_MS
//        [--interval-ms 100] [--timeline FILE] [--timeout-s 7200]
//
// Prints one line of JSON: {reached, wall_s (from --t0-ms), block, transfers, hwm_kb, cpu_s,
// first_block_s, longest_stall_s (between two block changes after the first), stall_after_block,
// changes}. Exit 1 if the daemon exits or the
// timeout passes first.
import fs from 'node:fs';
import http from 'node:http';

const a = {};
for (let i = 2; i < process.argv.length; i += 2) a[process.argv[i].slice(2)] = process.argv[i + 1];
const url = new URL('/v1/status', a.url);
const pid = Number(a.pid);
const head = Number(a.head);
const t0 = Number(a['t0-ms']);
const interval = Number(a['interval-ms'] ?? 100);
const timeoutS = Number(a['timeout-s'] ?? 7200);
const timeline = a.timeline ? fs.openSync(a.timeline, 'w') : null;
const agent = new http.Agent({ keepAlive: true, maxSockets: 1 });
const clk = 100; // USER_HZ on Linux

function status() {
  return new Promise((resolve) => {
    const req = http.get({ agent, host: url.hostname, port: url.port, path: url.pathname }, (res) => {
      const chunks = [];
      res.on('data', (c) => chunks.push(c));
      res.on('end', () => {
        try { resolve(res.statusCode === 200 ? JSON.parse(Buffer.concat(chunks).toString()) : null); } catch { resolve(null); }
      });
      res.on('error', () => resolve(null));
    });
    req.setTimeout(5000, () => req.destroy());
    req.on('error', () => resolve(null));
  });
}
function procStatus(key) {
  try {
    const m = new RegExp(`^${key}:\\s+(\\d+)`, 'm').exec(fs.readFileSync(`/proc/${pid}/status`, 'utf8'));
    return m ? Number(m[1]) : 0;
  } catch { return 0; }
}
function procCpu() {
  try {
    const s = fs.readFileSync(`/proc/${pid}/stat`, 'utf8');
    const f = s.slice(s.lastIndexOf(')') + 2).split(' ');
    return (Number(f[11]) + Number(f[12])) / clk;
  } catch { return 0; }
}
function alive() {
  try {
    const s = fs.readFileSync(`/proc/${pid}/stat`, 'utf8');
    return s.slice(s.lastIndexOf(')') + 2)[0] !== 'Z';
  } catch { return false; }
}
const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

let hwm = 0;
let lastBlock = null;
let lastChange = t0;
let firstBlockS = null;
let stall = 0;
let stallAfter = null;
let changes = 0;
let cpu = 0;
for (;;) {
  const st = await status();
  const now = Date.now();
  hwm = Math.max(hwm, procStatus('VmHWM'));
  const rss = procStatus('VmRSS');
  cpu = Math.max(cpu, procCpu());
  const block = st && typeof st.block === 'number' ? st.block : null;
  if (timeline !== null) {
    fs.writeSync(timeline, `${((now - t0) / 1000).toFixed(2)} ${block ?? '-'} ${st?.transfers ?? '-'} ${rss} ${cpu.toFixed(2)} ${st?.state ?? '-'}\n`);
  }
  if (block !== null && block !== lastBlock) {
    if (firstBlockS === null) firstBlockS = (now - t0) / 1000;
    else if ((now - lastChange) / 1000 > stall) { stall = (now - lastChange) / 1000; stallAfter = lastBlock; }
    lastBlock = block;
    lastChange = now;
    changes++;
  }
  const done = block !== null && block >= head;
  if (done || !alive() || (now - t0) / 1000 > timeoutS) {
    process.stdout.write(JSON.stringify({
      reached: done, wall_s: (now - t0) / 1000, block, transfers: st?.transfers ?? null, hwm_kb: hwm,
      cpu_s: cpu, first_block_s: firstBlockS, longest_stall_s: stall, stall_after_block: stallAfter, changes,
    }) + '\n');
    agent.destroy();
    process.exit(done ? 0 : 1);
  }
  await sleep(interval);
}
