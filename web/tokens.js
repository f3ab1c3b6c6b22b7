// The tokens view (#/tokens?order=holders|transfers&cursor=...): the token list a page at a
// time, and a search box that opens a token or an account by address.
import { get, groupDigits, formatAmount, isAddress } from './api.js';
import { h, fill, table, link, pager, section, failure } from './dom.js';

const PAGE = 25;

// A symbol is looked up among the tokens with most holders: one page of the token list, so the
// cost is bounded (the API has no symbol index yet).
const SYMBOL_SCOPE = 1000;

/** Tokens of the first SYMBOL_SCOPE by holders whose symbol starts with `q` (case-insensitive). */
async function bySymbol(q) {
  const page = await get('/v1/tokens', { order: 'holders', limit: SYMBOL_SCOPE });
  const want = q.toLowerCase();
  return page.items.filter((t) => (t.symbol ?? '').toLowerCase().startsWith(want));
}

/**
 * The search box: a token's address opens its page, an account's its page; a symbol opens the
 * token when one of the SYMBOL_SCOPE tokens with most holders has it, else lists the candidates.
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
        const hits = await bySymbol(q);
        const exact = hits.filter((t) => t.symbol.toLowerCase() === q.toLowerCase());
        if (exact.length === 1) location.hash = link(['token', exact[0].address]);
        else if (!hits.length) note.textContent = ` no symbol starting with "${q}" among the ${SYMBOL_SCOPE} tokens with most holders; an address finds any token`;
        else fill(found, h('ul', {}, hits.slice(0, 20).map((t) => h('li', {}, h('a', { href: link(['token', t.address]), 'data-testid': 'search-hit' }, t.symbol), ' ', t.name ?? '', ' ', h('span', { class: 'mono note' }, t.address)))));
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
