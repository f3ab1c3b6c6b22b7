// Driving the erc20-indexer daemon: start/stop/kill, HTTP API access, and a canonical dump of
// everything it serves.
import { spawn } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { REPO_DIR } from './chain.mjs';
import { trackChild, stopChild, httpRequest, sleep, freePort, tailBuffer } from './proc.mjs';

export const DAEMON_BIN = process.env.ERC20_INDEXER_BIN || path.join(REPO_DIR, 'build', 'erc20-indexer');

/**
 * Start `erc20-indexer run --rpc-url URL --db DIR --listen HOST:PORT --poll-interval-ms 100
 * --log-level warn [extraArgs]` (HOST: `listenHost`, 127.0.0.1 by default; the test talks to it
 * over 127.0.0.1 whatever it is). With `waitReady` (default) resolves once GET /v1/status answers
 * 200, asked with `readyHeaders` (an Authorization header for a daemon with read tokens).
 * Output is kept (last 64 KiB, see logs()); set E2E_DAEMON_LOG=1 to also echo it to stderr.
 * Returns {pid, port, proc, logs(), exited(), stop(signal), kill9()}.
 */
export async function startDaemon({ rpcUrl, db, port, extraArgs = [], bin = DAEMON_BIN, waitReady = true, readyTimeoutMs = 30000, logLevel = 'warn', pollMs = 100, onStderrLine = null, listenHost = '127.0.0.1', readyHeaders = {} }) {
  if (!fs.existsSync(bin)) throw new Error(`daemon binary not found at ${bin} (build it, or set ERC20_INDEXER_BIN)`);
  port = port ?? await freePort();
  const argv = ['run', '--rpc-url', rpcUrl, '--db', db, '--listen', `${listenHost}:${port}`,
    '--poll-interval-ms', String(pollMs), '--log-level', logLevel, ...extraArgs];
  const log = tailBuffer();
  const echo = process.env.E2E_DAEMON_LOG === '1';
  const proc = trackChild(spawn(bin, argv, { stdio: ['ignore', 'pipe', 'pipe'] }));
  const onData = (c) => { log.push(c); if (echo) process.stderr.write(`[daemon ${proc.pid}] ${c}`); };
  // onStderrLine(line) sees every complete stderr line, beyond the 64 KiB tail that logs() keeps.
  let partial = '';
  const onStderr = (c) => {
    onData(c);
    if (!onStderrLine) return;
    partial += c.toString('utf8');
    const lines = partial.split('\n');
    partial = lines.pop();
    for (const line of lines) onStderrLine(line);
  };
  proc.stdout.on('data', onData);
  proc.stderr.on('data', onStderr);
  let spawnError = null;
  proc.on('error', (e) => { spawnError = e; });
  const d = {
    pid: proc.pid,
    port,
    proc,
    argv,
    logs: () => log.text(),
    exited: () => spawnError !== null || proc.exitCode !== null || proc.signalCode !== null,
    /** Send `signal` (SIGTERM by default) and wait; escalates to SIGKILL after timeoutMs. */
    stop: (signal = 'SIGTERM', timeoutMs = 15000) => stopChild(proc, signal, timeoutMs),
    /** kill -9 and wait for the exit. */
    kill9: () => stopChild(proc, 'SIGKILL', 5000),
  };
  if (waitReady) {
    const deadline = Date.now() + readyTimeoutMs;
    for (;;) {
      if (spawnError) throw new Error(`daemon failed to start: ${spawnError.message}`);
      if (d.exited()) throw new Error(`daemon exited early (code ${proc.exitCode}, signal ${proc.signalCode}); argv ${argv.join(' ')}\n${log.text()}`);
      try {
        const r = await httpRequest(`http://127.0.0.1:${port}/v1/status`, { timeoutMs: 2000, headers: readyHeaders });
        if (r.status === 200) break;
      } catch { /* not listening yet */ }
      if (Date.now() > deadline) {
        await d.kill9();
        throw new Error(`daemon did not answer /v1/status within ${readyTimeoutMs} ms\n${log.text()}`);
      }
      await sleep(50);
    }
  }
  return d;
}

/** GET http://127.0.0.1:port+path -> {status, json (null if not JSON), text}. */
export async function api(port, p, { timeoutMs = 30000 } = {}) {
  const r = await httpRequest(`http://127.0.0.1:${port}${p}`, { timeoutMs });
  let json = null;
  try { json = JSON.parse(r.text); } catch { /* not JSON */ }
  return { status: r.status, json, text: r.text, headers: r.headers };
}

/** GET that must answer 200 with JSON; returns the JSON. */
export async function apiOk(port, p) {
  const r = await api(port, p);
  if (r.status !== 200 || r.json === null) throw new Error(`GET ${p}: HTTP ${r.status}: ${r.text.slice(0, 300)}`);
  return r.json;
}

/**
 * Poll /v1/status every 100 ms until `.block >= n`. Connection errors are retried (the daemon may
 * be starting). Fails early if `daemon` (optional) has exited. Returns the last status.
 */
export async function waitForBlock(port, n, timeoutMs = 60000, daemon = null) {
  const deadline = Date.now() + timeoutMs;
  let last = null;
  let lastErr = null;
  for (;;) {
    if (daemon && daemon.exited()) throw new Error(`daemon exited while waiting for block ${n}\n${daemon.logs()}`);
    try {
      const r = await api(port, '/v1/status', { timeoutMs: 5000 });
      if (r.status === 200 && r.json) {
        last = r.json;
        if (typeof last.block === 'number' && last.block >= n) return last;
      } else lastErr = `HTTP ${r.status}: ${r.text.slice(0, 200)}`;
    } catch (e) { lastErr = e.message; }
    if (Date.now() > deadline) {
      throw new Error(`timeout after ${timeoutMs} ms waiting for block ${n}; last status ${JSON.stringify(last)}; last error ${lastErr}`);
    }
    await sleep(100);
  }
}

const withCursor = (p, cursor) => (cursor === null || cursor === undefined ? p : `${p}${p.includes('?') ? '&' : '?'}cursor=${encodeURIComponent(cursor)}`);

/**
 * Follow next_cursor until null. Returns {items, blocks: [envelope block per page], pages}.
 * Throws on non-200, on a cursor seen twice, or after maxPages.
 */
export async function allPages(port, p, maxPages = 100000) {
  const items = [];
  const blocks = [];
  const seen = new Set();
  let cursor = null;
  let pages = 0;
  for (;;) {
    const j = await apiOk(port, withCursor(p, cursor));
    if (!Array.isArray(j.items)) throw new Error(`GET ${p}: no items array`);
    if (!('next_cursor' in j)) throw new Error(`GET ${p}: no next_cursor field`);
    items.push(...j.items);
    blocks.push(j.block);
    pages++;
    if (j.next_cursor === null) break;
    if (typeof j.next_cursor !== 'string') throw new Error(`GET ${p}: next_cursor must be a string or null, got ${JSON.stringify(j.next_cursor)}`);
    if (seen.has(j.next_cursor)) throw new Error(`GET ${p}: cursor ${j.next_cursor} returned twice`);
    if (j.items.length === 0) throw new Error(`GET ${p}: empty page with a non-null next_cursor`);
    seen.add(j.next_cursor);
    cursor = j.next_cursor;
    if (pages > maxPages) throw new Error(`GET ${p}: more than ${maxPages} pages`);
  }
  return { items, blocks, pages };
}

export const tokenAddressOf = (item) => (item.address ?? item.token ?? '').toLowerCase();

/**
 * Canonical JSON snapshot of what the daemon serves:
 * { status: {chain_id, block, block_hash, tokens, transfers},
 *   tokens: [summary items in API order],
 *   details: {token: /v1/tokens/{token} without its "block" envelope field},
 *   (token items and details without total_supply_block, which depends on timing)
 *   holders: {token: [all items]}, transfers: {token: [all items]} }
 * Every answer must carry the same envelope "block" (retried up to 5 times if the daemon moved
 * during the walk). The envelope blocks are kept out of the snapshot; `status.block` has it.
 */
export async function dumpState(port, { limit = 1000 } = {}) {
  for (let attempt = 0; ; attempt++) {
    const st = await apiOk(port, '/v1/status');
    const blocks = [st.block];
    const tl = await allPages(port, `/v1/tokens?limit=${limit}`);
    blocks.push(...tl.blocks);
    const details = {};
    const holders = {};
    const transfers = {};
    for (const item of tl.items) {
      const t = tokenAddressOf(item);
      const d = await apiOk(port, `/v1/tokens/${t}`);
      blocks.push(d.block);
      const { block: _b, ...rest } = d;
      details[t] = rest;
      const h = await allPages(port, `/v1/tokens/${t}/holders?limit=${limit}`);
      blocks.push(...h.blocks);
      holders[t] = h.items;
      const x = await allPages(port, `/v1/tokens/${t}/transfers?limit=${limit}`);
      blocks.push(...x.blocks);
      transfers[t] = x.items;
    }
    // The chain series over every block (at most 1,000 items: steps of several blocks on long chains).
    const step = Math.max(1, Math.ceil((st.block + 1) / 1000));
    const series = st.block === null ? null : await apiOk(port, `/v1/series?from_block=0&step=${step}`);
    if (series) blocks.push(series.block);
    if (blocks.every((b) => b === st.block)) {
      // total_supply_block says when the metadata worker read the supply, which differs between
      // runs (supply.test.mjs checks each reading against the chain): left out.
      const untimed = ({ total_supply_block: _s, ...rest }) => rest;
      for (const t of Object.keys(details)) details[t] = untimed(details[t]);
      return {
        status: { chain_id: st.chain_id, block: st.block, block_hash: st.block_hash, tokens: st.tokens, transfers: st.transfers },
        tokens: tl.items.map(untimed),
        details,
        holders,
        transfers,
        series: series?.items ?? null,
      };
    }
    if (attempt >= 4) throw new Error(`dumpState: the daemon kept moving during the walk (blocks ${[...new Set(blocks)].join(',')})`);
    await sleep(200);
  }
}

/**
 * Wait until /v1/tokens/{t} has non-null name, symbol, decimals and total_supply for every token
 * in `tokens` (metadata is fetched asynchronously). With `settled` (default), also wait until
 * total_supply == indexed_supply: totalSupply is refreshed asynchronously after the head moves,
 * and for the well-behaved test tokens it equals minted - burned once refreshed at the head.
 * Returns {token: detail}.
 */
export async function waitForMetadata(port, tokens, timeoutMs = 30000, { settled = true } = {}) {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const out = {};
    let missing = [];
    for (const t of tokens) {
      const r = await api(port, `/v1/tokens/${t}`);
      if (r.status === 200 && r.json) {
        out[t] = r.json;
        for (const f of ['name', 'symbol', 'decimals', 'total_supply']) if (r.json[f] === null || r.json[f] === undefined) missing.push(`${t}.${f}`);
        if (settled && r.json.total_supply != null && r.json.total_supply !== r.json.indexed_supply) {
          missing.push(`${t}.total_supply ${r.json.total_supply} != indexed_supply ${r.json.indexed_supply} (at block ${r.json.block})`);
        }
      } else missing.push(`${t}: HTTP ${r.status}`);
    }
    if (!missing.length) return out;
    if (Date.now() > deadline) throw new Error(`metadata still missing after ${timeoutMs} ms: ${missing.join(', ')}`);
    await sleep(200);
  }
}
