//! agnt2-rpc
