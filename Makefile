# The helpdesk's two commands: `make run` and `make test`. `make help` lists the rest.
SHELL := /bin/bash
.DEFAULT_GOAL := help

# two environments (scripts/bootstrap.sh): Rasa and the actions in .venv (Python 3.10, Rasa's
# pins), the hub in .venv-hub (a current Python and current releases)
VENV     := .venv
PY       := $(VENV)/bin/python
RASA     := $(VENV)/bin/rasa
HUB_VENV := .venv-hub
HUB_PY   := $(HUB_VENV)/bin/python
export PYTHONPATH := $(CURDIR)
export TF_CPP_MIN_LOG_LEVEL := 2

.PHONY: help install faq spacy train run run-scaled test test-bot test-unit test-integration test-e2e test-browser \
        lint format validate bench bench-scaled bench-quality lock clean

help: ## list the targets
	@grep -hE '^[a-z-]+:.*## ' $(MAKEFILE_LIST) | awk -F':.*## ' '{printf "  make %-18s %s\n", $$1, $$2}'

install: ## create both Python environments (each cached by a hash of its requirements)
	@scripts/bootstrap.sh

faq: install ## render the FAQ answers (bot/data/faq/) from bot/faq/ and shop.yml
	@$(HUB_PY) scripts/build_faq.py

spacy: install ## build the project's spaCy pipeline (bot/nlp/build/spacy_en)
	@$(PY) -m bot.nlp.build_spacy

train: install faq ## train the Rasa model if config.yml, domain.yml or bot/data changed
	@$(PY) scripts/train.py

run: install ## install, train when stale, migrate, start hub + Rasa + actions (Ctrl-C stops)
	@$(HUB_PY) scripts/stack.py run

run-scaled: install ## two hubs, two Rasa and two action servers behind HAProxy, on PostgreSQL + Redis
	@$(HUB_PY) scripts/stack.py run-scaled

validate: install ## check the Rasa training data
	@mkdir -p var/log
	@$(RASA) data validate --config config.yml --domain domain.yml --data bot/data \
		> var/log/validate.log 2>&1 || (tail -n 40 var/log/validate.log; exit 1)
	@echo "rasa data validate: ok"

lint: install ## ruff, and the FAQ answers and off-topic data in sync with their sources
	@$(HUB_VENV)/bin/ruff check .
	@$(HUB_VENV)/bin/ruff format --check .
	@$(HUB_PY) scripts/build_faq.py --check
	@$(HUB_PY) scripts/build_oos.py --check

format: install ## format the code with ruff
	@$(HUB_VENV)/bin/ruff check --fix .
	@$(HUB_VENV)/bin/ruff format .

test: install ## lint, validate the training data, run every test, each in its environment
	@mkdir -p var/log
	@$(MAKE) --no-print-directory lint validate
	@$(PY) -m pytest tests/bot
	@$(HUB_PY) -m pytest tests/unit tests/integration tests/e2e tests/browser

test-bot: install ## the bot's unit tests (actions, NLU components, channel), in .venv
	@$(PY) -m pytest tests/bot

test-unit: install ## the hub's unit tests and the tooling's, in .venv-hub
	@$(HUB_PY) -m pytest tests/unit

test-integration: install ## hub API tests on SQLite and PostgreSQL
	@$(HUB_PY) -m pytest tests/integration

test-e2e: install ## end-to-end tests against the real Rasa server, action server and hub
	@$(HUB_PY) -m pytest tests/e2e

test-browser: install ## browser tests (Debian's chromium, Playwright)
	@$(HUB_PY) -m pytest tests/browser

bench: install ## the capacity benchmarks, one JSON line each (~15-20 min on 2 cores)
	@$(HUB_PY) bench/chat.py
	@$(HUB_PY) bench/claim.py
	@$(HUB_PY) bench/fanout.py
	@$(HUB_PY) bench/bench_reports.py --growth 1000,10000,100000 --csv-runs 0

bench-scaled: install ## bench/chat.py on the scaled topology (HAProxy, 2 hubs, 2 Rasa) and the sales-day load
	@$(HUB_PY) bench/chat.py --scaled 2
	@$(HUB_PY) bench/load.py

bench-quality: install ## NLU and help-centre quality (hours on 2 cores: BANKING77 trains 3 models)
	@$(PY) bench/oos.py
	@$(HUB_PY) bench/knowledge.py
	@$(HUB_PY) bench/bench_reports.py
	@$(PY) bench/nlu_banking77.py --epochs 10 --pipelines default,minilm,minilm_logreg

lock: ## recompile requirements.txt and requirements-hub.txt from their .in files
	@$(HUB_VENV)/bin/uv pip compile --python-version 3.10 requirements.in -o requirements.txt
	@$(HUB_VENV)/bin/uv pip compile --python-version 3.12 requirements-hub.in -o requirements-hub.txt

clean: ## remove var/ (database, logs) and trained models
	rm -rf var bot/models/*.tar.gz
