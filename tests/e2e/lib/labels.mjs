// Address labels for the e2e tests: a labels file (--labels) and an independent model of what the
// daemon must answer with it: per-token rows over `*` rows over the built-in burn addresses.
import fs from 'node:fs';

export const BURN_ADDRESSES = ['0x000000000000000000000000000000000000dead', '0xdead000000000000000042069420694206942069'];
export const DEFAULT_NON_CIRCULATING = ['burn', 'treasury', 'team', 'vesting', 'locked', 'reserve'];

/** rows: [{token ('*' or address), address, category, label}] -> a model with find() and outOfCirculation(). */
export function labelsModel(rows = [], nonCirculating = DEFAULT_NON_CIRCULATING) {
  const every = new Map(BURN_ADDRESSES.map((a) => [a, { label: 'burn address', category: 'burn' }]));
  const perToken = new Map();
  for (const r of rows) {
    const entry = { label: r.label, category: r.category };
    if (r.token === '*') every.set(r.address.toLowerCase(), entry);
    else {
      const t = r.token.toLowerCase();
      if (!perToken.has(t)) perToken.set(t, new Map());
      perToken.get(t).set(r.address.toLowerCase(), entry);
    }
  }
  const find = (token, address) => perToken.get(token)?.get(address) ?? every.get(address) ?? null;
  const inCategories = (token, categories) => {
    const cats = new Set(categories);
    const all = new Set([...every.keys(), ...(perToken.get(token)?.keys() ?? [])]);
    return [...all].filter((a) => cats.has(find(token, a).category)).sort();
  };
  return {
    rows,
    find,
    inCategories,
    /** indexed supply minus the positive balances (Map address -> BigInt) of non-circulating addresses. */
    circulating: (token, indexedSupply, balances) => inCategories(token, nonCirculating)
      .reduce((s, a) => s - ((balances?.get(a) ?? 0n) > 0n ? balances.get(a) : 0n), indexedSupply),
  };
}

const csvCell = (s) => (/[",\r\n]/.test(s) ? `"${s.replace(/"/g, '""')}"` : s);

/** Writes `rows` as a labels file at `path` (CRLF, a quoted cell where needed). */
export function writeLabels(path, rows) {
  const lines = ['token,address,category,label', ...rows.map((r) => [r.token, r.address, r.category, r.label].map(csvCell).join(','))];
  fs.writeFileSync(path, lines.join('\r\n') + '\r\n');
}

/**
 * The labels the core and reorg tests index with: `*` rows (a treasury, an exchange) and per-token
 * rows (a team wallet whose label holds a comma, and a row that relabels the treasury as an
 * exchange for one token), on accounts the workload gives balances.
 */
export function standardLabels(chain) {
  const [t0, t1] = chain.tokens;
  const acc = chain.accounts;
  return [
    { token: '*', address: acc[1], category: 'treasury', label: 'DAO treasury' },
    { token: '*', address: acc[2], category: 'exchange', label: 'Exchange "hot" wallet' },
    { token: t0, address: acc[3], category: 'team', label: 'Team, vesting' },
    { token: t1, address: acc[1], category: 'exchange', label: 'Bridge' },
  ];
}
