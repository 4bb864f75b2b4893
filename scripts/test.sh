#!/usr/bin/env bash
# Runs every test: installs what is needed, builds the i386 test programs,
# then `swift test` (unit tests and the differential integration tests).
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$root"

scripts/setup.sh
scripts/build-testdata.sh >/dev/null
# XCTest only: no Swift Testing suite here, and its "0 tests" summary would close the log.
swift test --disable-swift-testing "$@"
