// Process and HTTP utilities shared by the e2e harness (Node >= 18, no dependencies).
import { spawn } from 'node:child_process';
import net from 'node:net';
import http from 'node:http';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';

// ---------------------------------------------------------------------------------------------
// Child process registry: everything we spawn is killed (SIGKILL, by PID) when this process
// exits, whatever the reason, so a failing test never leaves anvil or the daemon behind.
// ---------------------------------------------------------------------------------------------
const children = new Map(); // pid -> ChildProcess
const tempDirs = new Set();
let handlersInstalled = false;

function killAllChildrenSync() {
  for (const [pid, child] of children) {
    if (child.exitCode === null && child.signalCode === null) {
      try { process.kill(pid, 'SIGKILL'); } catch { /* already gone */ }
    }
  }
  children.clear();
}

function removeTempDirsSync() {
  for (const d of tempDirs) {
    try { fs.rmSync(d, { recursive: true, force: true }); } catch { /* ignore */ }
  }
  tempDirs.clear();
}

function installHandlers() {
  if (handlersInstalled) return;
  handlersInstalled = true;
  process.on('exit', () => {
    killAllChildrenSync();
    if (process.env.E2E_KEEP_TMP !== '1') removeTempDirsSync();
  });
  for (const sig of ['SIGINT', 'SIGTERM', 'SIGHUP']) {
    process.on(sig, async () => {
      if (shutting) return;
      shutting = true;
      process.stderr.write(`\n[e2e] received ${sig}, stopping child processes\n`);
      // Stop children gracefully and reap them (SIGKILL after 3 s), then exit.
      await Promise.all([...children.values()].map((c) => stopChild(c, 'SIGTERM', 3000)));
      process.exit(sig === 'SIGINT' ? 130 : 143);
    });
  }
}

let shutting = false;
/** True once a termination signal is being handled (children are being stopped on purpose). */
export function shuttingDown() { return shutting; }

/** Remember a spawned child so it is killed on exit. */
export function trackChild(child) {
  installHandlers();
  children.set(child.pid, child);
  child.once('exit', () => children.delete(child.pid));
  return child;
}

/**
 * Stop a child by PID: send `signal`, wait for it to exit, escalate to SIGKILL after
 * `timeoutMs`. Resolves to {code, signal, escalated}.
 */
export function stopChild(child, signal = 'SIGTERM', timeoutMs = 10000) {
  return new Promise((resolve) => {
    if (child.exitCode !== null || child.signalCode !== null) {
      resolve({ code: child.exitCode, signal: child.signalCode, escalated: false });
      return;
    }
    let escalated = false;
    const timer = setTimeout(() => {
      escalated = true;
      try { process.kill(child.pid, 'SIGKILL'); } catch { /* gone */ }
    }, timeoutMs);
    child.once('exit', (code, sig) => {
      clearTimeout(timer);
      resolve({ code, signal: sig, escalated });
    });
    try { process.kill(child.pid, signal); } catch { /* gone; exit event follows */ }
  });
}

/** Temp dir under os.tmpdir(), removed at process exit (unless E2E_KEEP_TMP=1). */
export function makeTempDir(prefix = 'erc20-e2e-') {
  installHandlers();
  const d = fs.mkdtempSync(path.join(os.tmpdir(), prefix));
  tempDirs.add(d);
  return d;
}

/** Pick a free TCP port on 127.0.0.1 (bind to port 0, read it, close). */
export function freePort() {
  return new Promise((resolve, reject) => {
    const srv = net.createServer();
    srv.unref();
    srv.on('error', reject);
    srv.listen(0, '127.0.0.1', () => {
      const { port } = srv.address();
      srv.close(() => resolve(port));
    });
  });
}

export const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

// A plain agent without keep-alive: the servers we talk to are killed and restarted a lot.
const agent = new http.Agent({ keepAlive: false, maxSockets: 16 });

/**
 * Minimal HTTP client. Resolves {status, text}; rejects on connection errors and timeouts.
 */
export function httpRequest(url, { method = 'GET', body = undefined, headers = {}, timeoutMs = 30000 } = {}) {
  return new Promise((resolve, reject) => {
    const u = new URL(url);
    const payload = body === undefined ? undefined : Buffer.from(body);
    const req = http.request({
      agent,
      host: u.hostname,
      port: u.port,
      path: u.pathname + u.search,
      method,
      headers: {
        ...(payload ? { 'content-type': 'application/json', 'content-length': payload.length } : {}),
        ...headers,
      },
    }, (res) => {
      const chunks = [];
      res.on('data', (c) => chunks.push(c));
      res.on('end', () => resolve({ status: res.statusCode, headers: res.headers, text: Buffer.concat(chunks).toString('utf8') }));
      res.on('error', reject);
    });
    req.setTimeout(timeoutMs, () => req.destroy(new Error(`HTTP timeout after ${timeoutMs} ms: ${method} ${url}`)));
    req.on('error', reject);
    if (payload) req.write(payload);
    req.end();
  });
}

/** Keep the last `max` bytes of a stream, for printing a child's log on failure. */
export function tailBuffer(max = 64 * 1024) {
  let buf = '';
  return {
    push(chunk) {
      buf += chunk.toString('utf8');
      if (buf.length > max) buf = buf.slice(buf.length - max);
    },
    text() { return buf; },
  };
}

/** Environment of spawned CLIs/daemons: none of the runner's ERC20_INDEXER_* settings leak in. */
export function cleanEnv() {
  const env = {};
  for (const [k, v] of Object.entries(process.env)) if (!k.startsWith('ERC20_INDEXER_')) env[k] = v;
  return env;
}

/** Run `bin ...argv` with cleanEnv(); resolves {code, signal, stdout, stderr, ms}. Killed after timeoutMs. */
export function runCli(bin, argv, { timeoutMs = 60000 } = {}) {
  return new Promise((resolve) => {
    const t0 = Date.now();
    const proc = trackChild(spawn(bin, argv, { stdio: ['ignore', 'pipe', 'pipe'], env: cleanEnv() }));
    let stdout = '';
    let stderr = '';
    proc.stdout.on('data', (c) => { stdout += c; });
    proc.stderr.on('data', (c) => { stderr += c; });
    const timer = setTimeout(() => { try { process.kill(proc.pid, 'SIGKILL'); } catch { /* gone */ } }, timeoutMs);
    proc.on('error', (e) => { clearTimeout(timer); resolve({ code: -1, signal: null, stdout, stderr: stderr + e.message, ms: Date.now() - t0 }); });
    proc.on('close', (c, sig) => { clearTimeout(timer); resolve({ code: c, signal: sig, stdout, stderr, ms: Date.now() - t0 }); });
  });
}
