//! The gas schedule of the native registries.
//!
//! Prices follow what an operation costs the node, measured with `cargo run -p agnt2-bench
//! --release --bin precompile-bench` (see `docs/precompiles.md`): a native slot read or write
//! is one journal lookup with no interpreter around it, so it is priced near the EVM's warm
//! access cost; state growth (a slot that goes from zero to non-zero) carries the lasting cost of
//! a new trie leaf and database row and is priced well above a plain write. Logs cost exactly
//! what LOGn costs, because they cost receipts and bloom filters the same either way.

/// Every call: dispatch and ABI decoding of the head.
pub const CALL_BASE: u64 = 200;
/// One storage slot read.
pub const SLOAD: u64 = 200;
/// One storage slot write that does not create state.
pub const SSTORE: u64 = 500;
/// One storage slot write that creates state (zero to non-zero).
pub const SSTORE_NEW_SLOT: u64 = 5_000;
/// An escrow payout (two balance updates).
pub const TRANSFER: u64 = 2_000;
/// Per 32-byte word of string data copied in or out of storage.
pub const COPY_WORD: u64 = 3;
/// Per 32-byte word of calldata decoded.
pub const CALLDATA_WORD: u64 = 3;

/// Cost of copying `len` bytes.
pub const fn copy(len: usize) -> u64 {
    (len as u64).div_ceil(32) * COPY_WORD
}

/// Cost of a log with `topics` topics and `len` bytes of data (the EVM's LOGn price).
pub const fn log(topics: usize, len: usize) -> u64 {
    375 + 375 * topics as u64 + 8 * len as u64
}
