// Ground truth computed from the node alone (eth_getLogs / eth_call), independent of the daemon.
import { rpc, rpcBatch, calldata, blockTag, hex, TRANSFER_TOPIC, ZERO_ADDRESS } from './chain.mjs';
import { labelsModel } from './labels.mjs';

const topicToAddress = (t) => '0x' + t.slice(26).toLowerCase();

/** Every log with topic0 = Transfer in [fromBlock, toBlock], any shape, in node order. */
export async function transferTopicLogs(url, toBlock, fromBlock = 0) {
  return rpc(url, 'eth_getLogs', [{ fromBlock: blockTag(fromBlock), toBlock: blockTag(toBlock), topics: [TRANSFER_TOPIC] }]);
}

/** ERC20 shape: exactly 3 topics and exactly 32 bytes of data. */
export function isErc20Shaped(log) {
  return log.topics.length === 3 && typeof log.data === 'string' && log.data.length === 2 + 64;
}

/**
 * All ERC20-shaped Transfer logs from block `fromBlock` (default 0) to `toBlock`, as
 * {block, tx_hash, log_index, token, from, to, value} with lowercase hex, numbers for block and
 * log_index, and `value` a decimal string. Sorted by (block, log_index).
 */
export async function erc20Transfers(url, toBlock, fromBlock = 0) {
  const logs = await transferTopicLogs(url, toBlock, fromBlock);
  const out = [];
  for (const l of logs) {
    if (l.removed) continue;
    if (!isErc20Shaped(l)) continue;
    out.push({
      block: Number(BigInt(l.blockNumber)),
      tx_hash: l.transactionHash.toLowerCase(),
      log_index: Number(BigInt(l.logIndex)),
      token: l.address.toLowerCase(),
      from: topicToAddress(l.topics[1]),
      to: topicToAddress(l.topics[2]),
      value: BigInt(l.data).toString(),
    });
  }
  out.sort((a, b) => a.block - b.block || a.log_index - b.log_index);
  return out;
}

/**
 * token -> Map(holder -> BigInt balance). Every address that ever appeared as from/to is present
 * (balance possibly 0); the zero address is never a holder.
 */
export function balancesFromLogs(transfers) {
  const m = new Map();
  for (const t of transfers) {
    if (!m.has(t.token)) m.set(t.token, new Map());
    const b = m.get(t.token);
    const v = BigInt(t.value);
    if (t.from !== ZERO_ADDRESS) b.set(t.from, (b.get(t.from) ?? 0n) - v);
    if (t.to !== ZERO_ADDRESS) b.set(t.to, (b.get(t.to) ?? 0n) + v);
  }
  return m;
}

const builtinLabels = labelsModel();

/**
 * Positive balances of one token as [{address, balance, label, category}] sorted balance desc,
 * address asc; `labelOf(address)` gives {label, category} or null (default: the built-in burn
 * addresses only, as a daemon without --labels answers).
 */
export function sortedHolders(balances, labelOf = (a) => builtinLabels.find('', a)) {
  const items = [];
  for (const [address, bal] of balances ?? new Map()) if (bal > 0n) items.push({ address, balance: bal });
  items.sort((a, b) => (a.balance > b.balance ? -1 : a.balance < b.balance ? 1 : a.address < b.address ? -1 : a.address > b.address ? 1 : 0));
  return items.map((h) => {
    const l = labelOf(h.address);
    return { address: h.address, balance: h.balance.toString(), label: l?.label ?? null, category: l?.category ?? null };
  });
}

/** token -> {minted, burned, transfers, firstBlock, lastBlock} (BigInt sums). */
export function tokenStats(transfers) {
  const m = new Map();
  for (const t of transfers) {
    if (!m.has(t.token)) m.set(t.token, { minted: 0n, burned: 0n, transfers: 0, firstBlock: t.block, lastBlock: t.block });
    const s = m.get(t.token);
    const v = BigInt(t.value);
    if (t.from === ZERO_ADDRESS) s.minted += v;
    if (t.to === ZERO_ADDRESS) s.burned += v;
    s.transfers++;
    s.firstBlock = Math.min(s.firstBlock, t.block);
    s.lastBlock = Math.max(s.lastBlock, t.block);
  }
  return m;
}

/** balanceOf(holder) by eth_call at `block`, as BigInt. */
export async function balanceOf(url, token, holder, block = 'latest') {
  return BigInt(await rpc(url, 'eth_call', [{ to: token, data: calldata('TestToken', 'balanceOf', [holder]) }, blockTag(block)]));
}

/** Batched balanceOf: pairs [[token, holder], ...] -> [BigInt]; 0 before a token's deployment ("0x"). */
export async function balancesOf(url, pairs, block = 'latest') {
  const res = await rpcBatch(url, pairs.map(([token, holder]) => ['eth_call', [{ to: token, data: calldata('TestToken', 'balanceOf', [holder]) }, blockTag(block)]]));
  return res.map((r) => (r === '0x' ? 0n : BigInt(r)));
}

export async function totalSupply(url, token, block = 'latest') {
  return BigInt(await rpc(url, 'eth_call', [{ to: token, data: calldata('TestToken', 'totalSupply', []) }, blockTag(block)]));
}

/** block number -> {timestamp (number, unix seconds), hash}. */
export async function blockInfo(url, blocks) {
  const uniq = [...new Set(blocks)];
  const res = await rpcBatch(url, uniq.map((b) => ['eth_getBlockByNumber', [hex(b), false]]));
  return new Map(uniq.map((b, i) => [b, { timestamp: Number(BigInt(res[i].timestamp)), hash: res[i].hash.toLowerCase() }]));
}

/** a/b as a double, accurate to ~1e-16 relative for BigInts of any size. */
export function ratio(a, b) {
  if (b === 0n) return 0;
  const neg = (a < 0n) !== (b < 0n);
  const A = a < 0n ? -a : a;
  const B = b < 0n ? -b : b;
  // Scale so the integer quotient carries >= 60 significant bits.
  const shift = BigInt(Math.max(0, 64 - (A.toString(2).length - B.toString(2).length)));
  const q = (A << shift) / B;
  const v = Number(q) / 2 ** Number(shift);
  return neg ? -v : v;
}

/**
 * The detail of /distribution over the positive balances of `balances` (Map holder -> BigInt)
 * minus `exclude`: share buckets (exact), nearest-rank percentiles p50/p90/p99 (decimal strings)
 * and `lorenz` + 1 Lorenz points [i/K, share of the poorest floor(i n / K)] (doubles).
 */
export function distributionDetail(balances, { exclude = new Set(), lorenz = 0 } = {}) {
  const asc = [];
  for (const [a, b] of balances ?? new Map()) if (b > 0n && !exclude.has(a)) asc.push(b);
  asc.sort((x, y) => (x < y ? -1 : x > y ? 1 : 0));
  const n = asc.length;
  const supply = asc.reduce((s, x) => s + x, 0n);
  const limits = [[100n, 0n], [1000n, 100n], [10000n, 1000n], [0n, 10000n]];
  const share_buckets = limits.map(([lo, hi]) => {
    const inside = asc.filter((x) => (lo === 0n || x * lo >= supply) && (hi === 0n || x * hi < supply));
    return { min_share: lo === 0n ? 0 : 1 / Number(lo), holders: inside.length, balance: inside.reduce((s, x) => s + x, 0n).toString() };
  });
  const pick = (p) => asc[Math.ceil((p * n) / 100) - 1].toString();
  const percentiles = n === 0 ? null : { p50: pick(50), p90: pick(90), p99: pick(99) };
  let points = null;
  if (lorenz > 0 && supply > 0n) {
    points = [];
    for (let i = 0; i <= lorenz; i++) {
      const m = Math.floor((i * n) / lorenz);
      points.push([i / lorenz, ratio(asc.slice(0, m).reduce((s, x) => s + x, 0n), supply)]);
    }
  }
  return { share_buckets, percentiles, lorenz: points };
}

/** Distribution figures over positive balances minus `exclude`, computed with BigInt. */
export function distributionTruth(balances, exclude = new Set()) {
  const xs = [];
  for (const [a, b] of balances ?? new Map()) if (b > 0n && !exclude.has(a)) xs.push(b);
  xs.sort((x, y) => (x > y ? -1 : x < y ? 1 : 0)); // descending
  const n = xs.length;
  const supply = xs.reduce((s, x) => s + x, 0n);
  const { share_buckets } = distributionDetail(balances, { exclude });
  if (n === 0 || supply === 0n) {
    return { holders: n, supply: supply.toString(), top10_share: null, top100_share: null, gini: null, nakamoto: null, hhi: null, share_buckets };
  }
  let top10 = 0n; let top100 = 0n; let squares = 0n; let running = 0n; let nakamoto = null;
  for (let j = 0; j < n; j++) {
    if (j < 10) top10 += xs[j];
    if (j < 100) top100 += xs[j];
    squares += xs[j] * xs[j];
    running += xs[j];
    if (nakamoto === null && 2n * running > supply) nakamoto = j + 1;
  }
  // Gini over ascending x_1..x_n: sum_i (2i - n - 1) x_i / (n * sum x).
  const asc = [...xs].reverse();
  let g = 0n;
  for (let i = 1; i <= n; i++) g += BigInt(2 * i - n - 1) * asc[i - 1];
  return {
    holders: n,
    supply: supply.toString(),
    top10_share: ratio(top10, supply),
    top100_share: ratio(top100, supply),
    gini: ratio(g, BigInt(n) * supply),
    nakamoto,
    hhi: ratio(squares, supply * supply),
    share_buckets,
  };
}


/** The start (unix seconds) of the UTC hour, day or ISO week (from Monday) holding time `ts`. */
export function periodStart(ts, period) {
  const day = 86400;
  if (period === 'hour') return ts - (ts % 3600);
  if (period === 'day') return ts - (ts % day);
  const d = new Date(ts * 1000);
  const sinceMonday = (d.getUTCDay() + 6) % 7;
  return Date.UTC(d.getUTCFullYear(), d.getUTCMonth(), d.getUTCDate() - sinceMonday) / 1000;
}

/**
 * The blocks of each item of a series over [from, to], as [{first, last}] (with `period` also
 * {period_start}): by `step`, item k covers (from - 1 + (k - 1) step, from - 1 + k step] and the
 * last ends at `to`; by `period`, one item per UTC hour, day or ISO week holding a block of the
 * range, covering those blocks (`times`: block -> unix seconds, for every block of the range).
 */
export function seriesSpans(times, from, to, { step, period }) {
  const spans = [];
  if (step) {
    for (let first = from; first <= to; first += step) spans.push({ first, last: Math.min(to, first + step - 1) });
  } else {
    for (let b = from; b <= to; b++) {
      const p = periodStart(times.get(b), period);
      const open = spans[spans.length - 1];
      if (open && open.period_start === p) open.last = b;
      else spans.push({ first: b, last: b, period_start: p });
    }
  }
  return spans;
}

/**
 * /v1/tokens/{token}/series from the transfer list and every block's timestamp (`times`: block ->
 * unix seconds): the items' blocks by `step` (blocks) or `period`, then per item the holders and
 * indexed supply at its end, the minted, burned and transfers within it, its distinct senders and
 * receivers, the holders gained and lost, and with `distribution` the concentration figures.
 */
export function seriesTruth(transfers, times, token, from, to, { step, period, distribution = false } = {}) {
  const spans = seriesSpans(times, from, to, { step, period });
  const mine = transfers.filter((t) => t.token === token && t.block <= to);
  const balancesAt = (n) => balancesFromLogs(mine.filter((t) => t.block <= n)).get(token) ?? new Map();
  const positive = (m) => new Set([...m].filter(([, b]) => b > 0n).map(([a]) => a));
  return spans.map(({ first, last, period_start }) => {
    const inside = mine.filter((t) => t.block >= first && t.block <= last);
    const upTo = mine.filter((t) => t.block <= last);
    const sum = (xs, pred) => xs.filter(pred).reduce((s, t) => s + BigInt(t.value), 0n);
    const before = positive(balancesAt(first - 1));
    const endBalances = balancesAt(last);
    const after = positive(endBalances);
    const item = { block: last, timestamp: times.get(last), start_block: first };
    if (period) item.period_start = period_start;
    Object.assign(item, {
      holders: after.size,
      indexed_supply: (sum(upTo, (t) => t.from === ZERO_ADDRESS) - sum(upTo, (t) => t.to === ZERO_ADDRESS)).toString(),
      minted: sum(inside, (t) => t.from === ZERO_ADDRESS).toString(),
      burned: sum(inside, (t) => t.to === ZERO_ADDRESS).toString(),
      transfers: inside.length,
      senders: new Set(inside.map((t) => t.from).filter((a) => a !== ZERO_ADDRESS)).size,
      receivers: new Set(inside.map((t) => t.to).filter((a) => a !== ZERO_ADDRESS)).size,
      new_holders: [...after].filter((a) => !before.has(a)).length,
      gone_holders: [...before].filter((a) => !after.has(a)).length,
    });
    if (distribution) {
      const d = distributionTruth(endBalances);
      Object.assign(item, { top10_share: d.top10_share, gini: d.gini, nakamoto: d.nakamoto, hhi: d.hhi });
    }
    return item;
  });
}

/**
 * /v1/series from the transfer list of every token and every block's timestamp (`times`: block ->
 * unix seconds): the items' blocks as seriesTruth's, then per item the distinct tokens with a
 * transfer at or before its end over the whole list (not only [from, to]), the distinct tokens
 * with a transfer within it, and its transfers.
 */
export function chainSeriesTruth(transfers, times, from, to, { step, period } = {}) {
  const firstBlock = new Map(); // token -> block of its first transfer
  for (const t of transfers) if (!firstBlock.has(t.token) || t.block < firstBlock.get(t.token)) firstBlock.set(t.token, t.block);
  return seriesSpans(times, from, to, { step, period }).map(({ first, last, period_start }) => {
    const inside = transfers.filter((t) => t.block >= first && t.block <= last);
    const item = { block: last, timestamp: times.get(last), start_block: first };
    if (period) item.period_start = period_start;
    Object.assign(item, {
      tokens: [...firstBlock.values()].filter((b) => b <= last).length,
      active_tokens: new Set(inside.map((t) => t.token)).size,
      transfers: inside.length,
    });
    return item;
  });
}

/**
 * /v1/tokens/{token}/flows from the transfer list: every account (never the zero address) whose
 * balance at the end of `to` differs from the one at the end of `from - 1`, as
 * {account, before, after, change} (decimal strings) by change descending (`gain`) or ascending
 * (`loss`), ties by account ascending, with the holders gained and lost.
 */
export function flowsTruth(transfers, token, from, to, order = 'gain') {
  const mine = transfers.filter((t) => t.token === token && t.block <= to);
  const before = balancesFromLogs(mine.filter((t) => t.block < from)).get(token) ?? new Map();
  const after = balancesFromLogs(mine).get(token) ?? new Map();
  const items = [];
  let gained = 0;
  let lost = 0;
  for (const [account, a] of after) {
    const b = before.get(account) ?? 0n;
    if (a === b) continue;
    items.push({ account, before: b, after: a, change: a - b });
    if (b <= 0n && a > 0n) gained++;
    if (b > 0n && a <= 0n) lost++;
  }
  const sign = order === 'gain' ? 1 : -1; // gain: a smaller change goes after
  items.sort((x, y) => (x.change !== y.change ? (x.change < y.change ? sign : -sign) : x.account < y.account ? -1 : 1));
  return {
    items: items.map((x) => ({ account: x.account, before: x.before.toString(), after: x.after.toString(), change: x.change.toString() })),
    gained_holders: gained,
    lost_holders: lost,
  };
}

/** Everything the tests compare against, up to block `toBlock`. */
export async function groundTruth(url, toBlock) {
  const transfers = await erc20Transfers(url, toBlock);
  const balances = balancesFromLogs(transfers);
  const stats = tokenStats(transfers);
  return { toBlock, transfers, balances, stats, tokens: [...stats.keys()].sort() };
}

/**
 * The blocks in [from, to] at whose end `account`'s balance of `token` differs from its balance
 * at the end of the block before, as [{block, balance (decimal string)}], from the transfer list.
 */
export function balanceChanges(transfers, token, account, from = 0, to = Infinity) {
  const perBlock = new Map(); // block -> net change within it
  for (const t of transfers) {
    if (t.token !== token || account === ZERO_ADDRESS) continue;
    let d = 0n;
    if (t.from === account) d -= BigInt(t.value);
    if (t.to === account) d += BigInt(t.value);
    if (t.from === account || t.to === account) perBlock.set(t.block, (perBlock.get(t.block) ?? 0n) + d);
  }
  const out = [];
  let bal = 0n;
  for (const [block, d] of [...perBlock].sort((a, b) => a[0] - b[0])) {
    bal += d;
    if (d !== 0n && block >= from && block <= to) out.push({ block, balance: bal.toString() });
  }
  return out;
}
