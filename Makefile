# Two-command quick start: `make run` and `make test` (see README).
SHELL := /bin/bash
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
APT_PACKAGES := python3-venv python3-bpfcc bpfcc-tools linux-headers-amd64 tmux strace htop lsof

.PHONY: run test system-deps venv screenshots bench clean

# System packages the tool and the tests use (root only; a non-root user is told what to install).
system-deps:
	@missing=$$(for p in $(APT_PACKAGES); do dpkg-query -W -f='$${Status}\n' $$p 2>/dev/null | grep -q 'ok installed' || echo $$p; done); \
	if [ -n "$$missing" ]; then \
	  if [ "$$(id -u)" = 0 ]; then \
	    echo "installing: $$missing"; apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq $$missing >/dev/null; \
	  else echo "syswatch needs: sudo apt-get install -y $$missing"; fi; \
	fi
	@bash .ci/kernel-headers

$(BIN)/.installed: pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install -q --upgrade pip
	$(BIN)/pip install -q -e '.[test]'
	touch $@

venv: $(BIN)/.installed

run: system-deps venv
	$(BIN)/syswatch

test: system-deps venv
	$(BIN)/python -m pytest -q -rs

screenshots: venv
	$(BIN)/python -m syswatch.tui.screenshots screenshots

# Benchmarks are run by hand (root, minutes each); each prints figures beside its peer.
bench: venv
	for script in bench/*.py; do echo "== $$script"; $(BIN)/python $$script || exit 1; done

clean:
	rm -rf $(VENV) build *.egg-info
