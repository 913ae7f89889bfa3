//! eth_sendRawTransactionSync (EIP-7966) returns the receipt within one block time.

use std::time::{Duration, Instant};

use agnt2_e2e::{CHAIN_ID, Node, dev_signer, signed_transfer};
use alloy_primitives::{Address, U256};
use serde_json::json;

#[test]
fn send_raw_transaction_sync_returns_receipt_within_a_block_time() {
    let block_time = Duration::from_millis(500);
    let node = Node::dev(&["--block-time", "500ms"]);
    let key = dev_signer(1);
    for nonce in 0..3u64 {
        let raw = signed_transfer(
            &key,
            nonce,
            Address::repeat_byte(0x42),
            U256::from(7),
            CHAIN_ID,
        );
        let head = node.block_number();
        let start = Instant::now();
        let receipt = node.rpc("eth_sendRawTransactionSync", json!([raw]));
        let took = start.elapsed();
        assert_eq!(receipt["status"], "0x1", "{receipt}");
        // Included in the next block, or the one after when it arrived while that block was
        // being built, and answered as soon as that block was sealed.
        let included = agnt2_e2e::hex_u64(&receipt["blockNumber"]);
        assert!(
            included <= head + 2,
            "included in {included}, head was {head}"
        );
        assert!(
            took < 2 * block_time + Duration::from_millis(400),
            "took {took:?}"
        );
    }
}
