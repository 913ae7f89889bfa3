//! Block production: genesis initialisation (with OP Stack's preinstalls), and the payload builder that takes transactions
//! from the pool, executes them (with the reference executor, or with the dependency-aware
//! parallel executor that must reach the same result), seals the block and commits it to storage
//! in one write; and the sequencer's block loop (`produce_blocks`) over them.
//!
//! Owns *which* transactions go into a block and the header that seals them. It must not
//! decide how transactions execute (that is `agnt2-evm`) or how bytes are stored
//! (`agnt2-storage`).

mod attributes;
mod genesis;
mod header;
mod parallel;
mod payload;
mod preinstalls;
mod producer;

pub use attributes::PayloadAttributes;
pub use genesis::{
    GenesisError, expected_genesis_header, genesis_changes, init_genesis, init_genesis_bulk,
};
pub use header::{
    holocene_extra_data, holocene_extra_data_with, next_base_fee, next_base_fee_with,
};
pub use parallel::{ParallelStats, PredictionCache};
pub use payload::{
    BlockBuilder, BuildError, BuilderMode, BuiltBlock, ForcedTxError, PhaseTimes, pool_candidates,
};
pub use preinstalls::{PreinstallError, add_preinstalls, preinstall_alloc};
pub use producer::{
    DevPayloads, PayloadSource, SequencerAction, build_one, produce_blocks, unwind,
};
