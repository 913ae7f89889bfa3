//! agnt2-txpool
