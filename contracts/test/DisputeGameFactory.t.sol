// SPDX-License-Identifier: MIT
pragma solidity ^0.8.24;

import {L1Fixture} from "./lib/L1Fixture.sol";
import {DisputeGameFactory} from "src/L1/DisputeGameFactory.sol";
import {IDisputeGameFactory} from "src/L1/interfaces/IDisputeGameFactory.sol";
import {IDisputeGame} from "src/L1/interfaces/IDisputeGame.sol";
import {PermissionedOutputGame} from "src/L1/PermissionedOutputGame.sol";
import {GameSearchResult, GameStatus} from "src/L1/lib/Types.sol";
import {CloneArgs, Clones} from "src/L1/lib/Clones.sol";

/// @notice A game that accepts any extraData and echoes its clone arguments (clone tests).
contract EchoGame is CloneArgs {
    bool public initialized;
    uint256 public paid;

    error Boom(uint256 code);

    function initialize() external payable {
        initialized = true;
        paid = msg.value;
    }

    function gameCreator() external pure returns (address) {
        return _argAddress(0);
    }

    function rootClaim() external pure returns (bytes32) {
        return _argBytes32(20);
    }

    function l1Head() external pure returns (bytes32) {
        return _argBytes32(52);
    }

    function extraData() external pure returns (bytes memory) {
        return _argBytes(84, _argsLength() - 84);
    }

    function echo(bytes calldata _in) external pure returns (bytes memory) {
        return _in;
    }

    function boom(uint256 _code) external pure {
        revert Boom(_code);
    }
}

contract DisputeGameFactoryTest is L1Fixture {
    uint32 internal constant ECHO = 4242;
    EchoGame internal echoImpl;

    function setUp() public override {
        super.setUp();
        echoImpl = new EchoGame();
        vm.prank(owner);
        factory.setImplementation(ECHO, IDisputeGame(address(echoImpl)));
    }

    function test_create_registersTheGame() public {
        bytes32 root = keccak256("output");
        vm.expectEmit(false, true, true, false, address(factory));
        emit IDisputeGameFactory.DisputeGameCreated(address(0), GAME_TYPE, root);
        (PermissionedOutputGame game, uint256 index) = _propose(root, 1234);

        assertEq(factory.gameCount(), 1);
        (uint32 t, uint64 ts, IDisputeGame proxy) = factory.gameAtIndex(index);
        assertEq(uint256(t), uint256(GAME_TYPE));
        assertEq(uint256(ts), block.timestamp);
        assertEq(address(proxy), address(game));
        (IDisputeGame found, uint64 ts2) = factory.games(GAME_TYPE, root, abi.encode(uint256(1234)));
        assertEq(address(found), address(game));
        assertEq(uint256(ts2), block.timestamp);
        (found,) = factory.games(GAME_TYPE, root, abi.encode(uint256(1235)));
        assertEq(address(found), address(0), "other extraData: no game");

        // The clone carries creator, root claim, parent hash and extraData.
        assertEq(game.gameCreator(), proposer);
        assertEq(game.rootClaim(), root);
        assertEq(game.l1Head(), blockhash(block.number - 1));
        assertEq(game.extraData(), abi.encode(uint256(1234)));
        assertEq(game.l2BlockNumber(), 1234);
        assertEq(address(game).balance, BOND);
        assertEq(address(game).code.length, 0x38 + 84 + 32 + 2);
    }

    function test_create_duplicate_reverts() public {
        bytes32 root = keccak256("output");
        _propose(root, 1);
        bytes32 uuid = factory.getGameUUID(GAME_TYPE, root, abi.encode(uint256(1)));
        assertEq(uuid, keccak256(abi.encode(GAME_TYPE, root, abi.encode(uint256(1)))));
        vm.prank(proposer, proposer);
        vm.expectRevert(abi.encodeWithSelector(IDisputeGameFactory.GameAlreadyExists.selector, uuid));
        factory.create{value: BOND}(GAME_TYPE, root, abi.encode(uint256(1)));
        // The same root for another block is another game.
        _propose(root, 2);
        assertEq(factory.gameCount(), 2);
    }

    function test_create_wrongBond_reverts() public {
        vm.startPrank(proposer, proposer);
        vm.expectRevert(IDisputeGameFactory.IncorrectBondAmount.selector);
        factory.create{value: BOND - 1}(GAME_TYPE, bytes32(uint256(1)), abi.encode(uint256(1)));
        vm.expectRevert(IDisputeGameFactory.IncorrectBondAmount.selector);
        factory.create{value: BOND + 1}(GAME_TYPE, bytes32(uint256(1)), abi.encode(uint256(1)));
        vm.stopPrank();
    }

    function test_create_noImplementation_reverts() public {
        vm.expectRevert(abi.encodeWithSelector(IDisputeGameFactory.NoImplementation.selector, uint32(77)));
        factory.create(77, bytes32(0), "");
    }

    function test_ownerOnly() public {
        address eve = makeAddr("eve");
        vm.startPrank(eve);
        vm.expectRevert(DisputeGameFactory.Unauthorized.selector);
        factory.setImplementation(1, IDisputeGame(address(1)));
        vm.expectRevert(DisputeGameFactory.Unauthorized.selector);
        factory.setInitBond(1, 1);
        vm.expectRevert(DisputeGameFactory.Unauthorized.selector);
        factory.transferOwnership(eve);
        vm.stopPrank();
    }

    function test_setters_emit() public {
        vm.startPrank(owner);
        vm.expectEmit(address(factory));
        emit IDisputeGameFactory.ImplementationSet(address(5), 9);
        factory.setImplementation(9, IDisputeGame(address(5)));
        vm.expectEmit(address(factory));
        emit IDisputeGameFactory.InitBondUpdated(9, 3 ether);
        factory.setInitBond(9, 3 ether);
        factory.transferOwnership(guardian);
        vm.stopPrank();
        assertEq(address(factory.gameImpls(9)), address(5));
        assertEq(factory.initBonds(9), 3 ether);
        assertEq(factory.owner(), guardian);
    }

    function test_findLatestGames() public {
        // Interleave two types: 2002 at indexes 0, 2, 4; echo at 1, 3.
        for (uint256 i = 0; i < 5; ++i) {
            if (i % 2 == 0) {
                _propose(keccak256(abi.encode(i)), 100 + i);
            } else {
                factory.create(ECHO, keccak256(abi.encode(i)), hex"abcdef");
            }
            vm.warp(block.timestamp + 12);
        }
        GameSearchResult[] memory r = factory.findLatestGames(GAME_TYPE, 4, 10);
        assertEq(r.length, 3);
        assertEq(r[0].index, 4);
        assertEq(r[1].index, 2);
        assertEq(r[2].index, 0);
        assertEq(r[1].rootClaim, keccak256(abi.encode(uint256(2))));
        assertEq(r[1].extraData, abi.encode(uint256(102)));
        (uint32 t, uint64 ts, IDisputeGame proxy) = factory.gameAtIndex(2);
        assertEq(uint256(r[1].timestamp), uint256(ts));
        assertEq(r[1].metadata, bytes32((uint256(t) << 224) | (uint256(ts) << 160) | uint256(uint160(address(proxy)))));

        r = factory.findLatestGames(GAME_TYPE, 3, 1);
        assertEq(r.length, 1);
        assertEq(r[0].index, 2, "searches backwards from start");
        r = factory.findLatestGames(ECHO, 4, 10);
        assertEq(r.length, 2);
        assertEq(r[0].extraData, hex"abcdef");
        assertEq(factory.findLatestGames(GAME_TYPE, 5, 10).length, 0, "start past the end");
        assertEq(factory.findLatestGames(GAME_TYPE, 4, 0).length, 0, "n = 0");
        assertEq(factory.findLatestGames(9, 4, 10).length, 0, "no game of that type");
    }

    /// viem's getGames asks for (respectedGameType, gameCount - 1, min(limit, gameCount)).
    function test_findLatestGames_theWayViemAsks() public {
        _propose(keccak256("a"), 10);
        _propose(keccak256("b"), 20);
        uint256 count = factory.gameCount();
        GameSearchResult[] memory r = factory.findLatestGames(portal.respectedGameType(), count - 1, count);
        assertEq(r.length, 2);
        // The game's address is the low 20 bytes of metadata (viem: `0x${metadata.slice(26)}`).
        PermissionedOutputGame newest = PermissionedOutputGame(address(uint160(uint256(r[0].metadata))));
        assertEq(newest.l2SequenceNumber(), 20);
    }

    function testFuzz_cloneArgs(address _creator, bytes32 _root, bytes memory _extra, uint256 _value) public {
        vm.assume(_extra.length < 4000);
        _value = bound(_value, 0, 10 ether);
        vm.prank(owner);
        factory.setInitBond(ECHO, _value);
        vm.deal(_creator, _value);
        vm.roll(block.number + 1);
        vm.prank(_creator);
        EchoGame g = EchoGame(address(factory.create{value: _value}(ECHO, _root, _extra)));
        assertTrue(g.initialized());
        assertEq(g.paid(), _value);
        assertEq(g.gameCreator(), _creator);
        assertEq(g.rootClaim(), _root);
        assertEq(g.l1Head(), blockhash(block.number - 1));
        assertEq(g.extraData(), _extra);
        // Calldata and return data pass through the proxy unchanged, reverts too.
        assertEq(g.echo(_extra), _extra);
        vm.expectRevert(abi.encodeWithSelector(EchoGame.Boom.selector, uint256(_root)));
        g.boom(uint256(_root));
    }

    function test_cloneArgsTooLong_reverts() public {
        vm.expectRevert(Clones.Clones_ArgsTooLong.selector);
        factory.create(ECHO, bytes32(0), new bytes(65_535 - 84 - 1));
    }
}
