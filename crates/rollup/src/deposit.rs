//! `TransactionDeposited(address indexed from, address indexed to, uint256 indexed version,
//! bytes opaqueData)` → deposit transaction (OP's deposit spec, version 0).

use agnt2_primitives::{OpTxEnvelope, RecoveredTx};
use alloy::rpc::types::Log;
use alloy_primitives::{Address, B256, Bytes, TxKind, U256, b256, keccak256};
use alloy_sol_types::SolValue;
use op_alloy::consensus::TxDeposit;

/// `keccak256("TransactionDeposited(address,address,uint256,bytes)")`.
pub const TRANSACTION_DEPOSITED: B256 =
    b256!("0xb3813568d9991fc951961fcb4c784893574240a28925604d09fc577c55bb7c32");

/// Why a portal log is not a deposit.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum DepositError {
    /// Not a `TransactionDeposited` log.
    #[error("not a TransactionDeposited log")]
    NotADeposit,
    /// Indexed fields missing.
    #[error("deposit log has {0} topics, expected 4")]
    Topics(usize),
    /// A deposit version this node does not know.
    #[error("unsupported deposit version {0}")]
    Version(U256),
    /// The log's data is not an ABI-encoded `bytes`.
    #[error("deposit log data is not ABI-encoded bytes")]
    Abi,
    /// `opaqueData` shorter than its fixed part (73 bytes).
    #[error("opaqueData of {0} bytes is shorter than 73")]
    Short(usize),
    /// The log does not say which L1 block and position it came from.
    #[error("deposit log lacks its L1 block hash or log index")]
    Position,
}

/// Source hash of a user deposit: `keccak256(0 ‖ keccak256(l1BlockHash ‖ uint256(logIndex)))`.
pub fn user_deposit_source(l1_block_hash: B256, log_index: u64) -> B256 {
    let mut inner = [0u8; 64];
    inner[..32].copy_from_slice(l1_block_hash.as_slice());
    inner[32..].copy_from_slice(&U256::from(log_index).to_be_bytes::<32>());
    let mut outer = [0u8; 64];
    outer[32..].copy_from_slice(keccak256(inner).as_slice());
    keccak256(outer)
}

/// The deposit transaction a portal log asks for. `opaqueData` is
/// `mint(32) ‖ value(32) ‖ gasLimit(8) ‖ isCreation(1) ‖ data`; `from` is already aliased by the
/// portal when the caller was a contract.
pub fn decode_deposit(log: &Log) -> Result<RecoveredTx, DepositError> {
    let (Some(block_hash), Some(log_index)) = (log.block_hash, log.log_index) else {
        return Err(DepositError::Position);
    };
    let topics = log.topics();
    if topics.first() != Some(&TRANSACTION_DEPOSITED) {
        return Err(DepositError::NotADeposit);
    }
    if topics.len() != 4 {
        return Err(DepositError::Topics(topics.len()));
    }
    let from = Address::from_word(topics[1]);
    let to = Address::from_word(topics[2]);
    let version = U256::from_be_bytes(topics[3].0);
    if !version.is_zero() {
        return Err(DepositError::Version(version));
    }
    let opaque =
        <Bytes as SolValue>::abi_decode(&log.data().data).map_err(|_| DepositError::Abi)?;
    if opaque.len() < 73 {
        return Err(DepositError::Short(opaque.len()));
    }
    let mint = U256::from_be_slice(&opaque[..32]);
    let value = U256::from_be_slice(&opaque[32..64]);
    let mut gas = [0u8; 8];
    gas.copy_from_slice(&opaque[64..72]);
    let is_creation = opaque[72] != 0;
    let tx = TxDeposit {
        source_hash: user_deposit_source(block_hash, log_index),
        from,
        to: if is_creation {
            TxKind::Create
        } else {
            TxKind::Call(to)
        },
        // The portal takes `msg.value` as a uint256 but no L1 holds 2^128 wei.
        mint: mint.saturating_to(),
        value,
        gas_limit: u64::from_be_bytes(gas),
        is_system_transaction: false,
        input: Bytes::copy_from_slice(&opaque[73..]),
    };
    Ok(RecoveredTx::from_parts(OpTxEnvelope::from(tx), from))
}

#[cfg(test)]
mod tests {
    use alloy_primitives::{LogData, address};
    use op_alloy::consensus::{DepositSourceDomain, UserDepositSource};

    use super::*;

    fn log(topics: Vec<B256>, opaque: Vec<u8>) -> Log {
        Log {
            inner: alloy_primitives::Log {
                address: Address::repeat_byte(0x99),
                data: LogData::new_unchecked(topics, Bytes::from(opaque).abi_encode().into()),
            },
            block_hash: Some(B256::repeat_byte(7)),
            log_index: Some(3),
            ..Default::default()
        }
    }

    fn opaque(mint: u64, value: u64, gas: u64, creation: bool, data: &[u8]) -> Vec<u8> {
        let mut o = Vec::new();
        o.extend_from_slice(&U256::from(mint).to_be_bytes::<32>());
        o.extend_from_slice(&U256::from(value).to_be_bytes::<32>());
        o.extend_from_slice(&gas.to_be_bytes());
        o.push(u8::from(creation));
        o.extend_from_slice(data);
        o
    }

    #[test]
    fn event_signature_is_ops() {
        assert_eq!(
            keccak256("TransactionDeposited(address,address,uint256,bytes)"),
            TRANSACTION_DEPOSITED
        );
    }

    #[test]
    fn source_hash_matches_op_alloy() {
        let h = B256::repeat_byte(0xab);
        let theirs = UserDepositSource::new(h, 42).source_hash();
        assert_eq!(user_deposit_source(h, 42), theirs);
        assert_eq!(
            DepositSourceDomain::User(UserDepositSource::new(h, 42)).source_hash(),
            theirs
        );
    }

    #[test]
    fn a_deposit_log_becomes_its_transaction() {
        let from = address!("0x1111111111111111111111111111111111111111");
        let to = address!("0x2222222222222222222222222222222222222222");
        let l = log(
            vec![
                TRANSACTION_DEPOSITED,
                from.into_word(),
                to.into_word(),
                B256::ZERO,
            ],
            opaque(5, 3, 100_000, false, &[0xde, 0xad]),
        );
        let tx = decode_deposit(&l).expect("deposit");
        assert_eq!(tx.signer, from);
        let OpTxEnvelope::Deposit(d) = &tx.envelope else {
            panic!("not a deposit")
        };
        assert_eq!(d.source_hash, user_deposit_source(B256::repeat_byte(7), 3));
        assert_eq!((d.mint, d.value, d.gas_limit), (5, U256::from(3), 100_000));
        assert_eq!(d.to, TxKind::Call(to));
        assert_eq!(&d.input[..], &[0xde, 0xad]);
        assert!(!d.is_system_transaction);

        let creation = log(
            vec![
                TRANSACTION_DEPOSITED,
                from.into_word(),
                B256::ZERO,
                B256::ZERO,
            ],
            opaque(0, 0, 60_000, true, &[0x60]),
        );
        let OpTxEnvelope::Deposit(d) = decode_deposit(&creation).unwrap().envelope else {
            panic!("not a deposit")
        };
        assert_eq!(d.to, TxKind::Create);
    }

    #[test]
    fn malformed_logs_are_refused_with_a_reason() {
        let ok_topics = vec![TRANSACTION_DEPOSITED, B256::ZERO, B256::ZERO, B256::ZERO];
        let cases: Vec<(Log, DepositError)> = vec![
            (
                log(vec![B256::ZERO; 4], opaque(0, 0, 1, false, &[])),
                DepositError::NotADeposit,
            ),
            (
                log(ok_topics[..3].to_vec(), opaque(0, 0, 1, false, &[])),
                DepositError::Topics(3),
            ),
            (
                log(
                    vec![
                        TRANSACTION_DEPOSITED,
                        B256::ZERO,
                        B256::ZERO,
                        B256::with_last_byte(1),
                    ],
                    opaque(0, 0, 1, false, &[]),
                ),
                DepositError::Version(U256::from(1)),
            ),
            (log(ok_topics.clone(), vec![0; 72]), DepositError::Short(72)),
        ];
        for (l, want) in cases {
            assert_eq!(decode_deposit(&l).unwrap_err(), want);
        }
        let mut raw = log(ok_topics.clone(), vec![]);
        raw.inner.data = LogData::new_unchecked(ok_topics.clone(), Bytes::from_static(&[1, 2]));
        assert_eq!(decode_deposit(&raw).unwrap_err(), DepositError::Abi);
        let mut unplaced = log(ok_topics, opaque(0, 0, 1, false, &[]));
        unplaced.block_hash = None;
        assert_eq!(
            decode_deposit(&unplaced).unwrap_err(),
            DepositError::Position
        );
    }
}
