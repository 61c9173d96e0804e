-- The journal of intended transactions and their signed attempts (written on the lease connection).

-- name: max_nonce$
SELECT max(nonce) FROM transactions WHERE chain_id = :chain_id AND signer = :signer;

-- name: insert_transaction<!
INSERT INTO transactions (chain_id, signer, nonce, kind, target, gas, detail)
VALUES (:chain_id, :signer, :nonce, :kind, :target, :gas, :detail)
RETURNING tx_id;

-- name: insert_attempt!
INSERT INTO tx_attempts (tx_id, attempt, raw, tx_hash, max_fee, priority_fee)
VALUES (:tx_id, :attempt, :raw, :tx_hash, :max_fee, :priority_fee);

-- name: live_for_target^
SELECT * FROM transactions WHERE chain_id = :chain_id AND target = :target
  AND status NOT IN ('reverted', 'superseded');

-- name: open_transactions
SELECT * FROM transactions WHERE chain_id = :chain_id AND signer = :signer AND status IN ('signed', 'mined')
ORDER BY nonce;

-- name: attempts
SELECT * FROM tx_attempts WHERE tx_id = :tx_id ORDER BY attempt;

-- name: mark_broadcast!
UPDATE transactions SET broadcasts = broadcasts + 1, sent_block = :sent_block, updated_at = now()
WHERE tx_id = :tx_id;

-- name: mark_mined!
UPDATE transactions SET status = :status, tx_hash = :tx_hash, block_number = :block_number,
    block_hash = :block_hash, gas_used = :gas_used, updated_at = now()
WHERE tx_id = :tx_id;

-- name: mark_confirmed!
UPDATE transactions SET status = 'confirmed', updated_at = now() WHERE tx_id = :tx_id AND status = 'mined';

-- name: mark_reorged!
UPDATE transactions SET status = 'signed', tx_hash = NULL, block_number = NULL, block_hash = NULL,
    gas_used = NULL, reorgs = reorgs + 1, updated_at = now()
WHERE tx_id = :tx_id;

-- name: mark_superseded!
UPDATE transactions SET status = 'superseded', detail = :detail, updated_at = now() WHERE tx_id = :tx_id;

-- name: set_detail!
UPDATE transactions SET detail = :detail, updated_at = now() WHERE tx_id = :tx_id;

-- name: list_transactions
SELECT t.*, (SELECT count(*) FROM tx_attempts a WHERE a.tx_id = t.tx_id) AS attempts
FROM transactions t
WHERE (:status::text IS NULL OR t.status = :status)
ORDER BY t.tx_id DESC LIMIT :limit;
