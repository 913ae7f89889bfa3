// SPDX-License-Identifier: MIT
pragma solidity ^0.8.24;

import {Script, console} from "../test/lib/Test.sol";
import {SystemConfig} from "src/L1/SystemConfig.sol";
import {DisputeGameFactory} from "src/L1/DisputeGameFactory.sol";
import {OptimismPortal} from "src/L1/OptimismPortal.sol";
import {PermissionedOutputGame} from "src/L1/PermissionedOutputGame.sol";
import {IDisputeGame} from "src/L1/interfaces/IDisputeGame.sol";
import {GameTypes} from "src/L1/lib/Types.sol";

/// @title DeployL1
/// @notice Deploys the L1 contracts in dependency order and wires them:
///           1. SystemConfig(owner=deployer, ...)
///           2. DisputeGameFactory(owner=deployer)
///           3. OptimismPortal(factory, systemConfig, guardian, maturity, finality, 2002)
///           4. PermissionedOutputGame(portal, proposer, challenger, window)   (the implementation)
///           5. factory.setImplementation(2002, game); factory.setInitBond(2002, bond)
///           6. systemConfig.setAddresses(portal, factory)
///           7. ownership of the factory and the SystemConfig to OWNER (when it is not the deployer)
///         Every step is a plain constructor or call with simple arguments, so a program can do
///         the same from the artifacts in out/ without forge.
///
///         forge script script/DeployL1.s.sol --rpc-url $L1_RPC --private-key $KEY --broadcast
///
///         Environment (all optional; roles default to the deployer):
///           OWNER GUARDIAN PROPOSER CHALLENGER BATCHER UNSAFE_BLOCK_SIGNER   addresses
///           L2_CHAIN_ID (28004)  L2_GAS_LIMIT (60000000)
///           PROOF_MATURITY_DELAY (604800)  FINALITY_DELAY (302400)  MAX_CHALLENGE_DURATION (302400)
///           INIT_BOND (80000000000000000 = 0.08 ETH)
///           BASEFEE_SCALAR (1368)  BLOBBASEFEE_SCALAR (810949)
///           DEPLOY_OUT   where to write the addresses as JSON: a file in ../deployments (the
///                        folder must exist; foundry.toml allows writes there only)
contract DeployL1 is Script {
    struct Config {
        address owner;
        address guardian;
        address proposer;
        address challenger;
        address batcher;
        address unsafeBlockSigner;
        uint256 l2ChainId;
        uint64 l2GasLimit;
        uint32 basefeeScalar;
        uint32 blobbasefeeScalar;
        uint256 proofMaturityDelay;
        uint256 finalityDelay;
        uint64 maxChallengeDuration;
        uint256 initBond;
    }

    struct Deployed {
        SystemConfig systemConfig;
        DisputeGameFactory disputeGameFactory;
        OptimismPortal optimismPortal;
        PermissionedOutputGame permissionedOutputGame;
        address batchInbox;
    }

    function run() external returns (Deployed memory d_) {
        vm.startBroadcast();
        // During a broadcast, contracts are created and called by the broadcasting account.
        address deployer = tx.origin;
        Config memory c = configFromEnv(deployer);
        d_ = deploy(c, deployer);
        vm.stopBroadcast();
        _report(c, d_);
    }

    /// @notice The configuration from the environment, roles defaulting to `_deployer`.
    function configFromEnv(address _deployer) public view returns (Config memory c_) {
        c_.owner = vm.envOr("OWNER", _deployer);
        c_.guardian = vm.envOr("GUARDIAN", c_.owner);
        c_.proposer = vm.envOr("PROPOSER", _deployer);
        c_.challenger = vm.envOr("CHALLENGER", _deployer);
        c_.batcher = vm.envOr("BATCHER", _deployer);
        c_.unsafeBlockSigner = vm.envOr("UNSAFE_BLOCK_SIGNER", _deployer);
        c_.l2ChainId = vm.envOr("L2_CHAIN_ID", uint256(28004));
        c_.l2GasLimit = uint64(vm.envOr("L2_GAS_LIMIT", uint256(60_000_000)));
        c_.basefeeScalar = uint32(vm.envOr("BASEFEE_SCALAR", uint256(1368)));
        c_.blobbasefeeScalar = uint32(vm.envOr("BLOBBASEFEE_SCALAR", uint256(810_949)));
        c_.proofMaturityDelay = vm.envOr("PROOF_MATURITY_DELAY", uint256(7 days));
        c_.finalityDelay = vm.envOr("FINALITY_DELAY", uint256(3.5 days));
        c_.maxChallengeDuration = uint64(vm.envOr("MAX_CHALLENGE_DURATION", uint256(3.5 days)));
        c_.initBond = vm.envOr("INIT_BOND", uint256(0.08 ether));
    }

    /// @notice Deploys and wires everything; `_deployer` is the account that sends the
    ///         transactions (it owns the factory and the SystemConfig until the handover).
    function deploy(Config memory _c, address _deployer) public returns (Deployed memory d_) {
        uint32 gameType = GameTypes.PERMISSIONED_OUTPUT;
        d_.systemConfig = new SystemConfig(
            _deployer,
            _c.basefeeScalar,
            _c.blobbasefeeScalar,
            bytes32(uint256(uint160(_c.batcher))),
            _c.l2GasLimit,
            _c.unsafeBlockSigner,
            address(0),
            _c.proposer,
            _c.challenger,
            _c.l2ChainId
        );
        d_.disputeGameFactory = new DisputeGameFactory(_deployer);
        d_.optimismPortal = new OptimismPortal(
            d_.disputeGameFactory,
            address(d_.systemConfig),
            _c.guardian,
            _c.proofMaturityDelay,
            _c.finalityDelay,
            gameType
        );
        d_.permissionedOutputGame =
            new PermissionedOutputGame(d_.optimismPortal, _c.proposer, _c.challenger, _c.maxChallengeDuration);
        d_.disputeGameFactory.setImplementation(gameType, IDisputeGame(address(d_.permissionedOutputGame)));
        d_.disputeGameFactory.setInitBond(gameType, _c.initBond);
        d_.systemConfig.setAddresses(address(d_.optimismPortal), address(d_.disputeGameFactory));
        if (_c.owner != _deployer) {
            d_.disputeGameFactory.transferOwnership(_c.owner);
            d_.systemConfig.transferOwnership(_c.owner);
        }
        d_.batchInbox = d_.systemConfig.batchInbox();
    }

    /// @notice Prints the addresses as JSON under OP's names, and writes them to DEPLOY_OUT.
    function _report(Config memory _c, Deployed memory _d) internal {
        string memory o = "deployment";
        vm.serializeAddress(o, "OptimismPortal", address(_d.optimismPortal));
        vm.serializeAddress(o, "DisputeGameFactory", address(_d.disputeGameFactory));
        vm.serializeAddress(o, "SystemConfig", address(_d.systemConfig));
        vm.serializeAddress(o, "BatchInbox", _d.batchInbox);
        vm.serializeAddress(o, "PermissionedOutputGame", address(_d.permissionedOutputGame));
        vm.serializeUint(o, "respectedGameType", GameTypes.PERMISSIONED_OUTPUT);
        // (SystemConfig.startBlock() is read from the chain: the script's simulation runs a block early.)
        string memory json = vm.serializeUint(o, "l2ChainId", _c.l2ChainId);
        console.log(json);
        string memory out = vm.envOr("DEPLOY_OUT", string(""));
        if (bytes(out).length != 0) vm.writeJson(json, out);
    }
}
