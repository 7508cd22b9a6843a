#!/usr/bin/env bash
# The test command (README, and what .ci/run calls): installs the Debian packages, builds with
# AddressSanitizer + UndefinedBehaviorSanitizer, -Werror and MPI (distributed replay) into
# build-test/, and runs the whole ctest suite. Tests that need root or BPF are reported as skipped when not run as root.
# Usage: scripts/test.sh [extra ctest args, e.g. -L unit]
set -euo pipefail
cd "$(dirname "$0")/.."

./scripts/install-deps.sh

build=${MB_TEST_BUILD_DIR:-build-test}
cmake -S . -B "$build" -DCMAKE_BUILD_TYPE=RelWithDebInfo \
  -DMEMBENCH_SANITIZE=ON -DMEMBENCH_WERROR=ON -DMEMBENCH_MPI=ON >/dev/null
cmake --build "$build" -j"$(nproc)"

# Sanitizer settings: fail on the first error; leak checks on.
export ASAN_OPTIONS=${ASAN_OPTIONS:-abort_on_error=1:detect_leaks=1}
export UBSAN_OPTIONS=${UBSAN_OPTIONS:-print_stacktrace=1:halt_on_error=1}
cd "$build"
ctest --output-on-failure --timeout 900 "$@"
