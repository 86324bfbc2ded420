// SPDX-License-Identifier: Apache-2.0
pragma solidity 0.8.30;

import {ERC20} from "@openzeppelin/contracts/token/ERC20/ERC20.sol";
import {ERC20Permit} from "@openzeppelin/contracts/token/ERC20/extensions/ERC20Permit.sol";

/// @title TestStablecoin
/// @notice A 6-decimal ERC-20 with ERC-2612 permit for tests and the local network. Anyone may mint: never
/// deploy it where the token must have value.
contract TestStablecoin is ERC20, ERC20Permit {
    /// @param name_ The token name (also the EIP-712 domain name of its permits).
    /// @param symbol_ The token symbol.
    constructor(string memory name_, string memory symbol_) ERC20(name_, symbol_) ERC20Permit(name_) {}

    /// @notice Mints `amount` base units to `to`; open to anyone because this is a test token.
    /// @param to The receiver.
    /// @param amount The amount in base units (6 decimals).
    function mint(address to, uint256 amount) external {
        _mint(to, amount);
    }

    /// @notice Six decimals, like the stablecoins Mu is meant to be paid in.
    /// @return The number of decimals (6).
    function decimals() public pure override returns (uint8) {
        return 6;
    }
}
