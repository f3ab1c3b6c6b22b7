// Building the page: elements from data, always as text (token names and symbols come from
// contracts anyone can deploy: never HTML), and the view's place in the URL.

/** h('a', {href: '#/x', class: 'y'}, 'text', child, ...): an element; null children skipped. */
export function h(tag, attrs = {}, ...children) {
  const el = document.createElement(tag);
  for (const [k, v] of Object.entries(attrs ?? {})) {
    if (v === undefined || v === null || v === false) continue;
    if (k.startsWith('on') && typeof v === 'function') el.addEventListener(k.slice(2), v);
    else if (k === 'dataset') Object.assign(el.dataset, v);
    else el.setAttribute(k, v === true ? '' : String(v));
  }
  append(el, children);
  return el;
}

function append(el, children) {
  for (const c of children.flat(Infinity)) {
    if (c === null || c === undefined || c === false) continue;
    el.append(c instanceof Node ? c : document.createTextNode(String(c)));
  }
}

/** Replaces the children of `el`. */
export function fill(el, ...children) {
  el.replaceChildren();
  append(el, children);
  return el;
}

/** A table: `columns` are [title, (row) => cell, {class}]; `rows` the items. */
export function table(columns, rows, { empty = 'none', testid = null } = {}) {
  const head = h('tr', {}, columns.map(([title, , o]) => h('th', { class: o?.class }, title)));
  const body = rows.length
    ? rows.map((r) => h('tr', {}, columns.map(([, cell, o]) => h('td', { class: o?.class }, cell(r)))))
    : [h('tr', {}, h('td', { colspan: columns.length, class: 'empty' }, empty))];
  return h('table', { 'data-testid': testid }, h('thead', {}, head), h('tbody', {}, body));
}

/** A short form of an address or hash: 0x1234…abcd, the whole one as its title. */
export function short(hex) {
  if (!hex) return '—';
  return h('span', { class: 'mono', title: hex }, `${hex.slice(0, 6)}…${hex.slice(-4)}`);
}

/**
 * The view in the URL: #/path?query. parse() gives {path: ['token', '0x..'], query: URLSearchParams};
 * link() builds the href of another view, so every view is a shareable link and back and forward
 * work (the browser keeps the history of hashes).
 */
export function parseHash(hash = location.hash) {
  const s = hash.replace(/^#\/?/, '');
  const [p, q = ''] = s.split('?');
  return { path: p.split('/').filter(Boolean), query: new URLSearchParams(q) };
}

export function link(path, query = {}) {
  const q = new URLSearchParams();
  for (const [k, v] of Object.entries(query)) if (v !== undefined && v !== null && v !== '') q.set(k, String(v));
  const s = q.toString();
  return `#/${path.join('/')}${s ? `?${s}` : ''}`;
}

/**
 * The links of a paged list: "first page" when `cursor` (this page's) is set, "next page" when
 * the answer has a `next`; both keep `query` and stay in the view at `path`. Test ids are
 * `<id>-first` and `<id>-next`.
 */
export function pager(path, query, cursor, next, id) {
  return h('p', { class: 'pager' },
    cursor ? h('a', { href: link(path, query), 'data-testid': `${id}-first` }, '« first page') : null,
    cursor ? ' ' : null,
    next ? h('a', { href: link(path, { ...query, cursor: next }), 'data-testid': `${id}-next` }, 'next page »') : null);
}

/** A section with a title, for the views' parts. */
export function section(title, ...children) {
  return h('section', {}, h('h2', {}, title), ...children);
}

/** A failure in place of a part of the page (the rest goes on). */
export function failure(e) {
  return h('p', { class: 'error', role: 'alert' }, e?.message ?? String(e));
}

/** key/value figures as a definition list. */
export function figures(pairs, testid = null) {
  return h('dl', { class: 'figures', 'data-testid': testid }, pairs.flatMap(([k, v, id]) => [h('dt', {}, k), h('dd', { 'data-testid': id }, v)]));
}
