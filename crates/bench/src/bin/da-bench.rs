//! The data-availability model: what one L2 transaction costs on L1 in bytes and gas, for
//! transfers, ERC-20 transfers and agent-registry calls, under the batch encodings one could
//! post — agnt2's plain RLP singular batches (the default: a dispute reads a transaction
//! straight out of the L1 data), and OP's compressed forms (zlib and brotli over singular
//! batches, and brotli over span batches, OP's layout since Delta, re-implemented here only to
//! measure it). For each it prints bytes per transaction, L1 gas per transaction as calldata
//! (with EIP-7623's floor) and as blobs, the L1 cost per day at a given TPS and fee level, and
//! the DA-bound TPS ceiling when the whole blob target of every L1 block carries our batches.
//!
//! Transactions are real signed EIP-1559 transactions from many senders with realistic
//! nonces and fees; blocks are `--block-txs` transactions each, one batch per block, and a
//! channel holds `--channel-blocks` blocks (as the batcher fills a blob).

use std::io::Write;

use agnt2_bench::BenchKey;
use agnt2_precompiles::{
    IDENTITY_REGISTRY, REPUTATION_REGISTRY,
    abi::{IIdentityRegistry, IReputationRegistry},
};
use agnt2_primitives::OpTxEnvelope;
use agnt2_rollup::batch::{BLOB_CAPACITY, FRAME_OVERHEAD, SingularBatch, encode_channel};
use alloy::{
    consensus::{SignableTransaction, TxEip1559},
    eips::eip2718::Encodable2718,
};
use alloy_primitives::{Address, B256, Bytes, TxKind, U256, address, keccak256};
use alloy_sol_types::SolCall;
use clap::Parser;
use rand::{Rng, SeedableRng, rngs::StdRng};
use rayon::prelude::*;

#[derive(Parser, Debug)]
#[command(about = "Bytes and L1 gas per L2 transaction under each batch encoding")]
struct Args {
    /// Transactions per workload.
    #[arg(long, default_value_t = 20_000)]
    txs: usize,
    /// Transactions per L2 block (one batch each).
    #[arg(long, default_value_t = 500)]
    block_txs: usize,
    /// L2 TPS the cost per day is given for.
    #[arg(long, default_value_t = 1_000.0)]
    tps: f64,
    /// L1 base fee (gwei) for calldata costs.
    #[arg(long, default_value_t = 1.0)]
    base_fee_gwei: f64,
    /// L1 blob base fee (gwei) for blob costs.
    #[arg(long, default_value_t = 0.001)]
    blob_fee_gwei: f64,
    /// Blob target per L1 block (Pectra: 6; Fusaka's BPO2: 14).
    #[arg(long, default_value_t = 6)]
    blob_target: u64,
    /// The block builder's whole-block TPS on this machine, printed beside the DA ceiling.
    #[arg(long, default_value_t = 31_995.0)]
    builder_tps: f64,
    /// Print one JSON object per row.
    #[arg(long)]
    json: bool,
}

const CHAIN_ID: u64 = 28004;
const TOKEN: Address = address!("0x00000000000000000000000000000000000e2c20");
/// L1 slot time.
const L1_BLOCK_SECS: f64 = 12.0;
/// Blob gas of one blob.
const BLOB_GAS: f64 = 131_072.0;
/// L1 gas of a batcher transaction besides its data: the base cost and the inbox's check of
/// the batcher and record of the commitment (`contracts/GAS.md`).
const BATCH_TX_OVERHEAD: f64 = 21_000.0 + 31_000.0;
/// Blobs per batcher transaction.
const BLOBS_PER_TX: f64 = 6.0;

fn sign(key: &BenchKey, nonce: u64, to: Address, value: U256, input: Vec<u8>, gas: u64) -> Bytes {
    let mut rng = StdRng::seed_from_u64(nonce ^ u64::from_be_bytes([key.address.0[0]; 8]));
    let tx = TxEip1559 {
        chain_id: CHAIN_ID,
        nonce,
        gas_limit: gas,
        // Fees as a wallet sets them: a few gwei with noise.
        max_fee_per_gas: rng.random_range(1_000_000_000..5_000_000_000),
        max_priority_fee_per_gas: rng.random_range(1_000_000..100_000_000),
        to: TxKind::Call(to),
        value,
        access_list: Default::default(),
        input: Bytes::from(input),
    };
    let sig = key.sign(tx.signature_hash());
    OpTxEnvelope::Eip1559(tx.into_signed(sig))
        .encoded_2718()
        .into()
}

/// Signed transactions of a workload (senders reuse keys so nonces grow as on a live chain).
fn workload(name: &str, n: usize) -> Vec<Bytes> {
    let senders = 2_000u64;
    (0..n as u64)
        .into_par_iter()
        .map(|i| {
            let key = BenchKey::nth(i % senders);
            let nonce = 100 + i / senders;
            let other = BenchKey::nth((i * 7 + 1) % senders).address;
            match name {
                "transfers" => sign(
                    &key,
                    nonce,
                    other,
                    U256::from(1_000_000_000_000_000u64 + i),
                    Vec::new(),
                    21_000,
                ),
                "erc20" => {
                    let mut input = keccak256("transfer(address,uint256)")[..4].to_vec();
                    input.extend_from_slice(other.into_word().as_slice());
                    input.extend_from_slice(&B256::from(U256::from(1_000 + i)).0);
                    sign(&key, nonce, TOKEN, U256::ZERO, input, 60_000)
                }
                "agent-register" => {
                    let input = IIdentityRegistry::register_1Call {
                        agentURI: format!(
                            "ipfs://bafybeigdyrzt5sfp7udm7hu76uh7y26nf3efuylqabf3oclgtqy55fbzdi/{i}"
                        ),
                    }
                    .abi_encode();
                    sign(&key, nonce, IDENTITY_REGISTRY, U256::ZERO, input, 200_000)
                }
                _ => {
                    let input = IReputationRegistry::giveFeedbackCall {
                        agentId: U256::from(i % 5_000),
                        value: 90,
                        valueDecimals: 0,
                        tag1: "quality".into(),
                        tag2: String::new(),
                        endpoint: String::new(),
                        feedbackURI: String::new(),
                        feedbackHash: B256::ZERO,
                    }
                    .abi_encode();
                    sign(&key, nonce, REPUTATION_REGISTRY, U256::ZERO, input, 80_000)
                }
            }
        })
        .collect()
}

fn batches(txs: &[Bytes], block_txs: usize) -> Vec<SingularBatch> {
    txs.chunks(block_txs)
        .enumerate()
        .map(|(i, chunk)| SingularBatch {
            parent_hash: keccak256((i as u64).to_be_bytes()),
            epoch_number: 7_000_000 + i as u64 / 6,
            epoch_hash: keccak256((i as u64 / 6).to_be_bytes()),
            timestamp: 1_800_000_000 + i as u64,
            transactions: chunk.to_vec(),
        })
        .collect()
}

fn zlib(data: &[u8]) -> Vec<u8> {
    let mut e = flate2::write::ZlibEncoder::new(Vec::new(), flate2::Compression::best());
    // Writing to a Vec cannot fail.
    let _ = e.write_all(data);
    e.finish().unwrap_or_default()
}

fn brotli(data: &[u8]) -> Vec<u8> {
    let mut out = Vec::new();
    let params = brotli::enc::BrotliEncoderParams {
        quality: 10,
        lgwin: 22,
        ..Default::default()
    };
    let _ = brotli::BrotliCompress(&mut &data[..], &mut out, &params);
    out
}

fn uvarint(out: &mut Vec<u8>, mut v: u64) {
    while v >= 0x80 {
        out.push((v as u8) | 0x80);
        v >>= 7;
    }
    out.push(v as u8);
}

/// OP's span batch layout (prefix, then per-block counts, then the transactions' fields
/// column by column), for measuring only.
fn span_batch(batches: &[SingularBatch]) -> Vec<u8> {
    use alloy::consensus::Transaction;
    use alloy_rlp::Encodable;
    let mut out = vec![1u8];
    uvarint(&mut out, 0); // relative timestamp
    uvarint(&mut out, batches.last().map_or(0, |b| b.epoch_number));
    out.extend_from_slice(&batches[0].parent_hash[..20]);
    out.extend_from_slice(&batches.last().map_or(B256::ZERO, |b| b.epoch_hash)[..20]);
    uvarint(&mut out, batches.len() as u64);
    let mut origin_bits = vec![0u8; batches.len().div_ceil(8)];
    for (i, w) in batches.windows(2).enumerate() {
        if w[1].epoch_number != w[0].epoch_number {
            origin_bits[(i + 1) / 8] |= 1 << ((i + 1) % 8);
        }
    }
    out.extend_from_slice(&origin_bits);
    for b in batches {
        uvarint(&mut out, b.transactions.len() as u64);
    }
    let txs: Vec<OpTxEnvelope> = batches
        .iter()
        .flat_map(|b| b.transactions.iter())
        .filter_map(|raw| {
            <OpTxEnvelope as alloy::eips::eip2718::Decodable2718>::decode_2718(&mut &raw[..]).ok()
        })
        .collect();
    let bits = txs.len().div_ceil(8);
    out.extend(std::iter::repeat_n(0u8, bits)); // contract creation bits
    let mut parity = vec![0u8; bits];
    let (mut sigs, mut tos, mut datas, mut nonces, mut gases) =
        (Vec::new(), Vec::new(), Vec::new(), Vec::new(), Vec::new());
    for (i, tx) in txs.iter().enumerate() {
        let OpTxEnvelope::Eip1559(s) = tx else {
            continue;
        };
        let sig = s.signature();
        if sig.v() {
            parity[i / 8] |= 1 << (i % 8);
        }
        sigs.extend_from_slice(&sig.r().to_be_bytes::<32>());
        sigs.extend_from_slice(&sig.s().to_be_bytes::<32>());
        if let Some(to) = s.tx().to() {
            tos.extend_from_slice(to.as_slice());
        }
        // tx_data: type byte, then rlp([value, max_priority_fee, max_fee, data, access_list]).
        datas.push(2u8);
        let t = s.tx();
        let mut fields = Vec::new();
        t.value.encode(&mut fields);
        t.max_priority_fee_per_gas.encode(&mut fields);
        t.max_fee_per_gas.encode(&mut fields);
        t.input.encode(&mut fields);
        t.access_list.encode(&mut fields);
        alloy_rlp::Header {
            list: true,
            payload_length: fields.len(),
        }
        .encode(&mut datas);
        datas.extend_from_slice(&fields);
        uvarint(&mut nonces, t.nonce);
        uvarint(&mut gases, t.gas_limit);
    }
    out.extend_from_slice(&parity);
    out.extend_from_slice(&sigs);
    out.extend_from_slice(&tos);
    out.extend_from_slice(&datas);
    out.extend_from_slice(&nonces);
    out.extend_from_slice(&gases);
    out.extend(std::iter::repeat_n(0u8, bits)); // protected bits (all EIP-1559)
    out
}

/// L1 gas of `bytes` of batcher data posted as calldata (EIP-7623: the larger of the standard
/// cost and the floor of 10 per token, a zero byte one token and any other four), with the
/// per-transaction overhead shared over `per_tx` bytes.
fn calldata_gas(data: &[u8], per_tx: usize) -> f64 {
    let zeros = data.iter().filter(|b| **b == 0).count() as f64;
    let nonzeros = data.len() as f64 - zeros;
    let standard = 4.0 * zeros + 16.0 * nonzeros;
    let floor = 10.0 * (zeros + 4.0 * nonzeros);
    let txs = (data.len() as f64 / per_tx as f64).max(1.0);
    standard.max(floor) + BATCH_TX_OVERHEAD * txs
}

struct Row {
    workload: String,
    encoding: &'static str,
    bytes_per_tx: f64,
    calldata_gas_per_tx: f64,
    blob_gas_per_tx: f64,
    blob_exec_gas_per_tx: f64,
    openable: bool,
}

fn main() -> eyre::Result<()> {
    let args = Args::parse();
    let frame_data = BLOB_CAPACITY - 1 - FRAME_OVERHEAD;
    let mut rows = Vec::new();
    for name in ["transfers", "erc20", "agent-register", "agent-feedback"] {
        let txs = workload(name, args.txs);
        let raw_tx_bytes: usize = txs.iter().map(|t| t.len()).sum();
        let bs = batches(&txs, args.block_txs);
        let plain = encode_channel(&bs);
        let singular: Vec<u8> = plain[1..].to_vec();
        let encodings: Vec<(&'static str, Vec<u8>, bool)> = vec![
            ("plain RLP (agnt2)", plain.clone(), true),
            ("zlib singular", zlib(&singular), false),
            ("brotli-10 singular", brotli(&singular), false),
            ("brotli-10 span (OP)", brotli(&span_batch(&bs)), false),
        ];
        let n = txs.len() as f64;
        for (encoding, data, openable) in encodings {
            let frames = data.len().div_ceil(frame_data) as f64;
            let on_l1 = data.len() as f64 + frames * (1.0 + FRAME_OVERHEAD as f64);
            rows.push(Row {
                workload: name.into(),
                encoding,
                bytes_per_tx: on_l1 / n,
                calldata_gas_per_tx: calldata_gas(&data, 120_000) / n,
                // Blobs are paid whole.
                blob_gas_per_tx: (on_l1 / BLOB_CAPACITY as f64).ceil() * BLOB_GAS / n,
                blob_exec_gas_per_tx: BATCH_TX_OVERHEAD
                    * (on_l1 / BLOB_CAPACITY as f64 / BLOBS_PER_TX).ceil()
                    / n,
                openable,
            });
        }
        if !args.json {
            println!(
                "{name}: {} txs, {:.1} bytes per signed transaction",
                txs.len(),
                raw_tx_bytes as f64 / n
            );
        }
    }
    let gwei = 1e-9;
    let per_day = args.tps * 86_400.0;
    if !args.json {
        println!(
            "\n{:<15} {:<20} {:>9} {:>10} {:>10} {:>12} {:>12} {:>12} {:>9}",
            "workload",
            "encoding",
            "bytes/tx",
            "cd gas/tx",
            "blob gas/tx",
            "cd ETH/day",
            "blob ETH/day",
            "DA ceiling",
            "openable"
        );
    }
    for r in &rows {
        let cd_day = r.calldata_gas_per_tx * per_day * args.base_fee_gwei * gwei;
        let blob_day = (r.blob_gas_per_tx * args.blob_fee_gwei
            + r.blob_exec_gas_per_tx * args.base_fee_gwei)
            * per_day
            * gwei;
        let ceiling =
            args.blob_target as f64 * BLOB_CAPACITY as f64 / L1_BLOCK_SECS / r.bytes_per_tx;
        if args.json {
            println!(
                "{}",
                serde_json::json!({
                    "workload": r.workload, "encoding": r.encoding,
                    "bytes_per_tx": r.bytes_per_tx, "calldata_gas_per_tx": r.calldata_gas_per_tx,
                    "blob_gas_per_tx": r.blob_gas_per_tx, "calldata_eth_per_day": cd_day,
                    "blob_eth_per_day": blob_day, "da_ceiling_tps": ceiling,
                    "openable_on_l1": r.openable,
                })
            );
        } else {
            println!(
                "{:<15} {:<20} {:>9.1} {:>10.0} {:>10.1} {:>12.3} {:>12.4} {:>12.0} {:>9}",
                r.workload,
                r.encoding,
                r.bytes_per_tx,
                r.calldata_gas_per_tx,
                r.blob_gas_per_tx,
                cd_day,
                blob_day,
                ceiling,
                if r.openable { "yes" } else { "no" }
            );
        }
    }
    if !args.json {
        println!(
            "\ncost per day at {} TPS, L1 base fee {} gwei, blob base fee {} gwei; DA ceiling: \
             TPS when {} blobs per 12 s L1 block carry only our batches; block builder: {:.0} TPS",
            args.tps, args.base_fee_gwei, args.blob_fee_gwei, args.blob_target, args.builder_tps
        );
    }
    Ok(())
}
