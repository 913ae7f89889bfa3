//! The gas schedule of the native registries.
//!
//! Prices are what an operation costs the node, measured by `precompile-bench` (its
//! calibration rows) and converted to gas at the EVM's own price of compute on the same machine
//! (a pure ADD/SUB/JUMPI loop: about 1,050 gas per µs on the reference machine). See
//! `docs/precompiles.md` for the figures. A read is priced by whether the slot is cold in the
//! transaction (a database lookup) or warm (a journal hit); a write by what it does to the trie:
//! nothing, an update of a leaf, or a new leaf (state growth). Logs cost exactly what LOGn costs.

/// Every call: dispatch and ABI decoding of the head.
pub const CALL_BASE: u64 = 200;
/// A slot read already loaded in this transaction (a journal hit).
pub const SLOAD: u64 = 100;
/// Deriving the slot a read looks up: every registry slot is `keccak256(domain ‖ keys)`, and
/// the hash (~0.2 µs) costs more than the journal hit it leads to (`precompile-worst`).
pub const SLOT_KECCAK: u64 = 200;
/// A slot read first touched in this transaction: measured 0.82–0.88 µs from MDBX.
pub const SLOAD_COLD: u64 = 900;
/// A write that leaves the value as it was.
pub const SSTORE_NOOP: u64 = 100;
/// A write that updates or clears a slot: measured 2.2–2.5 µs of state-root work per slot.
pub const SSTORE: u64 = 2_500;
/// A write that creates a slot (zero to non-zero): measured 3.2–5.2 µs of state-root work plus
/// the new row.
pub const SSTORE_NEW_SLOT: u64 = 5_000;
/// An escrow payout (two balance updates).
pub const TRANSFER: u64 = 2_000;
/// Per 32-byte word of string data copied in or out of storage.
pub const COPY_WORD: u64 = 3;
/// Per 32-byte word of calldata decoded.
pub const CALLDATA_WORD: u64 = 3;

/// Per 32-byte word hashed with keccak256. The EVM's 6 gas a word prices hashing at about a
/// tenth of its own compute rate (keccak runs ~12 words/µs here); 40 keeps a call that hashes
/// caller-chosen bytes near half the compute rate (`precompile-worst`).
pub const KECCAK_WORD: u64 = 40;
/// Per entry of a caller-supplied address list (decoded, set up for lookups).
pub const LIST_ITEM: u64 = 20;

/// Cost of hashing `len` bytes.
pub const fn keccak(len: usize) -> u64 {
    30 + (len as u64).div_ceil(32) * KECCAK_WORD
}

/// Cost of copying `len` bytes.
pub const fn copy(len: usize) -> u64 {
    (len as u64).div_ceil(32) * COPY_WORD
}

/// Cost of a log with `topics` topics and `len` bytes of data (the EVM's LOGn price).
pub const fn log(topics: usize, len: usize) -> u64 {
    375 + 375 * topics as u64 + 8 * len as u64
}
