// SPDX-License-Identifier: MIT
pragma solidity ^0.8.24;

import {IDisputeGame} from "./IDisputeGame.sol";
import {GameSearchResult} from "../lib/Types.sol";

/// @title IDisputeGameFactory
/// @notice OP Stack's DisputeGameFactory ABI (GameType = uint32, Claim = Hash = GameId = bytes32,
///         Timestamp = uint64).
interface IDisputeGameFactory {
    event DisputeGameCreated(address indexed disputeProxy, uint32 indexed gameType, bytes32 indexed rootClaim);
    event ImplementationSet(address indexed impl, uint32 indexed gameType);
    event InitBondUpdated(uint32 indexed gameType, uint256 indexed newBond);
    event OwnershipTransferred(address indexed previousOwner, address indexed newOwner);

    error NoImplementation(uint32 gameType);
    error IncorrectBondAmount();
    error GameAlreadyExists(bytes32 uuid);

    function version() external view returns (string memory);
    function owner() external view returns (address);
    function transferOwnership(address _newOwner) external;
    function gameCount() external view returns (uint256 gameCount_);
    function games(uint32 _gameType, bytes32 _rootClaim, bytes calldata _extraData)
        external
        view
        returns (IDisputeGame proxy_, uint64 timestamp_);
    function gameAtIndex(uint256 _index)
        external
        view
        returns (uint32 gameType_, uint64 timestamp_, IDisputeGame proxy_);
    function gameImpls(uint32 _gameType) external view returns (IDisputeGame);
    function initBonds(uint32 _gameType) external view returns (uint256);
    function create(uint32 _gameType, bytes32 _rootClaim, bytes calldata _extraData)
        external
        payable
        returns (IDisputeGame proxy_);
    function getGameUUID(uint32 _gameType, bytes32 _rootClaim, bytes calldata _extraData)
        external
        pure
        returns (bytes32 uuid_);
    function findLatestGames(uint32 _gameType, uint256 _start, uint256 _n)
        external
        view
        returns (GameSearchResult[] memory games_);
    function setImplementation(uint32 _gameType, IDisputeGame _impl) external;
    function setInitBond(uint32 _gameType, uint256 _initBond) external;
}
