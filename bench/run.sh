#!/usr/bin/env bash
# Dif's benchmark, one command:
#
#   bash bench/run.sh            # standard: 3 rounds vs PyTorch, `dif fit` on 256 images, scoring 400 images
#                                # (~10 min on 2 quiet cores; ~30 min on a busy machine)
#   bash bench/run.sh --quick    # smoke run: 1 short round, a 32-image 2-epoch fit, 40 scored images (~2-4 min)
#   bash bench/run.sh --full     # standard + `dif fit` on 1024 images (100 epochs) + scoring 2,000 images
#                                # (~30 min on 2 quiet cores: the 1024-image fit alone ~12 min)
#
# It installs what it needs (bench/setup.sh: Debian's python3-torch for the PyTorch reference, a Release build),
# then runs bench/Dif.Bench, which runs PyTorch's reference (torch_reference.py) and Dif's measures in the same
# process tree, back to back, with the same thread count, and prints a Markdown table (Dif, PyTorch, ratio, target,
# met?). It also writes out/bench/results.md and out/bench/results.json. Extra options go to Dif.Bench (see its usage:
# --rounds, --seconds, --threads, --fit-images, --score-count, --skip-e2e, --skip-score, --out).
# DIF_BENCH_THREADS sets the thread count of both sides (default: all cores).
set -euo pipefail
cd "$(dirname "$0")/.."

bash bench/setup.sh >&2   # keep stdout for the table

# The PyTorch reference: the project's shared copy when this checkout sits beside it, else the vendored one.
script=bench/torch_reference.py
if [ -f ../shared/bench/torch_reference.py ]; then
  script=../shared/bench/torch_reference.py
  cmp -s "$script" bench/torch_reference.py || echo "[bench] note: ../shared/bench/torch_reference.py differs from bench/torch_reference.py; using the shared one" >&2
fi

threads=${DIF_BENCH_THREADS:-$(nproc)}
export DOTNET_CLI_TELEMETRY_OPTOUT=1 DOTNET_NOLOGO=1
exec dotnet bench/Dif.Bench/bin/Release/net10.0/Dif.Bench.dll run --threads "$threads" \
  --python "${DIF_BENCH_PYTHON:-/usr/bin/python3}" --torch-script "$script" --command "bash bench/run.sh${*:+ $*}" "$@"
