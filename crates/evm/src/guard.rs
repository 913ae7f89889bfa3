//! The fee-vault guard: notes whether contract code looked at a fee vault.
//!
//! The parallel builder merges fee-vault credits as per-bin deltas, which is exact only while no
//! code reads a vault. Watching every opcode with an inspector costs a quarter of the
//! interpreter's speed, so the guard lives in the instruction table instead: the opcodes that
//! name another account (BALANCE, EXTCODE*, the CALL family, SELFDESTRUCT) are wrapped by a
//! check of their address operand, and every other opcode runs untouched. The check only sets a
//! flag; execution is the same as without it.

use std::cell::Cell;

use alloy_primitives::Address;
use revm::{
    handler::instructions::EthInstructions,
    interpreter::{
        Host, Instruction, InstructionContext, instructions::instruction_table,
        interpreter::EthInterpreter,
    },
};

thread_local! {
    /// Set when code on this thread named a fee vault since the last [`take`]. A transaction
    /// runs start to end on one thread, so the flag belongs to the transaction that set it.
    static SEEN: Cell<bool> = const { Cell::new(false) };
}

use agnt2_primitives::constants::FEE_VAULTS;

/// Clears the flag and returns what it was.
pub(crate) fn take() -> bool {
    SEEN.with(|s| s.replace(false))
}

/// Runs opcode `OP` after checking the address `DEPTH` words below the top of the stack.
fn watch<const OP: u8, const DEPTH: usize, H: Host>(
    ctx: InstructionContext<'_, H, EthInterpreter>,
) {
    if let Ok(word) = ctx.interpreter.stack.peek(DEPTH) {
        let address = Address::from_word(word.into());
        if FEE_VAULTS.contains(&address) {
            SEEN.with(|s| s.set(true));
        }
    }
    let original = const { instruction_table::<EthInterpreter, H>()[OP as usize] };
    original.execute(ctx);
}

/// Wraps the account-naming opcodes of `table`, keeping each one's static gas.
pub(crate) fn install<H: Host>(table: &mut EthInstructions<EthInterpreter, H>) {
    use revm::bytecode::opcode::*;
    let mut wrap = |op: u8, f: fn(InstructionContext<'_, H, EthInterpreter>)| {
        let gas = table.instruction_table[op as usize].static_gas();
        table.insert_instruction(op, Instruction::new(f, gas));
    };
    // Address on top of the stack.
    wrap(BALANCE, watch::<BALANCE, 0, H>);
    wrap(EXTCODESIZE, watch::<EXTCODESIZE, 0, H>);
    wrap(EXTCODECOPY, watch::<EXTCODECOPY, 0, H>);
    wrap(EXTCODEHASH, watch::<EXTCODEHASH, 0, H>);
    wrap(SELFDESTRUCT, watch::<SELFDESTRUCT, 0, H>);
    // Address below the gas operand.
    wrap(CALL, watch::<CALL, 1, H>);
    wrap(CALLCODE, watch::<CALLCODE, 1, H>);
    wrap(DELEGATECALL, watch::<DELEGATECALL, 1, H>);
    wrap(STATICCALL, watch::<STATICCALL, 1, H>);
}
