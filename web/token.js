// The token view (#/token/0x…?block=N&cursor=…): summary in the token's decimals beside the raw
// units, holders a page at a time with downloads, the distribution and its Lorenz curve, and
// charts of holders, supply and transfers over time. With `block`, every part is as of the end
// of block N.
import { get, url, groupDigits, formatAmount, toFloat, percent } from './api.js';
import { h, fill, table, link, pager, section, failure, figures, short } from './dom.js';
import { lineChart, lorenzChart } from './charts.js';

const PAGE = 25;
const MAX_POINTS = 200; // chart points: series items

// Whole tokens beside the raw units (the same figure when decimals are 0 or unknown).
const amountCell = (raw, decimals) => h('span', { class: 'amount' },
  h('span', { class: 'whole' }, formatAmount(raw, decimals)),
  h('span', { class: 'raw', title: 'raw units' }, decimals ? ` ${groupDigits(raw)} raw` : ''));

/** "as of block N": an input that puts ?block=N in the URL (empty: the indexed head). */
export function blockPicker(path, query, head) {
  const input = h('input', { type: 'number', min: '0', max: String(head), name: 'block', value: query.get('block') ?? '', placeholder: `head (${head})`, size: '14', 'data-testid': 'block-input', 'aria-label': 'as of block' });
  const form = h('form', { class: 'picker', 'data-testid': 'block-picker' }, 'As of block ', input, h('button', { type: 'submit' }, 'Show'),
    query.get('block') ? h('a', { href: link(path), 'data-testid': 'block-clear' }, ' back to the head') : null);
  form.addEventListener('submit', (ev) => {
    ev.preventDefault();
    const q = Object.fromEntries(query);
    delete q.cursor;
    q.block = input.value.trim();
    location.hash = link(path, q);
  });
  return form;
}

function summary(t) {
  return figures([
    ['Name', t.name ?? '—', 'token-name'],
    ['Symbol', t.symbol ?? '—', 'token-symbol'],
    ['Decimals', t.decimals ?? 'unknown', 'token-decimals'],
    ['Holders', groupDigits(String(t.holders)), 'token-holders'],
    ['Transfers', groupDigits(String(t.transfers)), 'token-transfers'],
    ['Supply (from the logs)', amountCell(t.indexed_supply, t.decimals), 'token-supply'],
    ['totalSupply()', t.total_supply === null ? '—' : amountCell(t.total_supply, t.decimals), 'token-total-supply'],
    ['Minted / burned', h('span', {}, formatAmount(t.minted, t.decimals), ' / ', formatAmount(t.burned, t.decimals)), 'token-minted'],
    ['Blocks', `${groupDigits(String(t.first_block))} to ${groupDigits(String(t.last_block))}`, 'token-blocks'],
  ], 'token-summary');
}

async function holders(box, token, query, decimals) {
  const block = query.get('block');
  const cursor = query.get('cursor');
  const page = await get(`/v1/tokens/${token}/holders`, { block, cursor, limit: PAGE });
  const base = { block };
  const downloads = h('p', { class: 'downloads' }, 'Download all holders: ',
    h('a', { href: url(`/v1/tokens/${token}/holders`, { block, format: 'csv', columns: 'address,balance,amount,label,category' }), download: '', 'data-testid': 'download-csv' }, 'CSV'), ' · ',
    h('a', { href: url(`/v1/tokens/${token}/holders`, { block, format: 'ndjson', columns: 'address,balance,amount,label,category' }), download: '', 'data-testid': 'download-ndjson' }, 'NDJSON'));
  const rows = table([
    ['Holder', (x) => h('a', { href: link(['account', x.address]), class: 'mono', 'data-testid': 'holder-address' }, x.address)],
    ['Balance', (x) => h('span', { 'data-testid': 'holder-balance' }, formatAmount(x.balance, decimals, { maxFraction: 6 })), { class: 'num' }],
    ['Raw units', (x) => h('span', { 'data-testid': 'holder-raw' }, groupDigits(x.balance)), { class: 'num raw' }],
    ['Label', (x) => x.label ?? ''],
  ], page.items, { empty: 'no holder', testid: 'holders-table' });
  const nav = pager(['token', token], base, cursor, page.next_cursor, 'holders');
  fill(box, downloads, rows, nav);
}

async function distribution(box, token, block) {
  const d = await get(`/v1/tokens/${token}/distribution`, { block, lorenz: 50 });
  const chart = d.lorenz ? lorenzChart({ points: d.lorenz, testid: 'chart-lorenz' }) : null;
  fill(box, figures([
    ['Top 10 share', percent(d.top10_share), 'dist-top10'],
    ['Top 100 share', percent(d.top100_share), 'dist-top100'],
    ['Gini', d.gini === null ? '—' : d.gini.toFixed(4), 'dist-gini'],
    ['Nakamoto coefficient', d.nakamoto ?? '—', 'dist-nakamoto'],
    ['HHI', d.hhi === null ? '—' : d.hhi.toFixed(4), 'dist-hhi'],
  ], 'distribution'), chart?.box);
  chart?.draw();
}

async function history(box, t, block) {
  const to = block ? Number(block) : t.last_block;
  const from = t.first_block;
  const step = Math.max(1, Math.ceil((to - from + 1) / MAX_POINTS));
  const s = await get(`/v1/tokens/${t.address}/series`, { from_block: from, to_block: to, step, activity: 'false' });
  const items = s.items.filter((i) => i.timestamp !== null);
  const x = items.map((i) => i.timestamp);
  const charts = [
    lineChart({ title: 'Holders', x, series: [{ label: 'holders', values: items.map((i) => i.holders) }], testid: 'chart-holders' }),
    lineChart({ title: `Supply${t.symbol ? ` (${t.symbol})` : ''}`, x, series: [{ label: 'supply', values: items.map((i) => toFloat(i.indexed_supply, t.decimals)) }], testid: 'chart-supply' }),
    lineChart({ title: `Transfers per ${step} block${step > 1 ? 's' : ''}`, x, series: [{ label: 'transfers', values: items.map((i) => i.transfers) }], testid: 'chart-transfers', bars: true }),
  ];
  fill(box, h('p', { class: 'note' }, `blocks ${groupDigits(String(from))} to ${groupDigits(String(to))}, ${items.length} points of ${step} block${step > 1 ? 's' : ''}`), charts.map((c) => c.box));
  for (const c of charts) c.draw();
}

export async function tokenView(main, token, query) {
  const block = query.get('block');
  const head = h('div', {}, h('p', {}, 'loading…'));
  const parts = { holders: h('div', {}), distribution: h('div', {}), history: h('div', {}) };
  fill(main, h('nav', { class: 'crumbs' }, h('a', { href: link(['tokens']) }, 'Tokens'), ' › ', short(token)), head,
    section('Holders', parts.holders), section('Distribution', parts.distribution), section('Over time', parts.history));
  let t;
  try {
    t = await get(`/v1/tokens/${token}`, { block });
  } catch (e) {
    fill(head, failure(e));
    return;
  }
  const status = await get('/v1/status');
  fill(head, h('h2', { 'data-testid': 'token-title' }, t.symbol ?? t.address, ' ', h('span', { class: 'mono note' }, t.address)),
    blockPicker(['token', token], query, status.block), h('p', { class: 'note', 'data-testid': 'as-of' }, `as of block ${groupDigits(String(t.block))}`), summary(t));
  await Promise.all([
    holders(parts.holders, token, query, t.decimals).catch((e) => fill(parts.holders, failure(e))),
    distribution(parts.distribution, token, block).catch((e) => fill(parts.distribution, failure(e))),
    history(parts.history, t, block).catch((e) => fill(parts.history, failure(e))),
  ]);
}
