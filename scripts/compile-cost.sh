#!/usr/bin/env bash
# scripts/compile-cost.sh [header...] - what including each public mpixx header costs at compile time.
#
# For g++ and clang++ (whichever exist), the best of 3 `-fsyntax-only -std=c++20` runs of a file that
# includes one header, in seconds (each run is a round over all headers); <mpi.h> alone and
# <fmt/format.h> alone are printed for scale.
# Default: every header under include/mpixx/ (not detail/). MPI's include flags come from mpicxx -show.
# Environment: MPIXX_COST_RUNS (default 3), MPIXX_COST_COMPILERS (default "g++ clang++"),
# MPIXX_COST_MPL=DIR (a directory holding mpl/mpl.hpp: MPL's umbrella is timed in the same run and the
# last lines print core.hpp and mpixx.hpp as ratios of it, the targets being <= 0.5 and <= 0.8).
set -euo pipefail
root=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
runs=${MPIXX_COST_RUNS:-3}
read -ra compilers <<<"${MPIXX_COST_COMPILERS:-g++ clang++}"
mpl_dir=${MPIXX_COST_MPL:-}

headers=("$@")
if ((${#headers[@]} == 0)); then
  for h in "$root"/include/mpixx/*.hpp; do headers+=("mpixx/$(basename "$h")"); done
fi
# -I flags of the MPI that mpicxx wraps (MPICH or Open MPI).
read -ra mpi_flags <<<"$(mpicxx -show | tr ' ' '\n' | grep -E '^-I' | tr '\n' ' ')"

tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT

# time_once CXX HEADER: one compile of a unit that includes HEADER, in nanoseconds.
time_once() {
  local cxx=$1 header=$2 start
  printf '#include <%s>\n' "$header" >"$tmp/tu.cpp"
  start=$(date +%s%N)
  "$cxx" -std=c++20 -fsyntax-only -I"$root/include" ${mpl_dir:+-I"$mpl_dir"} "${mpi_flags[@]}" "$tmp/tu.cpp" || return 1
  echo $(($(date +%s%N) - start))
}

available=()
for cxx in "${compilers[@]}"; do command -v "$cxx" >/dev/null && available+=("$cxx"); done
scale=(mpi.h fmt/format.h)
[[ -n $mpl_dir ]] && scale+=(mpl/mpl.hpp)
all=("${scale[@]}" "${headers[@]}")
# Rounds over every header and compiler, keeping each one's shortest time: a busy spell on the machine
# then costs every header a round, instead of all the rounds of the headers timed during it.
declare -A best
for ((i = 0; i < runs; i++)); do
  for header in "${all[@]}"; do
    for cxx in "${available[@]}"; do
      t=$(time_once "$cxx" "$header") || exit 1
      if [[ -z ${best[$cxx,$header]:-} ]] || ((t < best[$cxx,$header])); then best[$cxx,$header]=$t; fi
    done
  done
done
printf '%-32s' "header (best of $runs, s)"
printf '%10s' "${available[@]}"
printf '\n'
declare -A cost
for header in "${all[@]}"; do
  printf '%-32s' "$header"
  for cxx in "${available[@]}"; do
    t=${best[$cxx,$header]}
    cost[$cxx,$header]=$(printf '%d.%02d' $((t / 1000000000)) $((t / 10000000 % 100)))
    printf '%10s' "${cost[$cxx,$header]}"
  done
  printf '\n'
done
# Ratios against MPL measured in this run (when MPL was given and both headers were timed).
if [[ -n $mpl_dir ]]; then
  for header in mpixx/core.hpp mpixx/mpixx.hpp; do
    [[ -n ${cost[${available[0]},$header]:-} ]] || continue
    target=0.8
    [[ $header == mpixx/core.hpp ]] && target=0.5
    printf '%-32s' "$header / mpl.hpp (<= $target)"
    for cxx in "${available[@]}"; do
      printf '%10s' "$(awk -v a="${cost[$cxx,$header]}" -v b="${cost[$cxx,mpl/mpl.hpp]}" 'BEGIN { printf "%.2f", a / b }')"
    done
    printf '\n'
  done
fi
