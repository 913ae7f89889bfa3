//! Shared set-up of the builder's integration tests.

use agnt2_builder::init_genesis;
use agnt2_primitives::ChainSpec;
use agnt2_storage::{Database, DatabaseConfig};

/// A fresh, non-durable MDBX datadir with `spec`'s genesis written.
pub fn temp_chain(spec: &ChainSpec) -> (tempfile::TempDir, Database) {
    let dir = tempfile::tempdir().expect("tmp");
    let db = Database::open(
        dir.path(),
        &DatabaseConfig {
            durable: false,
            max_size: 1 << 30,
        },
    )
    .expect("db");
    init_genesis(&db, spec).expect("genesis");
    (dir, db)
}
