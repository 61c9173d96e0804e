"""The jury's read API: panel and aggregate statistics (no task's data, so no key is needed)."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Request

from . import store

router = APIRouter(prefix="/v1/jury", tags=["jury"])


@router.get("/stats", summary="Deliberations, outcomes, agreement, injection flags and cost so far")
async def stats(request: Request) -> dict[str, Any]:
    service = request.app.state.service
    jury = service.resources["jury"]
    async with service.pool.acquire() as conn:
        figures = await store.stats(conn)
    return {"panel_version": jury.panel.panel_version, "simulated": jury.panel.simulated, **figures}


@router.get("/panel", summary="The configured panel (models, families, prices; never keys)")
async def panel(request: Request) -> dict[str, Any]:
    jury = request.app.state.service.resources["jury"]
    async with request.app.state.service.pool.acquire() as conn:
        calibrations = {r["judge_id"]: r for r in await store.latest_calibrations(conn)}
    judges = []
    for j in jury.panel.judges:
        cal = calibrations.get(j.judge_id)
        judges.append(
            {
                "judge_id": j.judge_id,
                "model": j.model,
                "family": j.family.value,
                "timeout_ms": j.timeout_ms,
                "input_price": j.input_price,
                "output_price": j.output_price,
                "simulated": j.simulated,
                "kappa": cal["kappa"] if cal and cal["model"] == j.model else None,
                "benched": bool(cal and cal["model"] == j.model and cal["benched"]),
            }
        )
    return {
        "panel_version": jury.panel.panel_version,
        "simulated": jury.panel.simulated,
        "policy": jury.panel.policy.model_dump(mode="json"),
        "judges": judges,
    }
