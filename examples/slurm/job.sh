#!/bin/bash
# examples/slurm/job.sh - the guide's "SLURM Job Script" for a compiled mpixx program: builds
# examples/monte_carlo_pi and runs it on every task of the allocation. Submit from anywhere with
#   MPIXX_SOURCE=/path/to/mpixx sbatch examples/slurm/job.sh
# and, to build against an installed mpixx (cmake --install) instead of the source tree, also set
# MPIXX_PREFIX=/path/to/install/prefix. The build goes to ./build in the submit directory.
#SBATCH --job-name=mpixx_monte_carlo
#SBATCH --time=01:00:00
#SBATCH --nodes=2
#SBATCH --ntasks-per-node=20
#SBATCH --account=your_account

# Load modules: a C++20 compiler, CMake and an MPI. Module names and versions differ per site
# (`module avail` lists yours); {fmt} must be found too (a module, or a CMake package in CMAKE_PREFIX_PATH).
module purge
module load gcc/12.2.0
module load cmake/3.25.2
module load openmpi/4.1.1

set -euo pipefail
src=${MPIXX_SOURCE:-$HOME/mpixx}

# Build the program (once per job; cheap when nothing changed)
if [[ -n ${MPIXX_PREFIX:-} ]]; then
    # Against an installed mpixx: a minimal project around the example, finding mpixx with CMake.
    mkdir -p build/app
    cat >build/app/CMakeLists.txt <<CMAKE
cmake_minimum_required(VERSION 3.21)
project(monte_carlo_pi LANGUAGES CXX)
find_package(mpixx CONFIG REQUIRED)
add_executable(monte_carlo_pi ${src}/examples/monte_carlo_pi.cpp)
target_link_libraries(monte_carlo_pi PRIVATE mpixx::mpixx)
CMAKE
    cmake -S build/app -B build/examples -DCMAKE_BUILD_TYPE=Release -DCMAKE_PREFIX_PATH="$MPIXX_PREFIX"
    cmake --build build/examples -j "${SLURM_CPUS_ON_NODE:-4}"
else
    # From the source tree: its examples only.
    cmake -S "$src" -B build -DCMAKE_BUILD_TYPE=Release \
        -DMPIXX_BUILD_TESTS=OFF -DMPIXX_BUILD_BENCHMARKS=OFF -DMPIXX_BUILD_EXAMPLES=ON
    cmake --build build -j "${SLURM_CPUS_ON_NODE:-4}" --target monte_carlo_pi
fi

# Run MPI program (srun starts one process per task: 2 nodes x 20 here)
srun ./build/examples/monte_carlo_pi
