//! agnt2-bench
