//! agnt2-evm
