#!/usr/bin/env bash
# Prepares this machine for the benchmark (bench/run.sh), idempotently:
#   - the .NET side: native prerequisites and a Release build (scripts/setup.sh);
#   - the PyTorch side: Debian's python3-torch + python3-numpy for bench/torch_reference.py, run with
#     /usr/bin/python3 (a pyenv python3 earlier on PATH has no torch);
#   - GNU time (/usr/bin/time) for the peak RSS of the end-to-end child processes.
# Installing needs root (apt-get); without it, the script says what is missing and stops.
set -euo pipefail
cd "$(dirname "$0")/.."

PY=${DIF_BENCH_PYTHON:-/usr/bin/python3}

missing=()
"$PY" -c 'import torch, numpy' >/dev/null 2>&1 || missing+=(python3-torch python3-numpy)
[ -x /usr/bin/time ] || missing+=(time)

if [ ${#missing[@]} -gt 0 ]; then
  if [ "$(id -u)" = "0" ] && command -v apt-get >/dev/null; then
    echo "[bench] installing ${missing[*]} (apt) ..." >&2
    export DEBIAN_FRONTEND=noninteractive
    apt-get update -qq
    apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
  else
    echo "[bench] ERROR: missing ${missing[*]}; install them (Debian: apt-get install ${missing[*]}) and run again." >&2
    exit 1
  fi
fi
"$PY" -c 'import torch; print("[bench] PyTorch", torch.__version__, "at", torch.__file__)' >&2

bash scripts/setup.sh
