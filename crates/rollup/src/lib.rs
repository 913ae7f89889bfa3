//! The rollup side of the node: how L1 data becomes L2 blocks. This first part holds the
//! consensus-critical decoding of L1 deposits (`TransactionDeposited` logs of the portal into
//! 0x7E deposit transactions with OP's source hashes); the L1 watcher, the derivation of
//! payload attributes, the proposer and later the batcher build on it.
//!
//! Owns the rules that map L1 data to L2 inputs. It must not execute or store blocks (the
//! builder and storage do) nor talk to the network itself in its decoding code, so every rule
//! is testable with known vectors.

pub mod deposit;

pub use deposit::{DepositError, TRANSACTION_DEPOSITED, decode_deposit, user_deposit_source};
