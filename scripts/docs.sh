#!/usr/bin/env bash
# scripts/docs.sh [build-dir] - builds the reference documentation (Doxygen HTML, <build-dir>/docs/html)
# with warnings as errors: every public name must be documented. Installs doxygen when missing (as root).
set -euo pipefail
root=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
build=${1:-build-docs}
if ! command -v doxygen >/dev/null 2>&1; then
  if [[ $(id -u) -ne 0 ]] || ! command -v apt-get >/dev/null 2>&1; then
    echo "scripts/docs.sh: doxygen is missing (apt-get install -y doxygen)" >&2
    exit 1
  fi
  apt-get update -qq
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq doxygen
fi
bash "$root/scripts/test.sh" --deps-only
cd "$root"
cmake -S . -B "$build" --log-level=WARNING -DMPIXX_BUILD_TESTS=OFF -DMPIXX_BUILD_EXAMPLES=OFF \
      -DMPIXX_BUILD_BENCHMARKS=OFF -DMPIXX_DOCS_WERROR=ON
rm -f "$build/docs/html/index.html" # always regenerate: the warnings are the point
if ! cmake --build "$build" --target docs; then
  echo "scripts/docs.sh: Doxygen warnings (see above; all in $build/docs/warnings.log)" >&2
  cat "$build/docs/warnings.log" >&2 || true
  exit 1
fi
echo "scripts/docs.sh: reference documentation in $build/docs/html/index.html"
