# Pactline: every entry point a developer or CI needs. `make help` lists them.
SHELL := /bin/bash
.DEFAULT_GOAL := help
UV := uv run --frozen

# Everything make starts is the developer's own local stack: tools, tests and benches talk to the
# local broker as its admin principal (credentials made by scripts/infra/kafka.sh) and sign what
# they write with the local event keys (.local/keys, made by `make keys`). Services get their own
# principal and key from scripts/services.sh.
export PACTLINE_ENVIRONMENT ?= local
export PACTLINE_EVENT_KEYS_DIR ?= $(CURDIR)/.local/keys
ifeq ($(PACTLINE_KAFKA_BOOTSTRAP),)
export PACTLINE_KAFKA_USERNAME ?= admin
export PACTLINE_KAFKA_PASSWORD ?= $(shell scripts/infra/kafka.sh credentials admin 2>/dev/null)
endif

.PHONY: help setup up down reset topics keys compose-secrets contracts services services-down status demo test test-fast lint schemas bench

help: ## List the targets
	@grep -E '^[a-z-]+:.*## ' $(MAKEFILE_LIST) | awk -F':.*## ' '{printf "  make %-14s %s\n", $$1, $$2}'

setup: ## Install uv, Python packages, npm toolchain, Kafka jars, PostgreSQL (idempotent)
	@scripts/setup.sh

up: setup ## Start Kafka, PostgreSQL and anvil (health-checked) and create the topics
	@scripts/infra/kafka.sh start
	@scripts/infra/postgres.sh start
	@scripts/infra/anvil.sh start
	@$(MAKE) --no-print-directory topics keys

topics: ## Create every catalog topic that is missing (explicit partitions, retention forever)
	@$(UV) python -m pactline_messaging.create_topics

keys: ## Make the local event signing keys (one per service, kept) and their trust store in .local/keys
	@$(UV) python -m pactline_messaging.local_keys "$(PACTLINE_EVENT_KEYS_DIR)"

compose-secrets: keys ## The files docker-compose.yml reads its secrets from (event keys, broker passwords)
	@for user in $$($(UV) python -m pactline_messaging.broker_acls principals); do scripts/infra/kafka.sh credentials $$user >/dev/null; done

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

reset: down ## Stop everything and delete the local stack's data (Kafka log, PostgreSQL, chain); jars, npm tools and keys stay
	@L="$${PACTLINE_LOCAL:-.local}"; rm -rf "$$L/kafka/data" "$$L/kafka/acls.stamp" "$$L/postgres/data" "$$L/anvil/state.json" "$$L/chain"
	@echo "local data deleted: the next 'make up' starts an empty stack"

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
	@$(UV) python bench/e2e_loop.py
	@$(UV) python bench/gas.py
	@$(UV) python bench/settlement_gas.py
	@$(UV) python bench/jury_panel.py
	@echo "make bench: done, results in .local/bench/. The product topics now hold the benchmarks' events: run 'make reset' before 'make test'."
