//! Checksummed values: every value on disk carries a CRC-32 of its key and bytes, so a record
//! changed under us (a flipped bit in `mdbx.dat`, a torn copy) is refused on the read that
//! touches it instead of decoding into a wrong answer. A record moved to another key or lost
//! entirely is what `Database::check` finds, against the roots the headers commit to.

use libmdbx::{NoWriteMap, RW, Table, Transaction, TransactionKind, WriteFlags};

use crate::StorageError;

/// Trailer length.
const CRC_LEN: usize = 4;

fn crc(table: &str, key: &[u8], value: &[u8]) -> u32 {
    let mut h = crc32fast::Hasher::new();
    h.update(table.as_bytes());
    h.update(key);
    h.update(value);
    h.finalize()
}

/// `value ‖ crc32(table ‖ key ‖ value)`.
pub(crate) fn seal(table: &str, key: &[u8], value: &[u8]) -> Vec<u8> {
    let mut out = Vec::with_capacity(value.len() + CRC_LEN);
    out.extend_from_slice(value);
    out.extend_from_slice(&crc(table, key, value).to_le_bytes());
    out
}

/// Checks and strips the trailer.
pub(crate) fn unseal(
    table: &'static str,
    key: &[u8],
    mut stored: Vec<u8>,
) -> Result<Vec<u8>, StorageError> {
    let Some(split) = stored.len().checked_sub(CRC_LEN) else {
        return Err(StorageError::Checksum {
            table,
            key: alloy_primitives::hex::encode(key),
        });
    };
    let mut trailer = [0u8; CRC_LEN];
    trailer.copy_from_slice(&stored[split..]);
    stored.truncate(split);
    if u32::from_le_bytes(trailer) != crc(table, key, &stored) {
        return Err(StorageError::Checksum {
            table,
            key: alloy_primitives::hex::encode(key),
        });
    }
    Ok(stored)
}

/// A table handle with the name its checksums are salted with.
#[derive(Debug)]
pub(crate) struct SealedTable {
    pub(crate) name: &'static str,
    pub(crate) table: Table<'static>,
}

/// Reads of checksummed values.
pub(crate) trait SealedRead {
    /// The value under `key`, checked.
    fn sealed(&self, t: &SealedTable, key: &[u8]) -> Result<Option<Vec<u8>>, StorageError>;

    /// A fixed-size value under `key`, checked.
    fn sealed_array<const N: usize>(
        &self,
        t: &SealedTable,
        key: &[u8],
    ) -> Result<Option<[u8; N]>, StorageError> {
        match self.sealed(t, key)? {
            Some(v) => v
                .try_into()
                .map(Some)
                .map_err(|_| StorageError::Corrupt("value of the wrong length")),
            None => Ok(None),
        }
    }
}

impl<K: TransactionKind> SealedRead for Transaction<'static, K, NoWriteMap> {
    fn sealed(&self, t: &SealedTable, key: &[u8]) -> Result<Option<Vec<u8>>, StorageError> {
        match self.get::<Vec<u8>>(&t.table, key)? {
            Some(v) => Ok(Some(unseal(t.name, key, v)?)),
            None => Ok(None),
        }
    }
}

/// Writes of checksummed values.
pub(crate) fn put(
    txn: &Transaction<'_, RW, NoWriteMap>,
    t: &SealedTable,
    key: &[u8],
    value: &[u8],
) -> Result<(), StorageError> {
    txn.put(&t.table, key, seal(t.name, key, value), WriteFlags::UPSERT)?;
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn any_flipped_bit_is_caught() {
        let sealed = seal("Receipts", b"key", b"some receipt bytes");
        assert_eq!(
            unseal("Receipts", b"key", sealed.clone()).unwrap(),
            b"some receipt bytes"
        );
        for i in 0..sealed.len() * 8 {
            let mut bad = sealed.clone();
            bad[i / 8] ^= 1 << (i % 8);
            assert!(unseal("Receipts", b"key", bad).is_err(), "bit {i}");
        }
        assert!(
            unseal("Receipts", b"other", sealed.clone()).is_err(),
            "moved to another key"
        );
        assert!(
            unseal("Bodies", b"key", sealed).is_err(),
            "moved to another table"
        );
        assert!(unseal("Receipts", b"key", vec![1, 2]).is_err(), "truncated");
    }
}
