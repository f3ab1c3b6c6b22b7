// AirdropToken (bench/contracts/AirdropToken.sol): an ERC20 that creates thousands of holders in
// one transaction (`airdrop(start, count)` emits one Transfer from 0x0 per derived holder). Used by
// api.test.mjs (a token with more holders than one export page) and bench/query.sh (>= 100k).
import { createRequire } from 'node:module';
import fs from 'node:fs';
import path from 'node:path';
import { rpc, rpcBatch, encodeArgs, hex, receipt, REPO_DIR, E2E_DIR } from './chain.mjs';

const require = createRequire(import.meta.url);
export const AIRDROP_SOL = path.join(REPO_DIR, 'bench', 'contracts', 'AirdropToken.sol');

let compiled = null;

/** Compile AirdropToken with the e2e solc-js. Returns {abi, bytecode, methodIdentifiers}. */
export function compileAirdrop() {
  if (compiled) return compiled;
  const solc = require(path.join(E2E_DIR, 'node_modules', 'solc'));
  const input = {
    language: 'Solidity',
    sources: { 'AirdropToken.sol': { content: fs.readFileSync(AIRDROP_SOL, 'utf8') } },
    settings: {
      optimizer: { enabled: true, runs: 200 },
      evmVersion: 'cancun',
      outputSelection: { '*': { '*': ['abi', 'evm.bytecode.object', 'evm.methodIdentifiers'] } },
    },
  };
  const out = JSON.parse(solc.compile(JSON.stringify(input)));
  const errors = (out.errors || []).filter((e) => e.severity === 'error');
  if (errors.length) throw new Error('solc failed:\n' + errors.map((e) => e.formattedMessage || e.message).join('\n'));
  const c = out.contracts['AirdropToken.sol'].AirdropToken;
  compiled = { abi: c.abi, bytecode: '0x' + c.evm.bytecode.object, methodIdentifiers: c.evm.methodIdentifiers };
  return compiled;
}

const sel = (sig) => '0x' + compileAirdrop().methodIdentifiers[sig];

/** Calldata of AirdropToken function `sig` (full signature) with `types`/`args`. */
export function airdropCalldata(sig, args = []) {
  const types = sig.slice(sig.indexOf('(') + 1, -1).split(',').filter(Boolean);
  return sel(sig) + encodeArgs(types, args);
}

/**
 * Deploy an AirdropToken from unlocked `from` and mine it. Works with manual mining.
 * Returns the lowercase address.
 */
export async function deployAirdrop(url, from, { name = 'Airdrop Token', symbol = 'AIR', decimals = 18, salt = 1n, unit = 10n ** 15n } = {}) {
  const c = compileAirdrop();
  const data = c.bytecode + encodeArgs(['string', 'string', 'uint8', 'uint256', 'uint256'], [name, symbol, decimals, salt, unit]);
  const txHash = await rpc(url, 'eth_sendTransaction', [{ from, data, gas: hex(3_000_000) }]);
  let r = await rpc(url, 'eth_getTransactionReceipt', [txHash]);
  if (!r) {
    await rpc(url, 'evm_mine', []);
    r = await receipt(url, txHash);
  }
  if (r.status !== '0x1' || !r.contractAddress) throw new Error(`AirdropToken deploy failed: ${JSON.stringify(r)}`);
  return r.contractAddress.toLowerCase();
}

/**
 * Credit holders [start, start + count) with transactions of at most `perTx` holders each, `perBlock`
 * transactions per mined block (gas ~24k per holder: anvil needs a block gas limit to match, e.g.
 * `--gas-limit 1000000000`). Returns the receipts' block numbers.
 */
export async function airdrop(url, from, token, start, count, { perTx = 2000, perBlock = 1, gasPerHolder = 30_000 } = {}) {
  let nonce = Number(BigInt(await rpc(url, 'eth_getTransactionCount', [from, 'pending'])));
  const blocks = [];
  let i = start;
  const end = start + count;
  while (i < end) {
    const hashes = [];
    for (let k = 0; k < perBlock && i < end; k++) {
      const n = Math.min(perTx, end - i);
      hashes.push(await rpc(url, 'eth_sendTransaction', [{
        from, to: token, nonce: hex(nonce++), gas: hex(200_000 + n * gasPerHolder),
        data: airdropCalldata('airdrop(uint256,uint256)', [i, n]),
      }]));
      i += n;
    }
    await rpc(url, 'evm_mine', []);
    const rs = await rpcBatch(url, hashes.map((h) => ['eth_getTransactionReceipt', [h]]));
    for (const r of rs) {
      if (!r || r.status !== '0x1') throw new Error(`airdrop tx failed: ${JSON.stringify(r)?.slice(0, 300)}`);
      blocks.push(Number(BigInt(r.blockNumber)));
    }
  }
  return blocks;
}
