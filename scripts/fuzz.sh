#!/usr/bin/env bash
# scripts/fuzz.sh [build-dir] - fuzzes mpixx's decoder (fuzz/decode_fuzz.cpp) with libFuzzer, ASan and UBSan,
# then attacks the receive path over MPI (fuzz/receive_attack.cpp, ASan and UBSan, 2 ranks).
#
# Builds the targets into build-dir (default build-fuzz), runs the decoder fuzzer for
# ${MPIXX_FUZZ_SECONDS:-60} seconds on a copy of fuzz/corpus (the checked-in seeds stay untouched), then
# the receive-path attack for ${MPIXX_ATTACK_SECONDS:-60} seconds from fuzz/receive_corpus. Exits non-zero
# on any finding: crash, sanitizer report, uncaught or non-mpixx::error exception, leak (decoder), timeout
# or hang, an allocation above the limit, a message left on the wire, ranks out of step.
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
    # shellcheck disable=SC2086
    "$cxx" -std=c++20 -O1 -I"$root/include" $mpi_flags "$root/fuzz/receive_attack.cpp" -o "$gen/attack"
    rm -rf "$root/fuzz/receive_corpus"
    "$gen/attack" --write-seeds "$root/fuzz/receive_corpus"
    ls -l "$root/fuzz/receive_corpus"
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
echo "fuzz.sh: decoder: no findings"

attack_seconds="${MPIXX_ATTACK_SECONDS:-60}"
mpiexec="${MPIEXEC:-mpiexec}"
echo "fuzz.sh: building $build/receive_attack"
# shellcheck disable=SC2086
"$cxx" -std=c++20 -g -O1 -fsanitize=address,undefined -fno-sanitize-recover=undefined -fno-omit-frame-pointer \
    -I"$root/include" $mpi_flags "$root/fuzz/receive_attack.cpp" -o "$build/receive_attack"
echo "fuzz.sh: attacking the receive path for $attack_seconds s (2 ranks)"
# MPI's own allocations are not mpixx's: no leak check here (the decoder fuzzer checks leaks).
status=0
UBSAN_OPTIONS="print_stacktrace=1:halt_on_error=1" ASAN_OPTIONS="detect_leaks=0:allocator_may_return_null=0" \
    timeout $((attack_seconds + 120)) "$mpiexec" -n 2 "$build/receive_attack" --seconds "$attack_seconds" \
    --seed "${MPIXX_ATTACK_SEED:-$RANDOM}" "$root/fuzz/receive_corpus" || status=$?
if [[ $status -ne 0 ]]; then
    echo "fuzz.sh: receive-path attack FINDINGS (exit $status; rerun with the --seed printed above)" >&2
    exit 1
fi
echo "fuzz.sh: no findings"
