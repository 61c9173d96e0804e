# Pactline: every entry point a developer or CI needs. `make help` lists them.
SHELL := /bin/bash
.DEFAULT_GOAL := help
UV := uv run --frozen

.PHONY: help setup up down topics contracts services services-down status demo test test-fast lint schemas bench

help: ## List the targets
	@grep -E '^[a-z-]+:.*## ' $(MAKEFILE_LIST) | awk -F':.*## ' '{printf "  make %-14s %s\n", $$1, $$2}'

setup: ## Install uv, Python packages, npm toolchain, Kafka jars, PostgreSQL (idempotent)
	@scripts/setup.sh

up: setup ## Start Kafka, PostgreSQL and anvil (health-checked) and create the topics
	@scripts/infra/kafka.sh start
	@scripts/infra/postgres.sh start
	@scripts/infra/anvil.sh start
	@$(MAKE) --no-print-directory topics

topics: ## Create every catalog topic that is missing (explicit partitions, retention forever)
	@$(UV) python -m pactline_messaging.create_topics

contracts: up ## Deploy the escrow contracts and mock USDC on the local anvil (kept if already there)
	@$(UV) python scripts/local_contracts.py

services: up ## Start the six services and the SIMULATED agents in the background, wait until each is ready
	@scripts/services.sh start

services-down: ## Stop the services and the simulated agents
	@scripts/services.sh stop

status: ## Show whether each service answers /ready
	@scripts/services.sh status

down: ## Stop services, anvil, PostgreSQL and Kafka (by PID); data stays under .local/
	@scripts/services.sh stop
	@scripts/infra/anvil.sh stop
	@scripts/infra/postgres.sh stop
	@scripts/infra/kafka.sh stop

demo: services contracts ## Bring everything up, deploy the contracts, show the services ready
	@$(UV) python scripts/demo.py

lint: setup ## ruff over the whole workspace
	@$(UV) ruff check .

test: up ## The whole suite: lint, unit, handler and end-to-end tests against the real infra
	@$(UV) ruff check .
	@$(UV) pytest

test-fast: setup ## Only tests that need no infrastructure
	@$(UV) pytest -m "not infra"

schemas: setup ## Regenerate the checked-in event JSON Schemas and AsyncAPI document
	@$(UV) python -m pactline_events.schemas

bench: up ## Benchmarks: the raw Kafka baseline first, then figures as ratios to it, then gas
	@$(UV) python bench/kafka_baseline.py
	@$(UV) python bench/messaging_pipeline.py
	@$(UV) python bench/harness.py
	@$(UV) python bench/evaluator_verdicts.py
	@$(UV) python bench/scoring_rebuild.py
	@$(UV) python bench/gateway_overhead.py
	@$(UV) python bench/gas.py
	@$(UV) python bench/settlement_gas.py
	@$(UV) python bench/jury_panel.py
