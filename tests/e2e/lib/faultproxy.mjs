// A fault-injecting JSON-RPC proxy between the daemon and anvil: node:http on a free port,
// forwarding POSTs to `target`, and with probability `rate` per request (a seeded PRNG decides)
// answering with one of the failure modes of real nodes, load balancers and RPC providers instead.
//
// Fault kinds (stats() counts each one actually injected):
//   http429        HTTP 429 with `Retry-After: 1` (a rate limit)
//   http500/502/503  an error page from the backend or a load balancer
//   timeout        the answer is held 1-2 s (past the daemon's --rpc-timeout-ms), then sent
//   resetRequest   the connection is destroyed before the request body is read
//   resetResponse  headers and half of the real answer are sent, then the connection is destroyed
//   truncated      HTTP 200 with the first half of the real answer as a complete body
//                  (Content-Length of the half, or chunked without a length)
//   malformed      HTTP 200 with a body that is not the answer: HTML, broken JSON, empty, an
//                  envelope without result or error, the answer followed by garbage
//   rpcError       the JSON-RPC error -32603 "internal error" (for a batch: in one of its entries)
//   lagHead        eth_blockNumber answered 1-5 below the highest head answered before
//   nullHeader     eth_getBlockByNumber (single or batch) answered null for the highest block
//                  asked (a backend behind the others)
//   batchReorder   a batch answer in another order (entries still matched by id)
//   emptyLogs      (only with `emptyLogs: true`) eth_getLogs answered without the logs of some
//                  blocks (from a cut to the end of the range, often all of them: `[]`) although
//                  eth_getBlockByNumber shows those blocks: a node whose log index has not caught
//                  up. A block is emptied at most once: afterwards the node "has caught up".
// Besides the random schedule, a node limit: eth_getLogs over more than `maxLogRange` blocks is
// refused with -32005 (counted as rangeTooLarge, with a suggested range "Try with this block range
// [0x.., 0x..]", or rangeTooLargeNoHint, "block range is too large"), and down(ms) makes a total
// outage: the port refuses connections (and open connections are cut) for `ms`.
import http from 'node:http';
import { httpRequest } from './proc.mjs';
import { Rng } from './workload.mjs';

export const FAULT_KINDS = [
  'http429', 'http500', 'http502', 'http503', 'timeout', 'resetRequest', 'resetResponse',
  'truncated', 'malformed', 'rpcError', 'lagHead', 'nullHeader', 'batchReorder', 'emptyLogs',
];
/** Injected by the node limit on eth_getLogs ranges, not by the random schedule. */
export const RANGE_KINDS = ['rangeTooLarge', 'rangeTooLargeNoHint'];

const hexq = (n) => '0x' + BigInt(n).toString(16);
const num = (v) => {
  if (typeof v === 'number') return v;
  if (typeof v === 'string' && /^0x[0-9a-fA-F]+$/.test(v)) return Number(BigInt(v));
  return null; // a tag
};

/**
 * startFaultProxy({target, seed, rate, kinds, emptyLogs, maxLogRange, delayMs: [min, max],
 * coverage, methods, rpcErrorEntries}) -> Promise<{url, port, stats(), rate(), setRate(r),
 * configure(o), setEnabled(bool), enabled(), down(ms), isDown(), recent(), gapsAfter429(), close()}>.
 * `kinds` limits the random schedule to these kinds (default all but emptyLogs, plus emptyLogs
 * when `emptyLogs`). `coverage` (default 0.5) is the share of injections that pick the
 * least-injected applicable kind rather than a uniform one, so every kind shows up early.
 * `maxLogRange` 0 turns the range limit off; it applies only while faults are enabled.
 * `methods` (default all) limits the random schedule to requests made only of these methods.
 * `rpcErrorEntries` 'one' (default) or 'all': which entries of a batch an rpcError replaces.
 */
export function startFaultProxy({
  target, seed = 1, rate = 0.3, kinds = null, emptyLogs = false, maxLogRange = 3,
  delayMs = [1000, 2000], coverage = 0.5, methods: methodsOpt = null, rpcErrorEntries = 'one',
} = {}) {
  let methods = methodsOpt;
  let errorEntries = rpcErrorEntries;
  const rng = new Rng((seed * 2654435761) >>> 0 || 1);
  let faultRate = rate;
  let enabled = true;
  let isDown = false;
  let allowed = new Set(kinds ?? FAULT_KINDS.filter((k) => k !== 'emptyLogs' || emptyLogs));
  if (!emptyLogs) allowed.delete('emptyLogs');
  const defaults = { kinds: new Set(allowed), methods, errorEntries, rate };
  const counts = Object.fromEntries([...FAULT_KINDS, ...RANGE_KINDS].map((k) => [k, 0]));
  const st = { requests: 0, forwarded: 0, passed: 0, outages: 0, cutWhileDown: 0 };
  const recentFaults = [];
  let maxHead = 0;
  const emptied = new Set(); // blocks whose logs were already withheld once
  const gapsAfter429 = []; // {ms, method}: from a 429 to the next request on the same connection
  const sockets = new Set();

  const note = (kind, method) => {
    counts[kind]++;
    recentFaults.push(`${kind} ${method}`);
    if (recentFaults.length > 200) recentFaults.shift();
  };

  const forward = async (body) => {
    st.forwarded++;
    const up = await httpRequest(target, { method: 'POST', body, timeoutMs: 60000 });
    return up;
  };

  /** Send a complete answer, ignoring a client that went away. */
  const send = (res, status, text, headers = {}) => {
    if (res.destroyed || res.socket?.destroyed) return;
    try {
      res.writeHead(status, { 'content-type': 'application/json', 'content-length': Buffer.byteLength(text), ...headers });
      res.end(text);
    } catch { /* client gone */ }
  };

  const applicable = (info) => {
    const out = [];
    if (methods && !info.methods.every((m) => methods.includes(m))) return out;
    for (const k of allowed) {
      if (k === 'lagHead' && !(info.single && info.methods[0] === 'eth_blockNumber' && maxHead > 0)) continue;
      if (k === 'batchReorder' && !(info.batch && info.msgs.length >= 2)) continue;
      if (k === 'nullHeader' && !(info.methods.every((m) => m === 'eth_getBlockByNumber') && info.blockNums.some((b) => b !== null))) continue;
      if (k === 'emptyLogs' && !(info.single && info.methods[0] === 'eth_getLogs')) continue;
      out.push(k);
    }
    return out;
  };

  const choose = (cands) => {
    if (!cands.length) return null;
    if (rng.chance(coverage)) {
      const min = Math.min(...cands.map((k) => counts[k]));
      return rng.pick(cands.filter((k) => counts[k] === min));
    }
    return rng.pick(cands);
  };

  const errorAnswer = (id, code, message) => JSON.stringify({ jsonrpc: '2.0', id, error: { code, message } });

  async function handle(req, res, body, info) {
    const method = info.methods.join(',');
    let kind = null;
    if (enabled && faultRate > 0 && rng.chance(faultRate)) kind = choose(applicable(info));

    switch (kind) {
      case 'http429':
        note(kind, method);
        req.socket.retryAfterAt = Date.now();
        req.socket.retryAfterMethod = method;
        return send(res, 429, JSON.stringify({ jsonrpc: '2.0', id: info.single ? info.msgs[0].id : null, error: { code: 429, message: 'Too Many Requests' } }), { 'retry-after': '1' });
      case 'http500':
      case 'http502':
      case 'http503': {
        note(kind, method);
        const status = Number(kind.slice(4));
        const text = { 500: 'Internal Server Error', 502: '<html><body><h1>502 Bad Gateway</h1></body></html>', 503: 'upstream connect error or disconnect/reset before headers' }[status];
        return send(res, status, text, { 'content-type': 'text/html' });
      }
      case 'timeout': {
        note(kind, method);
        await new Promise((r) => setTimeout(r, rng.int(delayMs[0], delayMs[1])));
        try { return send(res, 200, (await forward(body)).text); } catch { return send(res, 502, 'proxy error'); }
      }
      case 'resetRequest':
        note(kind, method);
        req.socket.destroy();
        return undefined;
      default:
        break;
    }

    // Everything else needs the node's real answer first.
    let up;
    try {
      up = await forward(body);
    } catch (e) {
      return send(res, 502, `proxy error: ${e.message}`, { 'content-type': 'text/plain' });
    }
    let text = up.text;
    if (up.status !== 200) return send(res, up.status, text);
    let parsed = null;
    try { parsed = JSON.parse(text); } catch { /* pass through */ }
    if (info.single && info.methods[0] === 'eth_blockNumber' && parsed?.result) {
      const h = Number(BigInt(parsed.result));
      if (kind === 'lagHead' && maxHead > 0) {
        const lag = Math.min(maxHead, rng.int(1, 5));
        note(kind, method);
        return send(res, 200, JSON.stringify({ ...parsed, result: hexq(maxHead - lag) }));
      }
      maxHead = Math.max(maxHead, h);
    }

    switch (kind) {
      case 'resetResponse': {
        note(kind, method);
        const buf = Buffer.from(text);
        try {
          res.writeHead(200, { 'content-type': 'application/json', 'content-length': buf.length });
          res.write(buf.subarray(0, Math.max(1, buf.length >> 1)));
        } catch { /* gone */ }
        setTimeout(() => res.socket?.destroy(), 5);
        return undefined;
      }
      case 'truncated': {
        note(kind, method);
        const half = Buffer.from(text).subarray(0, Math.max(1, Buffer.byteLength(text) >> 1));
        if (rng.chance(0.5)) return send(res, 200, half.toString('latin1'), { 'content-length': half.length });
        try {
          res.writeHead(200, { 'content-type': 'application/json' }); // chunked, complete
          res.write(half);
          res.end();
        } catch { /* gone */ }
        return undefined;
      }
      case 'malformed': {
        note(kind, method);
        const id = info.single ? info.msgs[0].id : 1;
        const variants = [
          '<html><head><title>Oops</title></head><body>Something went wrong</body></html>',
          `{"jsonrpc":"2.0","id":${JSON.stringify(id)},"result":[{]}`,
          '',
          info.single ? JSON.stringify({ jsonrpc: '2.0', id }) : JSON.stringify({ jsonrpc: '2.0', id: null, result: 'not a batch' }),
          `${text}\n}]garbage`,
          '{"jsonrpc":"2.0","id":',
        ];
        return send(res, 200, rng.pick(variants));
      }
      case 'rpcError': {
        note(kind, method);
        if (info.single) return send(res, 200, errorAnswer(info.msgs[0].id, -32603, 'internal error'));
        if (Array.isArray(parsed) && parsed.length) {
          const which = errorEntries === 'all' ? parsed.map((_, i) => i) : [rng.int(0, parsed.length - 1)];
          for (const i of which) parsed[i] = { jsonrpc: '2.0', id: parsed[i].id, error: { code: -32603, message: 'internal error' } };
          return send(res, 200, JSON.stringify(parsed));
        }
        return send(res, 200, errorAnswer(null, -32603, 'internal error'));
      }
      case 'nullHeader': {
        // The highest block asked comes back null, as from a backend a little behind.
        const hi = Math.max(...info.blockNums.filter((b) => b !== null));
        const entries = Array.isArray(parsed) ? parsed : parsed ? [parsed] : [];
        const idOfHi = new Set(info.msgs.filter((_, i) => info.blockNums[i] === hi).map((m) => m.id));
        let changed = false;
        for (const e of entries) if (idOfHi.has(e.id) && e.result) { e.result = null; changed = true; }
        if (!changed) break;
        note(kind, method);
        return send(res, 200, JSON.stringify(parsed));
      }
      case 'batchReorder': {
        if (!Array.isArray(parsed) || parsed.length < 2) break;
        const before = JSON.stringify(parsed.map((e) => e.id));
        for (let i = parsed.length - 1; i > 0; i--) { // Fisher-Yates, seeded
          const j = rng.int(0, i);
          [parsed[i], parsed[j]] = [parsed[j], parsed[i]];
        }
        if (JSON.stringify(parsed.map((e) => e.id)) === before) parsed.reverse();
        note(kind, method);
        return send(res, 200, JSON.stringify(parsed));
      }
      case 'emptyLogs': {
        if (!parsed || !Array.isArray(parsed.result) || !parsed.result.length) break;
        const blocksWithLogs = [...new Set(parsed.result.map((l) => Number(BigInt(l.blockNumber))))].sort((a, b) => a - b);
        const eligible = blocksWithLogs.filter((b) => !emptied.has(b));
        if (!eligible.length) break;
        const cut = rng.chance(0.5) ? eligible[0] : rng.pick(eligible);
        const drop = new Set(eligible.filter((b) => b >= cut));
        for (const b of drop) emptied.add(b);
        parsed.result = parsed.result.filter((l) => !drop.has(Number(BigInt(l.blockNumber))));
        note(kind, method);
        return send(res, 200, JSON.stringify(parsed));
      }
      default:
        break;
    }

    // The node's limit on eth_getLogs ranges (only while faults are enabled).
    if (enabled && maxLogRange > 0 && info.single && info.methods[0] === 'eth_getLogs') {
      const p = info.msgs[0].params?.[0] ?? {};
      const from = num(p.fromBlock);
      const to = num(p.toBlock);
      if (from !== null && to !== null && to - from + 1 > maxLogRange) {
        if (rng.chance(0.5)) {
          note('rangeTooLarge', method);
          const sugTo = from + rng.int(Math.max(0, maxLogRange - 2), maxLogRange - 1);
          return send(res, 200, errorAnswer(info.msgs[0].id, -32005,
            `query returned more than 10000 results. Try with this block range [${hexq(from)}, ${hexq(sugTo)}].`));
        }
        note('rangeTooLargeNoHint', method);
        return send(res, 200, errorAnswer(info.msgs[0].id, rng.chance(0.5) ? -32005 : -32000, 'block range is too large'));
      }
    }
    st.passed++;
    return send(res, 200, text);
  }

  const server = http.createServer((req, res) => {
    st.requests++;
    if (req.socket.retryAfterAt) { // the next request on a connection that got a 429
      gapsAfter429.push({ ms: Date.now() - req.socket.retryAfterAt, method: req.socket.retryAfterMethod });
      req.socket.retryAfterAt = 0;
    }
    res.on('error', () => {});
    // Decide a reset before the body is read: the cut lands mid-request.
    if (enabled && faultRate > 0 && !methods && allowed.has('resetRequest') && rng.chance(faultRate / Math.max(1, allowed.size))) {
      note('resetRequest', '(unread)');
      req.socket.destroy();
      return;
    }
    const chunks = [];
    req.on('data', (c) => chunks.push(c));
    req.on('end', () => {
      const body = Buffer.concat(chunks).toString('utf8');
      let msg = null;
      try { msg = JSON.parse(body); } catch { /* forwarded as is */ }
      const msgs = Array.isArray(msg) ? msg : msg ? [msg] : [];
      const info = {
        batch: Array.isArray(msg),
        single: !!msg && !Array.isArray(msg),
        msgs,
        methods: msgs.map((m) => m.method),
        blockNums: msgs.map((m) => (m.method === 'eth_getBlockByNumber' ? num(m.params?.[0]) : null)),
      };
      handle(req, res, body, info).catch(() => send(res, 502, 'proxy failure'));
    });
  });
  server.on('connection', (s) => {
    if (isDown) { st.cutWhileDown++; s.destroy(); return; }
    sockets.add(s);
    s.on('close', () => sockets.delete(s));
    s.on('error', () => {});
  });

  return new Promise((resolve, reject) => {
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const { port } = server.address();
      server.removeListener('error', reject);
      const relisten = () => new Promise((r, j) => {
        server.once('error', j);
        server.listen(port, '127.0.0.1', () => { server.removeListener('error', j); r(); });
      });
      resolve({
        url: `http://127.0.0.1:${port}`,
        port,
        /** {requests, forwarded, passed, outages, cutWhileDown, faults: {kind: n}, total} */
        stats: () => ({ ...st, faults: { ...counts }, total: Object.values(counts).reduce((a, b) => a + b, 0) }),
        recent: () => recentFaults.slice(),
        /** [{ms, method}]: from each 429 (Retry-After: 1) on `method` to the next request on that connection. */
        gapsAfter429: () => gapsAfter429.slice(),
        rate: () => faultRate,
        /**
         * Change the schedule: {rate, kinds, methods, rpcErrorEntries ('one' | 'all': which entries
         * of a batch an rpcError replaces)}; configure() with no argument restores the start options.
         */
        configure(o = null) {
          const c = o ?? { rate: defaults.rate, kinds: [...defaults.kinds], methods: defaults.methods, rpcErrorEntries: defaults.errorEntries };
          if (c.rate !== undefined) faultRate = c.rate;
          if (c.kinds !== undefined) allowed = new Set(c.kinds);
          if (c.methods !== undefined) methods = c.methods;
          if (c.rpcErrorEntries !== undefined) errorEntries = c.rpcErrorEntries;
        },
        setRate: (r) => { faultRate = r; },
        /** false: a plain pass-through (no random faults, no range limit). */
        setEnabled: (on) => { enabled = !!on; },
        enabled: () => enabled,
        isDown: () => isDown,
        /**
         * Total outage for `ms`: stop listening (connections are refused), cut the open ones,
         * listen again on the same port afterwards. Resolves when the proxy is back.
         */
        async down(ms) {
          isDown = true;
          st.outages++;
          await new Promise((r) => {
            server.close(() => r());
            for (const s of sockets) s.destroy();
          });
          await new Promise((r) => setTimeout(r, ms));
          isDown = false;
          await relisten();
        },
        close: () => new Promise((r) => {
          for (const s of sockets) s.destroy();
          if (!server.listening) return r();
          server.close(() => r());
        }),
      });
    });
  });
}
