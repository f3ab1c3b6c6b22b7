// The status view (#/): where the index is against the node, a progress bar while backfilling,
// refreshed every two seconds while it is shown.
import { get, groupDigits, duration, bytes } from './api.js';
import { h, fill, figures, failure, section } from './dom.js';

const n = (x) => (x === null || x === undefined ? '—' : groupDigits(String(x)));

/** The progress bar of a backfill or reindex: from_block - 1 is 0%, target_block 100%. */
export function progressBar(st) {
  const p = st.progress;
  if (!p) return null;
  const span = Math.max(1, p.target_block - p.from_block + 1);
  const done = Math.min(span, Math.max(0, (st.block ?? p.from_block - 1) - p.from_block + 1));
  const pct = (100 * done) / span;
  const bar = h('progress', { max: String(span), value: String(done), 'data-testid': 'progress-bar', 'aria-label': 'backfill progress' });
  return h('div', { class: 'progress', 'data-testid': 'progress' },
    h('div', { class: 'progress-head' },
      h('strong', {}, `${st.state === 'reindexing' ? 'Reindexing' : 'Backfilling'}: ${pct.toFixed(1)}%`),
      h('span', { 'data-testid': 'progress-blocks' }, ` block ${n(st.block)} of ${n(p.target_block)}`)),
    bar,
    h('div', { class: 'progress-figures' },
      h('span', { 'data-testid': 'progress-rate' }, p.blocks_per_s === null ? 'measuring the pace…' : `${n(Math.round(p.blocks_per_s))} blocks/s, ${n(Math.round(p.transfers_per_s))} transfers/s`),
      h('span', { 'data-testid': 'progress-eta' }, p.eta_seconds === null ? '' : ` · ETA ${duration(p.eta_seconds)}`)));
}

function statusFigures(st) {
  return figures([
    ['State', h('span', { class: `state state-${st.state}` }, st.state), 'status-state'],
    ['Indexed block', n(st.block), 'status-block'],
    ['Node block', n(st.node_block), 'status-node-block'],
    ['Lag', st.lag_blocks === null ? '—' : `${n(st.lag_blocks)} blocks`, 'status-lag'],
    ['Node', st.node_reachable ? 'reachable' : 'unreachable', 'status-node'],
    ['Tokens', n(st.tokens), 'status-tokens'],
    ['Transfers', n(st.transfers), 'status-transfers'],
    ['Transfers/s (last minute)', st.transfers_per_s.toFixed(1), 'status-rate'],
    ['Reorgs since start', `${n(st.reorgs_total)} (deepest ${n(st.deepest_reorg)} blocks)`, 'status-reorgs'],
    ['Database', bytes(st.db_size_bytes), 'status-db'],
    ['Chain id', st.chain_id ?? '—', 'status-chain'],
    ['Version', st.version, 'status-version'],
  ], 'status-figures');
}

/** Renders into `main`; returns a stop function (the view's refresh ends when it is left). */
export function statusView(main) {
  const body = h('div', {});
  fill(main, section('Status', body));
  let timer = null;
  let stopped = false;
  const refresh = async () => {
    try {
      const st = await get('/v1/status');
      if (stopped) return;
      fill(body, progressBar(st), statusFigures(st));
    } catch (e) {
      if (!stopped) fill(body, failure(e));
    }
    if (!stopped) timer = setTimeout(refresh, 2000);
  };
  refresh();
  return () => {
    stopped = true;
    clearTimeout(timer);
  };
}
