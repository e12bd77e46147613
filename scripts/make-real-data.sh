#!/usr/bin/env bash
# Builds, from scratch, the real-photo corpus and the third-party generator sets Dif's accuracy claims
# are measured on (docs/accuracy.md, "Real photos and real generators"). Data-making only: the library, CLI and
# module never need anything this fetches.
#
#   bash scripts/make-real-data.sh            # estimated 45 minutes on 2 idle cores, most of it esrgan-thick x2/x3
#
# 1. Downloads the wallpaper packages that hold the photographs listed in data/corpus/photos.tsv
#    (apt-get download: nothing is installed) and unpacks them with dpkg-deb -x into out/corpus-src/.
# 2. dif make-corpus: non-overlapping 256×256 crops at native resolution, each photo's licence from its
#    package's copyright file (out/corpus/licences.tsv), the evaluation's real images, and the generators'
#    low-resolution inputs with the bicubic-upscale control (out/corpus/sr/).
# 3. Installs the ESRGAN models from npm (@upscalerjs/esrgan-slim and -thick 1.0.0, TF.js 4.22 on its
#    WebAssembly backend) into out/esrgan-node/ and upscales every input by each model and factor.
# 4. dif jpeg-condition: the both-JPEG-q90 copy of the set (out/corpus/sr/jpeg90).
# Every step keeps what an earlier run wrote, so a rerun after an interruption resumes.
#
# Add no other package or model here without asking the team first: some are kept out of the project
# for independent checks.
set -euo pipefail
cd "$(dirname "$0")/.."

src=out/corpus-src
corpus=out/corpus
node_dir=out/esrgan-node
jobs=${DIF_JOBS:-$(nproc)}
models=(esrgan-slim esrgan-thick)
scales=(2 3 4 8)

[ -f src/Dif.Cli/bin/Release/net10.0/dif.dll ] || bash scripts/setup.sh
dif() { dotnet src/Dif.Cli/bin/Release/net10.0/dif.dll "$@"; }

echo "[data] 1/4 wallpaper packages ..." >&2
mkdir -p "$src/debs" "$src/packages"
# package=version pairs, from the manifest (the verdicts were made on these versions).
mapfile -t pinned < <(awk -F'\t' '!/^#/ && NR > 1 && $4 == "photo" && $1 != "package" {print $1 "=" $2}' data/corpus/photos.tsv | sort -u)
for spec in "${pinned[@]}"; do
  pkg=${spec%%=*}
  [ -d "$src/packages/$pkg/usr" ] && continue
  if ! (cd "$src/debs" && apt-get download "$spec" >/dev/null 2>&1); then
    # A fresh machine may have no package lists yet.
    if [ "$(id -u)" = "0" ]; then apt-get update -qq; fi
    (cd "$src/debs" && apt-get download "$spec") || {
      echo "[data] ERROR: apt-get download $spec failed. The manifest's verdicts were made on that version;" >&2
      echo "       on another release, download the package by hand into $src/debs and check data/corpus/photos.tsv." >&2
      exit 1; }
  fi
  deb=$(ls "$src/debs/${pkg}_"*.deb | head -1)
  mkdir -p "$src/packages/$pkg.tmp" && dpkg-deb -x "$deb" "$src/packages/$pkg.tmp" && mv "$src/packages/$pkg.tmp" "$src/packages/$pkg"
done

echo "[data] 2/4 crops, licences, low-resolution inputs and the bicubic control ..." >&2
dif make-corpus --packages "$src/packages" --out "$corpus"

echo "[data] 3/4 ESRGAN models from npm (into $node_dir) ..." >&2
if [ ! -d "$node_dir/node_modules/@upscalerjs/esrgan-thick" ]; then
  mkdir -p "$node_dir"
  cp scripts/esrgan/package.json scripts/esrgan/package-lock.json "$node_dir/"
  # The models declare an older tfjs peer; 4.22 runs them. No install scripts are needed.
  (cd "$node_dir" && npm ci --legacy-peer-deps --ignore-scripts --no-audit --no-fund >/dev/null)
fi
work=()
for model in "${models[@]}"; do
  for scale in "${scales[@]}"; do
    for split in train test; do
      work+=("$model $scale $split")
    done
  done
done
printf '%s\n' "${work[@]}" | NODE_PATH="$node_dir/node_modules" xargs -P "$jobs" -L 1 bash -c \
  'node scripts/esrgan/upscale.cjs --model "$0" --scale "$1" --in "'"$corpus"'/sr/lowres/x$1/$2" --out "'"$corpus"'/sr/png/$2/fake/$0-x$1"'

echo "[data] 4/4 the both-JPEG-q90 condition ..." >&2
dif jpeg-condition --from "$corpus/sr/png" --to "$corpus/sr/jpeg90" --quality 90

echo "[data] done: $corpus/sr/{png,jpeg90}/{train,test}/{real,fake/GENERATOR}, denoiser crops in $corpus/denoiser/" >&2
