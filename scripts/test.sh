#!/usr/bin/env bash
# scripts/test.sh - THE test command (CI runs it, three times, from .ci/run).
#
# On a fresh Debian 12 machine, as root, it installs whatever build dependency is missing, then
# configures, builds everything (library tests, examples, benchmarks) and runs ctest.
#
# Environment (all optional):
#   MPIXX_BUILD_DIR   build directory, relative to the repository root (default: build)
#   MPIXX_BUILD_TYPE  CMAKE_BUILD_TYPE (default: RelWithDebInfo)
#   CXX               C++ compiler, e.g. clang++ (default: CMake's choice, g++ on Debian)
#   MPIXX_SANITIZE    sanitizers, e.g. address,undefined (default: none)
#   MPIXX_CTEST_ARGS  extra ctest arguments, e.g. "-LE large" or "-R test_datatype"
#   MPIXX_CMAKE_ARGS  extra CMake configure arguments
#   MPIXX_DEBUG_INFO  0: a RelWithDebInfo build without -g (-O2 -DNDEBUG; CI builds faster); default 1
#   MPIXX_NETWORK     1: MPICH's shared memory off (MPIR_CVAR_NOLOCAL=1), every message crosses the network
#                     module (the closest one machine gets to several nodes)
#   MPIXX_MPI         mpich (default) or openmpi: Open MPI is installed beside MPICH (Debian's mpicxx/mpiexec
#                     alternatives are pinned to MPICH first) and selected by explicit wrapper and launcher
#                     paths (/usr/bin/mpicxx.openmpi, /usr/bin/mpiexec.openmpi)
#
#   scripts/test.sh --deps-only   only installs the missing packages (scripts/run-examples.sh uses it)
set -euo pipefail

readonly packages=(build-essential cmake libmpich-dev mpich catch2 libfmt-dev clang libclang-rt-14-dev
                   pkg-config libcereal-dev python3)

say() { printf '\n== %s\n' "$*"; }

mpi=${MPIXX_MPI:-mpich}
case $mpi in
  mpich | openmpi) ;;
  *) echo "scripts/test.sh: MPIXX_MPI must be mpich or openmpi, not '$mpi'" >&2; exit 2 ;;
esac

# Installing Open MPI would move Debian's mpicc/mpicxx/mpiexec/mpi.h alternatives to it (priority 50 against
# MPICH's 40): pin them to MPICH first, so that only explicit paths ever select Open MPI.
pin_mpich_alternatives() {
  [[ -e /usr/bin/mpicc.mpich ]] || return 0
  update-alternatives --set mpi /usr/bin/mpicc.mpich >/dev/null
  update-alternatives --set mpirun /usr/bin/mpirun.mpich >/dev/null
  local arch
  arch=$(dpkg-architecture -qDEB_HOST_MULTIARCH 2>/dev/null || gcc -dumpmachine)
  [[ -e /usr/include/$arch/mpich ]] && update-alternatives --set "mpi-$arch" "/usr/include/$arch/mpich" >/dev/null
  return 0
}

install_deps() {
  if ! command -v dpkg >/dev/null 2>&1; then
    echo "scripts/test.sh: no dpkg (not Debian): assuming the dependencies are installed" >&2
    return 0
  fi
  local missing=() p
  for p in "${packages[@]}"; do
    dpkg -s "$p" 2>/dev/null | grep -q '^Status: install ok installed' || missing+=("$p")
  done
  ((${#missing[@]} == 0)) && return 0
  if [[ $(id -u) -ne 0 ]]; then
    echo "scripts/test.sh: missing packages: ${missing[*]}" >&2
    echo "scripts/test.sh: run as root, or install them first: sudo apt-get install -y ${missing[*]}" >&2
    exit 1
  fi
  say "installing missing packages: ${missing[*]}"
  apt-get update -qq
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "${missing[@]}"
}

install_openmpi() {
  dpkg -s libopenmpi-dev openmpi-bin 2>/dev/null | grep -c '^Status: install ok installed' | grep -q 2 && return 0
  if [[ $(id -u) -ne 0 ]]; then
    echo "scripts/test.sh: Open MPI is missing: sudo apt-get install -y libopenmpi-dev openmpi-bin" >&2
    exit 1
  fi
  pin_mpich_alternatives
  say "installing Open MPI beside MPICH (alternatives pinned to MPICH)"
  apt-get update -qq
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq libopenmpi-dev openmpi-bin
}

install_deps
[[ $mpi == openmpi ]] && install_openmpi
[[ ${1:-} == --deps-only ]] && exit 0
if (($# > 0)); then
  echo "usage: scripts/test.sh [--deps-only]   (configuration through MPIXX_* variables, see the header)" >&2
  exit 2
fi

root=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
cd "$root"
build=${MPIXX_BUILD_DIR:-build}
build_type=${MPIXX_BUILD_TYPE:-RelWithDebInfo}
sanitize=${MPIXX_SANITIZE:-}

# MPICH's transport (UCX) and topology library (hwloc) may warn about containers and oversubscribed
# cores; those warnings say nothing about mpixx and would bury the test output.
export UCX_LOG_LEVEL=${UCX_LOG_LEVEL:-error}
export HWLOC_HIDE_ERRORS=${HWLOC_HIDE_ERRORS:-2}

cmake_args=(-DCMAKE_BUILD_TYPE="$build_type" -DMPIXX_WERROR=ON -DMPIXX_SANITIZE="$sanitize"
            -DMPIXX_BUILD_TESTS=ON)
if [[ $build_type == RelWithDebInfo ]]; then
  if [[ ${MPIXX_DEBUG_INFO:-1} == 0 ]]; then debug_flag=; else debug_flag=" -g"; fi
  cmake_args+=("-DCMAKE_CXX_FLAGS_RELWITHDEBINFO=-O2$debug_flag -DNDEBUG")
fi
if [[ $mpi == openmpi ]]; then
  cmake_args+=(-DMPI_C_COMPILER=/usr/bin/mpicc.openmpi -DMPI_CXX_COMPILER=/usr/bin/mpicxx.openmpi
               -DMPIEXEC_EXECUTABLE=/usr/bin/mpiexec.openmpi)
  # Open MPI refuses to run as root and to place more ranks than cores unless told (CI runs as root on 2 cores).
  export OMPI_ALLOW_RUN_AS_ROOT=1 OMPI_ALLOW_RUN_AS_ROOT_CONFIRM=1 OMPI_MCA_rmaps_base_oversubscribe=1
fi
compiler_label=default
if [[ -n ${CXX:-} ]]; then
  cxx_path=$(command -v "$CXX") || { echo "scripts/test.sh: compiler '$CXX' (from CXX) not found" >&2; exit 1; }
  compiler_label="$CXX"
  cmake_args+=(-DCMAKE_CXX_COMPILER="$cxx_path")
  # A build directory configured with another compiler starts afresh (CMake ignores CXX after the first
  # configure and would keep the old one).
  if [[ -f $build/CMakeCache.txt ]]; then
    old=$(sed -n 's/^CMAKE_CXX_COMPILER:[A-Z]*=//p' "$build/CMakeCache.txt")
    if [[ -n $old && $(readlink -f "$old") != $(readlink -f "$cxx_path") ]]; then
      echo "note: $build was configured with $old; reconfiguring from scratch for $cxx_path"
      rm -rf "$build/CMakeCache.txt" "$build/CMakeFiles"
    fi
  fi
fi
# Examples and benchmarks are built whenever their directories exist (they are written separately).
for part in examples benchmarks; do
  flag=$(tr '[:lower:]' '[:upper:]' <<<"$part")
  if [[ -f $part/CMakeLists.txt ]]; then
    cmake_args+=("-DMPIXX_BUILD_${flag}=ON")
  else
    echo "note: $part/CMakeLists.txt does not exist yet: $part not built"
    cmake_args+=("-DMPIXX_BUILD_${flag}=OFF")
  fi
done
# Both hold several arguments: split on blanks (no globbing, so "-R test_*" reaches ctest intact).
read -ra extra_cmake <<<"${MPIXX_CMAKE_ARGS:-}"
read -ra extra_ctest <<<"${MPIXX_CTEST_ARGS:-}"

if [[ ${MPIXX_NETWORK:-0} == 1 ]]; then
  [[ $mpi == mpich ]] || { echo "scripts/test.sh: MPIXX_NETWORK=1 needs MPICH" >&2; exit 2; }
  export MPIR_CVAR_NOLOCAL=1
fi
config="build dir $build, $mpi${MPIR_CVAR_NOLOCAL:+ (network path)}, compiler $compiler_label, $build_type, sanitize ${sanitize:-none}"
[[ -n ${MPIXX_CTEST_ARGS:-} ]] && config+=", ctest args: $MPIXX_CTEST_ARGS"
start=$SECONDS
trap 'rc=$?; if ((rc != 0)); then printf "\n== scripts/test.sh: FAILED (%s) after %d s\n" "$config" $((SECONDS - start)) >&2; fi' EXIT

say "mpixx test: $config"
cmake -S . -B "$build" --log-level=WARNING "${cmake_args[@]}" "${extra_cmake[@]}"
compiler=$(sed -n 's/^CMAKE_CXX_COMPILER:[A-Z]*=//p' "$build/CMakeCache.txt")
echo "compiler: $compiler ($("$compiler" --version | head -n1))"
configured=$SECONDS

say "building ($build, -j$(nproc))"
cmake --build "$build" -j"$(nproc)"
built=$SECONDS

say "testing ($build)"
ctest --test-dir "$build" --output-on-failure -j2 "${extra_ctest[@]}"

say "scripts/test.sh: PASSED ($config) in $((SECONDS - start)) s" \
  "(configure $((configured - start)) s, build $((built - configured)) s, tests $((SECONDS - built)) s)"
