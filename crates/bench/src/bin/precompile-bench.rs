//! Gas and time of the native agent registries against the same registry logic in Solidity
//! (`contracts/src/bench/`, compiled with the project's solc), both run by the node's own
//! executor over the same MDBX-backed state: execution gas (receipt gas minus intrinsic gas)
//! and wall time per operation. Transactions use the node's intrinsic gas (EIP-7623 floor
//! included); `getSummary`, a view, is measured as `eth_call` runs it.

use std::{path::PathBuf, process::Command, time::Instant};

use agnt2_bench::{BenchKey, open_chain, percentile, standard_intrinsic};
use agnt2_evm::{BlockExecutor, CallRequest, StateDb, TxOutcome, call};
use agnt2_precompiles::{
    IDENTITY_REGISTRY, REPUTATION_REGISTRY,
    abi::{IIdentityRegistry, IReputationRegistry},
};
use agnt2_primitives::{ChainSpec, OpTxEnvelope, RecoveredTx};
use agnt2_txpool::intrinsic_gas;
use alloy::{
    consensus::{SignableTransaction, TxEip1559},
    eips::eip2718::Encodable2718,
    genesis::GenesisAccount,
};
use alloy_primitives::{Address, B256, Bytes, TxKind, U256, keccak256};
use alloy_sol_types::{SolCall, SolValue};
use clap::Parser;

#[derive(Parser, Debug)]
#[command(
    about = "Native agent registries against a Solidity implementation: gas and time per operation"
)]
struct Args {
    /// Agents registered (each then gets a URI update and a metadata key).
    #[arg(long, default_value_t = 200)]
    agents: usize,
    /// Clients giving feedback; every client rates every agent `--rounds` times.
    #[arg(long, default_value_t = 5)]
    clients: usize,
    /// Feedback rounds per (agent, client).
    #[arg(long, default_value_t = 2)]
    rounds: usize,
    /// Samples per calibration measurement.
    #[arg(long, default_value_t = 2_000)]
    calibration_samples: usize,
    /// Print one JSON object per row.
    #[arg(long)]
    json: bool,
}

/// One operation class measured for both implementations.
#[derive(Debug, Default)]
struct Samples {
    gas: Vec<u64>,
    micros: Vec<f64>,
}

struct Target {
    name: &'static str,
    identity: Address,
    reputation: Address,
}

fn repo_root() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../..")
}

/// Init code of a contract from `contracts/out`, building it with forge when missing.
fn init_code(name: &str) -> eyre::Result<Vec<u8>> {
    let root = repo_root();
    let path = root.join(format!("contracts/out/{name}.sol/{name}.json"));
    if !path.exists() {
        let forge = root.join(".tools/bin/forge");
        let status = Command::new(&forge)
            .arg("build")
            .current_dir(root.join("contracts"))
            .status()
            .map_err(|e| {
                eyre::eyre!(
                    "running {}: {e} (run scripts/install-tools.sh)",
                    forge.display()
                )
            })?;
        eyre::ensure!(status.success(), "forge build failed");
    }
    let json: serde_json::Value = serde_json::from_slice(&std::fs::read(&path)?)?;
    let hex = json["bytecode"]["object"]
        .as_str()
        .ok_or_else(|| eyre::eyre!("no bytecode in {}", path.display()))?;
    Ok(alloy_primitives::hex::decode(hex)?)
}

/// An `eth_call`-style request without fees.
fn view_request(from: Address, to: Address, input: Vec<u8>) -> CallRequest {
    CallRequest {
        from,
        to: Some(to),
        gas: Some(30_000_000),
        gas_price: 0,
        priority_fee: None,
        value: U256::ZERO,
        input: Bytes::from(input),
        nonce: None,
        ..Default::default()
    }
}

struct Signer {
    key: BenchKey,
    nonce: u64,
}

impl Signer {
    fn tx(&mut self, chain_id: u64, to: TxKind, input: Vec<u8>) -> eyre::Result<RecoveredTx> {
        let tx = TxEip1559 {
            chain_id,
            nonce: self.nonce,
            gas_limit: 5_000_000,
            max_fee_per_gas: 10,
            max_priority_fee_per_gas: 0,
            to,
            value: U256::ZERO,
            access_list: Default::default(),
            input: Bytes::from(input),
        };
        self.nonce += 1;
        let sig = self.key.sign(tx.signature_hash());
        let raw = OpTxEnvelope::Eip1559(tx.into_signed(sig)).encoded_2718();
        Ok(RecoveredTx::decode_user(&raw)?)
    }
}

/// A pure-compute loop: 100,000 iterations of JUMPDEST PUSH1 SWAP1 SUB DUP1 PUSH1 JUMPI (26 gas
/// each), behind init code that returns it.
const COMPUTE_LOOP_INIT: &str = "600e600c600039600e6000f3620186a05b600190038060045700";
const COMPUTE_LOOP_GAS: u64 = 100_000 * 26 + 3;

fn median(v: &mut [f64]) -> f64 {
    v.sort_by(|a, b| a.total_cmp(b));
    percentile(v, 50.0)
}

/// What one native storage primitive costs the node, converted to gas at the EVM's own price of
/// compute on this machine.
fn calibrate(args: &Args) -> eyre::Result<serde_json::Value> {
    use agnt2_precompiles::layout::identity as idl;
    let n = args.calibration_samples;
    let key = BenchKey::nth(1_000);
    let ops: Vec<Address> = (0..2 * n as u64)
        .map(|i| BenchKey::nth(2_000 + i).address)
        .collect();
    let mut spec = ChainSpec::dev();
    spec.genesis.alloc.insert(
        key.address,
        GenesisAccount {
            balance: U256::from(10u128.pow(24)),
            ..Default::default()
        },
    );
    // The first n operators are approved in genesis: their slots exist in MDBX.
    if let Some(acc) = spec.genesis.alloc.get_mut(&IDENTITY_REGISTRY) {
        let storage = acc.storage.get_or_insert_with(Default::default);
        for op in &ops[..n] {
            storage.insert(
                B256::from(idl::operator(key.address, *op).slot()),
                B256::with_last_byte(1),
            );
        }
    }
    let chain_id = spec.chain_id;
    let (_dir, db, config, next) = open_chain(&spec, 1)?;
    let view = |to: Address, input: Vec<u8>| view_request(key.address, to, input);

    // EVM compute rate: the loop contract, deployed then called.
    let mut signer = Signer { key, nonce: 0 };
    let loop_addr = key.address.create(0);
    let mut state = StateDb::new(db.latest()?);
    {
        let deploy = signer.tx(
            chain_id,
            TxKind::Create,
            alloy_primitives::hex::decode(COMPUTE_LOOP_INIT)?,
        )?;
        let mut exec = BlockExecutor::new(&config, &next, &mut state);
        eyre::ensure!(
            matches!(exec.execute(deploy)?, TxOutcome::Included),
            "loop deploy"
        );
    }
    let mut loop_us = Vec::new();
    for _ in 0..20 {
        let t = Instant::now();
        let r = call(&config, &next, &mut state, &view(loop_addr, Vec::new()))?;
        loop_us.push(t.elapsed().as_secs_f64() * 1e6);
        eyre::ensure!(r.result.is_success(), "loop failed: {:?}", r.result);
    }
    let gas_per_us = COMPUTE_LOOP_GAS as f64 / median(&mut loop_us);

    // Native read: a view with one cold read from MDBX, against one with none.
    let mut state = StateDb::new(db.latest()?);
    let (mut base, mut read) = (Vec::new(), Vec::new());
    for op in &ops[..n] {
        let t = Instant::now();
        call(
            &config,
            &next,
            &mut state,
            &view(
                IDENTITY_REGISTRY,
                IIdentityRegistry::getVersionCall {}.abi_encode(),
            ),
        )?;
        base.push(t.elapsed().as_secs_f64() * 1e6);
        let t = Instant::now();
        let input = IIdentityRegistry::isApprovedForAllCall {
            owner: key.address,
            operator: *op,
        }
        .abi_encode();
        let r = call(&config, &next, &mut state, &view(IDENTITY_REGISTRY, input))?;
        read.push(t.elapsed().as_secs_f64() * 1e6);
        eyre::ensure!(r.result.is_success(), "read failed");
    }
    let read_us = (median(&mut read) - median(&mut base)).max(0.0);

    // Native writes as transactions: an existing slot (approved -> revoked) against a new one.
    let run_writes = |targets: &[Address], approved: bool| -> eyre::Result<(f64, f64)> {
        let mut state = StateDb::new(db.latest()?);
        let mut signer = Signer { key, nonce: 0 };
        let txs: Vec<RecoveredTx> = targets
            .iter()
            .map(|op| {
                let input = IIdentityRegistry::setApprovalForAllCall {
                    operator: *op,
                    approved,
                }
                .abi_encode();
                signer.tx(chain_id, TxKind::Call(IDENTITY_REGISTRY), input)
            })
            .collect::<Result<_, _>>()?;
        let mut times = Vec::new();
        {
            let mut exec = BlockExecutor::new(&config, &next, &mut state);
            for tx in txs {
                let t = Instant::now();
                eyre::ensure!(matches!(exec.execute(tx)?, TxOutcome::Included), "write tx");
                times.push(t.elapsed().as_secs_f64() * 1e6);
            }
        }
        let changes = state.into_changes();
        let t = Instant::now();
        db.compute_state_root(&changes)?;
        let root_per_slot = t.elapsed().as_secs_f64() * 1e6 / targets.len() as f64;
        Ok((median(&mut times), root_per_slot))
    };
    let (existing_us, existing_root_us) = run_writes(&ops[..n], false)?;
    let (new_us, new_root_us) = run_writes(&ops[n..], true)?;
    let new_slot_extra_us =
        (new_us - existing_us).max(0.0) + (new_root_us - existing_root_us).max(0.0);
    let gas = |us: f64| (us * gas_per_us).round();
    Ok(serde_json::json!({
        "bench": "precompile-bench",
        "calibration": true,
        "samples": n,
        "evm_compute_gas_per_us": gas_per_us,
        "native_read_us": read_us,
        "native_read_gas_equivalent": gas(read_us),
        "write_tx_existing_slot_us": existing_us,
        "write_tx_new_slot_us": new_us,
        "state_root_per_updated_slot_us": existing_root_us,
        "state_root_per_new_slot_us": new_root_us,
        "new_slot_extra_us": new_slot_extra_us,
        "new_slot_extra_gas_equivalent": gas(new_slot_extra_us),
        "schedule": {
            "sload": agnt2_precompiles::gas::SLOAD,
            "sstore": agnt2_precompiles::gas::SSTORE,
            "sstore_new_slot": agnt2_precompiles::gas::SSTORE_NEW_SLOT,
        },
    }))
}

fn main() -> eyre::Result<()> {
    let args = Args::parse();
    let calibration = calibrate(&args)?;
    let owner_key = BenchKey::nth(0);
    let client_keys: Vec<BenchKey> = (1..=args.clients as u64).map(BenchKey::nth).collect();
    let mut spec = ChainSpec::dev();
    for k in std::iter::once(&owner_key).chain(&client_keys) {
        spec.genesis.alloc.insert(
            k.address,
            GenesisAccount {
                balance: U256::from(10u128.pow(24)),
                ..Default::default()
            },
        );
    }
    let chain_id = spec.chain_id;
    let (_dir, db, config, next) = open_chain(&spec, 1)?;
    let mut state = StateDb::new(db.latest()?);
    let mut owner = Signer {
        key: owner_key,
        nonce: 0,
    };
    let mut clients: Vec<Signer> = client_keys
        .iter()
        .map(|k| Signer { key: *k, nonce: 0 })
        .collect();

    // Deploy the Solidity baseline (not measured).
    let sol_identity = owner.key.address.create(owner.nonce);
    let sol_reputation = owner.key.address.create(owner.nonce + 1);
    let deploys = vec![
        owner.tx(
            chain_id,
            TxKind::Create,
            init_code("SolidityIdentityRegistry")?,
        )?,
        owner.tx(
            chain_id,
            TxKind::Create,
            [
                init_code("SolidityReputationRegistry")?,
                sol_identity.abi_encode(),
            ]
            .concat(),
        )?,
    ];
    {
        let mut exec = BlockExecutor::new(&config, &next, &mut state);
        for tx in deploys {
            match exec.execute(tx)? {
                TxOutcome::Included => {}
                other => eyre::bail!("deploy failed: {other:?}"),
            }
        }
        let out = exec.finish();
        eyre::ensure!(
            out.receipts.iter().all(|r| r.receipt.status()),
            "a baseline deployment reverted"
        );
    }

    let targets = [
        Target {
            name: "native",
            identity: IDENTITY_REGISTRY,
            reputation: REPUTATION_REGISTRY,
        },
        Target {
            name: "solidity",
            identity: sol_identity,
            reputation: sol_reputation,
        },
    ];
    let ops = [
        "register",
        "setAgentURI",
        "setMetadata",
        "giveFeedback (new client)",
        "giveFeedback (repeat client)",
        "revokeFeedback",
        "getSummary (eth_call, 5 clients, 10 entries)",
    ];
    let mut results: Vec<(usize, &'static str, Samples)> = Vec::new();
    for (ti, t) in targets.iter().enumerate() {
        // Both registries start empty, so agent ids run from 0 in each.
        let first_agent = 0;
        // Pre-sign every operation of this target, grouped by class (not timed).
        let mut plan: Vec<(&'static str, RecoveredTx)> = Vec::new();
        for a in 0..args.agents {
            let uri = format!("https://agents.example/{a}/card.json");
            plan.push((
                ops[0],
                owner.tx(
                    chain_id,
                    TxKind::Call(t.identity),
                    IIdentityRegistry::register_1Call { agentURI: uri }.abi_encode(),
                )?,
            ));
        }
        for a in 0..args.agents {
            let call = IIdentityRegistry::setAgentURICall {
                agentId: U256::from(first_agent + a),
                newURI: format!("ipfs://bafy-agent-{a}-v2"),
            };
            plan.push((
                ops[1],
                owner.tx(chain_id, TxKind::Call(t.identity), call.abi_encode())?,
            ));
        }
        for a in 0..args.agents {
            let call = IIdentityRegistry::setMetadataCall {
                agentId: U256::from(first_agent + a),
                metadataKey: "endpoint".into(),
                metadataValue: Bytes::from(format!("https://agents.example/{a}/api").into_bytes()),
            };
            plan.push((
                ops[2],
                owner.tx(chain_id, TxKind::Call(t.identity), call.abi_encode())?,
            ));
        }
        for round in 0..args.rounds {
            for (c, signer) in clients.iter_mut().enumerate() {
                for a in 0..args.agents {
                    let call = IReputationRegistry::giveFeedbackCall {
                        agentId: U256::from(first_agent + a),
                        value: 80 + ((a + c + round) % 20) as i128,
                        valueDecimals: 0,
                        tag1: "quality".into(),
                        tag2: "latency".into(),
                        endpoint: format!("https://agents.example/{a}/api"),
                        feedbackURI: format!("ipfs://feedback-{a}-{c}-{round}"),
                        feedbackHash: keccak256(format!("{a}-{c}-{round}")),
                    };
                    let class = if round == 0 { ops[3] } else { ops[4] };
                    plan.push((
                        class,
                        signer.tx(chain_id, TxKind::Call(t.reputation), call.abi_encode())?,
                    ));
                }
            }
        }
        for a in 0..args.agents {
            let call = IReputationRegistry::revokeFeedbackCall {
                agentId: U256::from(first_agent + a),
                feedbackIndex: 1,
            };
            plan.push((
                ops[5],
                clients[0].tx(chain_id, TxKind::Call(t.reputation), call.abi_encode())?,
            ));
        }
        let mut samples: Vec<Samples> = ops.iter().map(|_| Samples::default()).collect();
        let mut summary_samples = Samples::default();
        let mut exec = BlockExecutor::new(&config, &next, &mut state);
        let mut seen = 0usize;
        for (class, tx) in plan {
            let intrinsic = intrinsic_gas(&tx);
            let started = Instant::now();
            let outcome = exec.execute(tx)?;
            let micros = started.elapsed().as_secs_f64() * 1e6;
            eyre::ensure!(
                matches!(outcome, TxOutcome::Included),
                "{} {class}: {outcome:?}",
                t.name
            );
            seen += 1;
            let idx = ops.iter().position(|o| *o == class).unwrap_or_default();
            samples[idx].micros.push(micros);
            samples[idx].gas.push(intrinsic);
        }
        let out = exec.finish();
        eyre::ensure!(out.receipts.len() == seen, "receipt count");
        // getSummary is a view: measured as eth_call runs it, on the state the block left.
        let all_clients: Vec<Address> = clients.iter().map(|s| s.key.address).collect();
        for a in 0..args.agents {
            let input = IReputationRegistry::getSummaryCall {
                agentId: U256::from(first_agent + a),
                clientAddresses: all_clients.clone(),
                tag1: String::new(),
                tag2: String::new(),
            }
            .abi_encode();
            let intrinsic = standard_intrinsic(&input);
            let req = view_request(owner.key.address, t.reputation, input);
            let started = Instant::now();
            let res = call(&config, &next, &mut state, &req)?;
            let micros = started.elapsed().as_secs_f64() * 1e6;
            eyre::ensure!(
                res.result.is_success(),
                "{} getSummary failed: {:?}",
                t.name,
                res.result
            );
            let s = &mut summary_samples;
            s.gas.push(res.result.gas().total_gas_spent() - intrinsic);
            s.micros.push(micros);
        }
        // Receipt gas minus intrinsic gas, in plan order (classes are contiguous).
        let mut i = 0;
        for s in samples.iter_mut() {
            for g in s.gas.iter_mut() {
                let r = &out.receipts[i];
                eyre::ensure!(r.receipt.status(), "{}: a measured call reverted", t.name);
                *g = r.meta.gas_used - *g;
                i += 1;
            }
        }
        samples[6] = summary_samples;
        for (oi, s) in samples.into_iter().enumerate() {
            results.push((ti, ops[oi], s));
        }
    }

    if args.json {
        println!("{calibration}");
    } else {
        let c = &calibration;
        let f = |k: &str| c[k].as_f64().unwrap_or_default();
        println!(
            "calibration ({} samples, medians): EVM compute {:.0} gas/µs; native cold read {:.2} µs = {:.0} gas; \
             new slot over an updated one {:.2} µs (exec + state root) = {:.0} gas",
            args.calibration_samples,
            f("evm_compute_gas_per_us"),
            f("native_read_us"),
            f("native_read_gas_equivalent"),
            f("new_slot_extra_us"),
            f("new_slot_extra_gas_equivalent"),
        );
        println!(
            "  write tx, existing slot {:.2} µs, new slot {:.2} µs; state root per updated slot {:.2} µs, per new slot {:.2} µs",
            f("write_tx_existing_slot_us"),
            f("write_tx_new_slot_us"),
            f("state_root_per_updated_slot_us"),
            f("state_root_per_new_slot_us"),
        );
    }
    let mean = |v: &[u64]| v.iter().sum::<u64>() as f64 / v.len().max(1) as f64;
    let median_us = |v: &[f64]| {
        let mut s = v.to_vec();
        s.sort_by(|a, b| a.total_cmp(b));
        percentile(&s, 50.0)
    };
    if !args.json {
        println!(
            "precompile-bench: {} agents, {} clients x {} rounds; execution gas = receipt gas - intrinsic gas",
            args.agents, args.clients, args.rounds
        );
        println!(
            "{:<36} {:>12} {:>12} {:>8} {:>11} {:>11} {:>8}",
            "operation", "native gas", "solidity gas", "ratio", "native µs", "solidity µs", "ratio"
        );
    }
    for op in ops {
        let native = results
            .iter()
            .find(|(t, o, _)| *t == 0 && *o == op)
            .map(|r| &r.2);
        let sol = results
            .iter()
            .find(|(t, o, _)| *t == 1 && *o == op)
            .map(|r| &r.2);
        let (Some(n), Some(s)) = (native, sol) else {
            continue;
        };
        let (ng, sg) = (mean(&n.gas), mean(&s.gas));
        let (nt, st) = (median_us(&n.micros), median_us(&s.micros));
        if args.json {
            println!(
                "{}",
                serde_json::json!({
                    "bench": "precompile-bench",
                    "operation": op,
                    "samples": n.gas.len(),
                    "native_exec_gas": ng,
                    "solidity_exec_gas": sg,
                    "gas_ratio": sg / ng,
                    "native_median_us": nt,
                    "solidity_median_us": st,
                    "time_ratio": st / nt,
                })
            );
        } else {
            println!(
                "{op:<36} {ng:>12.0} {sg:>12.0} {:>7.1}x {nt:>11.1} {st:>11.1} {:>7.1}x",
                sg / ng,
                st / nt
            );
        }
    }
    Ok(())
}
