// viem's own OP Stack actions against an agnt2 devnet, unchanged: a deposit and its L2 hash
// from the L1 log, a deposit carrying an ERC-8004 `register` call, and a withdrawal through
// prove and finalize. Usage: node op-stack.mjs DEVNET_JSON. Prints one JSON line of results.
import fs from 'node:fs'
import {
  createPublicClient, createWalletClient, defineChain, encodeFunctionData, http, pad, parseAbi,
  parseEther,
} from 'viem'
import { privateKeyToAccount } from 'viem/accounts'
import {
  chainConfig, getL2TransactionHashes, publicActionsL1, publicActionsL2, walletActionsL1,
  walletActionsL2,
} from 'viem/op-stack'
import { DEV_KEYS, report } from './lib.mjs'

const devnet = JSON.parse(fs.readFileSync(process.argv[2], 'utf8'))
const c = devnet.contracts
const l1 = defineChain({
  id: devnet.l1ChainId,
  name: 'agnt2-devnet-l1',
  nativeCurrency: { name: 'Ether', symbol: 'ETH', decimals: 18 },
  rpcUrls: { default: { http: [devnet.l1Rpc] } },
  contracts: { multicall3: { address: c.Multicall3 } },
})
const l2 = defineChain({
  ...chainConfig,
  id: devnet.l2ChainId,
  name: 'agnt2-devnet',
  nativeCurrency: { name: 'Ether', symbol: 'ETH', decimals: 18 },
  rpcUrls: { default: { http: [devnet.l2Rpc] } },
  sourceId: devnet.l1ChainId,
  contracts: {
    ...chainConfig.contracts,
    portal: { [devnet.l1ChainId]: { address: c.OptimismPortal } },
    disputeGameFactory: { [devnet.l1ChainId]: { address: c.DisputeGameFactory } },
  },
})
// Dev account 5: no other e2e test uses it on the devnet.
const account = privateKeyToAccount(DEV_KEYS[5])
const opts = { pollingInterval: 100 }
const publicL1 = createPublicClient({ chain: l1, transport: http(), ...opts }).extend(publicActionsL1())
const publicL2 = createPublicClient({ chain: l2, transport: http(), ...opts }).extend(publicActionsL2())
const walletL1 = createWalletClient({ chain: l1, transport: http(), account, ...opts }).extend(walletActionsL1())
const walletL2 = createWalletClient({ chain: l2, transport: http(), account, ...opts }).extend(walletActionsL2())
report(async () => {
const out = {}

// 1. A plain deposit: 1 ETH minted on L2 to the depositor.
{
  const before = await publicL2.getBalance({ address: account.address })
  const args = await publicL2.buildDepositTransaction({ mint: parseEther('1'), to: account.address })
  const hash = await walletL1.depositTransaction(args)
  const receipt = await publicL1.waitForTransactionReceipt({ hash })
  const [l2Hash] = getL2TransactionHashes(receipt)
  const l2Receipt = await publicL2.waitForTransactionReceipt({ hash: l2Hash, timeout: 60_000 })
  const after = await publicL2.getBalance({ address: account.address, blockNumber: l2Receipt.blockNumber })
  out.deposit = {
    l1Status: receipt.status,
    l2Hash,
    l2Status: l2Receipt.status,
    l2Type: (await publicL2.getTransaction({ hash: l2Hash })).type,
    minted: (after - before).toString(),
  }
}

// 2. A deposit carrying calldata: an ERC-8004 agent registered from L1, owned by the L1 sender.
{
  const identity = '0x8004A169FB4a3325136EB29fA0ceB6D2e539a432'
  const data = encodeFunctionData({
    abi: parseAbi(['function register(string tokenURI) returns (uint256)']),
    args: ['ipfs://agnt2-devnet-agent'],
  })
  const args = await publicL2.buildDepositTransaction({ to: identity, data, gas: 1_000_000n })
  const hash = await walletL1.depositTransaction(args)
  const receipt = await publicL1.waitForTransactionReceipt({ hash })
  const [l2Hash] = getL2TransactionHashes(receipt)
  const l2Receipt = await publicL2.waitForTransactionReceipt({ hash: l2Hash, timeout: 60_000 })
  // ERC-721 Transfer(from 0, to owner, id) from the identity registry.
  const mint = l2Receipt.logs.find((l) => l.address.toLowerCase() === identity.toLowerCase()
    && l.topics.length === 4 && l.topics[1] === pad('0x00'))
  out.register = {
    l2Status: l2Receipt.status,
    owner: mint ? `0x${mint.topics[2].slice(26)}` : null,
    expectedOwner: account.address.toLowerCase(),
  }
}

// 3. A withdrawal of 0.25 ETH: initiate on L2, prove against a game, finalize after maturity.
{
  const value = parseEther('0.25')
  const args = await publicL1.buildInitiateWithdrawal({ account, to: account.address, value })
  const hash = await walletL2.initiateWithdrawal(args)
  const receipt = await publicL2.waitForTransactionReceipt({ hash })
  const { output, withdrawal } = await publicL1.waitToProve({ receipt, targetChain: l2, pollingInterval: 250 })
  out.statusBeforeProof = await publicL1.getWithdrawalStatus({ receipt, targetChain: l2 })
  const proveArgs = await publicL2.buildProveWithdrawal({ output, withdrawal })
  const proveHash = await walletL1.proveWithdrawal(proveArgs)
  const proveReceipt = await publicL1.waitForTransactionReceipt({ hash: proveHash })
  out.proveStatus = proveReceipt.status
  await publicL1.waitToFinalize({ targetChain: l2, withdrawalHash: withdrawal.withdrawalHash, pollingInterval: 250 })
  // The game must be resolved and past its finality delay too: poll viem's own status.
  const deadline = Date.now() + 90_000
  let status
  while ((status = await publicL1.getWithdrawalStatus({ receipt, targetChain: l2 })) !== 'ready-to-finalize') {
    if (Date.now() > deadline) throw new Error(`withdrawal stuck at ${status}`)
    await new Promise((r) => setTimeout(r, 500))
  }
  const before = await publicL1.getBalance({ address: account.address })
  const finalizeHash = await walletL1.finalizeWithdrawal({ targetChain: l2, withdrawal })
  const finalizeReceipt = await publicL1.waitForTransactionReceipt({ hash: finalizeHash })
  const after = await publicL1.getBalance({ address: account.address, blockNumber: finalizeReceipt.blockNumber })
  const fee = finalizeReceipt.gasUsed * finalizeReceipt.effectiveGasPrice
  out.withdrawal = {
    finalizeStatus: finalizeReceipt.status,
    received: (after - before + fee).toString(),
    expected: value.toString(),
    status: await publicL1.getWithdrawalStatus({ receipt, targetChain: l2 }),
  }
  // A second finalization is refused (viem's gas estimate hits the revert), and sent anyway
  // with a gas limit it reverts on chain: the portal pays out once.
  const portalBefore = await publicL1.getBalance({ address: c.OptimismPortal })
  try {
    await walletL1.finalizeWithdrawal({ targetChain: l2, withdrawal })
    out.secondFinalize = 'accepted'
  } catch (e) {
    out.secondFinalize = 'refused'
    out.secondFinalizeReason = (e.shortMessage ?? e.message).split('\n')[0]
  }
  const forced = await walletL1.finalizeWithdrawal({ targetChain: l2, withdrawal, gas: 500_000n })
  out.forcedSecondFinalize = (await publicL1.waitForTransactionReceipt({ hash: forced })).status
  out.portalPaidAgain = (portalBefore - await publicL1.getBalance({ address: c.OptimismPortal })).toString()
}
return out
})
