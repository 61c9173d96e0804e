// SPDX-License-Identifier: MIT
pragma solidity ^0.8.24;

import {IERC20} from "@openzeppelin/contracts/token/ERC20/IERC20.sol";
import {SafeERC20} from "@openzeppelin/contracts/token/ERC20/utils/SafeERC20.sol";
import {ReentrancyGuard} from "@openzeppelin/contracts/utils/ReentrancyGuard.sol";
import {MerkleProof} from "@openzeppelin/contracts/utils/cryptography/MerkleProof.sol";

/**
 * @title AggregateEscrow
 * @notice Escrow for many small tasks under one pact acceptance. The buyer opens and funds one
 * pool; the evaluator settles it in numbered batches, each moving the batch's netted amounts
 * (released to the provider, refunded to the buyer) and anchoring the Merkle root of the batch's
 * verdicts. Anyone can check a single task's verdict against a stored root with {verifyVerdict}.
 * After expiry whatever is left goes back to the buyer.
 *
 * @dev Pool ids are `keccak256(abi.encode(buyer, acceptanceId))`, so one buyer has at most one
 * pool per acceptance and nobody else can squat on it. Verdict leaves follow OpenZeppelin's
 * StandardMerkleTree: `keccak256(bytes.concat(keccak256(abi.encode(taskId, outcome, released,
 * refunded, evidenceDigest))))`, sorted-pair hashing (see {verdictLeaf}).
 *
 * State machine: None -> Active (PoolOpened); Active -> Active (PoolFunded, BatchSettled);
 * Active -> Closed (PoolReclaimed).
 */
contract AggregateEscrow is ReentrancyGuard {
    using SafeERC20 for IERC20;

    /// @notice Pool lifecycle states.
    enum PoolStatus {
        None,
        Active,
        Closed
    }

    /// @notice A pool as stored: four slots, so opening stays cheap.
    struct Pool {
        address buyer;
        uint48 expiredAt;
        uint32 lastBatchSeq;
        PoolStatus status;
        address provider;
        uint96 remaining;
        address evaluator;
        address token;
    }

    /// @notice Shortest allowed time between opening and expiry.
    uint256 public constant MIN_EXPIRY_DELAY = 5 minutes;

    mapping(bytes32 poolId => Pool) private _pools;
    mapping(bytes32 poolId => mapping(uint256 batchSeq => bytes32)) private _batchRoots;

    event PoolOpened(
        bytes32 indexed poolId,
        address indexed buyer,
        address indexed provider,
        address evaluator,
        address token,
        uint256 expiredAt,
        bytes32 pactHash,
        bytes32 acceptanceId,
        uint256 amount
    );
    event PoolFunded(bytes32 indexed poolId, address indexed buyer, uint256 amount);
    event BatchSettled(
        bytes32 indexed poolId,
        uint256 indexed batchSeq,
        uint256 released,
        uint256 refunded,
        bytes32 verdictRoot
    );
    event PoolReclaimed(bytes32 indexed poolId, address indexed buyer, uint256 amount);

    /// @dev No pool has this id.
    error AggregateEscrowPoolNotFound(bytes32 poolId);
    /// @dev The buyer already has a pool for this acceptance.
    error AggregateEscrowPoolExists(bytes32 poolId);
    /// @dev The pool's status does not allow the call.
    error AggregateEscrowInvalidState(bytes32 poolId, PoolStatus status);
    /// @dev The caller does not hold the role the call needs.
    error AggregateEscrowUnauthorized(bytes32 poolId, address caller);
    /// @dev Token, provider and evaluator must be non-zero.
    error AggregateEscrowZeroAddress();
    /// @dev The expiry is closer than MIN_EXPIRY_DELAY (or does not fit in 48 bits).
    error AggregateEscrowExpiryTooSoon(uint256 expiredAt, uint256 earliest);
    /// @dev Funding must be positive and the pool must fit in 96 bits.
    error AggregateEscrowInvalidAmount(uint256 amount);
    /// @dev The token delivered a different amount than requested (fee-on-transfer tokens).
    error AggregateEscrowTransferAmountMismatch(uint256 expected, uint256 received);
    /// @dev Batches are numbered 1, 2, 3, ...; a reused or skipped number is refused.
    error AggregateEscrowBatchOutOfOrder(bytes32 poolId, uint256 batchSeq, uint256 expectedSeq);
    /// @dev The batch would pay out more than the pool holds.
    error AggregateEscrowInsufficientPool(bytes32 poolId, uint256 requested, uint256 remaining);
    /// @dev A batch must anchor a non-zero verdict root.
    error AggregateEscrowEmptyRoot();
    /// @dev The pool has expired; only reclaim is possible now.
    error AggregateEscrowPoolExpired(bytes32 poolId, uint256 expiredAt);
    /// @dev The pool has not expired yet.
    error AggregateEscrowNotExpired(bytes32 poolId, uint256 expiredAt);

    /**
     * @notice Open and fund a pool for one pact acceptance. The caller becomes the buyer and must
     * have approved this contract for `amount`.
     * @param token The ERC-20 payment token (USDC).
     * @param provider Receives released amounts.
     * @param evaluator The only address that may settle batches.
     * @param expiredAt Unix time after which settlement stops and the buyer can reclaim the rest.
     * @param pactHash The accepted pact's hash (recorded in the event).
     * @param acceptanceId The acceptance this pool escrows for.
     * @param amount Initial funding in the token's smallest unit.
     * @return poolId `keccak256(abi.encode(msg.sender, acceptanceId))`.
     */
    function openPool(
        address token,
        address provider,
        address evaluator,
        uint256 expiredAt,
        bytes32 pactHash,
        bytes32 acceptanceId,
        uint256 amount
    ) external nonReentrant returns (bytes32 poolId) {
        if (token == address(0) || provider == address(0) || evaluator == address(0)) {
            revert AggregateEscrowZeroAddress();
        }
        uint256 earliest = block.timestamp + MIN_EXPIRY_DELAY;
        if (expiredAt < earliest || expiredAt > type(uint48).max) {
            revert AggregateEscrowExpiryTooSoon(expiredAt, earliest);
        }
        if (amount == 0 || amount > type(uint96).max) revert AggregateEscrowInvalidAmount(amount);
        poolId = poolIdFor(msg.sender, acceptanceId);
        Pool storage pool = _pools[poolId];
        if (pool.status != PoolStatus.None) revert AggregateEscrowPoolExists(poolId);

        pool.buyer = msg.sender;
        pool.expiredAt = uint48(expiredAt);
        pool.status = PoolStatus.Active;
        pool.provider = provider;
        pool.remaining = uint96(amount);
        pool.evaluator = evaluator;
        pool.token = token;
        emit PoolOpened(poolId, msg.sender, provider, evaluator, token, expiredAt, pactHash, acceptanceId, amount);

        _pullExact(IERC20(token), amount);
    }

    /**
     * @notice Add funds to an active, unexpired pool. Buyer only.
     * @param poolId The pool.
     * @param amount Amount to add in the token's smallest unit.
     */
    function fundPool(bytes32 poolId, uint256 amount) external nonReentrant {
        Pool storage pool = _activePool(poolId);
        if (msg.sender != pool.buyer) revert AggregateEscrowUnauthorized(poolId, msg.sender);
        _requireNotExpired(poolId, pool);
        uint256 total = uint256(pool.remaining) + amount;
        if (amount == 0 || total > type(uint96).max) revert AggregateEscrowInvalidAmount(amount);
        pool.remaining = uint96(total);
        emit PoolFunded(poolId, msg.sender, amount);
        _pullExact(IERC20(pool.token), amount);
    }

    /**
     * @notice Settle one batch of task verdicts. Evaluator only, before expiry.
     * @param poolId The pool.
     * @param batchSeq Must be the previous batch number plus one (the first batch is 1).
     * @param released Sum released to the provider by this batch's verdicts.
     * @param refunded Sum refunded to the buyer by this batch's verdicts.
     * @param verdictRoot Merkle root of the batch's verdict leaves (see {verdictLeaf}).
     */
    function settleBatch(
        bytes32 poolId,
        uint256 batchSeq,
        uint256 released,
        uint256 refunded,
        bytes32 verdictRoot
    ) external nonReentrant {
        Pool storage pool = _activePool(poolId);
        if (msg.sender != pool.evaluator) revert AggregateEscrowUnauthorized(poolId, msg.sender);
        _requireNotExpired(poolId, pool);
        uint256 expectedSeq = uint256(pool.lastBatchSeq) + 1;
        if (batchSeq != expectedSeq) revert AggregateEscrowBatchOutOfOrder(poolId, batchSeq, expectedSeq);
        if (verdictRoot == bytes32(0)) revert AggregateEscrowEmptyRoot();
        uint256 remaining = pool.remaining;
        uint256 total = released + refunded;
        if (total > remaining) revert AggregateEscrowInsufficientPool(poolId, total, remaining);

        pool.lastBatchSeq = uint32(batchSeq);
        pool.remaining = uint96(remaining - total);
        _batchRoots[poolId][batchSeq] = verdictRoot;
        emit BatchSettled(poolId, batchSeq, released, refunded, verdictRoot);

        IERC20 token = IERC20(pool.token);
        if (released != 0) token.safeTransfer(pool.provider, released);
        if (refunded != 0) token.safeTransfer(pool.buyer, refunded);
    }

    /**
     * @notice Return what is left of an expired pool to its buyer and close the pool. Anyone may
     * call it (the funds only ever go to the buyer), so nothing stays locked.
     * @param poolId The pool.
     */
    function reclaim(bytes32 poolId) external nonReentrant {
        Pool storage pool = _activePool(poolId);
        if (block.timestamp < pool.expiredAt) revert AggregateEscrowNotExpired(poolId, pool.expiredAt);
        uint256 amount = pool.remaining;
        address buyer = pool.buyer;
        pool.status = PoolStatus.Closed;
        pool.remaining = 0;
        emit PoolReclaimed(poolId, buyer, amount);
        if (amount != 0) IERC20(pool.token).safeTransfer(buyer, amount);
    }

    /**
     * @notice Check one task's verdict leaf against a settled batch's root.
     * @param poolId The pool.
     * @param batchSeq The batch that settled the task.
     * @param leaf The double-hashed leaf (see {verdictLeaf}).
     * @param proof Sibling hashes from the leaf to the root (sorted-pair hashing).
     * @return True when the batch exists and the proof leads to its root.
     */
    function verifyVerdict(bytes32 poolId, uint256 batchSeq, bytes32 leaf, bytes32[] calldata proof)
        external
        view
        returns (bool)
    {
        bytes32 root = _batchRoots[poolId][batchSeq];
        return root != bytes32(0) && MerkleProof.verifyCalldata(proof, root, leaf);
    }

    /**
     * @notice The leaf encoding of one task's verdict, exactly as batches commit to it.
     * @param taskId The task's id.
     * @param outcome 0 = PASS, 1 = FAIL, 2 = INCONCLUSIVE.
     * @param released Amount this verdict releases to the provider.
     * @param refunded Amount this verdict refunds to the buyer.
     * @param evidenceDigest The verdict's evidence digest.
     * @return The leaf `keccak256(bytes.concat(keccak256(abi.encode(...))))`.
     */
    function verdictLeaf(
        bytes32 taskId,
        uint8 outcome,
        uint256 released,
        uint256 refunded,
        bytes32 evidenceDigest
    ) external pure returns (bytes32) {
        return keccak256(bytes.concat(keccak256(abi.encode(taskId, outcome, released, refunded, evidenceDigest))));
    }

    /**
     * @notice Read a pool.
     * @param poolId The pool.
     * @return The stored pool (reverts if it does not exist).
     */
    function getPool(bytes32 poolId) external view returns (Pool memory) {
        Pool storage pool = _pools[poolId];
        if (pool.status == PoolStatus.None) revert AggregateEscrowPoolNotFound(poolId);
        return pool;
    }

    /**
     * @notice The verdict root stored for a batch, or zero if the batch was not settled.
     * @param poolId The pool.
     * @param batchSeq The batch number.
     * @return The batch's verdict root.
     */
    function batchRoot(bytes32 poolId, uint256 batchSeq) external view returns (bytes32) {
        return _batchRoots[poolId][batchSeq];
    }

    /**
     * @notice The id of the pool a buyer opens for an acceptance.
     * @param buyer The buyer.
     * @param acceptanceId The acceptance.
     * @return `keccak256(abi.encode(buyer, acceptanceId))`.
     */
    function poolIdFor(address buyer, bytes32 acceptanceId) public pure returns (bytes32) {
        return keccak256(abi.encode(buyer, acceptanceId));
    }

    function _pullExact(IERC20 token, uint256 amount) private {
        uint256 before = token.balanceOf(address(this));
        token.safeTransferFrom(msg.sender, address(this), amount);
        uint256 received = token.balanceOf(address(this)) - before;
        if (received != amount) revert AggregateEscrowTransferAmountMismatch(amount, received);
    }

    function _activePool(bytes32 poolId) private view returns (Pool storage pool) {
        pool = _pools[poolId];
        if (pool.status == PoolStatus.None) revert AggregateEscrowPoolNotFound(poolId);
        if (pool.status != PoolStatus.Active) revert AggregateEscrowInvalidState(poolId, pool.status);
    }

    function _requireNotExpired(bytes32 poolId, Pool storage pool) private view {
        if (block.timestamp >= pool.expiredAt) revert AggregateEscrowPoolExpired(poolId, pool.expiredAt);
    }
}
