// SPDX-License-Identifier: MIT
pragma solidity ^0.8.20;

interface IERC721Receiver {
    function onERC721Received(address operator, address from, uint256 tokenId, bytes calldata data)
        external
        returns (bytes4);
}

/// @notice The ERC-8004 identity registry as agnt2 predeploys it at
/// 0x8004A169FB4a3325136EB29fA0ceB6D2e539a432: a thin front over the native core at
/// 0x...0A9E01. Every call is forwarded with the caller appended (the core trusts only this
/// contract); the front adds the two things a precompile cannot do, the `onERC721Received`
/// call-back of safe transfers and mints to contracts, and the ERC-1271 check of contract
/// wallets in `setAgentWallet`. The core keeps the state in this account's storage and emits
/// the events from this address.
contract IdentityRegistryFront {
    address internal constant CORE = 0x00000000000000000000000000000000000a9E01;
    bytes4 internal constant NEEDS_CONTRACT_CHECK = bytes4(keccak256("WalletSignatureNeedsContractCheck(bytes32)"));
    bytes4 internal constant SET_WALLET_VERIFIED = bytes4(keccak256("setAgentWalletVerified(uint256,address,uint256)"));

    fallback() external payable {
        // The core trusts this front for `setAgentWalletVerified`, which only follows a
        // successful ERC-1271 check below; nobody may reach it through the fallback.
        if (msg.sig == SET_WALLET_VERIFIED) revert("unknown function selector");
        _forward(msg.data);
    }

    function register() external payable returns (uint256 agentId) {
        agentId = abi.decode(_call(msg.data), (uint256));
        _checkReceiver(address(0), msg.sender, agentId, "");
    }

    function register(string calldata) external payable returns (uint256 agentId) {
        agentId = abi.decode(_call(msg.data), (uint256));
        _checkReceiver(address(0), msg.sender, agentId, "");
    }

    function register(string calldata, MetadataEntryArg[] calldata) external payable returns (uint256 agentId) {
        agentId = abi.decode(_call(msg.data), (uint256));
        _checkReceiver(address(0), msg.sender, agentId, "");
    }

    function safeTransferFrom(address from, address to, uint256 tokenId) external payable {
        _call(msg.data);
        _checkReceiver(from, to, tokenId, "");
    }

    function safeTransferFrom(address from, address to, uint256 tokenId, bytes calldata data) external payable {
        _call(msg.data);
        _checkReceiver(from, to, tokenId, data);
    }

    function setAgentWallet(uint256 agentId, address newWallet, uint256 deadline, bytes calldata signature) external payable {
        (bool ok, bytes memory ret) = CORE.call{value: msg.value}(abi.encodePacked(msg.data, msg.sender));
        if (ok) return;
        if (ret.length == 36 && bytes4(ret) == NEEDS_CONTRACT_CHECK) {
            bytes32 digest;
            assembly {
                digest := mload(add(ret, 36))
            }
            (bool s, bytes memory r) = newWallet.staticcall(abi.encodeWithSelector(0x1626ba7e, digest, signature));
            if (s && r.length >= 32 && abi.decode(r, (bytes32)) == bytes32(bytes4(0x1626ba7e))) {
                _call(abi.encodeWithSelector(SET_WALLET_VERIFIED, agentId, newWallet, deadline));
                return;
            }
            revert("invalid wallet sig");
        }
        assembly {
            revert(add(ret, 32), mload(ret))
        }
    }

    struct MetadataEntryArg {
        string metadataKey;
        bytes metadataValue;
    }

    function _checkReceiver(address from, address to, uint256 tokenId, bytes memory data) internal {
        if (to.code.length == 0) return;
        try IERC721Receiver(to).onERC721Received(msg.sender, from, tokenId, data) returns (bytes4 retval) {
            if (retval != IERC721Receiver.onERC721Received.selector) revert ERC721InvalidReceiver(to);
        } catch (bytes memory reason) {
            if (reason.length == 0) revert ERC721InvalidReceiver(to);
            assembly {
                revert(add(reason, 32), mload(reason))
            }
        }
    }

    error ERC721InvalidReceiver(address receiver);

    /// Calls the core with `data`, this call's value (the core rejects value) and sender; bubbles a revert up unchanged.
    function _call(bytes memory data) internal returns (bytes memory) {
        (bool ok, bytes memory ret) = CORE.call{value: msg.value}(abi.encodePacked(data, msg.sender));
        if (!ok) {
            assembly {
                revert(add(ret, 32), mload(ret))
            }
        }
        return ret;
    }

    function _forward(bytes calldata data) internal {
        assembly {
            let len := data.length
            calldatacopy(0, data.offset, len)
            mstore(len, shl(96, caller()))
            let ok := call(gas(), CORE, callvalue(), 0, add(len, 20), 0, 0)
            returndatacopy(0, 0, returndatasize())
            if iszero(ok) { revert(0, returndatasize()) }
            return(0, returndatasize())
        }
    }
}
