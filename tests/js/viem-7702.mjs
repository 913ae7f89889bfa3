// viem as an agent uses it with EIP-7702: sign an authorization for a delegate, send the type-4
// transaction with no gas limit (the node fills and estimates it), then call and simulate
// (simulateCalls, i.e. eth_simulateV1) through the EOA.
//   node viem-7702.mjs <rpcUrl> <delegateAddress>
import { parseAbi } from 'viem'
import { privateKeyToAccount } from 'viem/accounts'
import { DEV_KEYS, clients, report } from './lib.mjs'

const [, , rpc, delegate] = process.argv
const abi = parseAbi([
  'function ping() returns (uint256)',
  'function whoami() view returns (address)',
  'function count() view returns (uint256)',
])

report(async () => {
  const eoa = privateKeyToAccount(DEV_KEYS[5])
  const { publicClient, walletClient } = await clients(rpc, DEV_KEYS[5])
  const authorization = await walletClient.signAuthorization({ contractAddress: delegate, executor: 'self' })
  const hash = await walletClient.sendTransaction({
    authorizationList: [authorization],
    to: eoa.address,
    data: '0x5c36b186', // ping()
  })
  const receipt = await publicClient.waitForTransactionReceipt({ hash })
  const tx = await publicClient.getTransaction({ hash })
  const whoami = await publicClient.readContract({ address: eoa.address, abi, functionName: 'whoami' })
  const count = await publicClient.readContract({ address: eoa.address, abi, functionName: 'count' })
  // viem's simulateCalls (eth_simulateV1): a value transfer, then a call through the delegation.
  const simulated = await publicClient.simulateCalls({
    account: eoa.address,
    traceTransfers: true,
    calls: [
      { to: '0x000000000000000000000000000000000000beef', value: 5n },
      { to: eoa.address, abi, functionName: 'whoami' },
    ],
  })
  return {
    status: receipt.status,
    type: tx.type,
    gas: tx.gas,
    gasUsed: receipt.gasUsed,
    code: await publicClient.getCode({ address: eoa.address }),
    eoa: eoa.address,
    whoami,
    count,
    simulated: simulated.results.map((r) => ({ status: r.status, result: r.result, logs: r.logs?.length })),
  }
})
