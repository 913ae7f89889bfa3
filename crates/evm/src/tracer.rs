//! geth's `callTracer` as a revm inspector: one frame per call or create, nested.

use agnt2_storage::StateProvider;
use alloy::rpc::types::trace::geth::CallFrame;
use alloy_primitives::{Address, Bytes, U256};
use op_revm::{DefaultOp, OpBuilder};
use revm::{
    Context, InspectEvm, Inspector,
    context::CreateScheme,
    context::result::ExecutionResult,
    context_interface::ContextTr,
    interpreter::{
        CallInputs, CallOutcome, CallScheme, CreateInputs, CreateOutcome, InstructionResult,
        interpreter::EthInterpreter,
    },
};

use crate::{
    config::{EvmConfig, NextBlock},
    db::StateDb,
    executor::FatalError,
    txenv::tx_env,
};
use agnt2_primitives::RecoveredTx;

/// Collects call frames.
#[derive(Debug, Default)]
pub struct CallTracer {
    stack: Vec<CallFrame>,
    root: Option<CallFrame>,
}

impl CallTracer {
    fn push(&mut self, frame: CallFrame) {
        self.stack.push(frame);
    }

    fn pop(
        &mut self,
        gas_used: u64,
        output: Bytes,
        result: InstructionResult,
        to: Option<Address>,
    ) {
        let Some(mut frame) = self.stack.pop() else {
            return;
        };
        frame.gas_used = U256::from(gas_used);
        if to.is_some() {
            frame.to = to;
        }
        if result.is_ok() {
            frame.output = Some(output);
        } else {
            frame.error = Some(if result.is_revert() {
                "execution reverted".into()
            } else {
                format!("{result:?}")
            });
            if result.is_revert() {
                frame.revert_reason = alloy::sol_types::decode_revert_reason(&output);
                frame.output = Some(output);
            }
        }
        match self.stack.last_mut() {
            Some(parent) => parent.calls.push(frame),
            None => self.root = Some(frame),
        }
    }

    /// The top-level frame, once the transaction ran.
    pub fn into_frame(self) -> Option<CallFrame> {
        self.root
    }
}

impl<CTX: ContextTr> Inspector<CTX, EthInterpreter> for CallTracer {
    fn call(&mut self, ctx: &mut CTX, inputs: &mut CallInputs) -> Option<CallOutcome> {
        let typ = match inputs.scheme {
            CallScheme::Call => "CALL",
            CallScheme::CallCode => "CALLCODE",
            CallScheme::DelegateCall => "DELEGATECALL",
            CallScheme::StaticCall => "STATICCALL",
        };
        let input = Bytes::copy_from_slice(&inputs.input.as_bytes(&*ctx));
        let value = match inputs.scheme {
            CallScheme::DelegateCall | CallScheme::StaticCall => None,
            _ => Some(inputs.value.get()),
        };
        self.push(CallFrame {
            from: inputs.caller,
            gas: U256::from(inputs.gas_limit),
            to: Some(inputs.target_address),
            input,
            value,
            typ: typ.into(),
            ..Default::default()
        });
        None
    }

    fn call_end(&mut self, _ctx: &mut CTX, inputs: &CallInputs, outcome: &mut CallOutcome) {
        let gas_used = inputs
            .gas_limit
            .saturating_sub(outcome.result.gas.remaining());
        self.pop(
            gas_used,
            outcome.result.output.clone(),
            outcome.result.result,
            None,
        );
    }

    fn create(&mut self, _ctx: &mut CTX, inputs: &mut CreateInputs) -> Option<CreateOutcome> {
        let typ = match inputs.scheme() {
            CreateScheme::Create2 { .. } => "CREATE2",
            _ => "CREATE",
        };
        self.push(CallFrame {
            from: inputs.caller(),
            gas: U256::from(inputs.gas_limit()),
            input: inputs.init_code().clone(),
            value: Some(inputs.value()),
            typ: typ.into(),
            ..Default::default()
        });
        None
    }

    fn create_end(&mut self, _ctx: &mut CTX, inputs: &CreateInputs, outcome: &mut CreateOutcome) {
        let gas_used = inputs
            .gas_limit()
            .saturating_sub(outcome.result.gas.remaining());
        self.pop(
            gas_used,
            outcome.result.output.clone(),
            outcome.result.result,
            outcome.address,
        );
    }
}

/// Traces `tx` on top of `db` (which must hold the state right before it in its block).
pub fn trace_call<P: StateProvider>(
    config: &EvmConfig,
    next: &NextBlock,
    db: &mut StateDb<P>,
    tx: &RecoveredTx,
) -> Result<CallFrame, FatalError> {
    let mut tracer = CallTracer::default();
    let result = {
        let mut evm = Context::op()
            .with_db(db)
            .with_block(next.block_env())
            .with_cfg(config.cfg())
            .build_op_with_inspector(&mut tracer)
            .with_precompiles(agnt2_precompiles::AgentPrecompiles::new(config.spec));
        evm.inspect_tx(tx_env(tx))
            .map_err(|e| FatalError(e.to_string()))?
            .result
    };
    let mut frame = tracer.into_frame().unwrap_or_default();
    // The top frame reports the transaction's gas, as geth does.
    frame.gas = U256::from(tx.gas_limit());
    frame.gas_used = U256::from(result.tx_gas_used());
    if let ExecutionResult::Halt { reason, .. } = &result {
        frame.error.get_or_insert_with(|| format!("{reason:?}"));
    }
    Ok(frame)
}
