// SPDX-License-Identifier: MIT
pragma solidity ^0.8.20;

/// @notice agnt2 native sessions at 0x00000000000000000000000000000000000A9E03: the context of a
/// run of calls from a client to a provider agent. Opening escrows the budget (msg.value); the
/// provider records invocations against it; closing pays the provider's wallet what was spent and
/// refunds the rest. Session ids start at 1.
interface IAgentSessions {
    struct Session {
        uint256 clientAgentId;
        uint256 providerAgentId;
        address client;
        uint256 budget;
        uint256 spent;
        uint64 expiry;
        uint64 nonce;
        uint64 callCount;
        bool hasClientAgent;
        bool closed;
    }

    event SessionOpened(
        uint256 indexed sessionId, uint256 indexed providerAgentId, address indexed client, uint256 clientAgentId, uint256 budget, uint64 expiry
    );
    event InvocationRecorded(
        uint256 indexed sessionId, uint64 indexed nonce, bytes32 requestHash, bytes32 responseHash, uint256 amount, uint256 spent
    );
    event SessionClosed(uint256 indexed sessionId, uint64 callCount, uint256 spent, uint256 refunded);

    function openSession(uint256 counterpartyAgentId, uint256 budget, uint64 expiry) external payable returns (uint256 sessionId);
    function openSession(uint256 clientAgentId, uint256 counterpartyAgentId, uint256 budget, uint64 expiry)
        external
        payable
        returns (uint256 sessionId);
    function recordInvocation(uint256 sessionId, bytes32 requestHash, bytes32 responseHash, uint256 amount)
        external
        returns (uint64 nonce);
    function closeSession(uint256 sessionId) external;
    function getSession(uint256 sessionId) external view returns (Session memory);
}
