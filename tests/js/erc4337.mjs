// ERC-4337 as its users drive it, through the Alto bundler: a permissionless SimpleAccount on
// EntryPoint v0.7 (counterfactual address, the first operation deploys it, a second batches two
// calls) and viem's Simple7702 account on EntryPoint v0.8 (the first operation carries the EOA's
// EIP-7702 authorization). Prints the gas figures of every operation.
//   OWNER_KEY=… OWNER_7702_KEY=… node erc4337.mjs <rpcUrl> <bundlerUrl>
import { createSmartAccountClient } from 'permissionless'
import { toSimpleSmartAccount } from 'permissionless/accounts'
import { createPimlicoClient } from 'permissionless/clients/pimlico'
import { http, createWalletClient } from 'viem'
import { entryPoint07Address, toSimple7702SmartAccount } from 'viem/account-abstraction'
import { privateKeyToAccount } from 'viem/accounts'
import { DEV_KEYS, clients, fund, report } from './lib.mjs'

const [, , rpc, bundler] = process.argv
const to1 = privateKeyToAccount(DEV_KEYS[1]).address
const to2 = privateKeyToAccount(DEV_KEYS[2]).address

// The figures of the operation as sent (the client re-estimates while preparing it, so these,
// not the first estimate's, are what the EntryPoint charged against).
function figures(sent, receipt) {
  return {
    preVerificationGas: sent.preVerificationGas,
    verificationGasLimit: sent.verificationGasLimit,
    callGasLimit: sent.callGasLimit,
    success: receipt.success,
    actualGasUsed: receipt.actualGasUsed,
  }
}

async function run(smart, calls, authorization) {
  const estimate = await smart.estimateUserOperationGas({ calls, authorization })
  if (!(estimate.callGasLimit > 0n)) throw new Error('eth_estimateUserOperationGas gave no call gas')
  const sent = await smart.prepareUserOperation({ calls, authorization })
  sent.signature = await smart.account.signUserOperation(sent)
  const hash = await smart.sendUserOperation(sent)
  const receipt = await smart.waitForUserOperationReceipt({ hash, timeout: 60_000 })
  return { userOpHash: hash, ...figures(sent, receipt) }
}

report(async () => {
  const { chain, publicClient, walletClient } = await clients(rpc)
  const pimlico = createPimlicoClient({ chain, transport: http(bundler), pollingInterval: 100 })
  const fees = async () => (await pimlico.getUserOperationGasPrice()).fast
  const client = (account) => createSmartAccountClient({
    account, chain, client: publicClient, bundlerTransport: http(bundler), pollingInterval: 100,
    userOperation: { estimateFeesPerGas: fees },
  })

  const simple = await toSimpleSmartAccount({
    client: publicClient,
    owner: privateKeyToAccount(process.env.OWNER_KEY),
    entryPoint: { address: entryPoint07Address, version: '0.7' },
  })
  const counterfactual = { address: simple.address, deployed: await simple.isDeployed() }
  await fund(publicClient, walletClient, simple.address)
  const simpleClient = client(simple)
  const simpleOps = [
    await run(simpleClient, [{ to: to1, value: 1n }]),
    await run(simpleClient, [{ to: to1, value: 2n }, { to: to2, value: 3n }]),
  ]
  const receipt = await simpleClient.getUserOperationReceipt({ hash: simpleOps[1].userOpHash })

  const owner = privateKeyToAccount(process.env.OWNER_7702_KEY)
  const s7702 = await toSimple7702SmartAccount({ client: publicClient, owner })
  await fund(publicClient, walletClient, owner.address)
  const ownerWallet = createWalletClient({ chain, transport: http(rpc), account: owner })
  const authorization = await ownerWallet.signAuthorization({ contractAddress: s7702.authorization.address })
  const s7702Client = client(s7702)
  const s7702Ops = [
    await run(s7702Client, [{ to: to1, value: 1n }], authorization),
    await run(s7702Client, [{ to: to1, value: 2n }, { to: to2, value: 3n }]),
  ]
  return {
    simple: {
      counterfactual,
      deployed: await simple.isDeployed(),
      ops: simpleOps,
      receiptByHash: receipt?.success === true,
    },
    simple7702: {
      entryPoint: s7702.entryPoint.address,
      code: await publicClient.getCode({ address: owner.address }),
      implementation: s7702.authorization.address,
      ops: s7702Ops,
    },
  }
})
