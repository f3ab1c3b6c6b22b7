// The tokens view (#/tokens?order=holders|transfers&cursor=...): the token list a page at a
// time, and a search box that opens a token or an account by address, or finds tokens by symbol.
import { get, groupDigits, formatAmount, isAddress } from './api.js';
import { h, fill, table, link, pager, section, failure } from './dom.js';

const PAGE = 25;

const HITS = 20;

/** A page of the tokens whose symbol starts with `q` (the API's symbol search, case-insensitive). */
function bySymbol(q, cursor) {
  return get('/v1/tokens', { symbol: q, limit: HITS, cursor, columns: 'address,name,symbol,holders' });
}

/** The list of symbol hits, with a button for the next page while there is one. */
function hitList(found, q, page) {
  const more = page.next_cursor ? h('button', { type: 'button', 'data-testid': 'search-more' }, 'more') : null;
  const list = h('ul', {}, page.items.map((t) => h('li', {},
    h('a', { href: link(['token', t.address]), 'data-testid': 'search-hit' }, t.symbol), ' ', t.name ?? '', ' ',
    h('span', { class: 'mono note' }, t.address), ' ', h('span', { class: 'note' }, `${groupDigits(String(t.holders))} holders`))));
  fill(found, list, more);
  more?.addEventListener('click', async () => {
    more.disabled = true;
    try {
      hitList(found, q, await bySymbol(q, page.next_cursor));
    } catch (e) {
      fill(found, failure(e));
    }
  });
}

/**
 * The search box: a token's address opens its page, an account's its page; a symbol opens the
 * token when exactly one token has it, else lists the tokens whose symbol starts with it (exact
 * ones first), a page at a time.
 */
export function searchBox() {
  const input = h('input', { type: 'search', name: 'q', placeholder: 'address (0x…) or symbol', 'aria-label': 'search', 'data-testid': 'search-input', size: '46' });
  const note = h('span', { class: 'note', 'data-testid': 'search-note' });
  const found = h('div', { 'data-testid': 'search-results' });
  const form = h('form', { class: 'search', role: 'search', 'data-testid': 'search' }, input, h('button', { type: 'submit' }, 'Open'), note);
  form.addEventListener('submit', async (ev) => {
    ev.preventDefault();
    const q = input.value.trim();
    fill(found);
    note.textContent = '';
    if (!q) return;
    try {
      if (!isAddress(q)) {
        const page = await bySymbol(q);
        const exact = page.items.filter((t) => t.symbol.toLowerCase() === q.toLowerCase());
        if (exact.length === 1) location.hash = link(['token', exact[0].address]);
        else if (!page.items.length) note.textContent = ` no token's symbol starts with "${q}" (an address finds any token or account)`;
        else hitList(found, q, page);
        return;
      }
      const a = q.toLowerCase();
      try {
        await get(`/v1/tokens/${a}`);
        location.hash = link(['token', a]);
      } catch (e) {
        if (e.code === 'unknown_token') location.hash = link(['account', a]);
        else throw e;
      }
    } catch (e) {
      note.textContent = ` ${e.message}`;
    }
  });
  return h('div', {}, form, found);
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
    const nav = pager(['tokens'], { order }, cursor, page.next_cursor, 'tokens');
    fill(body, h('p', { class: 'note' }, `as of block ${groupDigits(String(page.block))}`), rows, nav);
  } catch (e) {
    fill(body, failure(e));
  }
}
