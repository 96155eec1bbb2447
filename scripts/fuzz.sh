#!/usr/bin/env bash
# scripts/fuzz.sh [build-dir] - fuzzes mpixx's decoder (fuzz/decode_fuzz.cpp) with libFuzzer, ASan and UBSan.
#
# Builds the target into build-dir (default build-fuzz), then runs it for ${MPIXX_FUZZ_SECONDS:-60} seconds
# on a copy of fuzz/corpus (the checked-in seeds stay untouched). Exits non-zero on any finding: crash,
# sanitizer report, uncaught exception, leak, timeout or an allocation above the malloc limit.
# Regenerate the seeds with: scripts/fuzz.sh --seeds
set -euo pipefail

root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cxx="${MPIXX_FUZZ_CXX:-clang++}"

# MPI include/library flags, from whichever wrapper is installed (MPICH: -show, Open MPI: --showme).
mpi_flags=""
if command -v mpicxx >/dev/null 2>&1; then
    show="$(mpicxx -show 2>/dev/null || mpicxx --showme 2>/dev/null || true)"
    for word in ${show#* }; do
        case "$word" in -I* | -L* | -l*) mpi_flags="$mpi_flags $word" ;; esac
    done
fi

if [[ "${1:-}" == "--seeds" ]]; then
    gen="$(mktemp -d)"
    trap 'rm -rf "$gen"' EXIT
    # shellcheck disable=SC2086
    "$cxx" -std=c++20 -O1 -DMPIXX_FUZZ_SEED_GENERATOR -I"$root/include" $mpi_flags \
        "$root/fuzz/decode_fuzz.cpp" -o "$gen/seedgen"
    rm -rf "$root/fuzz/corpus"
    mkdir -p "$root/fuzz/corpus"
    "$gen/seedgen" "$root/fuzz/corpus"
    ls -l "$root/fuzz/corpus"
    exit 0
fi

build="${1:-build-fuzz}"
seconds="${MPIXX_FUZZ_SECONDS:-60}"
mkdir -p "$build"
build="$(cd "$build" && pwd)"

echo "fuzz.sh: building $build/decode_fuzz"
# shellcheck disable=SC2086
"$cxx" -std=c++20 -g -O1 -fsanitize=fuzzer,address,undefined -fno-sanitize-recover=undefined \
    -fno-omit-frame-pointer -I"$root/include" $mpi_flags \
    "$root/fuzz/decode_fuzz.cpp" -o "$build/decode_fuzz"

work="$build/corpus"
artifacts="$build/artifacts"
rm -rf "$work" "$artifacts"
mkdir -p "$work" "$artifacts"
cp "$root"/fuzz/corpus/* "$work"/

echo "fuzz.sh: fuzzing for $seconds s"
status=0
UBSAN_OPTIONS="print_stacktrace=1:halt_on_error=1" ASAN_OPTIONS="detect_leaks=1:allocator_may_return_null=0" \
    "$build/decode_fuzz" -max_total_time="$seconds" -max_len=4096 -timeout=10 -rss_limit_mb=2048 \
    -malloc_limit_mb=256 -print_final_stats=1 -artifact_prefix="$artifacts/" "$work" || status=$?

if [[ $status -ne 0 ]] || compgen -G "$artifacts/*" >/dev/null; then
    echo "fuzz.sh: FINDINGS (exit $status); reproducers in $artifacts:" >&2
    ls -l "$artifacts" >&2 || true
    exit 1
fi
echo "fuzz.sh: no findings"
