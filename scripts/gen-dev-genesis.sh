#!/usr/bin/env bash
# Regenerates genesis/dev.json: the 10 standard dev accounts (anvil's mnemonic, 10,000 ETH each)
# the OP-Stack predeploys compiled from contracts/src/L2 with the project's solc, and the agent
# registries (ERC-8004 identity front, native registry accounts), then OP Stack's preinstalls.
set -euo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
export PATH="$ROOT/.tools/bin:$PATH"
(cd "$ROOT/contracts" && forge build --quiet)
MNEMONIC="test test test test test test test test test test test junk"
ADDRS=""
for i in $(seq 0 9); do ADDRS="$ADDRS $(cast wallet address --mnemonic "$MNEMONIC" --mnemonic-index "$i")"; done
node - "$ROOT" $ADDRS <<'JS'
const fs = require('fs');
const [root, ...addrs] = process.argv.slice(2);
const code = (name) => JSON.parse(fs.readFileSync(`${root}/contracts/out/${name}.sol/${name}.json`)).deployedBytecode.object;
const alloc = {};
for (const a of addrs) alloc[a] = { balance: '0x21e19e0c9bab2400000' }; // 10,000 ETH
alloc['0x4200000000000000000000000000000000000015'] = { balance: '0x0', code: code('L1Block') };
alloc['0x4200000000000000000000000000000000000016'] = { balance: '0x0', code: code('L2ToL1MessagePasser') };
// ERC-8004 identity registry: the Solidity front over the native core (see docs/precompiles.md).
alloc['0x8004A169FB4a3325136EB29fA0ceB6D2e539a432'] = { balance: '0x0', code: code('IdentityRegistryFront') };
// Native registries keep their state in their own accounts; a one-byte 0xfe marker code keeps
// those accounts non-empty (EIP-161) and makes eth_getCode show something lives there.
for (const r of ['0x8004BAa17C55a88189AE136b182e5fdA19dE9b63', '0x8004Cc8439f36fd5F9F049D9fF86523Df6dAAB58',
                 '0x00000000000000000000000000000000000A9E02', '0x00000000000000000000000000000000000A9E03'])
  alloc[r] = { balance: '0x0', code: '0xfe' };
for (const v of ['0x4200000000000000000000000000000000000019', '0x420000000000000000000000000000000000001a', '0x420000000000000000000000000000000000001b'])
  alloc[v] = { balance: '0x0' };
const genesis = {
  config: {
    chainId: 28004,
    homesteadBlock: 0, eip150Block: 0, eip155Block: 0, eip158Block: 0, byzantiumBlock: 0,
    constantinopleBlock: 0, petersburgBlock: 0, istanbulBlock: 0, muirGlacierBlock: 0,
    berlinBlock: 0, londonBlock: 0, arrowGlacierBlock: 0, grayGlacierBlock: 0,
    mergeNetsplitBlock: 0, shanghaiTime: 0, cancunTime: 0, pragueTime: 0,
    bedrockBlock: 0, regolithTime: 0, canyonTime: 0, ecotoneTime: 0, fjordTime: 0,
    graniteTime: 0, holoceneTime: 0, isthmusTime: 0,
    terminalTotalDifficulty: 0, terminalTotalDifficultyPassed: true,
    optimism: { eip1559Elasticity: 6, eip1559Denominator: 50, eip1559DenominatorCanyon: 250 }
  },
  nonce: '0x0', timestamp: '0x0', extraData: '0x', gasLimit: '0x3938700',
  difficulty: '0x0', mixHash: '0x0000000000000000000000000000000000000000000000000000000000000000',
  coinbase: '0x4200000000000000000000000000000000000011', baseFeePerGas: '0x3b9aca00',
  number: '0x0', gasUsed: '0x0', parentHash: '0x0000000000000000000000000000000000000000000000000000000000000000',
  alloc
};
fs.writeFileSync(`${root}/genesis/dev.json`, JSON.stringify(genesis, null, 2) + '\n');
JS
# OP Stack's preinstalls, deployed for this chain id by the node's own genesis code.
if [ -z "${CARGO_TARGET_DIR:-}" ]; then export CARGO_TARGET_DIR="$HOME/.cache/agnt2/target"; fi
(cd "$ROOT" && cargo run --quiet --bin agnt2 -- genesis add-preinstalls genesis/dev.json)
echo "wrote genesis/dev.json"
