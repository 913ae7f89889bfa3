//! Transactions as the node carries them after admission: decoded, hashed and with the sender
//! recovered once.

use alloy::consensus::Transaction;
use alloy::eips::eip2718::{Decodable2718, Encodable2718};
use alloy_primitives::{Address, B256, Bytes};
use op_alloy::consensus::OpTxEnvelope;

use crate::recover::{RecoveryError, recover_signer};

/// Why raw transaction bytes were refused before reaching the pool.
#[derive(Debug, thiserror::Error)]
pub enum TxDecodeError {
    /// Empty input.
    #[error("empty typed transaction bytes")]
    Empty,
    /// Not a valid EIP-2718 envelope.
    #[error("rlp: {0}")]
    Rlp(String),
    /// Bytes left over after the transaction.
    #[error("rlp: input contains more than one value")]
    TrailingBytes,
    /// Deposit and post-exec transactions are sequencer-only.
    #[error(
        "transaction type not supported: deposit transactions are derived from L1, not submitted"
    )]
    DepositNotAllowed,
    /// An EIP-2718 type this chain does not carry (EIP-4844 blobs among them: OP Stack L2s
    /// have no blob transactions).
    #[error("transaction type not supported: type {0:#04x}")]
    TypeNotSupported(u8),
    /// A legacy transaction without EIP-155 replay protection.
    #[error("only replay-protected (EIP-155) transactions allowed over RPC")]
    Unprotected,
    /// Signature did not recover.
    #[error(transparent)]
    Signature(#[from] RecoveryError),
}

/// A decoded transaction with its sender, hash and canonical encoding.
#[derive(Debug, Clone)]
pub struct RecoveredTx {
    /// The transaction.
    pub envelope: OpTxEnvelope,
    /// The recovered sender (or `from` of a deposit).
    pub signer: Address,
    /// Transaction hash.
    pub hash: B256,
    /// EIP-2718 encoding (what the L1 data fee is computed over, and what blocks store).
    pub encoded: Bytes,
}

impl RecoveredTx {
    /// Decodes user-submitted EIP-2718 bytes and recovers the sender. Legacy transactions
    /// without an EIP-155 chain id are refused (they replay on every chain).
    pub fn decode_user(raw: &[u8]) -> Result<Self, TxDecodeError> {
        Self::decode_user_with(raw, false)
    }

    /// [`RecoveredTx::decode_user`], accepting pre-EIP-155 legacy transactions when
    /// `allow_unprotected` is set (geth's `--rpc.allow-unprotected-txs`: presigned keyless
    /// deployments such as the deterministic-deployment proxy's need it).
    pub fn decode_user_with(raw: &[u8], allow_unprotected: bool) -> Result<Self, TxDecodeError> {
        if raw.is_empty() {
            return Err(TxDecodeError::Empty);
        }
        // Typed envelopes start with their type byte; a legacy one with an RLP list header.
        if let Some(&ty) = raw.first()
            && ty < 0x7f
            && ![1u8, 2, 4, 0x7e].contains(&ty)
        {
            return Err(TxDecodeError::TypeNotSupported(ty));
        }
        let mut buf = raw;
        let envelope =
            OpTxEnvelope::decode_2718(&mut buf).map_err(|e| TxDecodeError::Rlp(e.to_string()))?;
        if !buf.is_empty() {
            return Err(TxDecodeError::TrailingBytes);
        }
        let (sig, prehash, hash) = match &envelope {
            OpTxEnvelope::Legacy(s) => {
                if s.tx().chain_id.is_none() && !allow_unprotected {
                    return Err(TxDecodeError::Unprotected);
                }
                (*s.signature(), s.signature_hash(), *s.hash())
            }
            OpTxEnvelope::Eip2930(s) => (*s.signature(), s.signature_hash(), *s.hash()),
            OpTxEnvelope::Eip1559(s) => (*s.signature(), s.signature_hash(), *s.hash()),
            OpTxEnvelope::Eip7702(s) => (*s.signature(), s.signature_hash(), *s.hash()),
            _ => return Err(TxDecodeError::DepositNotAllowed),
        };
        let signer = recover_signer(&sig, prehash)?;
        Ok(Self {
            envelope,
            signer,
            hash,
            encoded: Bytes::copy_from_slice(raw),
        })
    }

    /// Wraps a transaction whose sender is already known (deposits, stored blocks).
    pub fn from_parts(envelope: OpTxEnvelope, signer: Address) -> Self {
        let encoded = Bytes::from(envelope.encoded_2718());
        let hash = envelope.tx_hash();
        Self {
            envelope,
            signer,
            hash,
            encoded,
        }
    }

    /// Whether this is an OP deposit (0x7E).
    pub fn is_deposit(&self) -> bool {
        matches!(self.envelope, OpTxEnvelope::Deposit(_))
    }

    /// Sender nonce (0 for deposits, which have none).
    pub fn nonce(&self) -> u64 {
        self.envelope.nonce()
    }

    /// Gas limit.
    pub fn gas_limit(&self) -> u64 {
        self.envelope.gas_limit()
    }

    /// Chain id, if the transaction commits to one.
    pub fn chain_id(&self) -> Option<u64> {
        self.envelope.chain_id()
    }

    /// The tip this transaction pays per gas at `base_fee` (None if it cannot pay the base fee).
    pub fn effective_tip(&self, base_fee: u64) -> Option<u128> {
        self.envelope.effective_tip_per_gas(base_fee)
    }

    /// Max fee per gas (gas price for legacy transactions).
    pub fn max_fee_per_gas(&self) -> u128 {
        self.envelope.max_fee_per_gas()
    }
}
