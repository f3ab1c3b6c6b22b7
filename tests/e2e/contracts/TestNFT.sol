// SPDX-License-Identifier: MIT
pragma solidity ^0.8.20;

import {ERC721} from "@openzeppelin/contracts/token/ERC721/ERC721.sol";

/// OpenZeppelin ERC721: its Transfer(address,address,uint256) has the same topic0 as ERC20's
/// but 4 topics (tokenId indexed) and empty data. An ERC20 indexer must ignore it.
contract TestNFT is ERC721 {
    constructor() ERC721("Test NFT", "TNFT") {}

    function mint(address to, uint256 tokenId) external {
        _mint(to, tokenId);
    }
}
