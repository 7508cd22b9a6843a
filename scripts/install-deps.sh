#!/usr/bin/env bash
# Install every Debian package membench needs to build, test and run its demo.
# Idempotent: packages already present are left alone; safe to run again.
set -euo pipefail

packages=(
  build-essential cmake pkg-config
  clang llvm lld libclang-rt-14-dev
  libbpf-dev libelf-dev zlib1g-dev bpftool
  libevent-dev libmemcached-dev libzstd-dev zstd
  libssl-dev openssl sasl2-bin
  libcmocka-dev libxxhash-dev libjansson-dev
  memcached libmemcached-tools netcat-openbsd python3 python3-pymemcache
  iproute2 procps
  chromium python3-jsonschema
  curl python3-prometheus-client
  libopenmpi-dev openmpi-bin
)

missing=()
for p in "${packages[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done

if [ ${#missing[@]} -eq 0 ]; then
  echo "install-deps: all ${#packages[@]} packages already installed"
  exit 0
fi

if [ "$(id -u)" -ne 0 ]; then
  echo "install-deps: need root to install: ${missing[*]}" >&2
  echo "install-deps: run: sudo $0" >&2
  exit 1
fi

echo "install-deps: installing ${missing[*]}"
export DEBIAN_FRONTEND=noninteractive
apt-get update -qq
apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
echo "install-deps: done"
