#!/usr/bin/env node
// Chain for bench/query.sh: anvil with one AirdropToken (bench/contracts/AirdropToken.sol) of
// --holders derived holders (default 100,000), credited --per-tx holders per transaction, a few
// transactions per block, then a second round that credits the first --again holders once more (so
// they have balance history at two blocks), with empty blocks in between.
//
//   node bench/query-chain.mjs [--port P] [--holders N] [--per-tx N] [--per-block N] [--again N]
//
// Prints ONE line of JSON on stdout once the chain is built:
//   {"rpc_url", "anvil_pid", "token", "head", "holders", "transfers", "blocks": [blocks with transfers]}
// then keeps anvil running until SIGTERM/SIGINT. Progress goes to stderr.
import { startAnvil, rpc, mine } from '../tests/e2e/lib/chain.mjs';
import { parseArgs } from '../tests/e2e/lib/harness.mjs';
import { deployAirdrop, airdrop } from '../tests/e2e/lib/airdrop.mjs';

const args = parseArgs();
const holders = Number(args.holders ?? 100000);
const perTx = Number(args['per-tx'] ?? 10000);
const perBlock = Number(args['per-block'] ?? 2);
const again = Number(args.again ?? Math.floor(holders / 5));
const say = (s) => process.stderr.write(`[query-chain] ${s}\n`);

const t0 = Date.now();
const anvil = await startAnvil({
  port: args.port ? Number(args.port) : undefined,
  // ~25k gas per holder: perTx * perBlock holders per block.
  args: ['--gas-limit', String(Math.max(30_000_000, perTx * perBlock * 32_000))],
});
const from = (await rpc(anvil.url, 'eth_accounts'))[0];
const token = await deployAirdrop(anvil.url, from, { name: 'Bench Airdrop', symbol: 'BAIR', decimals: 18, salt: 2024n, unit: 10n ** 15n });
say(`anvil ${anvil.url} (pid ${anvil.pid}); token ${token}; airdropping ${holders} holders, ${perTx} per tx, ${perBlock} tx per block`);
const blocks = new Set();
for (let start = 0; start < holders; start += perTx * perBlock) {
  const n = Math.min(perTx * perBlock, holders - start);
  for (const b of await airdrop(anvil.url, from, token, start, n, { perTx, perBlock })) blocks.add(b);
  await mine(anvil.url, 3); // empty blocks between rounds: historical queries have gaps to cross
}
if (again > 0) {
  say(`second round: holders 0..${again - 1} credited again`);
  for (let start = 0; start < again; start += perTx * perBlock) {
    const n = Math.min(perTx * perBlock, again - start);
    for (const b of await airdrop(anvil.url, from, token, start, n, { perTx, perBlock })) blocks.add(b);
    await mine(anvil.url, 2);
  }
}
const head = Number(BigInt(await rpc(anvil.url, 'eth_blockNumber')));
say(`chain ready in ${((Date.now() - t0) / 1000).toFixed(1)} s: head ${head}`);
process.stdout.write(JSON.stringify({
  rpc_url: anvil.url, anvil_pid: anvil.pid, token, head, holders, transfers: holders + again, blocks: [...blocks].sort((a, b) => a - b),
}) + '\n');

// Stay up until stopped; the e2e process helpers stop anvil on SIGTERM/SIGINT.
anvil.proc.once('exit', () => process.exit(0));
setInterval(() => {}, 1 << 30);
