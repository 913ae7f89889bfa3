// SPDX-License-Identifier: MIT
pragma solidity ^0.8.24;

import {BatchInbox} from "./BatchInbox.sol";

/// @title SystemConfig
/// @notice The L2 chain's configuration on L1, with OP Stack's SystemConfig getters, setters and
///         `ConfigUpdate` event. Derivation reads the event to follow changes (batcher, fee
///         scalars, gas limit, unsafe block signer, EIP-1559 and operator fee parameters) from
///         the L1 block they happen in; the encodings of `data` are OP's, per update type:
///           BATCHER              abi.encode(bytes32 batcherHash)
///           FEE_SCALARS          abi.encode(uint256 overhead, uint256 scalar), scalar =
///                                0x01 << 248 | blobbasefeeScalar << 32 | basefeeScalar
///           GAS_LIMIT            abi.encode(uint64 gasLimit)
///           UNSAFE_BLOCK_SIGNER  abi.encode(address signer)
///           EIP_1559_PARAMS      abi.encode(uint256(denominator) << 32 | elasticity)
///           OPERATOR_FEE_PARAMS  abi.encode(uint256(operatorFeeScalar) << 64 | operatorFeeConstant)
///         Beyond OP's getters it records the proposer and challenger (informational: the game
///         implementation holds the roles that count) and the L2 chain id, and it deploys the
///         chain's `BatchInbox`, which accepts batches from `batcherHash`'s batcher only.
/// @dev    Deployed before the portal and the factory; the owner links them once with
///         `setAddresses`.
contract SystemConfig {
    enum UpdateType {
        BATCHER,
        FEE_SCALARS,
        GAS_LIMIT,
        UNSAFE_BLOCK_SIGNER,
        EIP_1559_PARAMS,
        OPERATOR_FEE_PARAMS
    }

    /// @notice Version of the `ConfigUpdate` encodings.
    uint256 public constant VERSION = 0;
    /// @notice Lowest L2 gas limit accepted (OP's default resource limit plus system tx gas).
    uint64 public constant MINIMUM_GAS_LIMIT = 21_000_000;
    /// @notice Highest L2 gas limit accepted. OP caps it at 500M; agnt2 targets tens of thousands
    ///         of transfers per second (DESIGN §7), so 1 s blocks need more than that.
    uint64 public constant MAXIMUM_GAS_LIMIT = 10_000_000_000;

    address public owner;
    /// @notice Versioned hash of the batcher: bytes32(uint256(uint160(batcher))).
    bytes32 public batcherHash;
    uint64 public gasLimit;
    uint32 public basefeeScalar;
    uint32 public blobbasefeeScalar;
    /// @notice Legacy (pre-Ecotone) fee overhead; 0.
    uint256 public overhead;
    /// @notice Packed fee scalars, Ecotone format (see FEE_SCALARS above).
    uint256 public scalar;
    uint32 public eip1559Denominator;
    uint32 public eip1559Elasticity;
    uint32 public operatorFeeScalar;
    uint64 public operatorFeeConstant;
    address public unsafeBlockSigner;
    /// @notice The address batches are sent to: by default the `BatchInbox` this contract
    ///         deploys in its constructor (only the batcher may post; it records a commitment of
    ///         every batch), or the address given at construction.
    address public immutable batchInbox;
    /// @notice The L1 block this contract was deployed in: derivation starts scanning here.
    uint256 public immutable startBlock;
    uint256 public immutable l2ChainId;
    /// @notice The output proposer (creates PermissionedOutputGame games).
    address public immutable proposer;
    /// @notice The challenger (may invalidate them).
    address public immutable challenger;
    address public optimismPortal;
    address public disputeGameFactory;

    event ConfigUpdate(uint256 indexed version, UpdateType indexed updateType, bytes data);
    event OwnershipTransferred(address indexed previousOwner, address indexed newOwner);
    /// @notice Emitted once, when the owner links the portal and the factory.
    event AddressesSet(address optimismPortal, address disputeGameFactory);

    error Unauthorized();
    error GasLimitOutOfRange(uint64 gasLimit);
    /// @notice `setAddresses` was called before.
    error AddressesAlreadySet();
    /// @notice A zero EIP-1559 denominator or elasticity.
    error InvalidEIP1559Params();

    modifier onlyOwner() {
        if (msg.sender != owner) revert Unauthorized();
        _;
    }

    /// @param _owner             May change the configuration.
    /// @param _basefeeScalar     Ecotone L1 base fee scalar.
    /// @param _blobbasefeeScalar Ecotone L1 blob base fee scalar.
    /// @param _batcherHash       bytes32(uint256(uint160(batcher))).
    /// @param _gasLimit          L2 block gas limit.
    /// @param _unsafeBlockSigner Signs unsafe blocks gossiped on p2p.
    /// @param _batchInbox        Where batches go; address(0) deploys a `BatchInbox` bound to
    ///                           this contract (the default).
    /// @param _proposer          The output proposer.
    /// @param _challenger        The challenger.
    /// @param _l2ChainId         The L2 chain id.
    constructor(
        address _owner,
        uint32 _basefeeScalar,
        uint32 _blobbasefeeScalar,
        bytes32 _batcherHash,
        uint64 _gasLimit,
        address _unsafeBlockSigner,
        address _batchInbox,
        address _proposer,
        address _challenger,
        uint256 _l2ChainId
    ) {
        owner = _owner;
        emit OwnershipTransferred(address(0), _owner);
        batchInbox = _batchInbox == address(0) ? address(new BatchInbox(address(this))) : _batchInbox;
        startBlock = block.number;
        l2ChainId = _l2ChainId;
        proposer = _proposer;
        challenger = _challenger;
        // In UpdateType order, so derivation sees the initial configuration as updates.
        _setBatcherHash(_batcherHash);
        _setGasConfigEcotone(_basefeeScalar, _blobbasefeeScalar);
        _setGasLimit(_gasLimit);
        _setUnsafeBlockSigner(_unsafeBlockSigner);
    }

    function version() external pure returns (string memory) {
        return "2.5.0-agnt2";
    }

    function minimumGasLimit() external pure returns (uint64) {
        return MINIMUM_GAS_LIMIT;
    }

    function maximumGasLimit() external pure returns (uint64) {
        return MAXIMUM_GAS_LIMIT;
    }

    /// @notice Links the portal and the dispute game factory, once.
    function setAddresses(address _optimismPortal, address _disputeGameFactory) external onlyOwner {
        if (optimismPortal != address(0) || disputeGameFactory != address(0)) revert AddressesAlreadySet();
        optimismPortal = _optimismPortal;
        disputeGameFactory = _disputeGameFactory;
        emit AddressesSet(_optimismPortal, _disputeGameFactory);
    }

    function transferOwnership(address _newOwner) external onlyOwner {
        emit OwnershipTransferred(owner, _newOwner);
        owner = _newOwner;
    }

    function setBatcherHash(bytes32 _batcherHash) external onlyOwner {
        _setBatcherHash(_batcherHash);
    }

    function setGasConfigEcotone(uint32 _basefeeScalar, uint32 _blobbasefeeScalar) external onlyOwner {
        _setGasConfigEcotone(_basefeeScalar, _blobbasefeeScalar);
    }

    function setGasLimit(uint64 _gasLimit) external onlyOwner {
        _setGasLimit(_gasLimit);
    }

    function setUnsafeBlockSigner(address _unsafeBlockSigner) external onlyOwner {
        _setUnsafeBlockSigner(_unsafeBlockSigner);
    }

    function setEIP1559Params(uint32 _denominator, uint32 _elasticity) external onlyOwner {
        if (_denominator == 0 || _elasticity == 0) revert InvalidEIP1559Params();
        eip1559Denominator = _denominator;
        eip1559Elasticity = _elasticity;
        emit ConfigUpdate(VERSION, UpdateType.EIP_1559_PARAMS, abi.encode((uint256(_denominator) << 32) | _elasticity));
    }

    function setOperatorFeeScalars(uint32 _operatorFeeScalar, uint64 _operatorFeeConstant) external onlyOwner {
        operatorFeeScalar = _operatorFeeScalar;
        operatorFeeConstant = _operatorFeeConstant;
        emit ConfigUpdate(
            VERSION,
            UpdateType.OPERATOR_FEE_PARAMS,
            abi.encode((uint256(_operatorFeeScalar) << 64) | _operatorFeeConstant)
        );
    }

    function _setBatcherHash(bytes32 _batcherHash) internal {
        batcherHash = _batcherHash;
        emit ConfigUpdate(VERSION, UpdateType.BATCHER, abi.encode(_batcherHash));
    }

    function _setGasConfigEcotone(uint32 _basefeeScalar, uint32 _blobbasefeeScalar) internal {
        basefeeScalar = _basefeeScalar;
        blobbasefeeScalar = _blobbasefeeScalar;
        scalar = (uint256(0x01) << 248) | (uint256(_blobbasefeeScalar) << 32) | _basefeeScalar;
        emit ConfigUpdate(VERSION, UpdateType.FEE_SCALARS, abi.encode(overhead, scalar));
    }

    function _setGasLimit(uint64 _gasLimit) internal {
        if (_gasLimit < MINIMUM_GAS_LIMIT || _gasLimit > MAXIMUM_GAS_LIMIT) revert GasLimitOutOfRange(_gasLimit);
        gasLimit = _gasLimit;
        emit ConfigUpdate(VERSION, UpdateType.GAS_LIMIT, abi.encode(_gasLimit));
    }

    function _setUnsafeBlockSigner(address _unsafeBlockSigner) internal {
        unsafeBlockSigner = _unsafeBlockSigner;
        emit ConfigUpdate(VERSION, UpdateType.UNSAFE_BLOCK_SIGNER, abi.encode(_unsafeBlockSigner));
    }
}
