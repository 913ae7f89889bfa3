//! The proposer, an ExEx: every `interval` L2 blocks it creates a dispute game on L1 for the
//! output root of that block once the block is safe, paying the factory's bond. Its progress
//! lives on L1 (the newest game of its type), so after a restart it resumes at the next
//! interval without gaps or duplicates, and a proposal that already exists counts as made.
//! Until a challenger agent exists it also resolves its own games once their challenge window
//! has passed (anyone may; it gets the bond back), so withdrawals can finalize.

use std::{sync::Arc, time::Duration};

use agnt2_exex::{BoxError, ExExContext, ExExEvent};
use agnt2_storage::Database;
use alloy_primitives::{Address, B256, Bytes, U256};
use alloy_sol_types::{SolCall, SolValue, sol};

use crate::{L1Sender, SendError, output::output_root_of};

sol! {
    struct GameSearchResult {
        uint256 index;
        bytes32 metadata;
        uint64 timestamp;
        bytes32 rootClaim;
        bytes extraData;
    }
    function create(uint32 gameType, bytes32 rootClaim, bytes extraData) external payable returns (address proxy);
    function gameCount() external view returns (uint256);
    function initBonds(uint32 gameType) external view returns (uint256);
    function findLatestGames(uint32 gameType, uint256 start, uint256 n) external view returns (GameSearchResult[] memory games);
    error GameAlreadyExists(bytes32 uuid);
    function status() external view returns (uint8);
    function createdAt() external view returns (uint64);
    function maxChallengeDuration() external view returns (uint64);
    function resolve() external returns (uint8);
}

/// What the proposer proposes and where.
#[derive(Debug, Clone)]
pub struct ProposerConfig {
    /// The DisputeGameFactory.
    pub factory: Address,
    /// The game type it creates.
    pub game_type: u32,
    /// Propose every this many L2 blocks.
    pub interval: u64,
}

/// Proposer failures.
#[derive(Debug, thiserror::Error)]
pub enum ProposerError {
    /// An L1 call or transaction failed.
    #[error(transparent)]
    Send(#[from] SendError),
    /// L1 returned something that does not decode.
    #[error("factory answer does not decode: {0}")]
    Decode(#[from] alloy_sol_types::Error),
    /// Storage failed.
    #[error(transparent)]
    Storage(#[from] agnt2_storage::StorageError),
}

/// The newest `n` games of `cfg.game_type`, newest first (the factory's `findLatestGames`).
async fn latest_games(
    sender: &L1Sender,
    cfg: &ProposerConfig,
    n: u64,
) -> Result<Vec<GameSearchResult>, ProposerError> {
    let count = gameCountCall::abi_decode_returns(
        &sender
            .call(cfg.factory, &gameCountCall {}.abi_encode())
            .await
            .map_err(SendError::from)?,
    )?;
    if count.is_zero() {
        return Ok(Vec::new());
    }
    let call = findLatestGamesCall {
        gameType: cfg.game_type,
        start: count - U256::from(1),
        n: U256::from(n),
    };
    let out = sender
        .call(cfg.factory, &call.abi_encode())
        .await
        .map_err(SendError::from)?;
    Ok(findLatestGamesCall::abi_decode_returns(&out)?)
}

/// The L2 block number of the newest game of `game_type` (0: none yet).
pub async fn last_proposed(sender: &L1Sender, cfg: &ProposerConfig) -> Result<u64, ProposerError> {
    let games = latest_games(sender, cfg, 1).await?;
    Ok(games
        .first()
        .and_then(|g| U256::abi_decode(&g.extraData).ok())
        .map_or(0, |n| n.saturating_to()))
}

/// Proposes the output of L2 block `number`; an existing game for it counts as proposed.
pub async fn propose(
    sender: &L1Sender,
    cfg: &ProposerConfig,
    db: &Database,
    number: u64,
    bond: U256,
) -> Result<Option<B256>, ProposerError> {
    let (Some(header), Some(hash)) = (db.header(number)?, db.block_hash(number)?) else {
        return Ok(None);
    };
    let root = output_root_of(&header, hash);
    let call = createCall {
        gameType: cfg.game_type,
        rootClaim: root,
        extraData: Bytes::from(U256::from(number).abi_encode()),
    };
    match sender
        .send(Some(cfg.factory), bond, call.abi_encode().into())
        .await
    {
        Ok(receipt) => {
            tracing::info!(l2_block = number, output_root = %root, l1_tx = %receipt.transaction_hash, "proposed output");
            metrics::gauge!("agnt2_proposer_last_proposed").set(number as f64);
            Ok(Some(root))
        }
        Err(SendError::Reverted { .. }) if last_proposed(sender, cfg).await? >= number => {
            Ok(Some(root))
        }
        Err(e) => Err(e.into()),
    }
}

/// Games of `cfg.game_type` still in progress among the newest `n`, with the time each may be
/// resolved.
async fn unresolved_games(
    sender: &L1Sender,
    cfg: &ProposerConfig,
    n: u64,
) -> Result<Vec<(Address, u64)>, ProposerError> {
    let mut games = Vec::new();
    for g in latest_games(sender, cfg, n).await? {
        let game = Address::from_slice(&g.metadata[12..]);
        let read = async |data: Vec<u8>| sender.call(game, &data).await.map_err(SendError::from);
        if statusCall::abi_decode_returns(&read(statusCall {}.abi_encode()).await?)? != 0 {
            continue;
        }
        let created =
            createdAtCall::abi_decode_returns(&read(createdAtCall {}.abi_encode()).await?)?;
        let window = maxChallengeDurationCall::abi_decode_returns(
            &read(maxChallengeDurationCall {}.abi_encode()).await?,
        )?;
        games.push((game, created + window));
    }
    Ok(games)
}

/// Resolves the games whose challenge window has passed (by the L1 head's clock).
async fn resolve_due(sender: &L1Sender, cfg: &ProposerConfig) -> Result<(), ProposerError> {
    let now = sender
        .client()
        .block("latest")
        .await
        .map_err(SendError::from)?
        .header
        .timestamp;
    for (game, due) in unresolved_games(sender, cfg, 16).await? {
        if now <= due {
            continue;
        }
        sender
            .send(Some(game), U256::ZERO, resolveCall {}.abi_encode().into())
            .await?;
        tracing::info!(%game, "resolved game");
    }
    Ok(())
}

/// The ExEx: after each notification, proposes every due block up to the safe head.
pub async fn run_proposer(
    mut ctx: ExExContext,
    sender: Arc<L1Sender>,
    cfg: ProposerConfig,
) -> Result<(), BoxError> {
    let db = ctx.components.db;
    let bond = initBondsCall::abi_decode_returns(
        &sender
            .call(
                cfg.factory,
                &initBondsCall {
                    gameType: cfg.game_type,
                }
                .abi_encode(),
            )
            .await?,
    )?;
    let mut last = last_proposed(&sender, &cfg).await?;
    tracing::info!(
        last_proposed = last,
        interval = cfg.interval,
        "proposer resuming"
    );
    let mut retry = tokio::time::interval(Duration::from_secs(2));
    loop {
        let timer = tokio::select! {
            n = ctx.notifications.recv() => {
                let Some(n) = n else { return Ok(()) };
                ctx.events.send(ExExEvent::FinishedHeight(n.tip()))?;
                false
            }
            _ = retry.tick() => true,
        };
        if timer && let Err(e) = resolve_due(&sender, &cfg).await {
            tracing::warn!(error = %e, "resolving games failed; retrying");
        }
        let safe = db.safe()?.unwrap_or(0);
        while last + cfg.interval <= safe {
            let next = last + cfg.interval;
            match propose(&sender, &cfg, &db, next, bond).await {
                Ok(_) => last = next,
                Err(e) => {
                    tracing::warn!(l2_block = next, error = %e, "proposal failed; retrying");
                    break;
                }
            }
        }
    }
}
