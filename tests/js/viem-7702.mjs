// viem as an agent uses it with EIP-7702: sign an authorization for a delegate, send the type-4
// transaction with no gas limit (the node fills and estimates it), then call through the EOA.
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
  return {
    status: receipt.status,
    type: tx.type,
    gas: tx.gas,
    gasUsed: receipt.gasUsed,
    code: await publicClient.getCode({ address: eoa.address }),
    eoa: eoa.address,
    whoami,
    count,
  }
})
