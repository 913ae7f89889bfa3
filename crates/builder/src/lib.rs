//! agnt2-builder
