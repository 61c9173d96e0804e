-- name: insert_calibration!
INSERT INTO calibrations (judge_id, model, set_digest, items, accuracy, kappa, min_kappa, benched, simulated,
                          calibrated_at)
VALUES (:judge_id, :model, :set_digest, :items, :accuracy, :kappa, :min_kappa, :benched, :simulated, :calibrated_at);

-- name: latest_calibrations
SELECT DISTINCT ON (judge_id) judge_id, model, kappa, min_kappa, benched, calibrated_at
FROM calibrations ORDER BY judge_id, calibration_id DESC;
