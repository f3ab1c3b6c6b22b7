#!/usr/bin/env node
// The floor of bench/backfill.sh: the least work a client can do to fetch every ERC20 Transfer log
// of a block range from the node. It sends eth_getLogs (topic0 = Transfer, no address filter, the
// same filter as the daemon's) over consecutive block ranges, --concurrency requests in flight on
// keep-alive connections, and counts the logs of each raw answer without parsing it (occurrences
// of the Transfer topic hash, which every log carries exactly once as topics[0]).
// With --parse it JSON.parses each answer instead and counts the logs shaped like an ERC20 Transfer
// (3 topics, 32 bytes of data): a floor for a client that must look at every log.
//
//   node bench/floor.mjs --rpc-url URL --from N --to N [--range BLOCKS] [--concurrency C] [--parse]
//
// Prints one line of JSON: {logs, transfers, bytes, requests, seconds, logs_per_s, mb_per_s, range,
// concurrency, mode, cpu_s}. Exit 1 on any RPC error.
import http from 'node:http';

const args = {};
for (let i = 2; i < process.argv.length; i++) {
  const a = process.argv[i];
  if (!a.startsWith('--')) throw new Error(`unexpected argument ${a}`);
  const k = a.slice(2);
  if (k === 'parse') args.parse = true;
  else args[k] = process.argv[++i];
}
const url = new URL(args['rpc-url'] ?? 'http://127.0.0.1:8545');
const from = Number(args.from ?? 0);
const to = Number(args.to);
const range = Number(args.range ?? 20);
const concurrency = Number(args.concurrency ?? 4);
const parse = !!args.parse;
if (!Number.isInteger(to) || to < from || range < 1 || concurrency < 1) {
  console.error('usage: floor.mjs --rpc-url URL --from N --to N [--range BLOCKS] [--concurrency C] [--parse]');
  process.exit(2);
}
const TOPIC = '0xddf252ad1be2c89b69c2b068fc378daa952ba7f163c4a11628f55a4df523b3ef';
const NEEDLE = Buffer.from(`"${TOPIC}"`);
const agent = new http.Agent({ keepAlive: true, maxSockets: concurrency });
const hex = (n) => '0x' + n.toString(16);

function getLogs(a, b, id) {
  const payload = Buffer.from(JSON.stringify({
    jsonrpc: '2.0', id, method: 'eth_getLogs', params: [{ fromBlock: hex(a), toBlock: hex(b), topics: [TOPIC] }],
  }));
  return new Promise((resolve, reject) => {
    const req = http.request({
      agent, host: url.hostname, port: url.port, path: url.pathname, method: 'POST',
      headers: { 'content-type': 'application/json', 'content-length': payload.length },
    }, (res) => {
      const chunks = [];
      let size = 0;
      res.on('data', (c) => { chunks.push(c); size += c.length; });
      res.on('end', () => resolve(Buffer.concat(chunks, size)));
      res.on('error', reject);
    });
    req.setTimeout(120000, () => req.destroy(new Error('eth_getLogs timed out')));
    req.on('error', reject);
    req.end(payload);
  });
}

function countRaw(body) {
  // An error answer has no "result"; anvil writes "result" before the array.
  const head = body.subarray(0, 64).toString('latin1');
  if (!head.includes('"result"')) throw new Error(`eth_getLogs failed: ${body.subarray(0, 300).toString()}`);
  let n = 0;
  for (let i = body.indexOf(NEEDLE); i !== -1; i = body.indexOf(NEEDLE, i + NEEDLE.length)) n++;
  return [n, n];
}

function countParsed(body) {
  const m = JSON.parse(body.toString('utf8'));
  if (m.error || !Array.isArray(m.result)) throw new Error(`eth_getLogs failed: ${JSON.stringify(m.error)}`);
  let transfers = 0;
  for (const log of m.result) {
    if (log.topics.length === 3 && log.topics[0] === TOPIC && log.data.length === 66) transfers++;
  }
  return [m.result.length, transfers];
}

const count = parse ? countParsed : countRaw;
let next = from;
let logs = 0;
let transfers = 0;
let bytes = 0;
let requests = 0;
const cpu0 = process.cpuUsage();
const t0 = process.hrtime.bigint();
async function worker() {
  while (next <= to) {
    const a = next;
    const b = Math.min(to, a + range - 1);
    next = b + 1;
    const body = await getLogs(a, b, ++requests);
    bytes += body.length;
    const [l, t] = count(body);
    logs += l;
    transfers += t;
  }
}
await Promise.all(Array.from({ length: concurrency }, worker));
const seconds = Number(process.hrtime.bigint() - t0) / 1e9;
const cpu = process.cpuUsage(cpu0);
agent.destroy();
process.stdout.write(JSON.stringify({
  logs, transfers, bytes, requests, seconds: Number(seconds.toFixed(3)),
  logs_per_s: Math.round(logs / seconds), mb_per_s: Number((bytes / 1e6 / seconds).toFixed(1)),
  range, concurrency, mode: parse ? 'parse' : 'count', cpu_s: Number(((cpu.user + cpu.system) / 1e6).toFixed(2)),
}) + '\n');
