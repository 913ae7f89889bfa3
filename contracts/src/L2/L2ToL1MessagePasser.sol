// SPDX-License-Identifier: MIT
pragma solidity ^0.8.24;

/// @title L2ToL1MessagePasser
/// @notice The withdrawal predeploy at 0x4200000000000000000000000000000000000016. A withdrawal is
///         proven on L1 against the storage root of this account (the `sentMessages` mapping at
///         slot 0), which the output root commits to.
contract L2ToL1MessagePasser {
    /// @notice Withdrawal hashes that were initiated on L2 (slot 0).
    mapping(bytes32 => bool) public sentMessages;
    /// @dev Nonce counter (slot 1); the version is encoded into the top two bytes of the nonce.
    uint240 internal msgNonce;

    uint16 public constant MESSAGE_VERSION = 1;

    event MessagePassed(
        uint256 indexed nonce,
        address indexed sender,
        address indexed target,
        uint256 value,
        uint256 gasLimit,
        bytes data,
        bytes32 withdrawalHash
    );
    event WithdrawerBalanceBurnt(uint256 indexed amount);

    receive() external payable {
        initiateWithdrawal(msg.sender, 100_000, bytes(""));
    }

    function version() external pure returns (string memory) {
        return "1.1.0-agnt2";
    }

    /// @notice The next message nonce with the message version in its top two bytes.
    function messageNonce() public view returns (uint256) {
        return (uint256(MESSAGE_VERSION) << 240) | uint256(msgNonce);
    }

    /// @notice Burns the ETH held by this contract (withdrawn value lives on L1 from now on).
    function burn() external {
        uint256 balance = address(this).balance;
        (new Burner){value: balance}();
        emit WithdrawerBalanceBurnt(balance);
    }

    /// @notice Starts a withdrawal to `_target` on L1.
    function initiateWithdrawal(address _target, uint256 _gasLimit, bytes memory _data) public payable {
        uint256 nonce = messageNonce();
        bytes32 withdrawalHash = keccak256(abi.encode(nonce, msg.sender, _target, msg.value, _gasLimit, _data));
        sentMessages[withdrawalHash] = true;
        emit MessagePassed(nonce, msg.sender, _target, msg.value, _gasLimit, _data, withdrawalHash);
        unchecked {
            ++msgNonce;
        }
    }
}

/// @notice Self-destructs in its constructor, removing the ETH it was created with from the L2 supply.
contract Burner {
    constructor() payable {
        selfdestruct(payable(address(this)));
    }
}
