// The tokens view (#/tokens?order=holders|transfers&cursor=...): the token list a page at a
// time, and a search box that opens a token or an account by address.
import { get, groupDigits, formatAmount, isAddress } from './api.js';
import { h, fill, table, link, section, failure } from './dom.js';

const PAGE = 25;

/** The search box: a token's address opens its page, else an account's. */
export function searchBox() {
  const input = h('input', { type: 'search', name: 'q', placeholder: 'token or account address (0x…)', 'aria-label': 'search', 'data-testid': 'search-input', size: '46' });
  const note = h('span', { class: 'note', 'data-testid': 'search-note' });
  const form = h('form', { class: 'search', role: 'search', 'data-testid': 'search' }, input, h('button', { type: 'submit' }, 'Open'), note);
  form.addEventListener('submit', async (ev) => {
    ev.preventDefault();
    const q = input.value.trim();
    if (!isAddress(q)) {
      note.textContent = ' an address is 0x and 40 hex digits';
      return;
    }
    const a = q.toLowerCase();
    try {
      await get(`/v1/tokens/${a}`);
      location.hash = link(['token', a]);
    } catch (e) {
      if (e.code === 'unknown_token') location.hash = link(['account', a]);
      else note.textContent = ` ${e.message}`;
    }
  });
  return form;
}

export async function tokensView(main, query) {
  const order = query.get('order') === 'transfers' ? 'transfers' : 'holders';
  const cursor = query.get('cursor');
  const body = h('div', {}, h('p', {}, 'loading…'));
  const orderLinks = h('p', { class: 'tabs' }, 'Order by ',
    ['holders', 'transfers'].map((o) => (o === order ? h('strong', {}, o) : h('a', { href: link(['tokens'], { order: o }), 'data-testid': `order-${o}` }, o))).flatMap((x, i) => (i ? [' · ', x] : [x])));
  fill(main, section('Tokens', searchBox(), orderLinks, body));
  try {
    const page = await get('/v1/tokens', { order, limit: PAGE, cursor });
    const rows = table([
      ['Token', (t) => h('a', { href: link(['token', t.address]), 'data-testid': 'token-link' }, t.symbol ?? t.address)],
      ['Name', (t) => t.name ?? '—'],
      ['Holders', (t) => groupDigits(String(t.holders)), { class: 'num' }],
      ['Transfers', (t) => groupDigits(String(t.transfers)), { class: 'num' }],
      ['Supply', (t) => formatAmount(t.indexed_supply, t.decimals, { maxFraction: 4 }), { class: 'num' }],
    ], page.items, { empty: 'no token indexed yet', testid: 'tokens-table' });
    const nav = h('p', { class: 'pager' },
      cursor ? h('a', { href: link(['tokens'], { order }), 'data-testid': 'first-page' }, '« first page') : null,
      cursor ? ' ' : null,
      page.next_cursor ? h('a', { href: link(['tokens'], { order, cursor: page.next_cursor }), 'data-testid': 'next-page' }, 'next page »') : null);
    fill(body, h('p', { class: 'note' }, `as of block ${groupDigits(String(page.block))}`), rows, nav);
  } catch (e) {
    fill(body, failure(e));
  }
}
