//! Chain-wide facts of agnt2: the chain spec and genesis, reserved addresses, protocol
//! constants, and the transaction types every other crate passes around.
//!
//! This crate owns no I/O and no execution: it must not depend on the EVM, storage or RPC
//! crates, so that all of them can share it.

pub mod block;
pub mod chainspec;
pub mod constants;
pub mod preinstalls;
pub mod recover;
pub mod tx;

pub use block::{ReceiptMeta, SealedBlock, StoredReceipt};
pub use chainspec::{ChainSpec, ChainSpecError};
pub use recover::{RecoveryError, recover_signer};
pub use tx::{RecoveredTx, TxDecodeError};

pub use alloy_primitives::{Address, B256, Bytes, U256};
pub use op_alloy::consensus::{OpReceiptEnvelope, OpTxEnvelope};
