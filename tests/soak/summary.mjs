// The soak's closing table (printed verbatim into docs/soak.md after a run).
import { percentile } from './queries.mjs';

const ms = (v) => (v === null ? '-' : v < 10 ? v.toFixed(2) : v.toFixed(1));
const f1 = (v) => v.toFixed(1);
const sign = (v) => `${v >= 0 ? '+' : ''}${f1(v)}`;

/** first / max / last of field `k` over the samples. */
function fml(samples, k, fmt = String) {
  const vals = samples.map((s) => s[k]);
  return `${fmt(vals[0])} / ${fmt(Math.max(...vals))} / ${fmt(vals[vals.length - 1])}`;
}

export function printSummary({ opt, stats, w, truth, q, proxy, daemonReorgs, verdict, minutes, rssBound }) {
  const routes = [...q.routes.entries()];
  const all = routes.flatMap(([, r]) => r.ms);
  const ops = routes.reduce((a, [, r]) => a + r.n, 0);
  const failed = routes.reduce((a, [, r]) => a + r.failed, 0);
  const inj = stats.injected;
  const faults = Object.entries(proxy.faults).filter(([, n]) => n > 0).map(([k, n]) => `${k} ${n}`).join(', ');
  const s = stats.samples;
  const rows = [
    ['duration', `${f1(minutes)} min (asked ${opt.minutes}), seed ${opt.seed}, fault rate ${opt.faultRate}`],
    ['blocks', `head ${truth.toBlock}; ${w.stats.blocks} mined, ${stats.orphaned} of them orphaned by injected reorgs`],
    ['transactions', `${w.stats.txs} sent (${w.stats.failedExpected} meant to revert, ${w.stats.failedUnexpected} unexpected reverts)`],
    ['transfers', `${truth.transfers.length} ERC20 Transfer logs on ${truth.tokens.length} tokens at the end (eth_getLogs)`],
    ['reorgs injected', `${inj.reorg + inj.rollback + inj.revert}: anvil_reorg ${inj.reorg}, anvil_rollback ${inj.rollback}, evm_snapshot/evm_revert ${inj.revert}; the daemon logged ${daemonReorgs} reorgs`],
    ['node outages', `${stats.outages} (${f1(stats.outageMs / 1000)} s in total)`],
    ['faults injected', `${proxy.total} of ${proxy.requests} node requests: ${faults || 'none'}`],
    ['exact checkpoints', `${stats.checkpoints + 2} (start, ${stats.checkpoints} during the run, end)`],
    ['queries', `${ops} operations, ${all.length} requests, ${failed} failed; per request p50 ${ms(percentile(all, 50))} ms, p99 ${ms(percentile(all, 99))} ms`],
    ...routes.map(([name, r]) => [`  ${name}`, `${r.requests} requests, p50 ${ms(percentile(r.ms, 50))} ms, p99 ${ms(percentile(r.ms, 99))} ms${r.failed ? `, ${r.failed} FAILED` : ''}`]),
    ['RSS MiB first/max/last', fml(s, 'rssMiB', f1)],
    ['memtables MiB first/max/last', fml(s, 'memMiB', f1)],
    ['RSS second half', `${sign(verdict.rssSecondHalfMiB)} MiB (bound ${rssBound} MiB), trend ${f1(verdict.rssSlopeMiBPerHour)} MiB/hour`],
    ['RSS - memtables second half', `${sign(verdict.netSecondHalfMiB)} MiB, trend ${f1(verdict.netSlopeMiBPerHour)} MiB/hour (information)`],
    ['fds first/max/last', `${fml(s, 'fds')} (table files ${fml(s, 'sst')})`],
    ['threads first/max/last', fml(s, 'threads')],
    ['database MiB first/max/last', fml(s, 'dbMiB', f1)],
    ['samples', `${s.length}, every ${opt.sampleEveryS} s`],
    ['daemon log', `${stats.logLines.warn} warn lines, ${stats.logLines.error} error lines`],
    ['verdict', verdict.ok ? 'no growth' : 'GROWTH (see above)'],
  ];
  const width = Math.max(...rows.map(([k]) => k.length));
  console.log('\n| soak | |\n|---|---|');
  for (const [k, v] of rows) console.log(`| ${k.padEnd(width)} | ${v} |`);
  console.log('');
}
