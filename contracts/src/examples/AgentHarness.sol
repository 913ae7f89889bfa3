// SPDX-License-Identifier: MIT
pragma solidity ^0.8.20;

interface IIdentity {
    function register() external returns (uint256);
}

/// @notice A contract agent used by the end-to-end tests of the registries: it receives agents
/// (ERC-721 receiver, optionally refusing or re-entering), acts as an ERC-1271 wallet for a
/// digest it was told to accept, and relays calls as DELEGATECALL or STATICCALL so the tests can
/// check how the native registries refuse them.
contract AgentHarness {
    bytes4 internal constant RECEIVED = 0x150b7a02;
    bytes4 internal constant MAGIC_1271 = 0x1626ba7e;

    bool public refuseTokens;
    bool public reenterOnReceive;
    bytes32 public acceptedDigest;
    uint256 public received;

    function setRefuseTokens(bool refuse) external {
        refuseTokens = refuse;
    }

    function setReenterOnReceive(bool reenter) external {
        reenterOnReceive = reenter;
    }

    function setAcceptedDigest(bytes32 digest) external {
        acceptedDigest = digest;
    }

    function onERC721Received(address, address, uint256, bytes calldata) external returns (bytes4) {
        received += 1;
        if (refuseTokens) return 0xdeadbeef;
        if (reenterOnReceive) {
            reenterOnReceive = false;
            IIdentity(msg.sender).register();
        }
        return RECEIVED;
    }

    function isValidSignature(bytes32 digest, bytes calldata) external view returns (bytes4) {
        return digest == acceptedDigest && digest != bytes32(0) ? MAGIC_1271 : bytes4(0xffffffff);
    }

    /// Calls `target` with `data` as this contract (a contract caller of a registry).
    function relay(address target, bytes calldata data) external payable returns (bytes memory) {
        (bool ok, bytes memory ret) = target.call{value: msg.value}(data);
        _bubble(ok, ret);
        return ret;
    }

    function relayDelegate(address target, bytes calldata data) external returns (bytes memory) {
        (bool ok, bytes memory ret) = target.delegatecall(data);
        _bubble(ok, ret);
        return ret;
    }

    function relayStatic(address target, bytes calldata data) external view returns (bytes memory) {
        (bool ok, bytes memory ret) = target.staticcall(data);
        _bubble(ok, ret);
        return ret;
    }

    function _bubble(bool ok, bytes memory ret) internal pure {
        if (!ok) {
            assembly {
                revert(add(ret, 32), mload(ret))
            }
        }
    }
}
