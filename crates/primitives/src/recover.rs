//! Sender recovery with libsecp256k1 (4–5× faster than k256 on this hardware; recovery is the
//! largest per-transaction cost of the node, so it runs once, at pool admission).

use alloy_primitives::{Address, B256, Signature, U256, keccak256};
use secp256k1::{
    Message, SECP256K1,
    ecdsa::{RecoverableSignature, RecoveryId},
};

/// Half the secp256k1 group order: signatures with a larger `s` are malleable (EIP-2).
const SECP256K1N_HALF: U256 = U256::from_be_bytes([
    0x7F, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF,
    0x5D, 0x57, 0x6E, 0x73, 0x57, 0xA4, 0x50, 0x1D, 0xDF, 0xE9, 0x2F, 0x46, 0x68, 0x1B, 0x20, 0xA0,
]);

/// Why a signature did not yield a sender.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
pub enum RecoveryError {
    /// `s` in the upper half of the curve order.
    #[error("invalid sender: signature s value too high")]
    HighS,
    /// Not a valid point / recovery failed.
    #[error("invalid sender")]
    Invalid,
}

/// Recovers the signer of `prehash` from `sig`.
pub fn recover_signer(sig: &Signature, prehash: B256) -> Result<Address, RecoveryError> {
    if sig.s() > SECP256K1N_HALF {
        return Err(RecoveryError::HighS);
    }
    let bytes = sig.as_bytes();
    let rec_id = RecoveryId::try_from(sig.v() as i32).map_err(|_| RecoveryError::Invalid)?;
    let rsig = RecoverableSignature::from_compact(&bytes[..64], rec_id)
        .map_err(|_| RecoveryError::Invalid)?;
    let msg = Message::from_digest(prehash.0);
    let pk = SECP256K1
        .recover_ecdsa(msg, &rsig)
        .map_err(|_| RecoveryError::Invalid)?;
    let uncompressed = pk.serialize_uncompressed();
    Ok(Address::from_slice(&keccak256(&uncompressed[1..])[12..]))
}

#[cfg(test)]
mod tests {
    use super::*;
    use alloy::signers::{SignerSync, local::PrivateKeySigner};

    #[test]
    fn matches_alloy_recovery() {
        let signer = PrivateKeySigner::random();
        let hash = keccak256(b"agnt2");
        let sig = signer.sign_hash_sync(&hash).unwrap();
        assert_eq!(recover_signer(&sig, hash).unwrap(), signer.address());
    }

    #[test]
    fn rejects_high_s() {
        let signer = PrivateKeySigner::random();
        let hash = keccak256(b"agnt2");
        let sig = signer.sign_hash_sync(&hash).unwrap();
        let n = U256::from_be_bytes(secp256k1::constants::CURVE_ORDER);
        let high = Signature::new(sig.r(), n - sig.s(), !sig.v());
        assert_eq!(recover_signer(&high, hash), Err(RecoveryError::HighS));
    }
}
