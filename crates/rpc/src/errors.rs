//! JSON-RPC error objects with geth's codes.

use alloy_primitives::hex;
use alloy_sol_types_free::decode_revert_reason;
use jsonrpsee::types::{ErrorObject, ErrorObjectOwned};

/// geth's generic server error code (pool rejections, state errors).
pub const SERVER_ERROR: i32 = -32000;
/// Invalid params.
pub const INVALID_PARAMS: i32 = -32602;
/// Internal error.
pub const INTERNAL: i32 = -32603;
/// Execution reverted (geth).
pub const REVERTED: i32 = 3;
/// EIP-7966: added to the pool but not included in time.
pub const SYNC_TIMEOUT: i32 = 4;

/// A `-32000` error with geth's message.
pub fn server_error(msg: impl Into<String>) -> ErrorObjectOwned {
    ErrorObject::owned(SERVER_ERROR, msg.into(), None::<()>)
}

/// A `-32602` error.
pub fn invalid_params(msg: impl Into<String>) -> ErrorObjectOwned {
    ErrorObject::owned(INVALID_PARAMS, msg.into(), None::<()>)
}

/// An internal failure (storage); logged, reported without detail beyond the message.
pub fn internal(e: impl std::fmt::Display) -> ErrorObjectOwned {
    tracing::warn!(error = %e, "internal rpc error");
    ErrorObject::owned(INTERNAL, format!("internal error: {e}"), None::<()>)
}

/// A storage failure: pruned history is the caller's to know about (geth answers -32000 for
/// state it no longer has), anything else is internal.
pub fn storage(e: agnt2_storage::StorageError) -> ErrorObjectOwned {
    match e {
        agnt2_storage::StorageError::HistoryPruned { .. } => server_error(e.to_string()),
        other => internal(other),
    }
}

/// geth's revert error: code 3, decoded reason in the message, raw bytes in `data`.
pub fn reverted(output: &[u8]) -> ErrorObjectOwned {
    let msg = match decode_revert_reason(output) {
        Some(reason) => format!("execution reverted: {reason}"),
        None => "execution reverted".to_string(),
    };
    ErrorObject::owned(REVERTED, msg, Some(hex::encode_prefixed(output)))
}

mod alloy_sol_types_free {
    /// Decodes `Error(string)` and `Panic(uint256)` revert payloads.
    pub fn decode_revert_reason(out: &[u8]) -> Option<String> {
        use alloy::sol_types::{Panic, Revert, SolError};
        if let Ok(r) = Revert::abi_decode(out) {
            return Some(r.reason);
        }
        if let Ok(p) = Panic::abi_decode(out) {
            return Some(format!("panic code {:#x}", p.code));
        }
        None
    }
}
