//! `debug_` tracing methods.

use jsonrpsee::RpcModule;

use crate::RpcContext;

/// Registers the tracing methods.
pub(crate) fn register(_m: &mut RpcModule<RpcContext>) {}
