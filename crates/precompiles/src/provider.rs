//! The revm precompile provider: Optimism's precompiles plus the agent registries.

use alloy_primitives::{Address, Bytes, Log, U256};
use op_revm::{OpSpecId, precompiles::OpPrecompiles};
use revm::{
    context::Cfg,
    context_interface::{Block, ContextTr, JournalTr},
    handler::{PrecompileProvider, precompile_output_to_interpreter_result},
    interpreter::{CallInputs, InterpreterResult},
    precompile::{PrecompileHalt, PrecompileOutput},
};

use crate::{
    BlockFacts, Ctx, Halt, NATIVE_ADDRESSES, StateAccess, StateAccessError, dispatch, gas,
    is_native, revert,
};

/// Optimism's precompiles at the active spec, extended with the agent registries.
#[derive(Debug, Clone)]
pub struct AgentPrecompiles {
    inner: OpPrecompiles,
}

impl AgentPrecompiles {
    /// The set for `spec`.
    pub fn new(spec: OpSpecId) -> Self {
        Self {
            inner: OpPrecompiles::new_with_spec(spec),
        }
    }
}

impl Default for AgentPrecompiles {
    fn default() -> Self {
        Self::new(OpSpecId::ISTHMUS)
    }
}

/// [`StateAccess`] over revm's journal: every write joins the call's checkpoint.
struct JournalState<'a, J> {
    journal: &'a mut J,
    /// Accounts already loaded into the journal by this call (its storage calls need them).
    loaded: Vec<Address>,
}

fn backend<E: std::error::Error + Send + Sync + 'static>(e: E) -> StateAccessError {
    StateAccessError::Backend(Box::new(e))
}

impl<J: JournalTr> JournalState<'_, J> {
    fn ensure_loaded(&mut self, address: Address) -> Result<(), StateAccessError> {
        if !self.loaded.contains(&address) {
            self.journal.load_account(address).map_err(backend)?;
            self.loaded.push(address);
        }
        Ok(())
    }
}

impl<J: JournalTr> StateAccess for JournalState<'_, J> {
    fn sload(&mut self, address: Address, slot: U256) -> Result<(U256, bool), StateAccessError> {
        self.ensure_loaded(address)?;
        self.journal
            .sload(address, slot)
            .map(|l| (l.data, l.is_cold))
            .map_err(backend)
    }

    fn sstore(
        &mut self,
        address: Address,
        slot: U256,
        value: U256,
    ) -> Result<(U256, bool), StateAccessError> {
        self.ensure_loaded(address)?;
        self.journal
            .sstore(address, slot, value)
            .map(|l| (l.data.present_value, l.is_cold))
            .map_err(backend)
    }

    fn log(&mut self, log: Log) {
        self.journal.log(log);
    }

    fn transfer(
        &mut self,
        from: Address,
        to: Address,
        amount: U256,
    ) -> Result<bool, StateAccessError> {
        self.journal
            .transfer(from, to, amount)
            .map(|e| e.is_none())
            .map_err(backend)
    }
}

impl<CTX> PrecompileProvider<CTX> for AgentPrecompiles
where
    CTX: ContextTr<Cfg: Cfg<Spec = OpSpecId>>,
{
    type Output = InterpreterResult;

    fn set_spec(&mut self, spec: <CTX::Cfg as Cfg>::Spec) -> bool {
        <OpPrecompiles as PrecompileProvider<CTX>>::set_spec(&mut self.inner, spec)
    }

    fn run(
        &mut self,
        context: &mut CTX,
        inputs: &CallInputs,
    ) -> Result<Option<InterpreterResult>, String> {
        if !is_native(&inputs.bytecode_address) {
            return <OpPrecompiles as PrecompileProvider<CTX>>::run(
                &mut self.inner,
                context,
                inputs,
            );
        }
        let input = inputs.input.bytes(context);
        let block = BlockFacts {
            timestamp: context.block().timestamp().saturating_to(),
            chain_id: context.cfg().chain_id(),
        };
        let reservoir = inputs.reservoir;
        let outcome = if inputs.target_address != inputs.bytecode_address {
            // DELEGATECALL/CALLCODE would run a registry against someone else's storage.
            Err((
                revert("delegatecall to a native registry is not allowed"),
                gas::CALL_BASE,
            ))
        } else {
            let mut state = JournalState {
                journal: context.journal_mut(),
                loaded: Vec::new(),
            };
            let mut ctx = Ctx::new(
                &mut state,
                inputs.caller,
                inputs.value.get(),
                inputs.is_static,
                block,
                inputs.gas_limit,
            );
            let result = ctx
                .charge(gas::CALL_BASE + gas::CALLDATA_WORD * (input.len() as u64).div_ceil(32))
                .and_then(|()| dispatch(inputs.bytecode_address, &mut ctx, &input));
            result
                .map(|out| (out, ctx.gas_used()))
                .map_err(|h| (h, ctx.gas_used()))
        };
        let registry = crate::registry_name(&inputs.bytecode_address);
        let (output, result) = match outcome {
            Ok((out, used)) => {
                metrics::histogram!("agnt2_precompile_gas", "registry" => registry)
                    .record(used as f64);
                (
                    PrecompileOutput::new(used, Bytes::from(out), reservoir),
                    "success",
                )
            }
            Err((Halt::Revert(data), used)) => {
                (PrecompileOutput::revert(used, data, reservoir), "revert")
            }
            Err((Halt::OutOfGas, _)) => (
                PrecompileOutput::halt(PrecompileHalt::OutOfGas, reservoir),
                "out_of_gas",
            ),
            Err((Halt::Fatal(e), _)) => {
                tracing::error!(target: "agnt2::precompiles", registry, error = %e, "state access failed");
                // revm's precompile interface carries a node failure as text.
                return Err(e.to_string());
            }
        };
        metrics::counter!("agnt2_precompile_calls_total", "registry" => registry, "result" => result)
            .increment(1);
        Ok(Some(precompile_output_to_interpreter_result(
            output,
            inputs.gas_limit,
        )))
    }

    fn warm_addresses(&self) -> Box<impl Iterator<Item = Address>> {
        Box::new(
            <OpPrecompiles as PrecompileProvider<CTX>>::warm_addresses(&self.inner)
                .chain(NATIVE_ADDRESSES),
        )
    }

    fn contains(&self, address: &Address) -> bool {
        is_native(address)
            || <OpPrecompiles as PrecompileProvider<CTX>>::contains(&self.inner, address)
    }
}
