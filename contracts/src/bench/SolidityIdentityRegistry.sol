// SPDX-License-Identifier: MIT
pragma solidity ^0.8.20;

/// @notice The identity-registry logic the native precompile implements, written in plain
/// Solidity from the ERC-8004 text (ERC-721 ownership, URI, metadata, the agent wallet key). It
/// exists only as the baseline of the gas benchmark (`precompile-bench`); it keeps the same
/// storage a Solidity registry needs and emits the same events.
contract SolidityIdentityRegistry {
    struct MetadataEntry {
        string metadataKey;
        bytes metadataValue;
    }

    uint256 private _lastId;
    mapping(uint256 => address) private _owners;
    mapping(address => uint256) private _balances;
    mapping(uint256 => address) private _approvals;
    mapping(address => mapping(address => bool)) private _operators;
    mapping(uint256 => string) private _uris;
    mapping(uint256 => mapping(string => bytes)) private _metadata;

    event Transfer(address indexed from, address indexed to, uint256 indexed tokenId);
    event MetadataUpdate(uint256 _tokenId);
    event Registered(uint256 indexed agentId, string agentURI, address indexed owner);
    event MetadataSet(uint256 indexed agentId, string indexed indexedMetadataKey, string metadataKey, bytes metadataValue);
    event URIUpdated(uint256 indexed agentId, string newURI, address indexed updatedBy);

    function register(string calldata agentURI) external returns (uint256 agentId) {
        agentId = _lastId++;
        bytes memory wallet = abi.encodePacked(msg.sender);
        _metadata[agentId]["agentWallet"] = wallet;
        _owners[agentId] = msg.sender;
        _balances[msg.sender] += 1;
        emit Transfer(address(0), msg.sender, agentId);
        _uris[agentId] = agentURI;
        emit MetadataUpdate(agentId);
        emit Registered(agentId, agentURI, msg.sender);
        emit MetadataSet(agentId, "agentWallet", "agentWallet", wallet);
    }

    function ownerOf(uint256 agentId) public view returns (address owner) {
        owner = _owners[agentId];
        require(owner != address(0), "nonexistent");
    }

    function isAuthorizedOrOwner(address spender, uint256 agentId) external view returns (bool) {
        address owner = ownerOf(agentId);
        return spender != address(0)
            && (spender == owner || _operators[owner][spender] || _approvals[agentId] == spender);
    }

    function _requireAuthorized(uint256 agentId) internal view {
        address owner = ownerOf(agentId);
        require(
            msg.sender == owner || _operators[owner][msg.sender] || _approvals[agentId] == msg.sender,
            "Not authorized"
        );
    }

    function setAgentURI(uint256 agentId, string calldata newURI) external {
        _requireAuthorized(agentId);
        _uris[agentId] = newURI;
        emit MetadataUpdate(agentId);
        emit URIUpdated(agentId, newURI, msg.sender);
    }

    function setMetadata(uint256 agentId, string calldata metadataKey, bytes calldata metadataValue) external {
        _requireAuthorized(agentId);
        require(keccak256(bytes(metadataKey)) != keccak256("agentWallet"), "reserved key");
        _metadata[agentId][metadataKey] = metadataValue;
        emit MetadataSet(agentId, metadataKey, metadataKey, metadataValue);
    }

    function getMetadata(uint256 agentId, string calldata metadataKey) external view returns (bytes memory) {
        return _metadata[agentId][metadataKey];
    }

    function tokenURI(uint256 agentId) external view returns (string memory) {
        ownerOf(agentId);
        return _uris[agentId];
    }
}
