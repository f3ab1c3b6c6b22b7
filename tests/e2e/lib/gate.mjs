// A JSON-RPC gate between the daemon and the node: `closed` holds every call, `head` lets only
// eth_chainId and eth_blockNumber through (the daemon learns the node's head but cannot index
// it: a deterministic lag), `open` forwards all, each after `delay` ms. Held calls go on when
// the mode lets them.
import http from 'node:http';
import { httpRequest, sleep } from './proc.mjs';

/** Starts a gate on 127.0.0.1 in front of `target`; {url, held(), setMode(m), setDelay(ms), close()}. */
export function startGate(target, { mode: initial = 'closed' } = {}) {
  let mode = initial;
  let delay = 0;
  const held = [];
  const passes = (methods) => mode === 'open' ||
    (mode === 'head' && methods.length > 0 && methods.every((m) => m === 'eth_chainId' || m === 'eth_blockNumber'));
  const server = http.createServer((req, res) => {
    const chunks = [];
    req.on('data', (c) => chunks.push(c));
    req.on('end', () => {
      const body = Buffer.concat(chunks).toString('utf8');
      let methods = [];
      try {
        const j = JSON.parse(body);
        methods = (Array.isArray(j) ? j : [j]).map((x) => x.method);
      } catch { /* forwarded as is */ }
      const forward = async () => {
        try {
          if (delay > 0) await sleep(delay);
          const up = await httpRequest(target, { method: 'POST', body, timeoutMs: 60000 });
          res.writeHead(up.status, { 'content-type': 'application/json' });
          res.end(up.text);
        } catch (e) {
          res.writeHead(502, { 'content-type': 'text/plain' });
          res.end(`gate: ${e.message}`);
        }
      };
      if (passes(methods)) forward(); else held.push({ methods, forward });
    });
  });
  const release = () => {
    for (let i = 0; i < held.length;) {
      if (passes(held[i].methods)) held.splice(i, 1)[0].forward(); else i++;
    }
  };
  return new Promise((resolve) => {
    server.listen(0, '127.0.0.1', () => {
      resolve({
        url: `http://127.0.0.1:${server.address().port}`,
        held: () => held.length,
        setMode(m) { mode = m; release(); },
        setDelay(ms) { delay = ms; },
        close: () => new Promise((r) => { mode = 'open'; release(); server.closeAllConnections?.(); server.close(() => r()); }),
      });
    });
  });
}
