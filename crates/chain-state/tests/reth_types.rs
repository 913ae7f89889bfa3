//! Our committed blocks convert to reth's `RecoveredBlock` with the same hash reth computes,
//! the same senders and transactions, so plugin code written against reth's block types reads
//! our notifications.

use std::sync::Arc;

use agnt2_chain_state::{Chain, reth_block};
use agnt2_primitives::{OpTxEnvelope, RecoveredTx, SealedBlock};
use agnt2_storage::CommittedBlock;
use alloy::{
    consensus::{Header, SignableTransaction, TxEip1559},
    eips::eip2718::Encodable2718,
    signers::{SignerSync, local::PrivateKeySigner},
};
use alloy_primitives::{Address, B256, Bytes, TxKind, U256};

#[test]
fn a_committed_block_is_a_reth_recovered_block() {
    let key = PrivateKeySigner::random();
    let tx = TxEip1559 {
        chain_id: 28004,
        nonce: 0,
        gas_limit: 21_000,
        max_fee_per_gas: 2,
        max_priority_fee_per_gas: 1,
        to: TxKind::Call(Address::repeat_byte(1)),
        value: U256::from(5),
        access_list: Default::default(),
        input: Bytes::new(),
    };
    let sig = key.sign_hash_sync(&tx.signature_hash()).unwrap();
    let raw = OpTxEnvelope::Eip1559(tx.into_signed(sig)).encoded_2718();
    let tx = RecoveredTx::decode_user(&raw).unwrap();
    let header = Header {
        number: 7,
        parent_hash: B256::repeat_byte(3),
        ..Default::default()
    };
    let block = SealedBlock {
        hash: header.hash_slow(),
        header,
        transactions: vec![tx.clone()],
    };
    let committed = CommittedBlock {
        block: Arc::new(block.clone()),
        receipts: Arc::default(),
        changes: Arc::default(),
    };
    let reth = reth_block(&committed);
    assert_eq!(reth.hash(), block.hash);
    // reth hashes the header itself to the same value.
    assert_eq!(reth.header().hash_slow(), block.hash);
    assert_eq!(reth.senders(), &[key.address()]);
    let hashes: Vec<B256> = reth
        .body()
        .transactions
        .iter()
        .map(|t| t.tx_hash())
        .collect();
    assert_eq!(hashes, vec![tx.hash]);
    let chain = Chain::from_block(committed);
    assert_eq!(chain.reth_blocks()[0].header().number, 7);
}
