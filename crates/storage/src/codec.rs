//! Byte layouts of the values stored in MDBX. Fixed-width big-endian where possible so keys
//! sort numerically; variable data is length-prefixed.

use agnt2_primitives::{OpReceiptEnvelope, OpTxEnvelope, ReceiptMeta, RecoveredTx, StoredReceipt};
use alloy::consensus::Header;
use alloy::eips::eip2718::{Decodable2718, Encodable2718};
use alloy_primitives::{Address, B256, U256};
use alloy_rlp::{Decodable, Encodable};

use crate::StorageError;

pub use agnt2_storage_api::StoredAccount;

/// RLP of a storage value as the storage trie stores it (empty for zero = delete).
pub fn storage_trie_value(value: U256) -> Vec<u8> {
    if value.is_zero() {
        return Vec::new();
    }
    let mut out = Vec::with_capacity(33);
    value.encode(&mut out);
    out
}

/// Minimal cursor over a byte slice for the length-prefixed layouts below.
struct Reader<'a>(&'a [u8]);

impl<'a> Reader<'a> {
    fn take(&mut self, n: usize) -> Result<&'a [u8], StorageError> {
        if self.0.len() < n {
            return Err(StorageError::Corrupt("truncated value"));
        }
        let (a, b) = self.0.split_at(n);
        self.0 = b;
        Ok(a)
    }
    fn u32(&mut self) -> Result<u32, StorageError> {
        Ok(u32::from_be_bytes(
            self.take(4)?
                .try_into()
                .map_err(|_| StorageError::Corrupt("u32"))?,
        ))
    }
    fn u64(&mut self) -> Result<u64, StorageError> {
        Ok(u64::from_be_bytes(
            self.take(8)?
                .try_into()
                .map_err(|_| StorageError::Corrupt("u64"))?,
        ))
    }
    fn u128(&mut self) -> Result<u128, StorageError> {
        Ok(u128::from_be_bytes(
            self.take(16)?
                .try_into()
                .map_err(|_| StorageError::Corrupt("u128"))?,
        ))
    }
}

/// Header RLP.
pub fn encode_header(h: &Header) -> Vec<u8> {
    let mut out = Vec::with_capacity(600);
    h.encode(&mut out);
    out
}

/// Inverse of [`encode_header`].
pub fn decode_header(mut b: &[u8]) -> Result<Header, StorageError> {
    Header::decode(&mut b).map_err(|_| StorageError::Corrupt("header rlp"))
}

/// A block body: per transaction `sender ‖ hash ‖ len ‖ eip2718 bytes`.
pub fn encode_body(txs: &[RecoveredTx]) -> Vec<u8> {
    let mut out = Vec::with_capacity(txs.iter().map(|t| t.encoded.len() + 56).sum());
    for tx in txs {
        out.extend_from_slice(tx.signer.as_slice());
        out.extend_from_slice(tx.hash.as_slice());
        out.extend_from_slice(&(tx.encoded.len() as u32).to_be_bytes());
        out.extend_from_slice(&tx.encoded);
    }
    out
}

/// Inverse of [`encode_body`].
pub fn decode_body(b: &[u8]) -> Result<Vec<RecoveredTx>, StorageError> {
    let mut r = Reader(b);
    let mut txs = Vec::new();
    while !r.0.is_empty() {
        txs.push(decode_tx(&mut r)?);
    }
    Ok(txs)
}

/// The first transaction of an [`encode_body`] body, the others left undecoded.
pub fn decode_first_tx(b: &[u8]) -> Result<Option<RecoveredTx>, StorageError> {
    let mut r = Reader(b);
    if r.0.is_empty() {
        return Ok(None);
    }
    decode_tx(&mut r).map(Some)
}

fn decode_tx(r: &mut Reader<'_>) -> Result<RecoveredTx, StorageError> {
    let signer = Address::from_slice(r.take(20)?);
    let hash = B256::from_slice(r.take(32)?);
    let len = r.u32()? as usize;
    let raw = r.take(len)?;
    let envelope = OpTxEnvelope::decode_2718(&mut &raw[..])
        .map_err(|_| StorageError::Corrupt("stored transaction"))?;
    Ok(RecoveredTx {
        envelope,
        signer,
        hash,
        encoded: raw.to_vec().into(),
    })
}

/// Receipts of a block: per receipt `gas_used ‖ price ‖ l1_fee ‖ has_contract ‖ [contract] ‖ len ‖ eip2718`.
pub fn encode_receipts(receipts: &[StoredReceipt]) -> Vec<u8> {
    let mut out = Vec::new();
    for r in receipts {
        out.extend_from_slice(&r.meta.gas_used.to_be_bytes());
        out.extend_from_slice(&r.meta.effective_gas_price.to_be_bytes());
        out.extend_from_slice(&r.meta.l1_fee.to_be_bytes());
        match r.meta.contract_address {
            Some(a) => {
                out.push(1);
                out.extend_from_slice(a.as_slice());
            }
            None => out.push(0),
        }
        let enc = r.receipt.encoded_2718();
        out.extend_from_slice(&(enc.len() as u32).to_be_bytes());
        out.extend_from_slice(&enc);
    }
    out
}

/// Inverse of [`encode_receipts`].
pub fn decode_receipts(b: &[u8]) -> Result<Vec<StoredReceipt>, StorageError> {
    let mut r = Reader(b);
    let mut out = Vec::new();
    while !r.0.is_empty() {
        let gas_used = r.u64()?;
        let effective_gas_price = r.u128()?;
        let l1_fee = r.u128()?;
        let contract_address = match r.take(1)?[0] {
            1 => Some(Address::from_slice(r.take(20)?)),
            _ => None,
        };
        let len = r.u32()? as usize;
        let raw = r.take(len)?;
        let receipt = OpReceiptEnvelope::decode_2718(&mut &raw[..])
            .map_err(|_| StorageError::Corrupt("stored receipt"))?;
        out.push(StoredReceipt {
            receipt,
            meta: ReceiptMeta {
                gas_used,
                contract_address,
                effective_gas_price,
                l1_fee,
            },
        });
    }
    Ok(out)
}

/// A block's state changes as the journal of unpersisted blocks keeps them (`PendingState`):
/// `count u32`, then per account `address 20 ‖ flags u8` (1: has info, 2: wipe storage, 4: has
/// code) `[‖ nonce u64 ‖ balance 32 ‖ code_hash 32 [‖ len u32 ‖ code]] ‖ slots u32 ‖ (slot 32
/// ‖ value 32)*`. Enough to replay the block's state writes after a crash without executing it.
pub fn encode_changes(changes: &crate::StateChanges) -> Vec<u8> {
    let mut out = Vec::with_capacity(changes.len() * 96);
    out.extend_from_slice(&(changes.len() as u32).to_be_bytes());
    for (address, change) in changes {
        out.extend_from_slice(address.as_slice());
        let code = change.info.as_ref().and_then(|i| i.code.as_ref());
        let flags = u8::from(change.info.is_some())
            | (u8::from(change.wipe_storage) << 1)
            | (u8::from(code.is_some()) << 2);
        out.push(flags);
        if let Some(info) = &change.info {
            out.extend_from_slice(&info.nonce.to_be_bytes());
            out.extend_from_slice(&info.balance.to_be_bytes::<32>());
            out.extend_from_slice(info.code_hash.as_slice());
            if let Some(code) = code {
                out.extend_from_slice(&(code.len() as u32).to_be_bytes());
                out.extend_from_slice(code);
            }
        }
        out.extend_from_slice(&(change.storage.len() as u32).to_be_bytes());
        for (slot, value) in &change.storage {
            out.extend_from_slice(&slot.to_be_bytes::<32>());
            out.extend_from_slice(&value.to_be_bytes::<32>());
        }
    }
    out
}

/// Inverse of [`encode_changes`].
pub fn decode_changes(b: &[u8]) -> Result<crate::StateChanges, StorageError> {
    let mut r = Reader(b);
    let count = r.u32()?;
    let mut changes = crate::StateChanges::new();
    for _ in 0..count {
        let address = Address::from_slice(r.take(20)?);
        let flags = r.take(1)?[0];
        if flags & !7 != 0 || (flags & 1 == 0 && flags & 4 != 0) {
            return Err(StorageError::Corrupt("state change flags"));
        }
        let info = if flags & 1 != 0 {
            let nonce = r.u64()?;
            let balance = U256::from_be_slice(r.take(32)?);
            let code_hash = B256::from_slice(r.take(32)?);
            let code = if flags & 4 != 0 {
                let len = r.u32()? as usize;
                Some(alloy_primitives::Bytes::copy_from_slice(r.take(len)?))
            } else {
                None
            };
            Some(crate::AccountUpdate {
                nonce,
                balance,
                code_hash,
                code,
            })
        } else {
            None
        };
        let slots = r.u32()?;
        let mut storage = std::collections::BTreeMap::new();
        for _ in 0..slots {
            let slot = U256::from_be_slice(r.take(32)?);
            let value = U256::from_be_slice(r.take(32)?);
            storage.insert(slot, value);
        }
        changes.insert(
            address,
            crate::AccountChange {
                info,
                storage,
                wipe_storage: flags & 2 != 0,
            },
        );
    }
    if !r.0.is_empty() {
        return Err(StorageError::Corrupt("trailing bytes after state changes"));
    }
    Ok(changes)
}
