// A JSON-RPC pass-through proxy that adds latency to every request: it makes a fast local node
// behave like a remote one, so a backfill takes long enough to be interrupted mid-way.
import http from 'node:http';
import { httpRequest } from './proc.mjs';

/**
 * Start a proxy on 127.0.0.1 (random port) forwarding POSTs to `target` after `delayMs`.
 * With `onAnswer`, `await onAnswer(requestBody, answerText)` runs after the node answered and
 * before the answer goes back: a test can change the chain exactly between two of the daemon's calls.
 * Returns {url, port, requests(), setDelay(ms), close()}.
 */
export function startRpcProxy({ target, delayMs = 0, onAnswer = null }) {
  let delay = delayMs;
  let count = 0;
  const server = http.createServer((req, res) => {
    const chunks = [];
    req.on('data', (c) => chunks.push(c));
    req.on('end', async () => {
      count++;
      try {
        if (delay > 0) await new Promise((r) => setTimeout(r, delay));
        const body = Buffer.concat(chunks).toString('utf8');
        const up = await httpRequest(target, { method: 'POST', body, timeoutMs: 60000 });
        if (onAnswer) await onAnswer(body, up.text);
        res.writeHead(up.status, { 'content-type': 'application/json' });
        res.end(up.text);
      } catch (e) {
        res.writeHead(502, { 'content-type': 'text/plain' });
        res.end(`proxy error: ${e.message}`);
      }
    });
  });
  return new Promise((resolve, reject) => {
    server.on('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const { port } = server.address();
      resolve({
        url: `http://127.0.0.1:${port}`,
        port,
        requests: () => count,
        setDelay: (ms) => { delay = ms; },
        close: () => new Promise((r) => { server.closeAllConnections?.(); server.close(() => r()); }),
      });
    });
  });
}
