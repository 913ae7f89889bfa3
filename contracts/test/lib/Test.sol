// SPDX-License-Identifier: MIT
pragma solidity ^0.8.24;

/// @notice The forge cheatcodes this repository's tests and scripts use (a subset of forge's
///         `Vm`; the signatures must match forge's exactly, their selectors are the API).
interface Vm {
    struct Log {
        bytes32[] topics;
        bytes data;
        address emitter;
    }

    struct Gas {
        uint64 gasLimit;
        uint64 gasTotalUsed;
        uint64 gasMemoryUsed;
        int64 gasRefunded;
        uint64 gasRemaining;
    }

    // Environment.
    function warp(uint256 newTimestamp) external;
    function roll(uint256 newHeight) external;
    function deal(address account, uint256 newBalance) external;
    function etch(address target, bytes calldata newRuntimeBytecode) external;
    function prank(address msgSender) external;
    function prank(address msgSender, address txOrigin) external;
    function startPrank(address msgSender) external;
    function startPrank(address msgSender, address txOrigin) external;
    function stopPrank() external;
    function label(address account, string calldata newLabel) external;
    function addr(uint256 privateKey) external pure returns (address keyAddr);
    function blobhashes(bytes32[] calldata hashes) external;

    // Expectations.
    function expectRevert() external;
    function expectRevert(bytes4 revertData) external;
    function expectRevert(bytes calldata revertData) external;
    function expectEmit() external;
    function expectEmit(address emitter) external;
    function expectEmit(bool checkTopic1, bool checkTopic2, bool checkTopic3, bool checkData) external;
    function expectEmit(bool checkTopic1, bool checkTopic2, bool checkTopic3, bool checkData, address emitter) external;
    function recordLogs() external;
    function getRecordedLogs() external returns (Log[] memory logs);
    function assume(bool condition) external pure;
    function lastCallGas() external view returns (Gas memory gas);

    // Files and JSON.
    function exists(string calldata path) external view returns (bool result);
    function readFile(string calldata path) external view returns (string memory data);
    function writeJson(string calldata json, string calldata path) external;
    function keyExistsJson(string calldata json, string calldata key) external view returns (bool);
    function parseJson(string calldata json, string calldata key) external pure returns (bytes memory abiEncodedData);
    function parseJsonUint(string calldata json, string calldata key) external pure returns (uint256);
    function parseJsonAddress(string calldata json, string calldata key) external pure returns (address);
    function parseJsonBytes32(string calldata json, string calldata key) external pure returns (bytes32);
    function parseJsonBytes(string calldata json, string calldata key) external pure returns (bytes memory);
    function parseJsonBytesArray(string calldata json, string calldata key) external pure returns (bytes[] memory);
    function parseJsonKeys(string calldata json, string calldata key) external pure returns (string[] memory keys);
    function serializeAddress(string calldata objectKey, string calldata valueKey, address value)
        external
        returns (string memory json);
    function serializeUint(string calldata objectKey, string calldata valueKey, uint256 value)
        external
        returns (string memory json);
    function toString(address value) external pure returns (string memory);
    function toString(uint256 value) external pure returns (string memory);
    function toString(bytes32 value) external pure returns (string memory);

    // Environment variables and broadcasting (scripts).
    function envUint(string calldata name) external view returns (uint256 value);
    function envOr(string calldata name, uint256 defaultValue) external view returns (uint256 value);
    function envOr(string calldata name, address defaultValue) external view returns (address value);
    function envOr(string calldata name, string calldata defaultValue) external view returns (string memory value);
    function startBroadcast() external;
    function startBroadcast(uint256 privateKey) external;
    function stopBroadcast() external;

    // Assertions (forge formats the failure message).
    function assertTrue(bool condition, string calldata err) external pure;
    function assertFalse(bool condition, string calldata err) external pure;
    function assertEq(bool left, bool right, string calldata err) external pure;
    function assertEq(uint256 left, uint256 right, string calldata err) external pure;
    function assertEq(int256 left, int256 right, string calldata err) external pure;
    function assertEq(address left, address right, string calldata err) external pure;
    function assertEq(bytes32 left, bytes32 right, string calldata err) external pure;
    function assertEq(bytes calldata left, bytes calldata right, string calldata err) external pure;
    function assertEq(string calldata left, string calldata right, string calldata err) external pure;
    function assertNotEq(bytes32 left, bytes32 right, string calldata err) external pure;
    function assertGt(uint256 left, uint256 right, string calldata err) external pure;
    function assertGe(uint256 left, uint256 right, string calldata err) external pure;
    function assertLt(uint256 left, uint256 right, string calldata err) external pure;
    function assertLe(uint256 left, uint256 right, string calldata err) external pure;
}

/// @notice forge prints calls to this address (hardhat's console ABI).
library console {
    address internal constant CONSOLE = 0x000000000000000000636F6e736F6c652e6c6f67;

    function _send(bytes memory _payload) private view {
        (bool ok,) = CONSOLE.staticcall(_payload);
        ok;
    }

    function log(string memory _s) internal view {
        _send(abi.encodeWithSignature("log(string)", _s));
    }

    function log(string memory _s, uint256 _v) internal view {
        _send(abi.encodeWithSignature("log(string,uint256)", _s, _v));
    }

    function log(string memory _s, address _v) internal view {
        _send(abi.encodeWithSignature("log(string,address)", _s, _v));
    }
}

/// @notice The cheatcode handle, for contracts that are not tests (handlers, scripts).
abstract contract CommonBase {
    /// @dev 0x7109709ECfa91a80626fF3989D68f67F5b1DD12D = address(bytes20(uint160(uint256(keccak256("hevm cheat code"))))).
    Vm internal constant vm = Vm(0x7109709ECfa91a80626fF3989D68f67F5b1DD12D);

    /// @notice Maps `_x` into [_min, _max] (values already inside stay unchanged).
    function bound(uint256 _x, uint256 _min, uint256 _max) internal pure returns (uint256) {
        require(_min <= _max, "bound: min > max");
        if (_x >= _min && _x <= _max) return _x;
        uint256 size = _max - _min;
        if (size == type(uint256).max) return _x;
        return _min + (_x % (size + 1));
    }
}

/// @notice Base of this repository's forge scripts.
abstract contract Script is CommonBase {
    bool public IS_SCRIPT = true;
}

/// @notice Base of this repository's forge tests: assertions, `bound`, `makeAddr`, and the
///         target lists forge reads for invariant tests.
abstract contract Test is CommonBase {
    struct FuzzSelector {
        address addr;
        bytes4[] selectors;
    }

    address[] private _targetedContracts;
    FuzzSelector[] private _targetedSelectors;
    address[] private _excludedSenders;

    // Invariant targets (forge calls these getters by name).
    function targetContracts() public view returns (address[] memory) {
        return _targetedContracts;
    }

    function targetSelectors() public view returns (FuzzSelector[] memory) {
        return _targetedSelectors;
    }

    function excludeSenders() public view returns (address[] memory) {
        return _excludedSenders;
    }

    function targetContract(address _target) internal {
        _targetedContracts.push(_target);
    }

    function targetSelector(FuzzSelector memory _selector) internal {
        _targetedSelectors.push(_selector);
    }

    function excludeSender(address _sender) internal {
        _excludedSenders.push(_sender);
    }

    // Helpers.
    function makeAddr(string memory _name) internal returns (address addr_) {
        addr_ = vm.addr(uint256(keccak256(bytes(_name))));
        vm.label(addr_, _name);
    }

    // Assertions.
    function assertTrue(bool _c) internal pure {
        vm.assertTrue(_c, "expected true");
    }

    function assertTrue(bool _c, string memory _e) internal pure {
        vm.assertTrue(_c, _e);
    }

    function assertFalse(bool _c) internal pure {
        vm.assertFalse(_c, "expected false");
    }

    function assertFalse(bool _c, string memory _e) internal pure {
        vm.assertFalse(_c, _e);
    }

    function assertEq(bool _a, bool _b) internal pure {
        vm.assertEq(_a, _b, "bool mismatch");
    }

    function assertEq(uint256 _a, uint256 _b) internal pure {
        vm.assertEq(_a, _b, "uint mismatch");
    }

    function assertEq(uint256 _a, uint256 _b, string memory _e) internal pure {
        vm.assertEq(_a, _b, _e);
    }

    function assertEq(address _a, address _b) internal pure {
        vm.assertEq(_a, _b, "address mismatch");
    }

    function assertEq(address _a, address _b, string memory _e) internal pure {
        vm.assertEq(_a, _b, _e);
    }

    function assertEq(bytes32 _a, bytes32 _b) internal pure {
        vm.assertEq(_a, _b, "bytes32 mismatch");
    }

    function assertEq(bytes32 _a, bytes32 _b, string memory _e) internal pure {
        vm.assertEq(_a, _b, _e);
    }

    function assertEq(bytes memory _a, bytes memory _b) internal pure {
        vm.assertEq(_a, _b, "bytes mismatch");
    }

    function assertEq(bytes memory _a, bytes memory _b, string memory _e) internal pure {
        vm.assertEq(_a, _b, _e);
    }

    function assertEq(string memory _a, string memory _b) internal pure {
        vm.assertEq(_a, _b, "string mismatch");
    }

    function assertGt(uint256 _a, uint256 _b) internal pure {
        vm.assertGt(_a, _b, "expected greater");
    }

    function assertGe(uint256 _a, uint256 _b) internal pure {
        vm.assertGe(_a, _b, "expected greater or equal");
    }

    function assertGe(uint256 _a, uint256 _b, string memory _e) internal pure {
        vm.assertGe(_a, _b, _e);
    }

    function assertLt(uint256 _a, uint256 _b) internal pure {
        vm.assertLt(_a, _b, "expected less");
    }

    function assertLe(uint256 _a, uint256 _b) internal pure {
        vm.assertLe(_a, _b, "expected less or equal");
    }

    function fail(string memory _e) internal pure {
        vm.assertTrue(false, _e);
    }
}
