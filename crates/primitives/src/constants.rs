//! Reserved addresses and protocol constants (OP Stack predeploys and system accounts).

use alloy_primitives::{Address, address};

/// Chain id of the `--dev` chain (`genesis/dev.json`).
pub const DEV_CHAIN_ID: u64 = 28004;
/// The mnemonic whose first ten accounts are funded on the dev chain, exactly as anvil does.
pub const DEV_MNEMONIC: &str = "test test test test test test test test test test test junk";
/// Number of funded dev accounts.
pub const DEV_ACCOUNTS: u32 = 10;

/// L1-attributes predeploy.
pub const L1_BLOCK: Address = address!("0x4200000000000000000000000000000000000015");
/// Withdrawal predeploy; its storage root is the header's `withdrawalsRoot` (Isthmus).
pub const L2_TO_L1_MESSAGE_PASSER: Address = address!("0x4200000000000000000000000000000000000016");
/// Sender of the L1-attributes system deposit.
pub const L1_ATTRIBUTES_DEPOSITOR: Address = address!("0xdeaddeaddeaddeaddeaddeaddeaddeaddead0001");
/// Priority-fee recipient (the block's beneficiary).
pub const SEQUENCER_FEE_VAULT: Address = address!("0x4200000000000000000000000000000000000011");
/// Base-fee recipient.
pub const BASE_FEE_VAULT: Address = address!("0x4200000000000000000000000000000000000019");
/// L1 data-fee recipient.
pub const L1_FEE_VAULT: Address = address!("0x420000000000000000000000000000000000001a");
/// Operator-fee recipient.
pub const OPERATOR_FEE_VAULT: Address = address!("0x420000000000000000000000000000000000001b");
/// Every account a transaction credits fees to.
pub const FEE_VAULTS: [Address; 4] = [
    SEQUENCER_FEE_VAULT,
    BASE_FEE_VAULT,
    L1_FEE_VAULT,
    OPERATOR_FEE_VAULT,
];

/// Selector of `setL1BlockValuesIsthmus()`.
pub const SET_L1_BLOCK_VALUES_ISTHMUS: [u8; 4] = [0x09, 0x89, 0x99, 0xbe];
/// Gas limit of the L1-attributes deposit (as in the OP Stack).
pub const L1_INFO_DEPOSIT_GAS: u64 = 1_000_000;

/// Largest encoded transaction the pool accepts (geth's `txMaxSize`, 128 KiB).
pub const MAX_TX_SIZE: usize = 128 * 1024;

/// EIP-1559 parameters of OP chains after Canyon.
pub const EIP1559_ELASTICITY: u64 = 6;
/// EIP-1559 base-fee change denominator after Canyon.
pub const EIP1559_DENOMINATOR: u64 = 250;
