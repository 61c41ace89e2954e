#!/usr/bin/env bash
# Install the peers that benchmarks/eval_dev.py compares docparse with, into their own folder
# .venv/peers/ (never into the venv): pymupdf4llm run as its users run it, with pymupdf-layout.
# pymupdf-layout is licensed for non-commercial use only: it is a benchmark peer, never a
# docparse dependency. eval_dev.py runs it in a subprocess with this folder first on PYTHONPATH.
# (From pymupdf 2.0 on, the layout and 4llm code ship inside the pymupdf wheel and the
# pymupdf4llm / pymupdf-layout packages are shims; the folder gets its own pymupdf so the peer
# never depends on docparse's pins.) rapidfuzz (for ../shared/eval-dev/score.py) goes into the
# venv, pinned in constraints.txt (the `bench` extra).
set -euo pipefail
cd "$(dirname "$0")/.."
.venv/bin/python -m pip install -q --disable-pip-version-check -c constraints.txt rapidfuzz
rm -rf .venv/peers
.venv/bin/python -m pip install -q --disable-pip-version-check --no-deps --target .venv/peers \
    pymupdf==2.0 pymupdf4llm==2.0 pymupdf-layout==2.0 tabulate==0.10.0
