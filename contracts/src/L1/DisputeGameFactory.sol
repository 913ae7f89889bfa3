// SPDX-License-Identifier: MIT
pragma solidity ^0.8.24;

import {IDisputeGame} from "./interfaces/IDisputeGame.sol";
import {IDisputeGameFactory} from "./interfaces/IDisputeGameFactory.sol";
import {GameSearchResult} from "./lib/Types.sol";
import {Clones} from "./lib/Clones.sol";

/// @title DisputeGameFactory
/// @notice Creates dispute games as clones of per-type implementations and keeps the list of
///         every game, with OP Stack's DisputeGameFactory ABI.
/// @dev    Each clone carries `abi.encodePacked(creator, rootClaim, parentHash, extraData)` as
///         immutable arguments (20 + 32 + 32 + n bytes), `parentHash` being the L1 block hash
///         before the creating block. A game is identified by (gameType, rootClaim, extraData):
///         a second game with the same three is refused. Game ids pack
///         gameType << 224 | timestamp << 160 | address.
contract DisputeGameFactory is IDisputeGameFactory {
    /// @notice The implementation cloned for each game type.
    mapping(uint32 => IDisputeGame) public gameImpls;
    /// @notice The exact bond `create` must carry, per game type.
    mapping(uint32 => uint256) public initBonds;
    /// @notice Packed game id by game UUID.
    mapping(bytes32 => bytes32) internal _gameIds;
    /// @notice Packed game ids in creation order.
    bytes32[] internal _gameList;

    address public owner;

    /// @notice The caller is not the owner.
    error Unauthorized();

    modifier onlyOwner() {
        if (msg.sender != owner) revert Unauthorized();
        _;
    }

    /// @param _owner Sets implementations and bonds.
    constructor(address _owner) {
        owner = _owner;
        emit OwnershipTransferred(address(0), _owner);
    }

    function version() external pure returns (string memory) {
        return "1.0.1-agnt2";
    }

    function transferOwnership(address _newOwner) external onlyOwner {
        emit OwnershipTransferred(owner, _newOwner);
        owner = _newOwner;
    }

    function gameCount() external view returns (uint256 gameCount_) {
        gameCount_ = _gameList.length;
    }

    /// @notice The game created for (`_gameType`, `_rootClaim`, `_extraData`), or address(0).
    function games(uint32 _gameType, bytes32 _rootClaim, bytes calldata _extraData)
        external
        view
        returns (IDisputeGame proxy_, uint64 timestamp_)
    {
        (, timestamp_, proxy_) = _unpack(_gameIds[getGameUUID(_gameType, _rootClaim, _extraData)]);
    }

    /// @notice The `_index`-th game created (reverts past the end).
    function gameAtIndex(uint256 _index)
        external
        view
        returns (uint32 gameType_, uint64 timestamp_, IDisputeGame proxy_)
    {
        (gameType_, timestamp_, proxy_) = _unpack(_gameList[_index]);
    }

    /// @notice Creates a game of `_gameType` for `_rootClaim`, carrying the type's bond.
    /// @param _extraData Game-specific data (output games: abi.encode(uint256 l2BlockNumber)).
    function create(uint32 _gameType, bytes32 _rootClaim, bytes calldata _extraData)
        external
        payable
        returns (IDisputeGame proxy_)
    {
        IDisputeGame impl = gameImpls[_gameType];
        if (address(impl) == address(0)) revert NoImplementation(_gameType);
        if (msg.value != initBonds[_gameType]) revert IncorrectBondAmount();

        bytes32 uuid = getGameUUID(_gameType, _rootClaim, _extraData);
        if (_gameIds[uuid] != bytes32(0)) revert GameAlreadyExists(uuid);

        bytes32 parentHash = blockhash(block.number - 1);
        proxy_ = IDisputeGame(
            Clones.cloneWithArgs(address(impl), abi.encodePacked(msg.sender, _rootClaim, parentHash, _extraData))
        );
        proxy_.initialize{value: msg.value}();

        bytes32 id = _pack(_gameType, uint64(block.timestamp), address(proxy_));
        _gameIds[uuid] = id;
        _gameList.push(id);
        emit DisputeGameCreated(address(proxy_), _gameType, _rootClaim);
    }

    /// @notice keccak256(abi.encode(gameType, rootClaim, extraData)).
    function getGameUUID(uint32 _gameType, bytes32 _rootClaim, bytes calldata _extraData)
        public
        pure
        returns (bytes32 uuid_)
    {
        uuid_ = keccak256(abi.encode(_gameType, _rootClaim, _extraData));
    }

    /// @notice Up to `_n` games of `_gameType`, newest first, searching backwards from index
    ///         `_start` (inclusive). Empty when `_start` is past the end or `_n` is 0.
    function findLatestGames(uint32 _gameType, uint256 _start, uint256 _n)
        external
        view
        returns (GameSearchResult[] memory games_)
    {
        if (_start >= _gameList.length || _n == 0) return games_;

        GameSearchResult[] memory found = new GameSearchResult[](_n);
        uint256 count;
        uint256 i = _start + 1;
        while (i > 0 && count < _n) {
            --i;
            bytes32 id = _gameList[i];
            (uint32 gameType, uint64 timestamp, IDisputeGame proxy) = _unpack(id);
            if (gameType != _gameType) continue;
            found[count] = GameSearchResult({
                index: i, metadata: id, timestamp: timestamp, rootClaim: proxy.rootClaim(), extraData: proxy.extraData()
            });
            ++count;
        }
        // Shrink the array to what was found.
        assembly ("memory-safe") {
            mstore(found, count)
        }
        games_ = found;
    }

    function setImplementation(uint32 _gameType, IDisputeGame _impl) external onlyOwner {
        gameImpls[_gameType] = _impl;
        emit ImplementationSet(address(_impl), _gameType);
    }

    function setInitBond(uint32 _gameType, uint256 _initBond) external onlyOwner {
        initBonds[_gameType] = _initBond;
        emit InitBondUpdated(_gameType, _initBond);
    }

    function _pack(uint32 _gameType, uint64 _timestamp, address _proxy) internal pure returns (bytes32) {
        return bytes32((uint256(_gameType) << 224) | (uint256(_timestamp) << 160) | uint256(uint160(_proxy)));
    }

    function _unpack(bytes32 _id) internal pure returns (uint32 gameType_, uint64 timestamp_, IDisputeGame proxy_) {
        uint256 id = uint256(_id);
        gameType_ = uint32(id >> 224);
        timestamp_ = uint64(id >> 160);
        proxy_ = IDisputeGame(address(uint160(id)));
    }
}
