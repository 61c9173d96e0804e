// SPDX-License-Identifier: MIT
pragma solidity ^0.8.24;

import {IERC20} from "@openzeppelin/contracts/token/ERC20/IERC20.sol";
import {SafeERC20} from "@openzeppelin/contracts/token/ERC20/utils/SafeERC20.sol";
import {ReentrancyGuardTransient} from "@openzeppelin/contracts/utils/ReentrancyGuardTransient.sol";
import {MerkleProof} from "@openzeppelin/contracts/utils/cryptography/MerkleProof.sol";
import {Math} from "@openzeppelin/contracts/utils/math/Math.sol";

/**
 * @title AggregateEscrow
 * @notice Escrow for many small tasks under one pact acceptance. The buyer opens and funds one
 * pool at a fixed price per task; the evaluator settles it in numbered batches. A batch names how
 * many tasks it settles and must move exactly that many prices, split between the provider
 * (released) and the buyer (refunded), so the evaluator decides outcomes but never amounts.
 * Settled amounts become the parties' credits, withdrawn whenever they like ({withdraw}); after
 * expiry anyone can close the pool ({reclaim}), which returns the rest to the buyer.
 *
 * @dev Pool ids are `keccak256(abi.encode(buyer, acceptanceId))`, so one buyer has at most one
 * pool per acceptance and nobody else can squat on it.
 *
 * Batches are not stored one slot each: every batch extends a hash chain kept in one slot,
 * `chain_k = keccak256(abi.encode(chain_{k-1}, k, taskCount, released, refunded, verdictRoot))`
 * with `chain_0 = poolId`, and {BatchSettled} carries each record and the new chain value. A
 * verdict is checked with {verifyVerdict} against the batch's Merkle root, and the batch against
 * the stored chain head through the records of that batch and every later one.
 *
 * Verdict leaves follow OpenZeppelin's StandardMerkleTree over
 * `(bytes32 poolId, uint256 batchSeq, bytes32 taskId, uint8 outcome, uint256 released,
 * uint256 refunded, bytes32 evidenceDigest)` (see {verdictLeaf}).
 *
 * State machine: None -> Active (PoolOpened); Active -> Active (PoolFunded, BatchSettled);
 * Active -> Closed (PoolReclaimed). Withdrawals are not transitions.
 */
contract AggregateEscrow is ReentrancyGuardTransient {
    using SafeERC20 for IERC20;

    /// @notice Pool lifecycle states.
    enum PoolStatus {
        None,
        Active,
        Closed
    }

    /// @dev Storage layout is chosen for {settleBatch}: it reads slots 0-3 and writes slots 1 and 3,
    /// all already non-zero, so a batch never pays for a fresh slot.
    struct Pool {
        // slot 0, fixed at opening
        address evaluator;
        uint48 expiredAt;
        // slot 1, written by every batch (status keeps it non-zero from the start)
        uint96 released;
        uint96 refunded;
        uint32 lastBatchSeq;
        PoolStatus status;
        // slot 2
        uint96 funded;
        uint96 pricePerTask;
        // slot 3
        bytes32 batchChain;
        // slots 4-6, touched only by funding, withdrawals and reclaim
        address buyer;
        uint96 buyerWithdrawn;
        address provider;
        uint96 providerWithdrawn;
        address token;
    }

    /// @notice A pool as {getPool} reports it, with the derived amounts spelled out.
    struct PoolView {
        address buyer;
        address provider;
        address evaluator;
        address token;
        uint256 expiredAt;
        PoolStatus status;
        uint256 pricePerTask;
        uint256 funded;
        uint256 released;
        uint256 refunded;
        uint256 remaining;
        uint256 providerOwed;
        uint256 buyerOwed;
        uint256 lastBatchSeq;
        bytes32 batchChain;
    }

    /// @notice One task's verdict as a batch commits to it (the leaf's fields besides pool and batch).
    struct Verdict {
        bytes32 taskId;
        uint8 outcome;
        uint256 released;
        uint256 refunded;
        bytes32 evidenceDigest;
    }

    /// @notice What one batch added to the chain, as {BatchSettled} reports it.
    struct BatchRecord {
        uint32 taskCount;
        uint256 released;
        uint256 refunded;
        bytes32 verdictRoot;
    }

    /// @notice Shortest allowed time between opening and expiry.
    uint256 public constant MIN_EXPIRY_DELAY = 5 minutes;
    /// @notice Longest allowed time between opening and expiry, so a pool cannot lock funds for decades.
    uint256 public constant MAX_EXPIRY_DELAY = 365 days;

    mapping(bytes32 poolId => Pool) private _pools;

    event PoolOpened(
        bytes32 indexed poolId,
        address indexed buyer,
        address indexed provider,
        address evaluator,
        address token,
        uint256 expiredAt,
        uint256 pricePerTask,
        bytes32 pactHash,
        bytes32 acceptanceId,
        uint256 amount
    );
    event PoolFunded(bytes32 indexed poolId, address indexed buyer, address token, uint256 amount);
    event BatchSettled(
        bytes32 indexed poolId,
        uint256 indexed batchSeq,
        uint256 taskCount,
        uint256 released,
        uint256 refunded,
        bytes32 verdictRoot,
        bytes32 batchChain
    );
    event PoolReclaimed(bytes32 indexed poolId, address indexed buyer, uint256 amount);
    /// @notice A party's credit left the pool to `to`.
    event Withdrawn(bytes32 indexed poolId, address indexed account, address indexed to, address token, uint256 amount);
    /// @notice {reclaim} could not push a party's credit; it stays withdrawable with {withdraw}.
    event PaymentDeferred(bytes32 indexed poolId, address indexed account, address token, uint256 amount);

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
    /// @dev The provider may be neither the buyer nor the evaluator of its own pool.
    error AggregateEscrowRoleConflict(address provider);
    /// @dev The expiry is not between MIN_EXPIRY_DELAY and MAX_EXPIRY_DELAY from now.
    error AggregateEscrowInvalidExpiry(uint256 expiredAt, uint256 earliest, uint256 latest);
    /// @dev Funding must be positive and the pool must fit in 96 bits.
    error AggregateEscrowInvalidAmount(uint256 amount);
    /// @dev The price per task must be positive and at most the opening amount.
    error AggregateEscrowInvalidPrice(uint256 pricePerTask, uint256 amount);
    /// @dev The token delivered a different amount than requested (fee-on-transfer tokens).
    error AggregateEscrowTransferAmountMismatch(uint256 expected, uint256 received);
    /// @dev Batches are numbered 1, 2, 3, ...; a reused or skipped number is refused.
    error AggregateEscrowBatchOutOfOrder(bytes32 poolId, uint256 batchSeq, uint256 expectedSeq);
    /// @dev A batch settles at least one task.
    error AggregateEscrowEmptyBatch(bytes32 poolId);
    /// @dev Released plus refunded must be exactly the batch's task count times the price per task.
    error AggregateEscrowBatchAmountMismatch(bytes32 poolId, uint256 taskCount, uint256 pricePerTask, uint256 total);
    /// @dev The batch would pay out more than the pool holds.
    error AggregateEscrowInsufficientPool(bytes32 poolId, uint256 requested, uint256 remaining);
    /// @dev A batch must anchor a non-zero verdict root.
    error AggregateEscrowEmptyRoot();
    /// @dev The pool has expired; only reclaim and withdrawals are possible now.
    error AggregateEscrowPoolExpired(bytes32 poolId, uint256 expiredAt);
    /// @dev The pool has not expired yet.
    error AggregateEscrowNotExpired(bytes32 poolId, uint256 expiredAt);
    /// @dev The caller has no credit in this pool.
    error AggregateEscrowNothingToWithdraw(bytes32 poolId, address account);
    /// @dev Withdrawals need a non-zero recipient.
    error AggregateEscrowInvalidRecipient();

    /**
     * @notice Open and fund a pool for one pact acceptance. The caller becomes the buyer and must
     * have approved this contract for `amount`.
     * @param token The ERC-20 payment token (USDC).
     * @param provider Is credited the released amounts; neither the caller nor the evaluator.
     * @param evaluator The only address that may settle batches.
     * @param expiredAt Unix time after which settlement stops and the rest goes back to the buyer;
     * between MIN_EXPIRY_DELAY and MAX_EXPIRY_DELAY in the future.
     * @param pactHash The accepted pact's hash (recorded in the event).
     * @param acceptanceId The acceptance this pool escrows for.
     * @param amount Initial funding in the token's smallest unit.
     * @param pricePerTask What one task is worth: every batch moves a multiple of it.
     * @return poolId `keccak256(abi.encode(msg.sender, acceptanceId))`.
     */
    function openPool(
        address token,
        address provider,
        address evaluator,
        uint256 expiredAt,
        bytes32 pactHash,
        bytes32 acceptanceId,
        uint256 amount,
        uint256 pricePerTask
    ) external nonReentrant returns (bytes32 poolId) {
        if (token == address(0) || provider == address(0) || evaluator == address(0)) {
            revert AggregateEscrowZeroAddress();
        }
        if (provider == msg.sender || provider == evaluator) revert AggregateEscrowRoleConflict(provider);
        _requireExpiryInRange(expiredAt);
        if (amount == 0 || amount > type(uint96).max) revert AggregateEscrowInvalidAmount(amount);
        if (pricePerTask == 0 || pricePerTask > amount) revert AggregateEscrowInvalidPrice(pricePerTask, amount);
        poolId = poolIdFor(msg.sender, acceptanceId);
        Pool storage pool = _pools[poolId];
        if (pool.status != PoolStatus.None) revert AggregateEscrowPoolExists(poolId);

        pool.evaluator = evaluator;
        pool.expiredAt = uint48(expiredAt);
        pool.status = PoolStatus.Active;
        pool.funded = uint96(amount);
        pool.pricePerTask = uint96(pricePerTask);
        pool.batchChain = poolId;
        pool.buyer = msg.sender;
        pool.provider = provider;
        pool.token = token;
        _emitOpened(poolId, pool, pactHash, acceptanceId);

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
        uint256 total = uint256(pool.funded) + amount;
        if (amount == 0 || total > type(uint96).max) revert AggregateEscrowInvalidAmount(amount);
        pool.funded = uint96(total);
        address token = pool.token;
        emit PoolFunded(poolId, msg.sender, token, amount);
        _pullExact(IERC20(token), amount);
    }

    /**
     * @notice Settle one batch of task verdicts: credit `released` to the provider and `refunded`
     * to the buyer, and extend the batch chain. Evaluator only, before expiry. Moves no tokens.
     * @param poolId The pool.
     * @param batchSeq Must be the previous batch number plus one (the first batch is 1).
     * @param taskCount How many tasks this batch settles (the number of leaves under `verdictRoot`).
     * @param released Sum released to the provider by this batch's verdicts.
     * @param refunded Sum refunded to the buyer by this batch's verdicts; `released + refunded`
     * must equal `taskCount * pricePerTask`.
     * @param verdictRoot Merkle root of the batch's verdict leaves (see {verdictLeaf}).
     */
    function settleBatch(
        bytes32 poolId,
        uint256 batchSeq,
        uint32 taskCount,
        uint256 released,
        uint256 refunded,
        bytes32 verdictRoot
    ) external nonReentrant {
        Pool storage pool = _activePool(poolId);
        if (msg.sender != pool.evaluator) revert AggregateEscrowUnauthorized(poolId, msg.sender);
        _requireNotExpired(poolId, pool);
        uint256 expectedSeq = uint256(pool.lastBatchSeq) + 1;
        if (batchSeq != expectedSeq) revert AggregateEscrowBatchOutOfOrder(poolId, batchSeq, expectedSeq);
        if (taskCount == 0) revert AggregateEscrowEmptyBatch(poolId);
        if (verdictRoot == bytes32(0)) revert AggregateEscrowEmptyRoot();
        uint256 total = released + refunded;
        uint256 price = pool.pricePerTask;
        if (total != uint256(taskCount) * price) {
            revert AggregateEscrowBatchAmountMismatch(poolId, taskCount, price, total);
        }
        uint256 releasedSoFar = pool.released;
        uint256 refundedSoFar = pool.refunded;
        uint256 remaining = uint256(pool.funded) - releasedSoFar - refundedSoFar;
        if (total > remaining) revert AggregateEscrowInsufficientPool(poolId, total, remaining);

        // total <= remaining <= funded < 2^96, so the casts cannot truncate
        pool.released = uint96(releasedSoFar + released);
        pool.refunded = uint96(refundedSoFar + refunded);
        pool.lastBatchSeq = uint32(batchSeq);
        bytes32 chain = _link(pool.batchChain, batchSeq, taskCount, released, refunded, verdictRoot);
        pool.batchChain = chain;
        emit BatchSettled(poolId, batchSeq, taskCount, released, refunded, verdictRoot, chain);
    }

    /**
     * @notice Pay the caller's credit in this pool (the provider's released amounts, or the
     * buyer's refunds and, once closed, the remainder) to `to`, which may differ from the caller
     * so that an address the token refuses can still be paid out.
     * @param poolId The pool.
     * @param to The recipient; must not be zero.
     */
    function withdraw(bytes32 poolId, address to) external nonReentrant {
        if (to == address(0)) revert AggregateEscrowInvalidRecipient();
        Pool storage pool = _existingPool(poolId);
        uint256 amount;
        if (msg.sender == pool.provider) {
            amount = uint256(pool.released) - pool.providerWithdrawn;
            pool.providerWithdrawn = pool.released;
        } else if (msg.sender == pool.buyer) {
            amount = uint256(pool.refunded) - pool.buyerWithdrawn;
            pool.buyerWithdrawn = pool.refunded;
        } else {
            revert AggregateEscrowUnauthorized(poolId, msg.sender);
        }
        if (amount == 0) revert AggregateEscrowNothingToWithdraw(poolId, msg.sender);
        address token = pool.token;
        emit Withdrawn(poolId, msg.sender, to, token, amount);
        IERC20(token).safeTransfer(to, amount);
    }

    /**
     * @notice Close an expired pool: what no batch settled is refunded to the buyer, and both
     * parties' credits are pushed to them. Anyone may call it (funds only ever go to the buyer
     * and the provider); a push the token refuses stays a credit for {withdraw}, so nothing can
     * block the close.
     * @param poolId The pool.
     */
    function reclaim(bytes32 poolId) external nonReentrant {
        Pool storage pool = _activePool(poolId);
        if (block.timestamp < pool.expiredAt) revert AggregateEscrowNotExpired(poolId, pool.expiredAt);
        uint256 remainder = uint256(pool.funded) - pool.released - pool.refunded;
        address buyer = pool.buyer;
        pool.refunded = pool.funded - pool.released;
        pool.status = PoolStatus.Closed;
        emit PoolReclaimed(poolId, buyer, remainder);

        IERC20 token = IERC20(pool.token);
        uint256 buyerOwed = uint256(pool.refunded) - pool.buyerWithdrawn;
        if (buyerOwed != 0) {
            pool.buyerWithdrawn = pool.refunded;
            if (!_push(poolId, token, buyer, buyerOwed)) pool.buyerWithdrawn = pool.refunded - uint96(buyerOwed);
        }
        uint256 providerOwed = uint256(pool.released) - pool.providerWithdrawn;
        if (providerOwed != 0) {
            pool.providerWithdrawn = pool.released;
            if (!_push(poolId, token, pool.provider, providerOwed)) {
                pool.providerWithdrawn = pool.released - uint96(providerOwed);
            }
        }
    }

    /**
     * @notice Check one task's verdict against a settled batch: the leaf computed from the
     * verdict's fields must prove into the batch's verdict root, and that batch's record followed
     * by every later batch's record must extend `previousChain` to the chain head stored on chain.
     * The records and chain values are those of the {BatchSettled} events.
     * @param poolId The pool.
     * @param batchSeq The batch that settled the task.
     * @param verdict The task's verdict fields; the leaf is computed here, never taken as input.
     * @param proof Sibling hashes from the leaf to the batch's verdict root (sorted-pair hashing);
     * its length must fit a tree of `batches[0].taskCount` leaves, so an empty proof verifies only
     * for a one-task batch.
     * @param previousChain The chain value before `batchSeq` (the pool id for batch 1).
     * @param batches The records of batches `batchSeq`, `batchSeq + 1`, ... up to the latest.
     * @return True when every check passes; false otherwise (never reverts on bad input).
     */
    function verifyVerdict(
        bytes32 poolId,
        uint256 batchSeq,
        Verdict calldata verdict,
        bytes32[] calldata proof,
        bytes32 previousChain,
        BatchRecord[] calldata batches
    ) external view returns (bool) {
        if (!_isSettledBatch(poolId, batchSeq, previousChain, batches)) return false;
        if (!_fitsTree(proof.length, batches[0].taskCount)) return false;
        return MerkleProof.verifyCalldata(proof, batches[0].verdictRoot, _leaf(poolId, batchSeq, verdict));
    }

    /**
     * @notice The leaf of one task's verdict, exactly as batches commit to it.
     * @param poolId The pool.
     * @param batchSeq The batch that settles the task.
     * @param verdict The verdict's fields.
     * @return `keccak256(bytes.concat(keccak256(abi.encode(poolId, batchSeq, taskId, outcome,
     * released, refunded, evidenceDigest))))`.
     */
    function verdictLeaf(bytes32 poolId, uint256 batchSeq, Verdict calldata verdict) external pure returns (bytes32) {
        return _leaf(poolId, batchSeq, verdict);
    }

    /**
     * @notice One step of the batch chain, exactly as {settleBatch} computes it.
     * @param previousChain The chain value before this batch (the pool id for batch 1).
     * @param batchSeq The batch number.
     * @param record The batch's task count, amounts and verdict root.
     * @return `keccak256(abi.encode(previousChain, batchSeq, taskCount, released, refunded, verdictRoot))`.
     */
    function batchLink(
        bytes32 previousChain,
        uint256 batchSeq,
        BatchRecord calldata record
    ) external pure returns (bytes32) {
        return _link(previousChain, batchSeq, record.taskCount, record.released, record.refunded, record.verdictRoot);
    }

    /**
     * @notice Read a pool.
     * @param poolId The pool.
     * @return view_ The pool's terms, amounts and chain head (reverts if it does not exist).
     */
    function getPool(bytes32 poolId) external view returns (PoolView memory view_) {
        Pool storage pool = _existingPool(poolId);
        view_.buyer = pool.buyer;
        view_.provider = pool.provider;
        view_.evaluator = pool.evaluator;
        view_.token = pool.token;
        view_.expiredAt = pool.expiredAt;
        view_.status = pool.status;
        view_.pricePerTask = pool.pricePerTask;
        view_.funded = pool.funded;
        view_.released = pool.released;
        view_.refunded = pool.refunded;
        view_.remaining = uint256(pool.funded) - pool.released - pool.refunded;
        view_.providerOwed = uint256(pool.released) - pool.providerWithdrawn;
        view_.buyerOwed = uint256(pool.refunded) - pool.buyerWithdrawn;
        view_.lastBatchSeq = pool.lastBatchSeq;
        view_.batchChain = pool.batchChain;
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

    function _leaf(bytes32 poolId, uint256 batchSeq, Verdict calldata v) private pure returns (bytes32) {
        bytes32 inner = keccak256(
            abi.encode(poolId, batchSeq, v.taskId, v.outcome, v.released, v.refunded, v.evidenceDigest)
        );
        return keccak256(bytes.concat(inner));
    }

    /// @dev True when `batches` are the records of `batchSeq` up to the latest batch and extend
    /// `previousChain` to the stored chain head.
    function _isSettledBatch(
        bytes32 poolId,
        uint256 batchSeq,
        bytes32 previousChain,
        BatchRecord[] calldata batches
    ) private view returns (bool) {
        Pool storage pool = _pools[poolId];
        uint256 lastSeq = pool.lastBatchSeq;
        if (batchSeq == 0 || batchSeq > lastSeq || batches.length != lastSeq - batchSeq + 1) return false;
        return _chainThrough(previousChain, batchSeq, batches) == pool.batchChain;
    }

    /// @dev In OpenZeppelin's array layout, the leaves of an n-leaf tree sit at depths
    /// floor(log2 n) and ceil(log2 n); any other proof length cannot start at a leaf.
    function _fitsTree(uint256 proofLength, uint256 taskCount) private pure returns (bool) {
        if (taskCount == 0) return false;
        return proofLength >= Math.log2(taskCount) && proofLength <= Math.log2(taskCount, Math.Rounding.Ceil);
    }

    function _chainThrough(
        bytes32 chain,
        uint256 firstSeq,
        BatchRecord[] calldata batches
    ) private pure returns (bytes32) {
        for (uint256 i = 0; i < batches.length; ++i) {
            BatchRecord calldata r = batches[i];
            chain = _link(chain, firstSeq + i, r.taskCount, r.released, r.refunded, r.verdictRoot);
        }
        return chain;
    }

    function _link(
        bytes32 previousChain,
        uint256 batchSeq,
        uint256 taskCount,
        uint256 released,
        uint256 refunded,
        bytes32 verdictRoot
    ) private pure returns (bytes32) {
        return keccak256(abi.encode(previousChain, batchSeq, taskCount, released, refunded, verdictRoot));
    }

    /// @dev Runs last, under nonReentrant; the caller has already moved the credit out of the pool
    /// and puts it back when this returns false.
    function _push(bytes32 poolId, IERC20 token, address to, uint256 amount) private returns (bool ok) {
        ok = token.trySafeTransfer(to, amount);
        if (ok) {
            emit Withdrawn(poolId, to, to, address(token), amount);
        } else {
            emit PaymentDeferred(poolId, to, address(token), amount);
        }
    }

    function _requireExpiryInRange(uint256 expiredAt) private view {
        uint256 earliest = block.timestamp + MIN_EXPIRY_DELAY;
        uint256 latest = block.timestamp + MAX_EXPIRY_DELAY;
        if (expiredAt < earliest || expiredAt > latest) {
            revert AggregateEscrowInvalidExpiry(expiredAt, earliest, latest);
        }
    }

    function _emitOpened(bytes32 poolId, Pool storage pool, bytes32 pactHash, bytes32 acceptanceId) private {
        emit PoolOpened(
            poolId,
            pool.buyer,
            pool.provider,
            pool.evaluator,
            pool.token,
            pool.expiredAt,
            pool.pricePerTask,
            pactHash,
            acceptanceId,
            pool.funded
        );
    }

    function _pullExact(IERC20 token, uint256 amount) private {
        uint256 before = token.balanceOf(address(this));
        token.safeTransferFrom(msg.sender, address(this), amount);
        uint256 received = token.balanceOf(address(this)) - before;
        if (received != amount) revert AggregateEscrowTransferAmountMismatch(amount, received);
    }

    function _existingPool(bytes32 poolId) private view returns (Pool storage pool) {
        pool = _pools[poolId];
        if (pool.status == PoolStatus.None) revert AggregateEscrowPoolNotFound(poolId);
    }

    function _activePool(bytes32 poolId) private view returns (Pool storage pool) {
        pool = _existingPool(poolId);
        if (pool.status != PoolStatus.Active) revert AggregateEscrowInvalidState(poolId, pool.status);
    }

    function _requireNotExpired(bytes32 poolId, Pool storage pool) private view {
        if (block.timestamp >= pool.expiredAt) revert AggregateEscrowPoolExpired(poolId, pool.expiredAt);
    }
}
