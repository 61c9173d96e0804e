// SPDX-License-Identifier: MIT
pragma solidity ^0.8.24;

import {IERC20} from "@openzeppelin/contracts/token/ERC20/IERC20.sol";
import {SafeERC20} from "@openzeppelin/contracts/token/ERC20/utils/SafeERC20.sol";
import {ReentrancyGuardTransient} from "@openzeppelin/contracts/utils/ReentrancyGuardTransient.sol";

/**
 * @title AgenticCommerce
 * @notice ERC-8183 ("Agentic Commerce") job escrow without hooks: a client escrows a budget for
 * one job, a provider submits a deliverable, and an evaluator alone decides whether the budget
 * is released to the provider or refunded to the client. After expiry anyone can trigger the
 * refund of a funded job, so funds never stay locked.
 *
 * @dev Lifecycle: Open -> Funded -> Submitted -> Completed; Open/Funded/Submitted -> Rejected;
 * Funded/Submitted -> Expired. Every transition emits exactly one lifecycle event (plus a payment
 * event when the budget leaves the job). Hooks are not supported: `hook` must be the zero address,
 * which the draft standard allows for a hookless kernel. `optParams` are accepted for interface
 * compatibility and ignored.
 *
 * Following the later ERC-8183 draft, {fund} takes the token as well as the budget the client
 * agreed to, so neither can be swapped between the client's read and its transaction.
 *
 * Payouts never revert because of the recipient: when a transfer to the provider or the client
 * fails (a blacklisted USDC address, for example), the amount is credited to that party, who
 * withdraws it later to an address of its choice with {withdraw} (pull payment).
 */
contract AgenticCommerce is ReentrancyGuardTransient {
    using SafeERC20 for IERC20;

    /// @notice Job lifecycle states, in the order the draft standard lists them.
    enum JobStatus {
        Open,
        Funded,
        Submitted,
        Completed,
        Rejected,
        Expired
    }

    /// @notice A job as stored. Client, expiry and status share a slot; so do token and budget.
    struct Job {
        address client;
        uint48 expiredAt;
        JobStatus status;
        address provider;
        address evaluator;
        address token;
        uint96 budget;
        string description;
    }

    /// @notice Shortest allowed time between creation and expiry.
    uint256 public constant MIN_EXPIRY_DELAY = 5 minutes;
    /// @notice Longest allowed time between creation and expiry, so a job cannot lock funds for decades.
    uint256 public constant MAX_EXPIRY_DELAY = 365 days;

    mapping(uint256 jobId => Job) private _jobs;
    uint256 private _jobCounter;
    mapping(address account => mapping(address token => uint256)) private _credits;

    event JobCreated(
        uint256 indexed jobId,
        address indexed client,
        address indexed provider,
        address evaluator,
        uint256 expiredAt,
        address hook
    );
    event ProviderSet(uint256 indexed jobId, address indexed provider);
    event BudgetSet(uint256 indexed jobId, address indexed token, uint256 amount);
    event JobFunded(uint256 indexed jobId, address indexed client, address token, uint256 amount);
    event JobSubmitted(uint256 indexed jobId, address indexed provider, bytes32 deliverable);
    event JobCompleted(uint256 indexed jobId, address indexed evaluator, bytes32 reason);
    event JobRejected(uint256 indexed jobId, address indexed rejector, bytes32 reason);
    event JobExpired(uint256 indexed jobId);
    /// @notice The budget was paid to the provider (or credited to it, see {PaymentDeferred}).
    event PaymentReleased(uint256 indexed jobId, address indexed provider, address token, uint256 amount);
    /// @notice The budget was returned to the client (or credited to it, see {PaymentDeferred}).
    event Refunded(uint256 indexed jobId, address indexed client, address token, uint256 amount);
    /// @notice A payout's transfer failed; the amount is now the recipient's credit (see {withdraw}).
    event PaymentDeferred(uint256 indexed jobId, address indexed account, address indexed token, uint256 amount);
    /// @notice A party withdrew its credit in `token` to `to`.
    event CreditWithdrawn(address indexed account, address indexed token, address indexed to, uint256 amount);

    /// @dev No job has this id.
    error AgenticCommerceJobNotFound(uint256 jobId);
    /// @dev The job's current status does not allow the call.
    error AgenticCommerceInvalidState(uint256 jobId, JobStatus status);
    /// @dev The caller does not hold the role the call needs.
    error AgenticCommerceUnauthorized(uint256 jobId, address caller);
    /// @dev The evaluator must not be the zero address.
    error AgenticCommerceInvalidEvaluator();
    /// @dev A provider must not be the zero address when it is set explicitly.
    error AgenticCommerceInvalidProvider();
    /// @dev The provider may be neither the client nor the evaluator of its own job.
    error AgenticCommerceRoleConflict(address provider);
    /// @dev The provider was already set.
    error AgenticCommerceProviderAlreadySet(uint256 jobId, address provider);
    /// @dev The job cannot be funded before it has a provider.
    error AgenticCommerceProviderNotSet(uint256 jobId);
    /// @dev The expiry is not between MIN_EXPIRY_DELAY and MAX_EXPIRY_DELAY from now.
    error AgenticCommerceInvalidExpiry(uint256 expiredAt, uint256 earliest, uint256 latest);
    /// @dev This kernel has no hooks; `hook` must be the zero address.
    error AgenticCommerceHooksUnsupported(address hook);
    /// @dev The payment token must not be the zero address.
    error AgenticCommerceInvalidToken();
    /// @dev Budgets are stored in 96 bits.
    error AgenticCommerceBudgetTooLarge(uint256 amount);
    /// @dev A job cannot be funded with a zero budget.
    error AgenticCommerceZeroBudget(uint256 jobId);
    /// @dev Front-running guard: the token changed after the client looked at it.
    error AgenticCommerceTokenMismatch(uint256 jobId, address expectedToken, address token);
    /// @dev Front-running guard: the budget changed after the client looked at it.
    error AgenticCommerceBudgetMismatch(uint256 jobId, uint256 expectedBudget, uint256 budget);
    /// @dev The token delivered a different amount than requested (fee-on-transfer tokens).
    error AgenticCommerceTransferAmountMismatch(uint256 expected, uint256 received);
    /// @dev The job has expired; only a refund is possible now.
    error AgenticCommerceJobExpired(uint256 jobId, uint256 expiredAt);
    /// @dev The job has not expired yet.
    error AgenticCommerceNotExpired(uint256 jobId, uint256 expiredAt);
    /// @dev The caller has no credit in this token.
    error AgenticCommerceNothingToWithdraw(address account, address token);
    /// @dev Withdrawals need a non-zero recipient.
    error AgenticCommerceInvalidRecipient();

    /**
     * @notice Create an Open job. The caller becomes the client.
     * @param provider The provider, or the zero address to set it later with {setProvider}; it
     * may be neither the caller nor the evaluator.
     * @param evaluator The only address that may complete the job; must not be zero.
     * @param expiredAt Unix time after which a funded job can be refunded; between
     * MIN_EXPIRY_DELAY and MAX_EXPIRY_DELAY in the future.
     * @param description Free-form job description, stored with the job.
     * @param hook Must be the zero address (hooks are not supported).
     * @return jobId The new job's id (sequential, starting at 1).
     */
    function createJob(
        address provider,
        address evaluator,
        uint256 expiredAt,
        string calldata description,
        address hook
    ) external returns (uint256 jobId) {
        if (evaluator == address(0)) revert AgenticCommerceInvalidEvaluator();
        if (hook != address(0)) revert AgenticCommerceHooksUnsupported(hook);
        if (provider != address(0)) _requireNoRoleConflict(provider, msg.sender, evaluator);
        uint256 earliest = block.timestamp + MIN_EXPIRY_DELAY;
        uint256 latest = block.timestamp + MAX_EXPIRY_DELAY;
        if (expiredAt < earliest || expiredAt > latest) {
            revert AgenticCommerceInvalidExpiry(expiredAt, earliest, latest);
        }
        jobId = ++_jobCounter;
        Job storage job = _jobs[jobId];
        job.client = msg.sender;
        job.expiredAt = uint48(expiredAt);
        job.status = JobStatus.Open;
        job.provider = provider;
        job.evaluator = evaluator;
        job.description = description;
        emit JobCreated(jobId, msg.sender, provider, evaluator, expiredAt, hook);
    }

    /**
     * @notice Set the provider of an Open job that was created without one. Client only.
     * @param jobId The job.
     * @param provider The provider; must not be zero, the client or the evaluator.
     */
    function setProvider(uint256 jobId, address provider) external {
        Job storage job = _openJob(jobId);
        if (msg.sender != job.client) revert AgenticCommerceUnauthorized(jobId, msg.sender);
        if (job.provider != address(0)) revert AgenticCommerceProviderAlreadySet(jobId, job.provider);
        if (provider == address(0)) revert AgenticCommerceInvalidProvider();
        _requireNoRoleConflict(provider, job.client, job.evaluator);
        job.provider = provider;
        emit ProviderSet(jobId, provider);
    }

    /**
     * @notice Set or renegotiate the payment token and budget of an Open job. Client or provider.
     * The client's {fund} names the token and budget it agreed to, so a change here after the
     * client looked makes funding revert instead of escrowing something else.
     * @param jobId The job.
     * @param token The ERC-20 payment token; must not be zero.
     * @param amount The budget in the token's smallest unit (at most 2^96 - 1).
     * @param optParams Ignored (no hooks).
     */
    function setBudget(uint256 jobId, address token, uint256 amount, bytes calldata optParams) external {
        optParams;
        Job storage job = _openJob(jobId);
        if (msg.sender != job.client && msg.sender != job.provider) {
            revert AgenticCommerceUnauthorized(jobId, msg.sender);
        }
        if (token == address(0)) revert AgenticCommerceInvalidToken();
        if (amount > type(uint96).max) revert AgenticCommerceBudgetTooLarge(amount);
        job.token = token;
        job.budget = uint96(amount);
        emit BudgetSet(jobId, token, amount);
    }

    /**
     * @notice Escrow the budget: Open -> Funded. Client only; the client must have approved this
     * contract for `expectedBudget` of `expectedToken`.
     * @param jobId The job.
     * @param expectedToken Must equal the job's token, so nobody can swap the token between the
     * client's read and this transaction.
     * @param expectedBudget Must equal the job's budget, for the same reason.
     * @param optParams Ignored (no hooks).
     */
    function fund(
        uint256 jobId,
        address expectedToken,
        uint256 expectedBudget,
        bytes calldata optParams
    ) external nonReentrant {
        optParams;
        Job storage job = _openJob(jobId);
        if (msg.sender != job.client) revert AgenticCommerceUnauthorized(jobId, msg.sender);
        if (job.provider == address(0)) revert AgenticCommerceProviderNotSet(jobId);
        address token = job.token;
        uint256 budget = job.budget;
        if (budget == 0) revert AgenticCommerceZeroBudget(jobId);
        if (token != expectedToken) revert AgenticCommerceTokenMismatch(jobId, expectedToken, token);
        if (budget != expectedBudget) revert AgenticCommerceBudgetMismatch(jobId, expectedBudget, budget);

        job.status = JobStatus.Funded;
        emit JobFunded(jobId, msg.sender, token, budget);

        IERC20 erc20 = IERC20(token);
        uint256 before = erc20.balanceOf(address(this));
        erc20.safeTransferFrom(msg.sender, address(this), budget);
        uint256 received = erc20.balanceOf(address(this)) - before;
        if (received != budget) revert AgenticCommerceTransferAmountMismatch(budget, received);
    }

    /**
     * @notice Submit the work: Funded -> Submitted. Provider only, before expiry.
     * @param jobId The job.
     * @param deliverable A commitment to the delivered work (for Pactline, the task output digest).
     * @param optParams Ignored (no hooks).
     */
    function submit(uint256 jobId, bytes32 deliverable, bytes calldata optParams) external {
        optParams;
        Job storage job = _existingJob(jobId);
        if (job.status != JobStatus.Funded) revert AgenticCommerceInvalidState(jobId, job.status);
        if (msg.sender != job.provider) revert AgenticCommerceUnauthorized(jobId, msg.sender);
        _requireNotExpired(jobId, job);
        job.status = JobStatus.Submitted;
        emit JobSubmitted(jobId, msg.sender, deliverable);
    }

    /**
     * @notice Accept the work and release the budget to the provider: Submitted -> Completed.
     * Evaluator only, before expiry. If the transfer fails the budget becomes the provider's credit.
     * @param jobId The job.
     * @param reason The evaluator's attestation (for Pactline, the verdict's evidence digest).
     * @param optParams Ignored (no hooks).
     */
    function complete(uint256 jobId, bytes32 reason, bytes calldata optParams) external nonReentrant {
        optParams;
        Job storage job = _existingJob(jobId);
        if (job.status != JobStatus.Submitted) revert AgenticCommerceInvalidState(jobId, job.status);
        if (msg.sender != job.evaluator) revert AgenticCommerceUnauthorized(jobId, msg.sender);
        _requireNotExpired(jobId, job);

        job.status = JobStatus.Completed;
        address provider = job.provider;
        address token = job.token;
        uint256 amount = job.budget;
        emit JobCompleted(jobId, msg.sender, reason);
        emit PaymentReleased(jobId, provider, token, amount);
        _pay(jobId, token, provider, amount);
    }

    /**
     * @notice Reject the job: by the client while Open (nothing to refund), or by the evaluator
     * while Funded or Submitted (the budget is refunded to the client, or credited to it if the
     * transfer fails).
     * @param jobId The job.
     * @param reason The rejector's reason (for Pactline, the verdict's evidence digest).
     * @param optParams Ignored (no hooks).
     */
    function reject(uint256 jobId, bytes32 reason, bytes calldata optParams) external nonReentrant {
        optParams;
        Job storage job = _existingJob(jobId);
        JobStatus status = job.status;
        if (status == JobStatus.Open) {
            if (msg.sender != job.client) revert AgenticCommerceUnauthorized(jobId, msg.sender);
        } else if (status == JobStatus.Funded || status == JobStatus.Submitted) {
            if (msg.sender != job.evaluator) revert AgenticCommerceUnauthorized(jobId, msg.sender);
        } else {
            revert AgenticCommerceInvalidState(jobId, status);
        }

        job.status = JobStatus.Rejected;
        emit JobRejected(jobId, msg.sender, reason);
        if (status != JobStatus.Open) {
            _refund(jobId, job);
        }
    }

    /**
     * @notice Refund an expired job to its client: Funded/Submitted -> Expired. Anyone may call
     * it once `block.timestamp >= expiredAt`; it is deliberately not hookable, and a client that
     * cannot receive the token gets a credit instead of a revert, so nothing can block it.
     * @param jobId The job.
     */
    function claimRefund(uint256 jobId) external nonReentrant {
        Job storage job = _existingJob(jobId);
        if (job.status != JobStatus.Funded && job.status != JobStatus.Submitted) {
            revert AgenticCommerceInvalidState(jobId, job.status);
        }
        if (block.timestamp < job.expiredAt) revert AgenticCommerceNotExpired(jobId, job.expiredAt);
        job.status = JobStatus.Expired;
        emit JobExpired(jobId);
        _refund(jobId, job);
    }

    /**
     * @notice Withdraw the caller's whole credit in `token` (payouts whose transfer failed) to `to`,
     * which may differ from the caller, so an address the token refuses can still be paid out.
     * @param token The token of the credit.
     * @param to The recipient; must not be zero.
     */
    function withdraw(address token, address to) external nonReentrant {
        if (to == address(0)) revert AgenticCommerceInvalidRecipient();
        uint256 amount = _credits[msg.sender][token];
        if (amount == 0) revert AgenticCommerceNothingToWithdraw(msg.sender, token);
        delete _credits[msg.sender][token];
        emit CreditWithdrawn(msg.sender, token, to, amount);
        IERC20(token).safeTransfer(to, amount);
    }

    /**
     * @notice What `account` can withdraw in `token`.
     * @param account The creditor.
     * @param token The token.
     * @return The credit in the token's smallest unit.
     */
    function creditOf(address account, address token) external view returns (uint256) {
        return _credits[account][token];
    }

    /**
     * @notice Read a job.
     * @param jobId The job.
     * @return The stored job (reverts if it does not exist).
     */
    function getJob(uint256 jobId) external view returns (Job memory) {
        return _existingJob(jobId);
    }

    /**
     * @notice Number of jobs created so far (also the id of the latest job).
     * @return The job counter.
     */
    function jobCounter() external view returns (uint256) {
        return _jobCounter;
    }

    function _refund(uint256 jobId, Job storage job) private {
        address client = job.client;
        address token = job.token;
        uint256 amount = job.budget;
        emit Refunded(jobId, client, token, amount);
        _pay(jobId, token, client, amount);
    }

    /// @dev Push `amount` to `to`; a refusing recipient must not block the transition, so a failed
    /// transfer becomes a credit. Runs last, under nonReentrant, after the state change.
    function _pay(uint256 jobId, address token, address to, uint256 amount) private {
        if (!IERC20(token).trySafeTransfer(to, amount)) {
            _credits[to][token] += amount;
            emit PaymentDeferred(jobId, to, token, amount);
        }
    }

    function _requireNoRoleConflict(address provider, address client, address evaluator) private pure {
        if (provider == client || provider == evaluator) revert AgenticCommerceRoleConflict(provider);
    }

    function _existingJob(uint256 jobId) private view returns (Job storage job) {
        job = _jobs[jobId];
        if (job.client == address(0)) revert AgenticCommerceJobNotFound(jobId);
    }

    function _openJob(uint256 jobId) private view returns (Job storage job) {
        job = _existingJob(jobId);
        if (job.status != JobStatus.Open) revert AgenticCommerceInvalidState(jobId, job.status);
        _requireNotExpired(jobId, job);
    }

    function _requireNotExpired(uint256 jobId, Job storage job) private view {
        if (block.timestamp >= job.expiredAt) revert AgenticCommerceJobExpired(jobId, job.expiredAt);
    }
}
