// SPDX-License-Identifier: MIT
pragma solidity ^0.8.24;

/// A minimal EIP-7702 delegate: an EOA that delegates to it gains a counter and a batch call
/// that only the EOA itself may make.
contract Delegate {
    struct Call {
        address to;
        uint256 value;
        bytes data;
    }

    uint256 public count;

    event Pinged(address indexed account, uint256 count);

    /// Bumps the counter in the delegating account's own storage.
    function ping() external returns (uint256) {
        count += 1;
        emit Pinged(address(this), count);
        return count;
    }

    /// The account the code runs as (the delegating EOA).
    function whoami() external view returns (address) {
        return address(this);
    }

    /// Runs `calls` from the delegating account.
    function execute(Call[] calldata calls) external payable {
        require(msg.sender == address(this), "only the account itself");
        for (uint256 i = 0; i < calls.length; i++) {
            (bool ok, bytes memory ret) = calls[i].to.call{value: calls[i].value}(calls[i].data);
            if (!ok) {
                assembly {
                    revert(add(ret, 32), mload(ret))
                }
            }
        }
    }
}
