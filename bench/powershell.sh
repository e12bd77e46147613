#!/usr/bin/env bash
# The PowerShell module's speed against the CLI's, on the same images, as ratios (docs/performance.md, "PowerShell against the CLI").
#
#   bash bench/powershell.sh [ROUNDS]     # default 2 rounds, ~12 min on 2 cores (measured 11.5)
#
# Each round runs, back to back on the same images (64 real + 64 tconv crops, S=256):
#   residuals of the 128 images: `dif residuals` (reference), Get-DifResidual, Get-DifResidual with
#   DIF_MALLOC_TUNING=0 (Dif's malloc settings off);
#   a 3-epoch fit: `dif fit` (reference), New-DifFingerprint, New-DifFingerprint in a pwsh started with
#   GLIBC_TUNABLES=glibc.malloc.arena_max=1.
# Wall times include starting the process (about 1 s for dotnet, 2 s for pwsh). Prints a Markdown table of the
# median times, and each one's ratio to the CLI's in the same round (median over rounds).
set -euo pipefail
cd "$(dirname "$0")/.."
rounds=${1:-2}
bash scripts/setup.sh >&2
dif=src/Dif.Cli/bin/Release/net10.0/dif.dll
module="$PWD/out/module/Dif"
work="$PWD/out/bench/powershell"
rm -rf "$work" && mkdir -p "$work"
dotnet "$dif" make-dataset --out "$work/data" --train 64 --test 1 --conditions png --only tconv >&2
real="$work/data/png/train/real" fake="$work/data/png/train/fake/tconv"

# Seconds a command takes; a failing command ends the benchmark with its output.
seconds() {
  local t0 t1
  t0=$(date +%s.%N)
  "$@" >"$work/last.log" 2>&1 || { cat "$work/last.log" >&2; echo "[bench] failed: $*" >&2; exit 1; }
  t1=$(date +%s.%N)
  awk -v a="$t0" -v b="$t1" 'BEGIN {print b - a}'
}
pwsh_run() { dotnet pwsh -NoProfile -NonInteractive -Command "\$ErrorActionPreference = 'Stop'; Import-Module '$module'; $1"; }

residuals_cli() { dotnet "$dif" residuals --out "$work/residuals" "$real" "$fake"; }
residuals_ps() { pwsh_run "\$null = Get-ChildItem '$real','$fake' -File | Get-DifResidual"; }
fit_cli() { dotnet "$dif" fit --real "$real" --fake "$fake" --epochs 3 --out "$work/cli.dif.safetensors"; }
fit_ps() { pwsh_run "\$null = New-DifFingerprint -RealPath '$real' -FakePath '$fake' -Epochs 3 -OutFile '$work/ps.dif.safetensors' -Force"; }

names=("residuals: dif residuals (CLI)" "residuals: Get-DifResidual" "residuals: Get-DifResidual, DIF_MALLOC_TUNING=0"
       "fit: dif fit (CLI)" "fit: New-DifFingerprint" "fit: New-DifFingerprint, arena_max=1")
declare -A times
for ((r = 1; r <= rounds; r++)); do
  echo "[bench] round $r of $rounds" >&2
  times[0,$r]=$(seconds residuals_cli)
  times[1,$r]=$(seconds residuals_ps)
  times[2,$r]=$(DIF_MALLOC_TUNING=0 seconds residuals_ps)
  times[3,$r]=$(seconds fit_cli)
  times[4,$r]=$(seconds fit_ps)
  times[5,$r]=$(GLIBC_TUNABLES=glibc.malloc.arena_max=1 seconds fit_ps)
done

median() { printf '%s\n' "$@" | sort -g | awk '{a[NR] = $1} END {print (NR % 2) ? a[(NR + 1) / 2] : (a[NR / 2] + a[NR / 2 + 1]) / 2}'; }
echo "| measure ($rounds rounds, $(nproc) cores) | seconds (median; each round) | / CLI (median of per-round ratios) |"
echo "|---|---|---|"
for i in 0 1 2 3 4 5; do
  ref=$(( i < 3 ? 0 : 3 ))
  all=() ratios=()
  for ((r = 1; r <= rounds; r++)); do
    all+=("$(printf '%.1f' "${times[$i,$r]}")")
    ratios+=("$(awk -v a="${times[$i,$r]}" -v b="${times[$ref,$r]}" 'BEGIN {print a / b}')")
  done
  printf '| %s | %.1f (%s) | %.2f× |\n' "${names[$i]}" "$(median "${all[@]}")" "${all[*]}" "$(median "${ratios[@]}")"
done
