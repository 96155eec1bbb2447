#!/usr/bin/env bash
# Builds cross_types.cpp with g++ and with clang++ (through the MPI compiler wrapper, which both MPICH
# and Open MPI let one point at another compiler) and runs them as one job, the compilers alternating
# by rank, at each rank count given. Passes when every run prints PASS.
# Usage: check_cross.sh MPI_CXX_WRAPPER MPIEXEC INCLUDE_DIR SOURCE SCRATCH_DIR NP...
set -euo pipefail
wrapper=$1 mpiexec=$2 include=$3 source=$4 scratch=$5
shift 5
mkdir -p "$scratch"
for cxx in g++ clang++; do
    command -v "$cxx" >/dev/null || { echo "FAIL: $cxx not found"; exit 1; }
    # MPICH's wrapper reads MPICH_CXX, Open MPI's OMPI_CXX.
    MPICH_CXX=$cxx OMPI_CXX=$cxx "$wrapper" -std=c++20 -O1 -DMPIXX_TYPE_CHECK=1 "-DMPIXX_COMPILER_LABEL=\"$cxx\"" \
        -I"$include" "$source" -o "$scratch/cross_$cxx" &
done
wait -n && wait -n || { echo "FAIL: a build failed"; exit 1; }
for cxx in g++ clang++; do [[ -x $scratch/cross_$cxx ]] || { echo "FAIL: cross_$cxx not built"; exit 1; }; done
status=0
for np in "$@"; do
    args=()
    for ((i = 0; i < np; ++i)); do
        ((i > 0)) && args+=(:)
        if ((i % 2 == 0)); then args+=(-n 1 "$scratch/cross_g++"); else args+=(-n 1 "$scratch/cross_clang++"); fi
    done
    out=$("$mpiexec" "${args[@]}" 2>&1) || status=1
    echo "$out"
    grep -q "cross-compiler objects at $np ranks: PASS" <<<"$out" || status=1
done
((status == 0)) && echo "cross-compiler check: PASS"
exit $status
