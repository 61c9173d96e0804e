"""Calling one judge through litellm, with the resilience the panel needs.

Per call: a deadline for the whole judgment (retries included), retries with exponential
backoff and full jitter on 429, 5xx and connection errors (tenacity), a circuit breaker per
provider (purgatory), a leaky-bucket rate per provider (aiolimiter) and a bound on calls in
flight. litellm's own retries are off so that there is exactly one retry policy. Failures
come back as a CallResult with a flag, never as an exception: a judge that fails is a
judgment without a vote.
"""

from __future__ import annotations

import asyncio
import logging
import os
import time
from collections.abc import Mapping, Sequence

from aiolimiter import AsyncLimiter
from purgatory import AsyncCircuitBreakerFactory
from purgatory.domain.model import OpenedState
from tenacity import AsyncRetrying, retry_if_exception, stop_after_attempt, wait_random_exponential

from pactline_events.jury_events import JudgmentFlag

from . import metrics
from .domain import CallResult
from .llm import litellm
from .panel import JudgeConfig, PanelPolicy

log = logging.getLogger(__name__)

SIMULATED_FINGERPRINT = "pactline-simulated-judge"
LOCAL_PLACEHOLDER_KEY = "no-key"  # OpenAI-compatible clients insist on a key; local servers ignore it

_TRANSIENT = (
    litellm.RateLimitError,
    litellm.Timeout,
    litellm.APIConnectionError,
    litellm.InternalServerError,
    litellm.ServiceUnavailableError,
    litellm.BadGatewayError,
)


class MissingJudgeKey(RuntimeError):
    def __init__(self, judge_id: str, variable: str) -> None:
        super().__init__(f"judge {judge_id}: the API key variable {variable} is not set")
        self.judge_id, self.variable = judge_id, variable


def check_keys(judges: Sequence[JudgeConfig]) -> None:
    for judge in judges:
        if judge.api_key_env and not os.environ.get(judge.api_key_env):
            raise MissingJudgeKey(judge.judge_id, judge.api_key_env)


def is_transient(exc: BaseException) -> bool:
    if isinstance(exc, _TRANSIENT):
        return True
    return isinstance(exc, litellm.APIError) and (getattr(exc, "status_code", 0) or 0) >= 500


def failure_flag(exc: BaseException) -> JudgmentFlag:
    if isinstance(exc, TimeoutError | litellm.Timeout):
        return JudgmentFlag.TIMEOUT
    if isinstance(exc, OpenedState):
        return JudgmentFlag.CIRCUIT_OPEN
    if isinstance(exc, litellm.RateLimitError):
        return JudgmentFlag.RATE_LIMITED
    return JudgmentFlag.PROVIDER_ERROR


class JudgeCaller:
    """Shared by every request a process judges: the breakers and limits are per process."""

    def __init__(self, policy: PanelPolicy) -> None:
        self.policy = policy
        self._in_flight = asyncio.Semaphore(policy.max_concurrent_calls)
        self._breakers = AsyncCircuitBreakerFactory(
            default_threshold=policy.breaker_threshold, default_ttl=policy.breaker_ttl_s
        )
        self._breakers.add_listener(self._breaker_changed)
        self._limiters: dict[str, AsyncLimiter] = {}

    @staticmethod
    def _breaker_changed(name: str, event_name: str, event: object) -> None:
        if event_name == "state_changed":
            state = getattr(event, "state", "")
            metrics.BREAKER_OPEN.labels(name).set(1 if state == "opened" else 0)
            log.warning("circuit breaker for provider %s is now %s", name, state)

    async def aclose(self) -> None:
        """Close the HTTP sessions litellm caches for the process (at shutdown)."""
        await litellm.close_litellm_async_clients()

    def _limiter(self, provider: str) -> AsyncLimiter:
        if provider not in self._limiters:
            self._limiters[provider] = AsyncLimiter(self.policy.calls_per_second, 1)
        return self._limiters[provider]

    async def call(self, judge: JudgeConfig, messages: Sequence[Mapping[str, str]]) -> CallResult:
        started = time.monotonic()
        deadline = started + judge.timeout_ms / 1000
        try:
            async with asyncio.timeout(judge.timeout_ms / 1000):
                content, prompt_tokens, completion_tokens, simulated = await self._with_retries(
                    judge, messages, deadline
                )
        except Exception as exc:  # every failure is a judgment without a vote, with its reason
            flag = failure_flag(exc)
            log.info("judge %s failed: %s (%s)", judge.judge_id, flag.value, type(exc).__name__)
            return CallResult(None, flag, _elapsed_ms(started))
        return CallResult(content, None, _elapsed_ms(started), prompt_tokens, completion_tokens, simulated)

    async def _with_retries(
        self, judge: JudgeConfig, messages: Sequence[Mapping[str, str]], deadline: float
    ) -> tuple[str | None, int, int, bool]:
        retrying = AsyncRetrying(
            stop=stop_after_attempt(self.policy.retry_attempts),
            wait=wait_random_exponential(
                multiplier=self.policy.retry_wait_ms / 1000, max=self.policy.retry_max_wait_ms / 1000
            ),
            retry=retry_if_exception(is_transient),
            reraise=True,
        )
        async for attempt in retrying:
            with attempt:
                return await self._attempt(judge, messages, deadline)
        raise AssertionError("unreachable: tenacity reraises the last error")

    async def _attempt(
        self, judge: JudgeConfig, messages: Sequence[Mapping[str, str]], deadline: float
    ) -> tuple[str | None, int, int, bool]:
        provider = judge.provider_key()
        breaker = await self._breakers.get_breaker(provider)
        await self._limiter(provider).acquire()
        async with self._in_flight, breaker:
            endpoint = judge.endpoint()
            api_key = os.environ.get(judge.api_key_env) if judge.api_key_env else None
            if api_key is None and endpoint is not None:
                api_key = LOCAL_PLACEHOLDER_KEY
            extra = {}
            if self._wants_json(judge):
                extra["response_format"] = {"type": "json_object"}
            response = await litellm.acompletion(
                model=judge.model,
                messages=list(messages),
                api_base=endpoint,
                api_key=api_key,
                timeout=max(0.05, deadline - time.monotonic()),
                max_retries=0,
                num_retries=0,
                temperature=0,
                max_tokens=judge.max_output_tokens,
                drop_params=True,
                **extra,
            )
        choice = response.choices[0]
        usage = getattr(response, "usage", None)
        simulated = getattr(response, "system_fingerprint", None) == SIMULATED_FINGERPRINT
        return (
            choice.message.content,
            int(getattr(usage, "prompt_tokens", 0) or 0),
            int(getattr(usage, "completion_tokens", 0) or 0),
            simulated,
        )

    @staticmethod
    def _wants_json(judge: JudgeConfig) -> bool:
        if judge.json_mode != "auto":
            return judge.json_mode == "on"
        try:
            provider = judge.model.split("/", 1)[0] if "/" in judge.model else None
            params = litellm.get_supported_openai_params(model=judge.model, custom_llm_provider=provider) or []
        except Exception:  # an unknown model: ask for plain text and rely on the strict parser
            return False
        return "response_format" in params


def _elapsed_ms(started: float) -> int:
    return int((time.monotonic() - started) * 1000)
