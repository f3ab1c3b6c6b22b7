// Resource samples of a process from /proc (Linux): RSS, open file descriptors by kind, threads;
// and the soak's growth check over a series of samples.
import fs from 'node:fs';
import path from 'node:path';

const MiB = 1024 * 1024;

/** Total size in bytes of the files under `dir` whose name passes `keep` (0 if it is gone). */
export function dirBytes(dir, keep = () => true) {
  let n = 0;
  let entries;
  try { entries = fs.readdirSync(dir, { withFileTypes: true }); } catch { return 0; }
  for (const e of entries) {
    const p = path.join(dir, e.name);
    try {
      if (e.isDirectory()) n += dirBytes(p, keep);
      else if (keep(e.name)) n += fs.statSync(p).size;
    } catch { /* deleted meanwhile (compaction) */ }
  }
  return n;
}

/**
 * One sample of `pid`: {rssMiB, threads, fds, sst, sockets, deleted, other}. `sst` counts open
 * RocksDB table files (their number follows the database's, not a leak); `deleted` counts
 * descriptors of files already unlinked (a table file kept open after its compaction).
 */
export function sampleProc(pid) {
  const status = fs.readFileSync(`/proc/${pid}/status`, 'utf8');
  const field = (k) => {
    const m = new RegExp(`^${k}:\\s+(\\d+)`, 'm').exec(status);
    if (!m) throw new Error(`/proc/${pid}/status has no ${k}`);
    return Number(m[1]);
  };
  const out = { rssMiB: field('VmRSS') / 1024, threads: field('Threads'), fds: 0, sst: 0, sockets: 0, deleted: 0, other: 0 };
  for (const fd of fs.readdirSync(`/proc/${pid}/fd`)) {
    let target;
    try { target = fs.readlinkSync(`/proc/${pid}/fd/${fd}`); } catch { continue; } // closed meanwhile
    out.fds++;
    if (target.endsWith(' (deleted)')) out.deleted++;
    else if (target.endsWith('.sst')) out.sst++;
    else if (target.startsWith('socket:')) out.sockets++;
    else out.other++;
  }
  return out;
}

/**
 * The growth verdict over samples [{min, rssMiB, threads, fds, sst, deleted}] (ascending `min`,
 * the last one taken at the end of the run):
 *  - baseline: the samples after the warm-up (`warmupMin`) and up to `baseMin` minutes later;
 *  - fds without table files and threads at the end <= their baseline maxima + slack;
 *  - no descriptor of a deleted file at the end;
 *  - RSS at the end - RSS at the half-way sample <= rssBoundMiB (RSS minus the memtables, `memMiB`
 *    as RocksDB counts them, is reported beside it).
 * Returns {ok, lines: [human-readable verdicts], rssSecondHalfMiB, netSecondHalfMiB, rssSlopeMiBPerHour, netSlopeMiBPerHour}.
 */
export function growthVerdict(samples, { warmupMin, baseMin, fdSlack = 8, threadSlack = 2, rssBoundMiB }) {
  const last = samples[samples.length - 1];
  let base = samples.filter((s) => s.min >= warmupMin && s.min <= warmupMin + baseMin && s !== last);
  if (!base.length) base = samples.slice(0, Math.max(1, samples.length - 1));
  const maxOf = (arr, f) => Math.max(...arr.map(f));
  const nonSst = (s) => s.fds - s.sst;
  const lines = [];
  let ok = true;
  const verdict = (pass, text) => { if (!pass) ok = false; lines.push(`${pass ? 'ok  ' : 'FAIL'} ${text}`); };

  const fdBase = maxOf(base, nonSst);
  verdict(nonSst(last) <= fdBase + fdSlack, `fds other than table files at the end ${nonSst(last)} <= baseline max ${fdBase} + ${fdSlack}`);
  const thBase = maxOf(base, (s) => s.threads);
  verdict(last.threads <= thBase + threadSlack, `threads at the end ${last.threads} <= baseline max ${thBase} + ${threadSlack}`);
  verdict(last.deleted === 0, `descriptors of deleted files at the end: ${last.deleted}`);

  const halfMin = last.min / 2;
  const half = samples.reduce((best, s) => (Math.abs(s.min - halfMin) < Math.abs(best.min - halfMin) ? s : best), samples[0]);
  const grew = last.rssMiB - half.rssMiB;
  verdict(grew <= rssBoundMiB, `RSS growth over the second half (${half.min.toFixed(1)} -> ${last.min.toFixed(1)} min: ${half.rssMiB.toFixed(1)} -> ${last.rssMiB.toFixed(1)} MiB) ${grew.toFixed(1)} MiB <= ${rssBoundMiB} MiB`);
  // Information only: RocksDB counts memtable memory in arena blocks of 1 MiB per column family,
  // allocated before their pages are touched, so this difference moves by up to ~13 MiB while the
  // memtables fill, without any leak.
  const net = (s) => s.rssMiB - s.memMiB;
  const netGrew = net(last) - net(half);
  const tail = samples.filter((s) => s.min >= half.min);
  const slope = linearSlope(tail.map((s) => s.min), tail.map((s) => s.rssMiB)) * 60;
  const netSlope = linearSlope(tail.map((s) => s.min), tail.map(net)) * 60;
  lines.push(`     trend over the second half (least squares, ${tail.length} samples): RSS ${slope.toFixed(1)} MiB/hour, RSS minus memtables ${netSlope.toFixed(1)} MiB/hour`);
  return {
    ok, lines, rssSecondHalfMiB: grew, netSecondHalfMiB: netGrew, rssSlopeMiBPerHour: slope, netSlopeMiBPerHour: netSlope,
    baseline: { fds: fdBase, threads: thBase, samples: base.length },
  };
}

function linearSlope(xs, ys) {
  const n = xs.length;
  if (n < 2) return 0;
  const mx = xs.reduce((a, b) => a + b, 0) / n;
  const my = ys.reduce((a, b) => a + b, 0) / n;
  let num = 0;
  let den = 0;
  for (let i = 0; i < n; i++) { num += (xs[i] - mx) * (ys[i] - my); den += (xs[i] - mx) ** 2; }
  return den === 0 ? 0 : num / den;
}

export { MiB };
