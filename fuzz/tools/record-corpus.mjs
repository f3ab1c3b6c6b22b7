// Records the seed corpora of the rpc/ fuzz targets from a real node: anvil
// with the e2e workload (three OpenZeppelin tokens, an NFT, non-ERC20
// Transfer-shaped logs), each answer saved byte for byte as the node sent it.
//   node fuzz/tools/record-corpus.mjs      (needs tests/e2e/node_modules)
// Writes fuzz/corpus/{logs,header,batch,answer,abi}/rec-*; the hex, request
// and config seeds are written by hand (fuzz/README.md). Requests carry the
// ids the daemon uses (1 for a single call, 0..n-1 in a batch), so that the
// decoders accept them.
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { startAnvil, calldata, hex } from '../../tests/e2e/lib/chain.mjs';
import { buildChain } from '../../tests/e2e/lib/workload.mjs';
import { httpRequest } from '../../tests/e2e/lib/proc.mjs';

const CORPUS = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', 'corpus');
const MAX_FILE = 16 * 1024;  // small seeds: libFuzzer mutates them faster

async function raw(url, body) {
  const res = await httpRequest(url, { method: 'POST', body: JSON.stringify(body), headers: { 'content-type': 'application/json' } });
  return res.text;
}
const single = (method, params) => ({ jsonrpc: '2.0', id: 1, method, params });
const batch = (calls) => calls.map(([method, params], id) => ({ jsonrpc: '2.0', id, method, params }));

const seen = new Set();
function save(target, name, text, prefix = null) {
  const bytes = Buffer.from(text, 'utf8');
  const key = `${target} ${prefix} ${text}`;
  if (bytes.length > MAX_FILE || seen.has(key)) return;
  seen.add(key);
  fs.mkdirSync(path.join(CORPUS, target), { recursive: true });
  const out = prefix === null ? bytes : Buffer.concat([Buffer.from([prefix]), bytes]);
  fs.writeFileSync(path.join(CORPUS, target, `rec-${name}`), out);
}

const anvil = await startAnvil({});
try {
  const chain = await buildChain(anvil.url, { seed: 7, blocks: 12 });
  const url = anvil.url;
  const head = chain.head;
  const transfer = '0xddf252ad1be2c89b69c2b068fc378daa952ba7f163c4a11628f55a4df523b3ef';

  // eth_getLogs: single blocks, small ranges, one token, the NFT, empty, errors.
  for (let b = 1; b <= head; b++) {
    const text = await raw(url, single('eth_getLogs', [{ fromBlock: hex(b), toBlock: hex(b), topics: [transfer] }]));
    save('logs', `block-${b}`, text);
    // The same answer cut to its first log: small seeds mutate faster.
    const answer = JSON.parse(text);
    if (answer.result?.length > 1) save('logs', `block-${b}-first`, JSON.stringify({ ...answer, result: answer.result.slice(0, 1) }));
  }
  save('logs', 'range', await raw(url, single('eth_getLogs', [{ fromBlock: hex(head - 1), toBlock: hex(head) }])));
  save('logs', 'token', await raw(url, single('eth_getLogs', [{ fromBlock: '0x0', toBlock: hex(head), address: chain.tokens[2] }])));
  save('logs', 'nft', await raw(url, single('eth_getLogs', [{ fromBlock: '0x0', toBlock: hex(head), address: chain.nft }])));
  save('logs', 'weird', await raw(url, single('eth_getLogs', [{ fromBlock: '0x0', toBlock: hex(head), address: chain.weird }])));
  save('logs', 'empty', await raw(url, single('eth_getLogs', [{ fromBlock: hex(head), toBlock: hex(head - 1) }])));
  save('logs', 'beyond-head', await raw(url, single('eth_getLogs', [{ fromBlock: hex(head + 5), toBlock: hex(head + 9) }])));
  save('logs', 'bad-params', await raw(url, single('eth_getLogs', [{ fromBlock: 'zz' }])));

  // eth_getBlockByNumber: headers (full answers, transactions as hashes), a future block.
  for (const b of [0, 1, head]) {
    save('header', `block-${b}`, await raw(url, single('eth_getBlockByNumber', [hex(b), false])));
  }
  save('header', 'future', await raw(url, single('eth_getBlockByNumber', [hex(head + 100), false])));
  save('header', 'bad-tag', await raw(url, single('eth_getBlockByNumber', ['0x01', false])));

  // Batches: headers (bit 0 clear) and eth_call (bit 0 set); the first byte is (count << 1) | kind.
  for (const n of [1, 3, 7]) {
    const calls = Array.from({ length: n }, (_, i) => ['eth_getBlockByNumber', [hex(head - i), false]]);
    save('batch', `headers-${n}`, await raw(url, batch(calls)), n << 1);
  }
  save('batch', 'headers-future', await raw(url, batch([['eth_getBlockByNumber', [hex(head), false]], ['eth_getBlockByNumber', [hex(head + 50), false]]])), 2 << 1);
  const meta = (token) => ['name', 'symbol', 'decimals', 'totalSupply'].map((fn) => ['eth_call', [{ to: token, data: calldata('TestToken', fn) }, 'latest']]);
  save('batch', 'calls-meta', await raw(url, batch(meta(chain.tokens[0]))), (4 << 1) | 1);
  save('batch', 'calls-nft', await raw(url, batch([...meta(chain.nft).slice(0, 2), ['eth_call', [{ to: chain.weird, data: '0x06fdde03' }, 'latest']]])), (3 << 1) | 1);
  save('batch', 'calls-revert', await raw(url, batch([['eth_call', [{ to: chain.tokens[1], data: '0xdeadbeef' }, 'latest']], meta(chain.tokens[1])[2]])), (2 << 1) | 1);

  // Single answers: QUANTITY (first byte 0), eth_call (1), errors of both.
  save('answer', 'chain-id', await raw(url, single('eth_chainId', [])), 0);
  save('answer', 'block-number', await raw(url, single('eth_blockNumber', [])), 0);
  save('answer', 'unknown-method', await raw(url, single('eth_nonsense', [])), 0);
  for (const fn of ['name', 'symbol', 'decimals', 'totalSupply']) {
    save('answer', `call-${fn}`, await raw(url, single('eth_call', [{ to: chain.tokens[0], data: calldata('TestToken', fn) }, 'latest'])), 1);
  }
  save('answer', 'call-revert', await raw(url, single('eth_call', [{ to: chain.tokens[0], data: '0xdeadbeef' }, 'latest'])), 1);
  save('answer', 'call-eoa', await raw(url, single('eth_call', [{ to: chain.accounts[0], data: '0x06fdde03' }, 'latest'])), 1);

  // ABI return data: the raw bytes of the metadata calls.
  for (const [i, token] of chain.tokens.entries()) {
    for (const fn of ['name', 'symbol', 'decimals', 'totalSupply']) {
      const answer = JSON.parse(await raw(url, single('eth_call', [{ to: token, data: calldata('TestToken', fn) }, 'latest'])));
      const bytes = Buffer.from(answer.result.slice(2), 'hex');
      fs.mkdirSync(path.join(CORPUS, 'abi'), { recursive: true });
      fs.writeFileSync(path.join(CORPUS, 'abi', `rec-token${i}-${fn}`), bytes);
    }
  }
  console.log(`recorded into ${CORPUS} (head ${head})`);
} finally {
  await anvil.stop();
}
