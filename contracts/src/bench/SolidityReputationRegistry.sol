// SPDX-License-Identifier: MIT
pragma solidity ^0.8.20;

interface IAuthorizedOrOwner {
    function isAuthorizedOrOwner(address spender, uint256 agentId) external view returns (bool);
}

/// @notice The reputation-registry logic the native precompile implements, written in plain
/// Solidity from the ERC-8004 text: per-(agent, client) feedback with 1-based indexes, a client
/// list, revocation and the filtered fixed-point summary. Baseline of the gas benchmark only.
contract SolidityReputationRegistry {
    struct Feedback {
        int128 value;
        uint8 valueDecimals;
        bool isRevoked;
        string tag1;
        string tag2;
    }

    IAuthorizedOrOwner private immutable identity;
    mapping(uint256 => mapping(address => mapping(uint64 => Feedback))) private _feedback;
    mapping(uint256 => mapping(address => uint64)) private _lastIndex;
    mapping(uint256 => address[]) private _clients;
    mapping(uint256 => mapping(address => bool)) private _isClient;

    event NewFeedback(
        uint256 indexed agentId,
        address indexed clientAddress,
        uint64 feedbackIndex,
        int128 value,
        uint8 valueDecimals,
        string indexed indexedTag1,
        string tag1,
        string tag2,
        string endpoint,
        string feedbackURI,
        bytes32 feedbackHash
    );
    event FeedbackRevoked(uint256 indexed agentId, address indexed clientAddress, uint64 indexed feedbackIndex);

    constructor(address identity_) {
        identity = IAuthorizedOrOwner(identity_);
    }

    function giveFeedback(
        uint256 agentId,
        int128 value,
        uint8 valueDecimals,
        string memory tag1,
        string memory tag2,
        string memory endpoint,
        string memory feedbackURI,
        bytes32 feedbackHash
    ) external {
        require(valueDecimals <= 18, "too many decimals");
        require(value >= -1e38 && value <= 1e38, "value too large");
        require(!identity.isAuthorizedOrOwner(msg.sender, agentId), "Self-feedback not allowed");
        uint64 index = _store(agentId, value, valueDecimals, tag1, tag2);
        emit NewFeedback(
            agentId, msg.sender, index, value, valueDecimals, tag1, tag1, tag2, endpoint, feedbackURI, feedbackHash
        );
    }

    function _store(uint256 agentId, int128 value, uint8 valueDecimals, string memory tag1, string memory tag2)
        internal
        returns (uint64 index)
    {
        index = ++_lastIndex[agentId][msg.sender];
        Feedback storage f = _feedback[agentId][msg.sender][index];
        f.value = value;
        f.valueDecimals = valueDecimals;
        f.tag1 = tag1;
        f.tag2 = tag2;
        if (!_isClient[agentId][msg.sender]) {
            _isClient[agentId][msg.sender] = true;
            _clients[agentId].push(msg.sender);
        }
    }

    function revokeFeedback(uint256 agentId, uint64 feedbackIndex) external {
        require(feedbackIndex > 0, "index must be > 0");
        require(feedbackIndex <= _lastIndex[agentId][msg.sender], "index out of bounds");
        Feedback storage f = _feedback[agentId][msg.sender][feedbackIndex];
        require(!f.isRevoked, "Already revoked");
        f.isRevoked = true;
        emit FeedbackRevoked(agentId, msg.sender, feedbackIndex);
    }

    function getSummary(uint256 agentId, address[] calldata clientAddresses, string calldata tag1, string calldata tag2)
        external
        view
        returns (uint64 count, int128 summaryValue, uint8 summaryValueDecimals)
    {
        require(clientAddresses.length > 0, "clientAddresses required");
        Totals memory t;
        for (uint256 i = 0; i < clientAddresses.length; i++) {
            _accumulate(t, agentId, clientAddresses[i], tag1, tag2);
        }
        count = t.count;
        if (count == 0) return (0, 0, 0);
        uint8 mode;
        for (uint8 d = 1; d <= 18; d++) {
            if (t.decimalCounts[d] > t.decimalCounts[mode]) mode = d;
        }
        int256 avg = t.sum / int256(uint256(count));
        // forge-lint: disable-next-line(unsafe-typecast)
        summaryValue = int128(avg / int256(10 ** (18 - mode)));
        summaryValueDecimals = mode;
    }

    struct Totals {
        int256 sum;
        uint64 count;
        uint64[19] decimalCounts;
    }

    function _accumulate(Totals memory t, uint256 agentId, address client, string calldata tag1, string calldata tag2)
        internal
        view
    {
        uint64 last = _lastIndex[agentId][client];
        for (uint64 j = 1; j <= last; j++) {
            Feedback storage f = _feedback[agentId][client][j];
            if (f.isRevoked) continue;
            if (bytes(tag1).length > 0 && keccak256(bytes(f.tag1)) != keccak256(bytes(tag1))) continue;
            if (bytes(tag2).length > 0 && keccak256(bytes(f.tag2)) != keccak256(bytes(tag2))) continue;
            t.sum += int256(f.value) * int256(10 ** (18 - f.valueDecimals));
            t.decimalCounts[f.valueDecimals]++;
            t.count++;
        }
    }
}
