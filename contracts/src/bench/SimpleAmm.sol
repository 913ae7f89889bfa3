// SPDX-License-Identifier: MIT
pragma solidity ^0.8.20;

/// @notice Many constant-product pools in one contract, for the parallel-builder benchmark's
/// Uniswap-style swap workload: a swap reads and writes one pool's reserves and the trader's
/// two balances in that pool, and emits an event, with the 0.3% fee and the x*y=k price rule.
contract SimpleAmm {
    struct Pool {
        uint128 reserve0;
        uint128 reserve1;
    }

    mapping(uint256 => Pool) public pools;
    mapping(address => mapping(uint256 => uint256[2])) public balances;

    event Swap(uint256 indexed pool, address indexed trader, bool zeroForOne, uint256 amountIn, uint256 amountOut);

    function seed(uint256 first, uint256 count, uint128 reserve) external {
        for (uint256 id = first; id < first + count; id++) {
            pools[id] = Pool(reserve, reserve);
        }
    }

    function swap(uint256 pool, bool zeroForOne, uint256 amountIn, uint256 minOut) external returns (uint256 amountOut) {
        Pool storage p = pools[pool];
        (uint256 rIn, uint256 rOut) = zeroForOne ? (uint256(p.reserve0), uint256(p.reserve1)) : (uint256(p.reserve1), uint256(p.reserve0));
        require(rIn > 0 && rOut > 0, "empty pool");
        uint256 inWithFee = amountIn * 997;
        amountOut = (inWithFee * rOut) / (rIn * 1000 + inWithFee);
        require(amountOut >= minOut, "slippage");
        if (zeroForOne) {
            p.reserve0 = uint128(rIn + amountIn);
            p.reserve1 = uint128(rOut - amountOut);
        } else {
            p.reserve1 = uint128(rIn + amountIn);
            p.reserve0 = uint128(rOut - amountOut);
        }
        uint256[2] storage b = balances[msg.sender][pool];
        b[zeroForOne ? 1 : 0] += amountOut;
        emit Swap(pool, msg.sender, zeroForOne, amountIn, amountOut);
    }
}
