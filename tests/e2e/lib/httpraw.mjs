// Raw HTTP/1.1 over node:net, for requests an HTTP client library would refuse to send or would
// normalise: malformed request lines, oversized headers and bodies, path tricks, pipelining on one
// kept-alive connection, and slowloris-style byte-at-a-time senders.
import net from 'node:net';

/**
 * Parse as many complete HTTP responses as `buf` holds. `headMethods[i]` true means the i-th
 * response answers a HEAD (no body). Returns {responses: [{status, reason, headers, body, chunked}], rest}.
 * Header names are lowercased; a repeated header keeps its last value.
 */
export function parseResponses(buf, headMethods = []) {
  const responses = [];
  let off = 0;
  for (;;) {
    const end = buf.indexOf('\r\n\r\n', off, 'latin1');
    if (end < 0) break;
    const lines = buf.subarray(off, end).toString('latin1').split('\r\n');
    const m = /^HTTP\/1\.[01] (\d{3}) ?(.*)$/.exec(lines[0]);
    if (!m) throw new Error(`bad status line ${JSON.stringify(lines[0])}`);
    const headers = {};
    for (const l of lines.slice(1)) {
      const c = l.indexOf(':');
      headers[l.slice(0, c).trim().toLowerCase()] = l.slice(c + 1).trim();
    }
    const status = Number(m[1]);
    let p = end + 4;
    let body = Buffer.alloc(0);
    const chunked = /chunked/i.test(headers['transfer-encoding'] ?? '');
    const noBody = headMethods[responses.length] || status === 304 || status === 204 || (status >= 100 && status < 200);
    if (!noBody && chunked) {
      const parts = [];
      let complete = false;
      for (;;) {
        const le = buf.indexOf('\r\n', p, 'latin1');
        if (le < 0) break;
        const size = parseInt(buf.subarray(p, le).toString('latin1').split(';')[0], 16);
        if (Number.isNaN(size)) throw new Error('bad chunk size');
        if (size === 0) {
          const te = buf.indexOf('\r\n\r\n', le, 'latin1'); // no trailers expected: "0\r\n\r\n"
          if (te < 0) break;
          p = te + 4;
          complete = true;
          break;
        }
        if (le + 2 + size + 2 > buf.length) break;
        parts.push(buf.subarray(le + 2, le + 2 + size));
        p = le + 2 + size + 2;
      }
      if (!complete) break;
      body = Buffer.concat(parts);
    } else if (!noBody && headers['content-length'] !== undefined) {
      const n = Number(headers['content-length']);
      if (p + n > buf.length) break;
      body = buf.subarray(p, p + n);
      p += n;
    }
    responses.push({ status, reason: m[2], headers, body: body.toString('utf8'), chunked });
    off = p;
  }
  return { responses, rest: buf.subarray(off) };
}

/**
 * Send `payload` (string or Buffer, written at once) on a new connection to 127.0.0.1:port and
 * collect what comes back until the server closes, `responses` complete responses arrived, or
 * `timeoutMs` passed. Resolves {responses, raw, closed, error, ms}.
 */
export function rawRequest(port, payload, { responses = Infinity, timeoutMs = 5000, headMethods = [] } = {}) {
  return new Promise((resolve) => {
    const t0 = Date.now();
    const s = net.connect(port, '127.0.0.1');
    const chunks = [];
    let done = false;
    let closed = false;
    let error = null;
    const finish = () => {
      if (done) return;
      done = true;
      clearTimeout(timer);
      s.destroy();
      const raw = Buffer.concat(chunks);
      let parsed = { responses: [] };
      try { parsed = parseResponses(raw, headMethods); } catch (e) { error = error ?? e.message; }
      resolve({ responses: parsed.responses, raw: raw.toString('latin1'), closed, error, ms: Date.now() - t0 });
    };
    const timer = setTimeout(finish, timeoutMs);
    s.on('data', (c) => {
      chunks.push(c);
      if (responses !== Infinity) {
        try { if (parseResponses(Buffer.concat(chunks), headMethods).responses.length >= responses) finish(); } catch { /* incomplete */ }
      }
    });
    s.on('end', () => { closed = true; finish(); });
    s.on('close', () => { closed = true; finish(); });
    s.on('error', (e) => { error = e.code ?? e.message; });
    s.write(payload);
  });
}

/**
 * Slowloris: open a connection and send `text` one byte every `intervalMs`, never finishing the
 * request. Resolves {closedAfterMs, bytesSent, received} when the server drops the connection, or
 * {closedAfterMs: null} after `maxMs`. With `first` (a complete request), that request is sent at
 * once and the trickle starts when its answer arrives (a kept-alive connection turned slow); the
 * times then count from the start of the trickle.
 */
export function slowSender(port, { text, first = null, intervalMs = 1000, maxMs = 20000 } = {}) {
  text = text ?? 'GET /v1/status HTTP/1.1\r\nHost: 127.0.0.1\r\nX-Slow: ' + 'a'.repeat(1000);
  return new Promise((resolve) => {
    let t0 = Date.now();
    const s = net.connect(port, '127.0.0.1');
    const received = [];
    let sent = 0;
    let done = false;
    let timer = null;
    const finish = (closed) => {
      if (done) return;
      done = true;
      clearInterval(timer);
      clearTimeout(deadline);
      s.destroy();
      resolve({ closedAfterMs: closed ? Date.now() - t0 : null, bytesSent: sent, received: Buffer.concat(received).toString('latin1') });
    };
    let deadline = setTimeout(() => finish(false), maxMs);
    const trickle = () => {
      t0 = Date.now();
      clearTimeout(deadline);
      deadline = setTimeout(() => finish(false), maxMs);
      const tick = () => {
        if (sent < text.length && !s.destroyed) s.write(text[sent++]);
      };
      tick();
      timer = setInterval(tick, intervalMs);
    };
    s.on('connect', () => {
      if (first) s.write(first);
      else trickle();
    });
    s.on('data', (c) => {
      received.push(c);
      if (first && timer === null) trickle();
    });
    s.on('end', () => finish(true));
    s.on('close', () => finish(true));
    s.on('error', () => finish(true));
  });
}
