// Helpers shared by the client scripts: chain clients for a node URL, funding, deployments
// through the deterministic-deployment proxy, and JSON output with bigints as strings.
import fs from 'node:fs'
import {
  concat, createPublicClient, createWalletClient, defineChain, getContractAddress, http, parseEther,
} from 'viem'
import { privateKeyToAccount } from 'viem/accounts'

export const DEV_KEYS = [
  '0xac0974bec39a17e36ba4a6b4d238ff944bacb478cbed5efcae784d7bf4f2ff80',
  '0x59c6995e998f97a5a0044966f0945389dc9e86dae88c7a8412f4603b6b78690d',
  '0x5de4111afa1a4b94908f83103eb1f1706367c2e68ca870fc3fb9a804cdab365a',
  '0x7c852118294e51e653712a81e05800f419141751be58f605c371e15141b007a6',
  '0x47e179ec197488593b187f80a00eb0da91f1b9d0b13f8733639f19c30a34926a',
  '0x8b3a350cf5c34c9194ca85829a2df0ec3153be0318b5e2d3348e872092edffba',
]
export const PROXY = '0x4e59b44847b379578588920cA78FbF26c0B4956C'
export const ZERO_SALT = '0x' + '00'.repeat(32)

export async function clients(rpc, key = DEV_KEYS[0]) {
  const chainId = await createPublicClient({ transport: http(rpc) }).getChainId()
  const chain = defineChain({
    id: chainId,
    name: `chain-${chainId}`,
    nativeCurrency: { name: 'Ether', symbol: 'ETH', decimals: 18 },
    rpcUrls: { default: { http: [rpc] } },
  })
  const publicClient = createPublicClient({ chain, transport: http(rpc), pollingInterval: 100 })
  const walletClient = createWalletClient({ chain, transport: http(rpc), account: privateKeyToAccount(key) })
  return { chain, chainId, publicClient, walletClient }
}

export async function fund(publicClient, walletClient, to, eth = '0.1') {
  const hash = await walletClient.sendTransaction({ to, value: parseEther(eth) })
  const receipt = await publicClient.waitForTransactionReceipt({ hash })
  if (receipt.status !== 'success') throw new Error(`funding ${to} failed`)
}

export const hasCode = async (publicClient, address) => {
  const code = await publicClient.getCode({ address })
  return !!code && code !== '0x'
}

/** CREATE2 through `factory` (salt ‖ initcode), unless the code is already there. */
export async function create2({ publicClient, walletClient }, factory, salt, initcode, expected) {
  const address = getContractAddress({ opcode: 'CREATE2', from: factory, salt, bytecode: initcode })
  if (expected && address.toLowerCase() !== expected.toLowerCase()) {
    throw new Error(`CREATE2 address ${address}, expected ${expected}`)
  }
  if (await hasCode(publicClient, address)) return address
  const hash = await walletClient.sendTransaction({ to: factory, data: concat([salt, initcode]) })
  const receipt = await publicClient.waitForTransactionReceipt({ hash })
  if (receipt.status !== 'success' || !(await hasCode(publicClient, address))) {
    throw new Error(`deployment at ${address} failed (tx ${hash})`)
  }
  return address
}

export const preinstall = (file) =>
  '0x' + fs.readFileSync(new URL(`../../crates/primitives/preinstalls/${file}`, import.meta.url), 'utf8').trim()

export const artifact = (pkg, name) =>
  JSON.parse(fs.readFileSync(new URL(`./node_modules/${pkg}/artifacts/${name}.json`, import.meta.url)))

export const toJson = (o) => JSON.stringify(o, (_, v) => (typeof v === 'bigint' ? v.toString() : v))

/** Runs `main`, prints its result as one JSON line, exits non-zero on an exception. */
export async function report(main) {
  try {
    console.log(toJson(await main()))
  } catch (e) {
    console.error(e?.stack ?? String(e))
    console.log(toJson({ error: e?.shortMessage ?? e?.message ?? String(e), details: e?.details }))
    process.exit(1)
  }
}
