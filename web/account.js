// The account view (#/account/0x…?token=0x…&cursor=…): its balances, its transfers a page at a
// time, and the balance of one token after every block where it changed.
import { get, groupDigits, formatAmount, toFloat, utc } from './api.js';
import { h, fill, table, link, pager, section, failure, short } from './dom.js';
import { lineChart } from './charts.js';

const PAGE = 25;
const HISTORY_POINTS = 1000; // balance changes drawn (the most recent ones beyond that are paged)

async function balances(box, account) {
  const page = await get(`/v1/accounts/${account}/balances`, { limit: 1000, columns: 'token,symbol,decimals,balance,amount' });
  fill(box, table([
    ['Token', (b) => h('a', { href: link(['token', b.token]), 'data-testid': 'balance-token' }, b.symbol ?? b.token)],
    ['Balance', (b) => h('span', { class: 'amount', 'data-testid': 'balance-amount' }, formatAmount(b.balance, b.decimals)), { class: 'num' }],
    ['Raw units', (b) => groupDigits(b.balance), { class: 'num raw' }],
    ['Chart', (b) => h('a', { href: link(['account', account], { token: b.token }), 'data-testid': 'balance-chart-link' }, 'over time')],
  ], page.items, { empty: 'no balance', testid: 'balances-table' }),
  page.next_cursor ? h('p', { class: 'note' }, `the first ${page.items.length} tokens by address; the export has them all: `,
    h('a', { href: `/v1/accounts/${account}/balances?format=csv&columns=token,symbol,decimals,balance,amount`, download: '' }, 'CSV')) : null);
  return page.items;
}

async function transfers(box, account, cursor) {
  const page = await get(`/v1/accounts/${account}/transfers`, { limit: PAGE, cursor, columns: 'block,time,tx_hash,token,symbol,decimals,from,to,value,amount' });
  const other = (t) => (t.from === account ? t.to : t.from);
  fill(box, table([
    ['Block', (t) => groupDigits(String(t.block)), { class: 'num' }],
    ['Time', (t) => t.time ?? '—'],
    ['Token', (t) => h('a', { href: link(['token', t.token]) }, t.symbol ?? t.token)],
    ['', (t) => (t.from === account ? 'out to' : 'in from')],
    ['Counterparty', (t) => h('a', { href: link(['account', other(t)]) }, short(other(t)))],
    ['Amount', (t) => formatAmount(t.value, t.decimals, { maxFraction: 6 }), { class: 'num' }],
    ['Tx', (t) => short(t.tx_hash)],
  ], page.items, { empty: 'no transfer', testid: 'transfers-table' }),
  pager(['account', account], {}, cursor, page.next_cursor, 'transfers'));
}

async function balanceChart(box, account, token, decimals, symbol) {
  const page = await get(`/v1/accounts/${account}/tokens/${token}/history`, { limit: HISTORY_POINTS });
  const items = page.items.filter((c) => c.timestamp !== null);
  const chart = lineChart({
    title: `Balance of ${symbol ?? token} over time`,
    x: items.map((c) => c.timestamp),
    series: [{ label: symbol ?? 'balance', values: items.map((c) => toFloat(c.balance, decimals)) }],
    testid: 'chart-balance',
    stepped: true,
  });
  const last = page.items.at(-1);
  fill(box, chart.box, last ? h('p', { class: 'note' }, `${page.items.length} changes${page.next_cursor ? ' (the first ones)' : ''}; last at block ${groupDigits(String(last.block))}, ${utc(last.timestamp)}`) : null);
  chart.draw();
}

export async function accountView(main, account, query) {
  const parts = { balances: h('div', {}), chart: h('div', {}), transfers: h('div', {}) };
  fill(main, h('nav', { class: 'crumbs' }, h('a', { href: link(['tokens']) }, 'Tokens'), ' › account ', short(account)),
    h('h2', { 'data-testid': 'account-title' }, 'Account ', h('span', { class: 'mono' }, account)),
    section('Balances', parts.balances), section('Balance over time', parts.chart), section('Transfers', parts.transfers));
  let held = [];
  try {
    held = await balances(parts.balances, account);
  } catch (e) {
    fill(parts.balances, failure(e));
  }
  const chosen = held.find((b) => b.token === query.get('token')) ?? held[0];
  await Promise.all([
    chosen ? balanceChart(parts.chart, account, chosen.token, chosen.decimals, chosen.symbol).catch((e) => fill(parts.chart, failure(e))) : fill(parts.chart, h('p', { class: 'empty' }, 'no token held')),
    transfers(parts.transfers, account, query.get('cursor')).catch((e) => fill(parts.transfers, failure(e))),
  ]);
}
