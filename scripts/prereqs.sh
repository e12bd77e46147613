#!/usr/bin/env bash
# Installs what TorchSharp's native layer needs on Linux, once, idempotently.
#
# TorchSharp 0.107 (libtorch 2.10) is built against GCC 13+, so its native libraries need a
# libstdc++ exporting GLIBCXX_3.4.32. Debian 12 ships GCC 12's. On Debian 12 we install
# Debian 13's libstdc++6 (which also brings Debian 13's libc6); elsewhere we only check.
set -euo pipefail

need_symbol="GLIBCXX_3.4.32"

find_libstdcxx() {
  local p
  for p in /usr/lib/x86_64-linux-gnu/libstdc++.so.6 /usr/lib64/libstdc++.so.6 /usr/lib/libstdc++.so.6 \
           /usr/lib/aarch64-linux-gnu/libstdc++.so.6; do
    [ -e "$p" ] && { echo "$p"; return 0; }
  done
  ldconfig -p 2>/dev/null | awk '/libstdc\+\+\.so\.6 /{print $NF; exit}'
}

has_symbol() {
  local lib; lib="$(find_libstdcxx)"
  [ -n "$lib" ] && grep -qa "$need_symbol" "$lib"
}

if [ "$(uname -s)" != "Linux" ]; then
  exit 0   # Windows and macOS builds of libtorch carry what they need.
fi

if has_symbol; then
  exit 0
fi

. /etc/os-release 2>/dev/null || true
if [ "${ID:-}" = "debian" ] && [ "${VERSION_CODENAME:-}" = "bookworm" ] && [ "$(id -u)" = "0" ]; then
  echo "[dif] libstdc++ lacks $need_symbol: installing Debian 13 (trixie) libstdc++6 ..." >&2
  cat > /etc/apt/sources.list.d/dif-trixie.sources <<'SRC'
Types: deb
URIs: http://deb.debian.org/debian
Suites: trixie
Components: main
Signed-By: /usr/share/keyrings/debian-archive-keyring.gpg
SRC
  # Low priority: only what we name explicitly comes from trixie.
  cat > /etc/apt/preferences.d/dif-trixie <<'PIN'
Package: *
Pin: release n=trixie
Pin-Priority: 100
PIN
  export DEBIAN_FRONTEND=noninteractive
  apt-get update -qq
  apt-get install -y -qq -t trixie libstdc++6 >/dev/null
  if has_symbol; then
    echo "[dif] libstdc++ now provides $need_symbol." >&2
    exit 0
  fi
fi

cat >&2 <<MSG
[dif] ERROR: this system's libstdc++ ($(find_libstdcxx)) lacks $need_symbol, which TorchSharp's
      native libraries (libtorch 2.10) require, and this script cannot install it here.
      Fix, then run the command again:
        - Debian 12 as non-root: run this script once with sudo: sudo bash scripts/prereqs.sh
        - Other distributions: install libstdc++ from GCC 13 or newer (Ubuntu 24.04+, Debian 13+,
          Fedora 39+ ship it), or put such a libstdc++.so.6 on LD_LIBRARY_PATH.
MSG
exit 1
