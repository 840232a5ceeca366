# The two commands of README.md.  Both set everything up first (quick when already done).
.PHONY: app test setup

setup:
	@bash scripts/setup.sh

app: setup
	.venv/bin/wenji

test: setup
	@bash scripts/test.sh
