// SPDX-License-Identifier: MIT
pragma solidity ^0.8.24;

import {IDisputeGame} from "./IDisputeGame.sol";
import {IDisputeGameFactory} from "./IDisputeGameFactory.sol";
import {IAnchorStateRegistry} from "./IAnchorStateRegistry.sol";
import {WithdrawalTransaction, OutputRootProof} from "../lib/Types.sol";

/// @title IOptimismPortal
/// @notice The OptimismPortal2 ABI our portal serves (see OptimismPortal.sol for semantics).
interface IOptimismPortal is IAnchorStateRegistry {
    event TransactionDeposited(address indexed from, address indexed to, uint256 indexed version, bytes opaqueData);
    event WithdrawalProven(bytes32 indexed withdrawalHash, address indexed from, address indexed to);
    event WithdrawalProvenExtension1(bytes32 indexed withdrawalHash, address indexed proofSubmitter);
    event WithdrawalFinalized(bytes32 indexed withdrawalHash, bool success);
    event DisputeGameBlacklisted(IDisputeGame indexed disputeGame);
    event RespectedGameTypeSet(uint32 indexed newGameType, uint64 indexed updatedAt);
    event Paused(address account);
    event Unpaused(address account);

    // Deposits.
    /// @notice A creation deposit names a target; it must be address(0).
    error OptimismPortal_BadTarget();
    /// @notice The deposit's gas limit is under `minimumGasLimit(data.length)`.
    error OptimismPortal_GasLimitTooLow();
    /// @notice The deposit's calldata is over 120,000 bytes.
    error OptimismPortal_CalldataTooLarge();
    // Withdrawals.
    error OptimismPortal_CallPaused();
    error OptimismPortal_Unauthorized();
    /// @notice The game is not registered by the factory, blacklisted, retired, or the portal is paused.
    error OptimismPortal_ImproperDisputeGame();
    /// @notice The game's type was not respected when it was created, or it resolved CHALLENGER_WINS.
    error OptimismPortal_InvalidDisputeGame();
    /// @notice The output root proof does not hash to the game's root claim.
    error OptimismPortal_InvalidOutputRootProof();
    /// @notice The withdrawal is not in the message passer's storage under that root.
    error OptimismPortal_InvalidMerkleProof();
    /// @notice A proof in the same second as the game's creation (or earlier).
    error OptimismPortal_InvalidProofTimestamp();
    error OptimismPortal_Unproven();
    /// @notice The proof is not older than `proofMaturityDelaySeconds` yet.
    error OptimismPortal_ProofNotOldEnough();
    /// @notice The proof's game is not proper, not respected, not finalized or not DEFENDER_WINS.
    error OptimismPortal_InvalidRootClaim();
    error OptimismPortal_AlreadyFinalized();
    error OptimismPortal_NoReentrancy();
    /// @notice The caller left too little gas for the withdrawal's gas limit.
    error OptimismPortal_InsufficientGas();
    /// @notice A finalization's call failed while estimating gas (sent from address(1)).
    error OptimismPortal_GasEstimation();

    receive() external payable;
    function version() external pure returns (string memory);
    function l2Sender() external view returns (address);
    function guardian() external view returns (address);
    function paused() external view returns (bool);
    function systemConfig() external view returns (address);
    function disputeGameFactory() external view returns (IDisputeGameFactory);
    function anchorStateRegistry() external view returns (IAnchorStateRegistry);
    function proofMaturityDelaySeconds() external view returns (uint256);
    function respectedGameTypeUpdatedAt() external view returns (uint64);
    function minimumGasLimit(uint64 _byteCount) external pure returns (uint64);
    function finalizedWithdrawals(bytes32 _withdrawalHash) external view returns (bool);
    function provenWithdrawals(bytes32 _withdrawalHash, address _proofSubmitter)
        external
        view
        returns (IDisputeGame disputeGameProxy, uint64 timestamp);
    function proofSubmitters(bytes32 _withdrawalHash, uint256 _index) external view returns (address);
    function numProofSubmitters(bytes32 _withdrawalHash) external view returns (uint256);
    function disputeGameBlacklist(IDisputeGame _game) external view returns (bool);

    function donateETH() external payable;
    function depositTransaction(address _to, uint256 _value, uint64 _gasLimit, bool _isCreation, bytes memory _data)
        external
        payable;
    function proveWithdrawalTransaction(
        WithdrawalTransaction memory _tx,
        uint256 _disputeGameIndex,
        OutputRootProof calldata _outputRootProof,
        bytes[] calldata _withdrawalProof
    ) external;
    function finalizeWithdrawalTransaction(WithdrawalTransaction memory _tx) external;
    function finalizeWithdrawalTransactionExternalProof(WithdrawalTransaction memory _tx, address _proofSubmitter)
        external;
    function checkWithdrawal(bytes32 _withdrawalHash, address _proofSubmitter) external view;

    function blacklistDisputeGame(IDisputeGame _disputeGame) external;
    function setRespectedGameType(uint32 _gameType) external;
    function pause() external;
    function unpause() external;
}
