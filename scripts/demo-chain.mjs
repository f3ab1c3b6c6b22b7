#!/usr/bin/env node
// Demo chain for the README: a local anvil with three ERC20 tokens and live traffic.
//
//   (cd tests/e2e && npm ci)        # once: anvil, solc and OpenZeppelin from npm
//   node scripts/demo-chain.mjs --port 8545 [--seed 2024] [--blocks 30] [--interval-ms 3000]
//
// Starts anvil on 127.0.0.1:PORT (manual mining, 100 unlocked accounts), deploys
// "Demo USD" (DUSD, 6 decimals), "Demo Ether" (DETH, 18) and "Demo Gold" (DGLD, 8), mines a short
// seeded workload (~30 blocks of mints, transfers, burns, approvals...), then prints ONE line of
// JSON to stdout: {"rpc_url", "chain_id", "anvil_pid", "pid", "head", "tokens": [{address, name,
// symbol, decimals}]}. After that it mines a block with a few random transactions every 3 s, so an
// indexer pointed at the chain can be seen following it, until it is killed (SIGINT/SIGTERM stop
// anvil too). Progress goes to stderr.
import { startAnvil } from '../tests/e2e/lib/chain.mjs';
import { Workload } from '../tests/e2e/lib/workload.mjs';
import { parseArgs } from '../tests/e2e/lib/harness.mjs';
import { shuttingDown } from '../tests/e2e/lib/proc.mjs';

const args = parseArgs();
const port = Number(args.port ?? 8545);
const seed = Number(args.seed ?? 2024);
const blocks = Number(args.blocks ?? 30);
const intervalMs = Number(args['interval-ms'] ?? 3000);
const TOKENS = [
  { name: 'Demo USD', symbol: 'DUSD', decimals: 6 },
  { name: 'Demo Ether', symbol: 'DETH', decimals: 18 },
  { name: 'Demo Gold', symbol: 'DGLD', decimals: 8 },
];
const say = (s) => process.stderr.write(`[demo-chain] ${s}\n`);

let anvil;
try {
  anvil = await startAnvil({ port });
} catch (e) {
  say(`cannot start anvil on port ${port}: ${e.message}`);
  process.exit(1);
}
anvil.proc.once('exit', (code, signal) => {
  if (shuttingDown()) return;
  say(`anvil exited (code ${code}, signal ${signal})`);
  process.exit(1);
});
say(`anvil pid ${anvil.pid} on ${anvil.url}; deploying tokens and mining ${blocks} blocks`);

const w = new Workload(anvil.url, { seed, tokenSpecs: TOKENS, extras: false, txPerBlock: [4, 12], externals: 10 });
await w.setup();
await w.run(blocks);
process.stdout.write(JSON.stringify({
  rpc_url: anvil.url,
  chain_id: anvil.chainId,
  anvil_pid: anvil.pid,
  pid: process.pid,
  head: w.head,
  tokens: TOKENS.map((t, i) => ({ address: w.tokens[i], ...t })),
}) + '\n');
say(`ready at block ${w.head}; one block with a few transfers every ${intervalMs} ms (Ctrl-C to stop)`);

for (;;) {
  await new Promise((r) => setTimeout(r, intervalMs));
  try {
    const head = await w.step({ txs: w.rng.int(2, 6) });
    say(`block ${head}`);
  } catch (e) {
    say(`round failed: ${e.message}`);
  }
}
