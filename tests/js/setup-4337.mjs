// Puts what ERC-4337 users find on any major chain but that no genesis ships: the v0.7
// SimpleAccountFactory and the v0.8 Simple7702Account, deployed through the deterministic proxy
// with salt 0 (the addresses permissionless and viem use). On anvil, which has no preinstalls,
// the EntryPoints v0.7 and v0.8 too, with their canonical salts.
//   node setup-4337.mjs <rpcUrl>
import { concat, encodeAbiParameters } from 'viem'
import { entryPoint07Address, entryPoint08Address } from 'viem/account-abstraction'
import { PROXY, ZERO_SALT, artifact, clients, create2, hasCode, preinstall, report } from './lib.mjs'

const [, , rpc] = process.argv

report(async () => {
  const c = await clients(rpc)
  if (!(await hasCode(c.publicClient, PROXY))) throw new Error('no deterministic-deployment proxy')
  if (!(await hasCode(c.publicClient, entryPoint07Address))) {
    await create2(c, PROXY, '0x90d8084deab30c2a37c45e8d47f49f2f7965183cb6990a98943ef94940681de3',
      preinstall('EntryPoint_v070.initcode.hex'), entryPoint07Address)
    await create2(c, PROXY, '0x0a59dbff790c23c976a548690c27297883cc66b4c67024f9117b0238995e35e9',
      preinstall('EntryPoint_v080.initcode.hex'), entryPoint08Address)
  }
  const factory = artifact('aa-contracts-07', 'SimpleAccountFactory')
  const simpleAccountFactory = await create2(c, PROXY, ZERO_SALT,
    concat([factory.bytecode, encodeAbiParameters([{ type: 'address' }], [entryPoint07Address])]),
    '0x91E60e0613810449d098b0b5Ec8b51A0FE8c8985')
  const simple7702 = await create2(c, PROXY, ZERO_SALT,
    artifact('aa-contracts-08', 'Simple7702Account').bytecode,
    '0xe6Cae83BdE06E4c305530e199D7217f42808555B')
  return { chainId: c.chainId, simpleAccountFactory, simple7702 }
})
