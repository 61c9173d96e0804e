"""Upcasters: pure functions that lift a stored payload one schema version up.

Registered under the explicit event type name and the version they read. The log is never
rewritten; old events are upcast each time they are read.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

Payload = dict[str, Any]
Upcaster = Callable[[Payload], Payload]

_FAMILY_ALIASES = {
    "gpt": "openai",
    "openai": "openai",
    "claude": "anthropic",
    "anthropic": "anthropic",
    "gemini": "google",
    "google": "google",
    "llama": "meta",
    "meta": "meta",
    "mistral": "mistral",
}


def agent_registered_v1_to_v2(payload: Payload) -> Payload:
    """v1 carried a free-text ``model`` (e.g. "GPT-4o"); v2 carries the ``model_family`` enum.

    Judges of the agent's own family are kept off its jury, which needs the family, not the
    marketing name. Unknown names map to ``other``.
    """
    lifted = {key: value for key, value in payload.items() if key != "model"}
    model = str(payload.get("model", "")).strip().lower()
    family = next((fam for prefix, fam in _FAMILY_ALIASES.items() if model.startswith(prefix)), "other")
    lifted["model_family"] = family
    return lifted


def escrow_funded_v1_to_v2(payload: Payload) -> Payload:
    """v1 named the job or pool in one ``escrow_ref`` (a uint256 decimal string, a pool id too);
    v2 names a per_task ``job_id`` or an aggregate ``pool_id`` (bytes32 hex), and may say which
    block, log and funder the fact came from (unknown for v1: left out)."""
    lifted = {key: value for key, value in payload.items() if key != "escrow_ref"}
    ref = str(payload["escrow_ref"])
    if payload.get("mode") == "aggregate":
        lifted["pool_id"] = "0x" + int(ref).to_bytes(32, "big").hex()
    else:
        lifted["job_id"] = ref
    return lifted


def escrow_settled_v1_to_v2(payload: Payload) -> Payload:
    """v2 states the ``cause`` of the movement; v1's ``held`` goes (money held in escrow did not
    move, so a settlement never carried it: settlement never emitted a non-zero one)."""
    lifted = {key: value for key, value in payload.items() if key != "held"}
    if payload.get("mode") == "aggregate":
        lifted["cause"] = "batch"
    else:
        lifted["cause"] = "completed" if payload.get("released", 0) > 0 else "rejected"
    return lifted


def task_completed_v1_to_v2(payload: Payload) -> Payload:
    """v1 was always the buyer's report, with one token count and no provenance.

    v2 says how the measurements were obtained; a v1 event is a buyer-only report whose
    ``tokens`` is the reported total (its input/output split and first-token time unknown).
    """
    return {
        **payload,
        "first_token_ms": None,
        "input_tokens": None,
        "output_tokens": None,
        "token_source": "reported",
        "provenance": "buyer_only",
        "countersignature": None,
        "agent_error": None,
    }


def jury_deliberated_v1_to_v2(payload: Payload) -> Payload:
    """v2 adds per-judge validity, flags, latency and simulation, per-clause agreement, quorum
    and reason, the excluded judges, the injection evidence, the fences and the total cost.

    What a v1 producer did not record stays null (latency, agreement, quorum, fences); what
    follows from v1 is derived: a vote counted exactly when it was not INCONCLUSIVE.
    """
    results = []
    for result in payload.get("results", []):
        judgments = [
            {**j, "valid": j.get("outcome") != "INCONCLUSIVE", "flags": [], "latency_ms": None, "simulated": False}
            for j in result.get("judgments", [])
        ]
        results.append(
            {**result, "judgments": judgments, "agreement": None, "valid_votes": None, "quorum": None, "reason": None}
        )
    cost = sum(j.get("cost", 0) for r in results for j in r["judgments"])
    return {
        **payload,
        "results": results,
        "excluded_judges": [],
        "injection_findings": [],
        "fence_token": None,
        "canary": None,
        "cost": cost,
        "simulated": False,
    }


def verdict_issued_v1_to_v2(payload: Payload) -> Payload:
    """v1 had no measured values, dimensions, weights, provenance or Merkle evidence root.

    Everything new that v1 data determines is computed from its clause results (every v1
    clause was evaluated); what it does not determine takes the value that claims least: no
    output digest, ``buyer_only`` provenance, and the old SHA-256 evidence digest marked
    ``sha256-v1`` so no one checks a clause proof against it.
    """
    lifted = dict(payload)
    clauses = [{**clause, "measured": None, "evaluated": True} for clause in payload.get("clause_results", ())]
    lifted["clause_results"] = clauses
    dimensions: dict[str, dict[str, Any]] = {}
    weight_field = {"PASS": "passed_weight", "FAIL": "failed_weight", "INCONCLUSIVE": "inconclusive_weight"}
    for clause in clauses:
        entry = dimensions.setdefault(
            clause["dimension"],
            {"dimension": clause["dimension"], "clauses": 0, **dict.fromkeys(weight_field.values(), 0)},
        )
        entry["clauses"] += 1
        entry[weight_field[clause["outcome"]]] += clause["weight"]
    for entry in dimensions.values():
        entry["outcome"] = (
            "FAIL" if entry["failed_weight"] else "INCONCLUSIVE" if entry["inconclusive_weight"] else "PASS"
        )
    lifted["dimension_results"] = [dimensions[name] for name in sorted(dimensions)]
    lifted["passed_weight"] = sum(c["weight"] for c in clauses if c["outcome"] == "PASS")
    lifted["evaluated_weight"] = sum(c["weight"] for c in clauses)
    lifted["evidence_digest"] = "0x" + str(payload.get("evidence_digest", ""))
    lifted["evidence_scheme"] = "sha256-v1"
    lifted["output_digest"] = None
    lifted["provenance"] = "buyer_only"
    lifted["jury_status"] = "answered" if payload.get("panel_version") else "not_needed"
    lifted["sampling"] = None
    return lifted


def trust_score_updated_v1_to_v2(payload: Payload) -> Payload:
    """v2 adds confidence, tier, params_digest and each dimension's lower_bound; v1 never
    carried them, so they are null rather than invented."""
    lifted = {key: value for key, value in payload.items()}
    lifted["dimensions"] = {
        name: {**dim, "lower_bound": None} for name, dim in dict(payload.get("dimensions", {})).items()
    }
    lifted.update(confidence=None, tier=None, params_digest=None)
    return lifted


UPCASTERS: dict[tuple[str, int], Upcaster] = {
    ("AgentRegistered", 1): agent_registered_v1_to_v2,
    ("EscrowFunded", 1): escrow_funded_v1_to_v2,
    ("EscrowSettled", 1): escrow_settled_v1_to_v2,
    ("TaskCompleted", 1): task_completed_v1_to_v2,
    ("JuryDeliberated", 1): jury_deliberated_v1_to_v2,
    ("TrustScoreUpdated", 1): trust_score_updated_v1_to_v2,
    ("VerdictIssued", 1): verdict_issued_v1_to_v2,
}


def upcast(event_type: str, version: int, payload: Payload, target: int) -> Payload:
    """Apply registered upcasters from ``version`` up to ``target``."""
    while version < target:
        step = UPCASTERS.get((event_type, version))
        if step is None:
            raise LookupError(f"no upcaster for {event_type} v{version} -> v{version + 1}")
        payload = step(payload)
        version += 1
    return payload
