//! Block production: genesis initialisation, and the sequential payload builder that takes
//! transactions from the pool, executes them with the reference executor, seals the block
//! and commits it to storage in one write.
//!
//! Owns *which* transactions go into a block and the header that seals them. It must not
//! decide how transactions execute (that is `agnt2-evm`) or how bytes are stored
//! (`agnt2-storage`).

mod genesis;
mod header;
mod payload;

pub use genesis::{GenesisError, expected_genesis_header, genesis_changes, init_genesis};
pub use header::{holocene_extra_data, next_base_fee};
pub use payload::{BlockBuilder, BuildError, BuiltBlock, PhaseTimes, pool_candidates};
