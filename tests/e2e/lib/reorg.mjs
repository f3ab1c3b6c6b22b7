// Helpers of reorg.test.mjs: a daemon whose `reorg:` log lines are collected, waiting until the
// daemon stands on the node's head hash, block hashes, and replacement transactions for
// anvil_reorg that are valid at the common ancestor (so they really produce other transfers).
import { startRpcProxy } from './rpcproxy.mjs';
import { rpc, rpcBatch, calldata, hex, blockNumber, ZERO_ADDRESS } from './chain.mjs';
import { sleep } from './proc.mjs';
import { DAEMON_BIN, api, startDaemon } from './daemon.mjs';
import { balancesOf } from './truth.mjs';

// `reorg: old head 120 (0xabcdef12), node head 120, common ancestor 115 (0x12345678), depth 5,
//  17 transfers undone, 0 tokens removed`
const REORG_RE = /reorg: old head (\d+) \((0x[0-9a-f]+)\), node head (\d+), common ancestor (\d+) \((0x[0-9a-f]+)\), depth (\d+), (\d+) transfers undone, (\d+) tokens removed/;

/** Parse one daemon log line; null unless it is the `reorg:` info line. */
export function parseReorgLine(line) {
  const m = REORG_RE.exec(line);
  if (!m) return null;
  return {
    oldHead: Number(m[1]), oldHash: m[2], nodeHead: Number(m[3]), ancestor: Number(m[4]), ancestorHash: m[5],
    depth: Number(m[6]), undone: Number(m[7]), tokensRemoved: Number(m[8]), line: line.trim(),
  };
}

/**
 * Like daemon.mjs startDaemon, with a chosen poll interval and log level (default info), and every
 * `reorg:` line of its stderr kept in full (reorgs()), not only in the 64 KiB tail (logs()).
 * Also counts lines that mention a reorg but do not parse (unparsedReorgLines()).
 */
export async function startFollower({ rpcUrl, db, port, pollMs = 50, logLevel = 'info', extraArgs = [], bin = DAEMON_BIN, readyTimeoutMs = 30000 }) {
  const reorgs = [];
  const unparsed = [];
  const d = await startDaemon({
    rpcUrl, db, port, pollMs, logLevel, extraArgs, bin, readyTimeoutMs,
    onStderrLine: (line) => {
      const r = parseReorgLine(line);
      if (r) reorgs.push({ ...r, at: Date.now() });
      else if (/\breorg:/.test(line)) unparsed.push(line);
    },
  });
  d.reorgs = () => reorgs.slice();
  d.unparsedReorgLines = () => unparsed.slice();
  return d;
}

/** The node's head: {number, hash}. */
export async function nodeHead(url) {
  const b = await rpc(url, 'eth_getBlockByNumber', ['latest', false]);
  return { number: Number(BigInt(b.number)), hash: b.hash.toLowerCase() };
}

/** Lowercase hashes of blocks from..to (inclusive), in order. */
export async function blockHashes(url, from, to) {
  if (to < from) return [];
  const calls = [];
  for (let b = from; b <= to; b++) calls.push(['eth_getBlockByNumber', [hex(b), false]]);
  const res = await rpcBatch(url, calls);
  return res.map((b, i) => {
    if (!b) throw new Error(`block ${from + i} not found`);
    return b.hash.toLowerCase();
  });
}

/**
 * Poll until the daemon's /v1/status has block == node head number AND block_hash == node head
 * hash (the chain must not move meanwhile for this to mean "synced"). Returns {head, hash, status, ms}.
 */
export async function waitSynced(port, url, { timeoutMs = 30000, daemon = null, intervalMs = 25 } = {}) {
  const t0 = Date.now();
  let last = null;
  let node = null;
  let lastErr = null;
  for (;;) {
    if (daemon && daemon.exited()) throw new Error(`daemon exited while waiting to sync\n${daemon.logs()}`);
    try {
      node = await nodeHead(url);
      const r = await api(port, '/v1/status', { timeoutMs: 5000 });
      if (r.status === 200 && r.json) {
        last = r.json;
        if (last.block === node.number && last.block_hash === node.hash) {
          return { head: node.number, hash: node.hash, status: last, ms: Date.now() - t0 };
        }
      } else lastErr = `HTTP ${r.status}: ${r.text.slice(0, 200)}`;
    } catch (e) { lastErr = e.message; }
    if (Date.now() - t0 > timeoutMs) {
      throw new Error(`daemon not on the node's head after ${timeoutMs} ms: node ${JSON.stringify(node)}, ` +
        `daemon status ${JSON.stringify(last)}; last error ${lastErr}`);
    }
    await sleep(intervalMs);
  }
}

/** GET /v1/status JSON (throws unless 200). */
export async function status(port) {
  const r = await api(port, '/v1/status');
  if (r.status !== 200 || !r.json) throw new Error(`/v1/status: HTTP ${r.status}: ${r.text.slice(0, 200)}`);
  return r.json;
}

/**
 * Bring a Workload's model back in line with the chain after blocks were replaced or removed:
 * balances, allowances and NFT owners (Workload.resync), nonces and head.
 */
export async function resyncWorkload(w) {
  await w.resync();
  const counts = await rpcBatch(w.url, w.accounts.map((a) => ['eth_getTransactionCount', [a, 'pending']]));
  w.accounts.forEach((a, i) => w.nonces.set(a, Number(BigInt(counts[i]))));
  w.head = await blockNumber(w.url);
}

const GAS = hex(200_000);

/**
 * Transactions for `anvil_reorg [depth, txs]` that are valid on top of the common ancestor
 * (head - depth), as [[txRequest, blockOffset], ...] with explicit gas and no nonce (anvil numbers
 * them from the ancestor's state, in order). Per replaced block 2..5 new operations on `tokens`:
 * mints to other recipients (including fresh addresses that never held anything), transfers and
 * burns that each spend at most the sender's balance at the ancestor. Plus a share of the orphaned
 * blocks' own mint transactions replayed (same from/to/data) in another block: some old
 * transactions survive, others are dropped. `reserved` accounts never send anything.
 * Returns {txs, ops: {mint, transfer, burn, replay}}.
 */
export async function planReplacement(url, { w, rng, depth, tokens = w.tokens, reserved = new Set(), replayShare = 0.35, perBlock = [2, 5] }) {
  const head = await blockNumber(url);
  const ancestor = head - depth;
  if (ancestor < 0) throw new Error(`depth ${depth} above head ${head}`);
  const senders = w.accounts.filter((a) => !reserved.has(a));
  const pairs = [];
  for (const t of tokens) for (const a of senders) pairs.push([t, a]);
  const bals = await balancesOf(url, pairs, ancestor);
  const avail = new Map(pairs.map(([t, a], i) => [`${t}|${a}`, bals[i]]));
  const tokenSet = new Set(tokens);
  const mintSel = calldata('TestToken', 'mint', [ZERO_ADDRESS, 0n]).slice(0, 10);
  const oldBlocks = await rpcBatch(url, Array.from({ length: depth }, (_, i) => ['eth_getBlockByNumber', [hex(ancestor + 1 + i), true]]));
  const recipient = () => {
    const k = rng.weighted([[60, 'account'], [25, 'external'], [15, 'fresh']]);
    if (k === 'account') return rng.pick(w.accounts);
    if (k === 'external') return rng.pick(w.externals);
    return '0x' + rng.bits(160).toString(16).padStart(40, '0');
  };
  const ops = { mint: 0, transfer: 0, burn: 0, replay: 0 };
  const txs = [];
  const tt = (fn, args) => calldata('TestToken', fn, args);
  for (let off = 0; off < depth; off++) {
    const n = rng.int(perBlock[0], perBlock[1]);
    for (let i = 0; i < n; i++) {
      const token = rng.pick(tokens);
      let kind = rng.weighted([[3, 'mint'], [4, 'transfer'], [1, 'burn']]);
      let from = null;
      if (kind !== 'mint') {
        const cands = senders.filter((a) => avail.get(`${token}|${a}`) > 0n);
        if (cands.length) from = rng.pick(cands); else kind = 'mint';
      }
      if (kind === 'mint') {
        const v = BigInt(rng.int(1, 1_000_000)) * 10n ** BigInt(rng.int(0, 12)) + 7n;
        txs.push([{ from: rng.pick(senders), to: token, data: tt('mint', [recipient(), v]), gas: GAS }, off]);
      } else {
        const key = `${token}|${from}`;
        const a = avail.get(key);
        const v = rng.chance(0.15) ? a : 1n + rng.below(a);
        avail.set(key, a - v);
        if (kind === 'transfer') txs.push([{ from, to: token, data: tt('transfer', [recipient(), v]), gas: GAS }, off]);
        else txs.push([{ from: rng.pick(senders), to: token, data: tt('burn', [from, v]), gas: GAS }, off]);
      }
      ops[kind]++;
    }
  }
  for (const b of oldBlocks) {
    for (const tx of b.transactions) {
      const from = tx.from.toLowerCase();
      const to = (tx.to ?? '').toLowerCase();
      if (!tokenSet.has(to) || reserved.has(from) || !tx.input.startsWith(mintSel)) continue;
      if (!rng.chance(replayShare)) continue;
      txs.push([{ from, to, data: tx.input, gas: GAS }, rng.int(0, depth - 1)]);
      ops.replay++;
    }
  }
  return { txs, ops, ancestor, head };
}

/** anvil_reorg [depth, txs]; checks that the height stayed and returns the new head. */
export async function anvilReorg(url, depth, txs) {
  const before = await blockNumber(url);
  await rpc(url, 'anvil_reorg', [depth, txs]);
  const after = await nodeHead(url);
  if (after.number !== before) throw new Error(`anvil_reorg changed the height: ${before} -> ${after.number}`);
  return after;
}

/** Receipts of every transaction in blocks from..to: {ok, failed}. */
export async function receiptStats(url, from, to) {
  const blocks = await rpcBatch(url, Array.from({ length: to - from + 1 }, (_, i) => ['eth_getBlockByNumber', [hex(from + i), false]]));
  const hashes = blocks.flatMap((b) => b.transactions);
  if (!hashes.length) return { ok: 0, failed: 0 };
  const rs = await rpcBatch(url, hashes.map((h) => ['eth_getTransactionReceipt', [h]]));
  let ok = 0;
  let failed = 0;
  for (const r of rs) { if (r && r.status === '0x1') ok++; else failed++; }
  return { ok, failed };
}

/** The pass-through proxy with an `onAnswer` hook (see lib/rpcproxy.mjs). */
export function startHookProxy({ target, onAnswer }) {
  return startRpcProxy({ target, onAnswer });
}
