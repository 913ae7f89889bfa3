//! Output checking and the permissioned challenger, run by a verifier: every game of the
//! respected type that the DisputeGameFactory holds is compared, once this node has derived
//! its L2 block from finalized L1 data, against the output root this node computes for that
//! block. A mismatch is
//! reported (an error log, `agnt2_output_mismatches_total`, and `optimism_outputAtBlock` for
//! comparing by hand); with the challenger key the game is invalidated (`challenge()`) while
//! its window is open, so no withdrawal proven against it can finalize.

use std::{sync::Arc, time::Duration};

use agnt2_storage::Database;
use alloy_primitives::{Address, B256, U256};
use alloy_sol_types::{SolCall, sol};

use crate::{L1Sender, SendError, output::output_root_of};

sol! {
    function gameCount() external view returns (uint256);
    function gameAtIndex(uint256 index) external view returns (uint32 gameType, uint64 timestamp, address proxy);
    function rootClaim() external view returns (bytes32);
    function l2BlockNumber() external view returns (uint256);
    function status() external view returns (uint8);
    function challenge() external;
}

/// Which games to check.
#[derive(Debug, Clone)]
pub struct ChallengerConfig {
    /// The DisputeGameFactory.
    pub factory: Address,
    /// The game type proposals use.
    pub game_type: u32,
    /// How often to look for new games.
    pub poll: Duration,
}

/// A game waiting for this node to derive its block.
#[derive(Debug, Clone)]
struct Pending {
    game: Address,
    l2_block: u64,
    claim: B256,
}

/// Why a round of checking failed (retried next poll).
#[derive(Debug, thiserror::Error)]
pub enum CheckError {
    /// An L1 call failed.
    #[error(transparent)]
    Send(#[from] SendError),
    /// L1 returned something that does not decode.
    #[error("game answer does not decode: {0}")]
    Decode(#[from] alloy_sol_types::Error),
    /// Storage failed.
    #[error(transparent)]
    Storage(#[from] agnt2_storage::StorageError),
}

/// What a checked game came to.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Verdict {
    /// The claim is this node's output root.
    Matches,
    /// It is not, and the game was challenged.
    Challenged,
    /// It is not; no key, or the game is no longer open.
    Mismatch,
}

/// Checks the factory's games against `db` (see the module doc).
#[derive(Debug)]
pub struct OutputChecker {
    db: Database,
    reader: Arc<L1Sender>,
    challenger: Option<Arc<L1Sender>>,
    cfg: ChallengerConfig,
    next_index: u64,
    pending: Vec<Pending>,
}

impl OutputChecker {
    /// A checker reading L1 through `reader`, challenging with `challenger` when given.
    pub fn new(
        db: Database,
        reader: Arc<L1Sender>,
        challenger: Option<Arc<L1Sender>>,
        cfg: ChallengerConfig,
    ) -> Self {
        Self {
            db,
            reader,
            challenger,
            cfg,
            next_index: 0,
            pending: Vec::new(),
        }
    }

    async fn call<C: SolCall>(&self, to: Address, call: C) -> Result<C::Return, CheckError> {
        let out = self
            .reader
            .call(to, &call.abi_encode())
            .await
            .map_err(SendError::from)?;
        Ok(C::abi_decode_returns(&out)?)
    }

    /// One round: reads new games, then checks every pending one this node has derived.
    pub async fn check_once(&mut self) -> Result<Vec<(u64, Verdict)>, CheckError> {
        let count: u64 = self
            .call(self.cfg.factory, gameCountCall {})
            .await?
            .saturating_to();
        while self.next_index < count {
            let g = self
                .call(
                    self.cfg.factory,
                    gameAtIndexCall {
                        index: U256::from(self.next_index),
                    },
                )
                .await?;
            if g.gameType == self.cfg.game_type {
                let claim = self.call(g.proxy, rootClaimCall {}).await?;
                let l2_block: u64 = self
                    .call(g.proxy, l2BlockNumberCall {})
                    .await?
                    .saturating_to();
                self.pending.push(Pending {
                    game: g.proxy,
                    l2_block,
                    claim,
                });
            }
            self.next_index += 1;
        }
        // Only against blocks derived from finalized L1 data: a challenge cannot be taken back,
        // and a block on L1 data that may still reorg could be derived otherwise later.
        let head = self.db.finalized()?.unwrap_or(0);
        let mut verdicts = Vec::new();
        let mut waiting = Vec::new();
        for p in std::mem::take(&mut self.pending) {
            if p.l2_block > head {
                waiting.push(p);
                continue;
            }
            match self.check(&p).await {
                Ok(v) => verdicts.push((p.l2_block, v)),
                Err(e) => {
                    tracing::warn!(game = %p.game, error = %e, "checking a game failed; retrying");
                    waiting.push(p);
                }
            }
        }
        self.pending = waiting;
        Ok(verdicts)
    }

    async fn check(&self, p: &Pending) -> Result<Verdict, CheckError> {
        let (Some(header), Some(hash)) =
            (self.db.header(p.l2_block)?, self.db.block_hash(p.l2_block)?)
        else {
            return Ok(Verdict::Mismatch);
        };
        let ours = output_root_of(&header, hash);
        if ours == p.claim {
            metrics::counter!("agnt2_outputs_checked_total").increment(1);
            tracing::info!(game = %p.game, l2_block = p.l2_block, output_root = %ours, "proposed output matches");
            return Ok(Verdict::Matches);
        }
        metrics::counter!("agnt2_output_mismatches_total").increment(1);
        tracing::error!(
            game = %p.game,
            l2_block = p.l2_block,
            claimed = %p.claim,
            derived = %ours,
            "proposed output root does not match the chain derived from L1"
        );
        let Some(challenger) = &self.challenger else {
            return Ok(Verdict::Mismatch);
        };
        if self.call(p.game, statusCall {}).await? != 0 {
            tracing::warn!(game = %p.game, "game already resolved; too late to challenge");
            return Ok(Verdict::Mismatch);
        }
        let receipt = challenger
            .send(
                Some(p.game),
                U256::ZERO,
                challengeCall {}.abi_encode().into(),
            )
            .await?;
        metrics::counter!("agnt2_challenges_total").increment(1);
        tracing::warn!(game = %p.game, l1_tx = %receipt.transaction_hash, "challenged the game");
        Ok(Verdict::Challenged)
    }

    /// Checks every `poll` until dropped.
    pub async fn run(mut self) {
        let mut tick = tokio::time::interval(self.cfg.poll);
        tick.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
        loop {
            tick.tick().await;
            if let Err(e) = self.check_once().await {
                tracing::warn!(error = %e, "output check failed; retrying");
            }
        }
    }
}
