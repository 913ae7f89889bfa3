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

    bytes4 internal constant REGISTER_0 = bytes4(keccak256("register()"));
    bytes4 internal constant REGISTER_1 = bytes4(keccak256("register(string)"));
    bytes4 internal constant REGISTER_2 = bytes4(keccak256("register(string,(string,bytes)[])"));
    bytes4 internal constant SAFE_TRANSFER_3 = bytes4(keccak256("safeTransferFrom(address,address,uint256)"));
    bytes4 internal constant SAFE_TRANSFER_4 = bytes4(keccak256("safeTransferFrom(address,address,uint256,bytes)"));
    bytes4 internal constant SET_WALLET = bytes4(keccak256("setAgentWallet(uint256,address,uint256,bytes)"));

    /// Every selector lands here, so the core decodes every call first: malformed calldata
    /// gets the core's documented reason, never Solidity's empty revert, and the arguments the
    /// front needs afterwards are decoded only once the core has accepted them.
    fallback(bytes calldata input) external payable returns (bytes memory) {
        bytes4 sig = msg.sig;
        // The core trusts this front for `setAgentWalletVerified`, which only follows a
        // successful ERC-1271 check below; nobody may reach it from outside.
        if (sig == SET_WALLET_VERIFIED) revert("unknown function selector");
        if (sig == REGISTER_0 || sig == REGISTER_1 || sig == REGISTER_2) {
            bytes memory ret = _call(input);
            _checkReceiver(address(0), msg.sender, abi.decode(ret, (uint256)), "");
            return ret;
        }
        if (sig == SAFE_TRANSFER_3 || sig == SAFE_TRANSFER_4) {
            bytes memory ret = _call(input);
            (address from, address to, uint256 tokenId) = abi.decode(input[4:100], (address, address, uint256));
            bytes memory data;
            if (sig == SAFE_TRANSFER_4) (,,, data) = abi.decode(input[4:], (address, address, uint256, bytes));
            _checkReceiver(from, to, tokenId, data);
            return ret;
        }
        if (sig == SET_WALLET) return _setAgentWallet(input);
        _forward(input);
    }

    function _setAgentWallet(bytes calldata input) internal returns (bytes memory) {
        (bool ok, bytes memory ret) = CORE.call{value: msg.value}(abi.encodePacked(input, msg.sender));
        if (ok) return ret;
        if (ret.length == 36 && bytes4(ret) == NEEDS_CONTRACT_CHECK) {
            bytes32 digest;
            assembly {
                digest := mload(add(ret, 36))
            }
            (uint256 agentId, address newWallet, uint256 deadline, bytes memory signature) =
                abi.decode(input[4:], (uint256, address, uint256, bytes));
            (bool s, bytes memory r) = newWallet.staticcall(abi.encodeWithSelector(0x1626ba7e, digest, signature));
            if (s && r.length >= 32 && abi.decode(r, (bytes32)) == bytes32(bytes4(0x1626ba7e))) {
                return _call(abi.encodeWithSelector(SET_WALLET_VERIFIED, agentId, newWallet, deadline));
            }
            revert("invalid wallet sig");
        }
        assembly {
            revert(add(ret, 32), mload(ret))
        }
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
