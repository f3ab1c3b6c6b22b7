// Chain-side helpers: anvil process, JSON-RPC, solc-js compilation, ABI encoding, deploy, mine.
import { spawn } from 'node:child_process';
import { createRequire } from 'node:module';
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { trackChild, stopChild, httpRequest, sleep, freePort, tailBuffer } from './proc.mjs';

export { freePort, sleep };

const require = createRequire(import.meta.url);
export const E2E_DIR = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
export const REPO_DIR = path.resolve(E2E_DIR, '..', '..');
export const CONTRACTS_DIR = path.join(E2E_DIR, 'contracts');
export const ANVIL_BIN = process.env.ANVIL_BIN
  || path.join(E2E_DIR, 'node_modules', '@foundry-rs', 'anvil-linux-amd64', 'bin', 'anvil');

/** keccak256("Transfer(address,address,uint256)"); checked against WeirdToken.transferTopic() in selfcheck. */
export const TRANSFER_TOPIC = '0xddf252ad1be2c89b69c2b068fc378daa952ba7f163c4a11628f55a4df523b3ef';
export const ZERO_ADDRESS = '0x0000000000000000000000000000000000000000';
export const MAX_UINT256 = (1n << 256n) - 1n;

// ---------------------------------------------------------------------------------------------
// JSON-RPC
// ---------------------------------------------------------------------------------------------
let rpcId = 1;

export class RpcError extends Error {
  constructor(method, error) {
    super(`${method}: RPC error ${error.code}: ${error.message}${error.data ? ` (${JSON.stringify(error.data)})` : ''}`);
    this.code = error.code;
    this.rpcMessage = error.message;
    this.data = error.data;
  }
}

/** Single JSON-RPC call; returns `result` or throws RpcError. */
export async function rpc(url, method, params = [], { timeoutMs = 60000 } = {}) {
  const res = await httpRequest(url, {
    method: 'POST',
    body: JSON.stringify({ jsonrpc: '2.0', id: rpcId++, method, params }),
    timeoutMs,
  });
  let msg;
  try { msg = JSON.parse(res.text); } catch { throw new Error(`${method}: HTTP ${res.status}, non-JSON answer: ${res.text.slice(0, 200)}`); }
  if (msg.error) throw new RpcError(method, msg.error);
  return msg.result;
}

/**
 * Batch JSON-RPC: `calls` is [[method, params], ...]. Returns results in call order.
 * Throws on the first error unless `{ raw: true }`, which returns [{result}|{error}] per call.
 * Large batches are split into chunks of `chunk` calls.
 */
export async function rpcBatch(url, calls, { raw = false, chunk = 500, timeoutMs = 120000 } = {}) {
  const out = [];
  for (let i = 0; i < calls.length; i += chunk) {
    const part = calls.slice(i, i + chunk);
    if (part.length === 0) continue;
    const reqs = part.map(([method, params]) => ({ jsonrpc: '2.0', id: rpcId++, method, params: params ?? [] }));
    const res = await httpRequest(url, { method: 'POST', body: JSON.stringify(reqs), timeoutMs });
    let msgs;
    try { msgs = JSON.parse(res.text); } catch { throw new Error(`batch: HTTP ${res.status}, non-JSON answer: ${res.text.slice(0, 200)}`); }
    if (!Array.isArray(msgs)) throw new Error(`batch: expected an array, got ${res.text.slice(0, 200)}`);
    const byId = new Map(msgs.map((m) => [m.id, m]));
    for (let j = 0; j < reqs.length; j++) {
      const m = byId.get(reqs[j].id);
      if (!m) throw new Error(`batch: no answer for ${reqs[j].method}`);
      if (raw) out.push(m.error ? { error: m.error } : { result: m.result });
      else if (m.error) throw new RpcError(reqs[j].method, m.error);
      else out.push(m.result);
    }
  }
  return out;
}

export const hex = (n) => '0x' + BigInt(n).toString(16);
export const blockTag = (b) => (typeof b === 'string' ? b : hex(b));

export async function blockNumber(url) {
  return Number(BigInt(await rpc(url, 'eth_blockNumber')));
}

/** Mine `n` blocks (anvil_mine); n = 1 uses evm_mine. Returns the new head number. */
export async function mine(url, n = 1) {
  if (n === 1) await rpc(url, 'evm_mine', []);
  else await rpc(url, 'anvil_mine', [hex(n)]);
  return blockNumber(url);
}

// ---------------------------------------------------------------------------------------------
// anvil
// ---------------------------------------------------------------------------------------------

/**
 * Start anvil on 127.0.0.1:`port` with 100 unlocked accounts. By default mining is manual
 * (`--no-mining`): blocks only appear through evm_mine / anvil_mine. Pass `automine: true` to
 * mine one block per transaction instead. Resolves once eth_chainId answers.
 * Returns {url, port, pid, chainId, proc, stop(), logs()}.
 */
export async function startAnvil({ port, args = [], accounts = 100, automine = false, timeoutMs = 20000 } = {}) {
  if (!fs.existsSync(ANVIL_BIN)) {
    throw new Error(`anvil not found at ${ANVIL_BIN}: run \`npm ci\` in tests/e2e`);
  }
  port = port ?? await freePort();
  const argv = ['--host', '127.0.0.1', '--port', String(port), '--accounts', String(accounts), '--quiet'];
  if (!automine) argv.push('--no-mining');
  argv.push(...args);
  const log = tailBuffer();
  const proc = trackChild(spawn(ANVIL_BIN, argv, { stdio: ['ignore', 'pipe', 'pipe'] }));
  proc.stdout.on('data', (c) => log.push(c));
  proc.stderr.on('data', (c) => log.push(c));
  const url = `http://127.0.0.1:${port}`;
  const deadline = Date.now() + timeoutMs;
  let chainId;
  for (;;) {
    if (proc.exitCode !== null || proc.signalCode !== null) {
      throw new Error(`anvil exited early (code ${proc.exitCode}, signal ${proc.signalCode}):\n${log.text()}`);
    }
    try {
      chainId = Number(BigInt(await rpc(url, 'eth_chainId', [], { timeoutMs: 2000 })));
      break;
    } catch (e) {
      if (Date.now() > deadline) {
        await stopChild(proc, 'SIGKILL');
        throw new Error(`anvil did not answer eth_chainId within ${timeoutMs} ms: ${e.message}\n${log.text()}`);
      }
      await sleep(50);
    }
  }
  return {
    url,
    port,
    pid: proc.pid,
    chainId,
    proc,
    logs: () => log.text(),
    stop: (signal = 'SIGTERM') => stopChild(proc, signal, 5000),
  };
}

// ---------------------------------------------------------------------------------------------
// solc-js compilation (offline: soljson ships inside the `solc` npm package)
// ---------------------------------------------------------------------------------------------
let compiled = null;

function findImport(importPath) {
  const candidates = [path.join(CONTRACTS_DIR, importPath)];
  try {
    candidates.push(require.resolve(importPath, { paths: [E2E_DIR] }));
  } catch { /* not a package path */ }
  candidates.push(path.join(E2E_DIR, 'node_modules', importPath));
  for (const c of candidates) {
    if (fs.existsSync(c)) return { contents: fs.readFileSync(c, 'utf8') };
  }
  return { error: `File not found: ${importPath}` };
}

/**
 * Compile every contracts/*.sol once per process. Returns
 * { ContractName: { abi, bytecode: '0x…', methodIdentifiers: {'sig(types)': 'selector'} } }.
 */
export function compile() {
  if (compiled) return compiled;
  const solc = require('solc');
  const sources = {};
  for (const f of fs.readdirSync(CONTRACTS_DIR).filter((f) => f.endsWith('.sol')).sort()) {
    sources[f] = { content: fs.readFileSync(path.join(CONTRACTS_DIR, f), 'utf8') };
  }
  const input = {
    language: 'Solidity',
    sources,
    settings: {
      optimizer: { enabled: true, runs: 200 },
      evmVersion: 'cancun',
      outputSelection: { '*': { '*': ['abi', 'evm.bytecode.object', 'evm.methodIdentifiers'] } },
    },
  };
  const output = JSON.parse(solc.compile(JSON.stringify(input), { import: findImport }));
  const errors = (output.errors || []).filter((e) => e.severity === 'error');
  if (errors.length) {
    throw new Error('solc failed:\n' + errors.map((e) => e.formattedMessage || e.message).join('\n'));
  }
  const result = {};
  for (const file of Object.keys(sources)) {
    for (const [name, c] of Object.entries(output.contracts[file] || {})) {
      result[name] = {
        abi: c.abi,
        bytecode: '0x' + c.evm.bytecode.object,
        methodIdentifiers: c.evm.methodIdentifiers,
      };
    }
  }
  compiled = result;
  return compiled;
}

// ---------------------------------------------------------------------------------------------
// ABI encoding (only what the tests need: address, bool, uintN, string, bytes32, T[] of static T)
// ---------------------------------------------------------------------------------------------
const pad32 = (h) => h.padStart(64, '0');

function encodeStatic(type, v) {
  if (type === 'address') {
    const a = String(v).toLowerCase().replace(/^0x/, '');
    if (!/^[0-9a-f]{40}$/.test(a)) throw new Error(`bad address ${v}`);
    return pad32(a);
  }
  if (type === 'bool') return pad32(v ? '1' : '0');
  if (/^uint\d*$/.test(type)) {
    const n = BigInt(v);
    if (n < 0n || n > MAX_UINT256) throw new Error(`uint out of range: ${v}`);
    return pad32(n.toString(16));
  }
  if (type === 'bytes32') {
    const h = String(v).replace(/^0x/, '');
    if (!/^[0-9a-fA-F]{64}$/.test(h)) throw new Error(`bad bytes32 ${v}`);
    return h.toLowerCase();
  }
  throw new Error(`unsupported static ABI type ${type}`);
}

const isDynamic = (type) => type === 'string' || type === 'bytes' || type.endsWith('[]');

function encodeDynamic(type, v) {
  if (type === 'string' || type === 'bytes') {
    const bytes = type === 'string' ? Buffer.from(String(v), 'utf8') : Buffer.from(String(v).replace(/^0x/, ''), 'hex');
    const h = bytes.toString('hex');
    const padded = h.padEnd(Math.ceil(h.length / 64) * 64, '0');
    return pad32(bytes.length.toString(16)) + padded;
  }
  if (type.endsWith('[]')) {
    const inner = type.slice(0, -2);
    if (isDynamic(inner)) throw new Error(`nested dynamic arrays unsupported: ${type}`);
    return pad32(v.length.toString(16)) + v.map((x) => encodeStatic(inner, x)).join('');
  }
  throw new Error(`unsupported dynamic ABI type ${type}`);
}

/** ABI-encode a tuple of arguments (no selector), hex without 0x. */
export function encodeArgs(types, values) {
  if (types.length !== values.length) throw new Error(`expected ${types.length} args, got ${values.length}`);
  let head = '';
  let tail = '';
  const headSize = 32 * types.length;
  for (let i = 0; i < types.length; i++) {
    if (isDynamic(types[i])) {
      head += pad32(((headSize + tail.length / 2)).toString(16));
      tail += encodeDynamic(types[i], values[i]);
    } else {
      head += encodeStatic(types[i], values[i]);
    }
  }
  return head + tail;
}

/** Decode one return value of the given type from eth_call output. */
export function decodeResult(type, data) {
  const h = data.replace(/^0x/, '');
  if (h.length < 64) throw new Error(`short ABI result for ${type}: ${data}`);
  if (/^uint\d*$/.test(type)) return BigInt('0x' + h.slice(0, 64));
  if (type === 'address') return '0x' + h.slice(24, 64);
  if (type === 'bool') return BigInt('0x' + h.slice(0, 64)) !== 0n;
  if (type === 'bytes32') return '0x' + h.slice(0, 64);
  if (type === 'string') {
    const off = Number(BigInt('0x' + h.slice(0, 64))) * 2;
    const len = Number(BigInt('0x' + h.slice(off, off + 64)));
    return Buffer.from(h.slice(off + 64, off + 64 + len * 2), 'hex').toString('utf8');
  }
  throw new Error(`unsupported result type ${type}`);
}

/**
 * Calldata for `fn` of a compiled contract. `fn` is a function name (must be unique in the ABI)
 * or a full signature 'name(type,...)'. The selector comes from solc's evm.methodIdentifiers.
 */
export function calldata(contract, fn, args = []) {
  const c = typeof contract === 'string' ? compile()[contract] : contract;
  const fns = c.abi.filter((x) => x.type === 'function');
  const sigOf = (f) => `${f.name}(${f.inputs.map((i) => i.type).join(',')})`;
  const matches = fn.includes('(') ? fns.filter((f) => sigOf(f) === fn) : fns.filter((f) => f.name === fn);
  if (matches.length !== 1) throw new Error(`function ${fn}: ${matches.length} matches in ABI`);
  const f = matches[0];
  const selector = c.methodIdentifiers[sigOf(f)];
  if (!selector) throw new Error(`no selector for ${sigOf(f)}`);
  return '0x' + selector + encodeArgs(f.inputs.map((i) => i.type), args);
}

/** Read-only call helper: returns decoded first output. */
export async function call(url, contract, to, fn, args = [], block = 'latest') {
  const c = typeof contract === 'string' ? compile()[contract] : contract;
  const data = calldata(c, fn, args);
  const f = c.abi.find((x) => x.type === 'function' && (x.name === fn || `${x.name}(${x.inputs.map((i) => i.type).join(',')})` === fn));
  const out = await rpc(url, 'eth_call', [{ to, data }, blockTag(block)]);
  return decodeResult(f.outputs[0].type, out);
}

// ---------------------------------------------------------------------------------------------
// Transactions
// ---------------------------------------------------------------------------------------------

/** Wait for a receipt (polling); mined blocks on anvil have receipts immediately. */
export async function receipt(url, txHash, timeoutMs = 10000) {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const r = await rpc(url, 'eth_getTransactionReceipt', [txHash]);
    if (r) return r;
    if (Date.now() > deadline) throw new Error(`no receipt for ${txHash}`);
    await sleep(20);
  }
}

/**
 * Deploy `contract` (a name from compile()) with constructor `args` from unlocked `from`:
 * eth_sendTransaction, then mine one block (works with manual mining and with automine), then
 * read the receipt. Returns the lowercase contract address.
 */
export async function deploy(url, from, contract, args = [], { gas = 6_000_000 } = {}) {
  const c = compile()[contract];
  if (!c) throw new Error(`unknown contract ${contract}`);
  const ctor = c.abi.find((x) => x.type === 'constructor');
  const types = ctor ? ctor.inputs.map((i) => i.type) : [];
  const data = c.bytecode + encodeArgs(types, args);
  const txHash = await rpc(url, 'eth_sendTransaction', [{ from, data, gas: hex(gas) }]);
  let r = await rpc(url, 'eth_getTransactionReceipt', [txHash]);
  if (!r) {
    await rpc(url, 'evm_mine', []);
    r = await receipt(url, txHash);
  }
  if (r.status !== '0x1' || !r.contractAddress) throw new Error(`deploy of ${contract} failed: ${JSON.stringify(r)}`);
  return r.contractAddress.toLowerCase();
}
