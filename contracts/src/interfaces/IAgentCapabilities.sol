// SPDX-License-Identifier: MIT
pragma solidity ^0.8.20;

/// @notice agnt2 native capabilities at 0x00000000000000000000000000000000000A9E02: an agent's
/// owner (or an operator it approved in the identity registry) lets another address act for the
/// agent within a scope, until an expiry, up to a spend limit. The id of a capability is
/// keccak256(abi.encode(agentId, grantee, scope)), so granting again replaces it.
interface IAgentCapabilities {
    struct Capability {
        uint256 agentId;
        address grantee;
        bytes32 scope;
        address grantor;
        uint256 spendLimit;
        uint256 spent;
        uint64 expiry;
        bool revoked;
    }

    event CapabilityGranted(
        bytes32 indexed capabilityId,
        uint256 indexed agentId,
        address indexed grantee,
        bytes32 scope,
        uint256 spendLimit,
        uint64 expiry
    );
    event CapabilityRevoked(bytes32 indexed capabilityId, uint256 indexed agentId, address indexed grantee);
    event CapabilityConsumed(bytes32 indexed capabilityId, uint256 indexed agentId, address indexed grantee, uint256 amount, uint256 spent);

    function grant(uint256 agentId, address grantee, bytes32 scope, uint256 spendLimit, uint64 expiry)
        external
        returns (bytes32 capabilityId);
    function revoke(uint256 agentId, address grantee, bytes32 scope) external;
    function check(uint256 agentId, address grantee, bytes32 scope, uint256 amount) external view returns (bool);
    function consume(uint256 agentId, bytes32 scope, uint256 amount) external returns (uint256 remaining);
    function getCapability(uint256 agentId, address grantee, bytes32 scope) external view returns (Capability memory);
    function capabilityId(uint256 agentId, address grantee, bytes32 scope) external pure returns (bytes32);
}
