#!/usr/bin/env bash
# tests/package/check_packaging.sh <mode> <source_dir> <work_dir>
#
# Proves one way for a downstream project to use mpixx, by building tests/package/consumer with it and
# running the program under mpiexec at 1 and 2 ranks (its output line is checked):
#   install       cmake --install into a fresh prefix, then find_package(mpixx 0.1 CONFIG REQUIRED)
#                 (9.9 must not be accepted); the consumer registers a test with the installed
#                 mpixx_add_mpi_test helper and runs ctest
#   subdirectory  add_subdirectory(<source_dir>)
#   fetchcontent  FetchContent_Declare(mpixx SOURCE_DIR <source_dir>) (no download)
#   mpicxx        mpicxx -std=c++20 -I<source_dir>/include main.cpp -lfmt
#   pkgconfig     cmake --install into a fresh prefix, then mpicxx $(pkg-config --cflags --libs mpixx)
#   deb           cpack -G DEB, the package unpacked into a scratch root (dpkg -x), then find_package and
#                 pkg-config consumers built from there
# Environment: MPIXX_PACKAGE_CXX (compiler for the consumer), MPIEXEC (default: mpiexec), MPIXX_MPICXX (the MPI
# compiler wrapper, default: mpicxx). The MPI is passed to every configure of mpixx and of the consumer, except
# the consumer of an installed package, which must find the MPI mpixx was installed with by itself.
# <work_dir> is wiped first.
set -euo pipefail

if (($# != 3)); then
  echo "usage: $0 <install|subdirectory|fetchcontent|mpicxx|pkgconfig|deb> <source_dir> <work_dir>" >&2
  exit 2
fi
mode=$1
src=$(cd "$2" && pwd)
work=$3
consumer=$src/tests/package/consumer
mpiexec=${MPIEXEC:-mpiexec}
mpicxx=${MPIXX_MPICXX:-mpicxx}
cxx=${MPIXX_PACKAGE_CXX:-}

rm -rf "$work"
mkdir -p "$work"
work=$(cd "$work" && pwd)
start=$SECONDS
step() { printf -- '-- [%3d s] %s\n' $((SECONDS - start)) "$*"; }
fail() {
  echo "check_packaging $mode: FAIL: $*" >&2
  exit 1
}

compiler_args=()
[[ -n $cxx ]] && compiler_args=(-DCMAKE_CXX_COMPILER="$cxx")
mpi_args=(-DMPI_CXX_COMPILER="$(command -v "$mpicxx")" -DMPIEXEC_EXECUTABLE="$(command -v "$mpiexec")")
# mpicxx compiles with the same compiler as the rest of the build (MPICH and Open MPI variables).
if [[ -n $cxx ]]; then export MPICH_CXX=$cxx OMPI_CXX=$cxx; fi

# Runs the consumer at 1 and 2 ranks and checks its report line.
run_consumer() {
  local exe=$1 n out
  for n in 1 2; do
    step "mpiexec -n $n $exe"
    out=$(timeout 60 "$mpiexec" -n "$n" "$exe" 2>&1) || fail "the consumer failed at $n rank(s): $out"
    echo "$out"
    grep -Eq "^mpixx consumer [0-9]+\.[0-9]+\.[0-9]+: $n rank\(s\), ring ok" <<<"$out" ||
      fail "unexpected output at $n rank(s)"
  done
}

# Installs mpixx from a configure of its own (tests, examples and benchmarks off) into $work/prefix.
install_mpixx() {
  step "configure mpixx for installation"
  cmake -S "$src" -B "$work/mpixx-build" --log-level=WARNING -DCMAKE_INSTALL_PREFIX="$work/prefix" \
    -DMPIXX_BUILD_TESTS=OFF -DMPIXX_BUILD_EXAMPLES=OFF -DMPIXX_BUILD_BENCHMARKS=OFF "${compiler_args[@]}" "${mpi_args[@]}" \
    >"$work/mpixx-configure.log" 2>&1 || { cat "$work/mpixx-configure.log"; fail "mpixx did not configure"; }
  step "cmake --install into $work/prefix"
  cmake --install "$work/mpixx-build" >/dev/null
  [[ -f $work/prefix/include/mpixx/mpixx.hpp ]] || fail "the headers were not installed"
}

# Configures, builds and runs the CMake consumer, then its own ctest (mpixx_add_mpi_test entries).
cmake_consumer() {
  step "configure the consumer (MPIXX_CONSUMER_MODE=$1)"
  cmake -S "$consumer" -B "$work/consumer-build" "${compiler_args[@]}" -DMPIXX_CONSUMER_MODE="$1" "${@:2}" \
    >"$work/consumer-configure.log" 2>&1 || { cat "$work/consumer-configure.log"; fail "the consumer did not configure"; }
  grep -E '^-- consumer:' "$work/consumer-configure.log" || true
  # The consumer's launcher must be ours (an installed package brings the one it was built with).
  local launcher
  launcher=$(sed -n 's/^MPIEXEC_EXECUTABLE:[A-Z]*=//p' "$work/consumer-build/CMakeCache.txt")
  [[ $(readlink -f "$launcher") == $(readlink -f "$(command -v "$mpiexec")") ]] ||
    fail "the consumer found the launcher '$launcher', not '$mpiexec'"
  step "build the consumer"
  cmake --build "$work/consumer-build" >"$work/consumer-build.log" 2>&1 ||
    { cat "$work/consumer-build.log"; fail "the consumer did not build"; }
  run_consumer "$work/consumer-build/consumer"
  step "ctest in the consumer (tests registered with mpixx_add_mpi_test)"
  ctest --test-dir "$work/consumer-build" --output-on-failure || fail "the consumer's ctest failed"
  local listed
  listed=$(ctest --test-dir "$work/consumer-build" -N | grep -cE 'consumer\.np[12]$' || true)
  [[ $listed == 2 ]] || fail "expected consumer.np1 and consumer.np2 in the consumer's ctest, found $listed"
}

case $mode in
  install)
    install_mpixx
    cmake_consumer package -DCMAKE_PREFIX_PATH="$work/prefix"
    # The version check, on its own: 9.9 must not be satisfied by this release.
    step "find_package(mpixx 9.9 CONFIG) must fail"
    mkdir -p "$work/too-new"
    cat >"$work/too-new/CMakeLists.txt" <<'EOF'
cmake_minimum_required(VERSION 3.21)
project(too_new LANGUAGES CXX)
find_package(mpixx 9.9 CONFIG)
if(mpixx_FOUND)
  message(FATAL_ERROR "find_package(mpixx 9.9) accepted mpixx ${mpixx_VERSION}")
endif()
find_package(mpixx 0.1 CONFIG REQUIRED)
EOF
    cmake -S "$work/too-new" -B "$work/too-new/build" --log-level=ERROR -DCMAKE_PREFIX_PATH="$work/prefix" \
      "${compiler_args[@]}" >"$work/too-new.log" 2>&1 || { cat "$work/too-new.log"; fail "version check"; }
    grep -q 'version: 0\.1\.0' "$work/too-new.log" ||
      { cat "$work/too-new.log"; fail "find_package(mpixx 9.9) did not report the unsuitable 0.1.0"; }
    ;;
  subdirectory)
    cmake_consumer subdirectory -DMPIXX_SOURCE_DIR="$src" "${mpi_args[@]}"
    ;;
  fetchcontent)
    # Fully disconnected: FetchContent must use the source tree and never try to download.
    cmake_consumer fetchcontent -DMPIXX_SOURCE_DIR="$src" -DFETCHCONTENT_FULLY_DISCONNECTED=ON "${mpi_args[@]}"
    ;;
  mpicxx)
    step "$mpicxx -std=c++20 -I$src/include main.cpp -lfmt"
    "$mpicxx" -std=c++20 -Wall -Wextra -Werror -I"$src/include" "$consumer/main.cpp" -lfmt -o "$work/consumer" ||
      fail "the plain mpicxx compile failed"
    run_consumer "$work/consumer"
    ;;
  pkgconfig)
    install_mpixx
    export PKG_CONFIG_PATH=$work/prefix/share/pkgconfig${PKG_CONFIG_PATH:+:$PKG_CONFIG_PATH}
    step "pkg-config --cflags mpixx"
    version=$(pkg-config --modversion mpixx) || fail "pkg-config does not find mpixx.pc in $PKG_CONFIG_PATH"
    cflags=$(pkg-config --cflags mpixx)
    libs=$(pkg-config --libs mpixx)
    echo "mpixx $version: cflags '$cflags', libs '$libs'"
    [[ $(readlink -f "$(pkg-config --variable=includedir mpixx)") == "$work/prefix/include" ]] ||
      fail "--cflags does not point into the installed prefix"
    step "mpicxx -std=c++20 \$(pkg-config --cflags mpixx) main.cpp \$(pkg-config --libs mpixx)"
    # shellcheck disable=SC2086 # the flags are several words
    "$mpicxx" -std=c++20 -Wall -Wextra -Werror $cflags "$consumer/main.cpp" $libs -o "$work/consumer" ||
      fail "the pkg-config compile failed"
    run_consumer "$work/consumer"
    ;;
  deb)
    install_mpixx
    step "cpack -G DEB"
    (cd "$work/mpixx-build" && cpack -G DEB >"$work/cpack.log" 2>&1) || { cat "$work/cpack.log"; fail "cpack failed"; }
    deb=$(ls "$work"/mpixx-build/libmpixx-dev_*_all.deb 2>/dev/null | head -n 1)
    [[ -f $deb ]] || { cat "$work/cpack.log"; fail "no libmpixx-dev_*_all.deb was written"; }
    dpkg-deb -f "$deb" Package Version Architecture Depends
    [[ $(dpkg-deb -f "$deb" Package) == libmpixx-dev ]] || fail "the package is not named libmpixx-dev"
    [[ $(dpkg-deb -f "$deb" Depends) == *libfmt-dev* && $(dpkg-deb -f "$deb" Depends) == *mpi-default-dev* ]] ||
      fail "the package does not depend on libfmt-dev and an MPI"
    step "dpkg -x into a scratch root"
    dpkg -x "$deb" "$work/root"
    [[ -f $work/root/usr/include/mpixx/mpixx.hpp && -f $work/root/usr/share/cmake/mpixx/mpixxConfig.cmake &&
       -f $work/root/usr/share/pkgconfig/mpixx.pc ]] || fail "the package lacks headers, CMake package or mpixx.pc"
    cmake_consumer package -DCMAKE_PREFIX_PATH="$work/root/usr"
    step "pkg-config from the unpacked package"
    cflags=$(PKG_CONFIG_PATH=$work/root/usr/share/pkgconfig pkg-config --cflags mpixx)
    [[ $(readlink -f "$(PKG_CONFIG_PATH=$work/root/usr/share/pkgconfig pkg-config --variable=includedir mpixx)") == \
       "$work/root/usr/include" ]] || fail "mpixx.pc does not point into the unpacked root: $cflags"
    # shellcheck disable=SC2086 # the flags are several words
    "$mpicxx" -std=c++20 -Wall -Wextra -Werror $cflags "$consumer/main.cpp" -lfmt -o "$work/consumer" ||
      fail "the pkg-config compile from the package failed"
    run_consumer "$work/consumer"
    ;;
  *)
    fail "unknown mode (install, subdirectory, fetchcontent, mpicxx, pkgconfig or deb)"
    ;;
esac
echo "check_packaging $mode: PASS in $((SECONDS - start)) s"
