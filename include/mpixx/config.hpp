// mpixx/config.hpp - the build configuration, and the ABI namespace keyed by it.
//
// Macros that change what mpixx's inline functions do (MPIXX_TYPE_CHECK, MPIXX_OOB_THRESHOLD,
// MPIXX_COLLECTIVE_PROGRESS, MPIXX_CHECKED) are folded into the name of an inline namespace that holds the whole
// library (as {fmt} does with its version). Translation units built with different values therefore
// use different functions instead of one silently replacing the other at link time (an ODR violation):
// code that only uses mpixx inside each unit links and works; passing an mpixx type between units built
// differently fails to link. Streams stay compatible either way (each one says what it carries).
// Every public header includes this one first.
#pragma once

// Never the deprecated MPI C++ bindings (Open MPI's mpicxx would pull them in with <mpi.h>).
#ifndef OMPI_SKIP_MPICXX
#define OMPI_SKIP_MPICXX 1
#endif
#ifndef MPICH_SKIP_MPICXX
#define MPICH_SKIP_MPICXX 1
#endif
#include <mpi.h>

/// Type checking of serialized streams: 1 embeds the sender's type name and checks it on receipt.
/// Default: on unless NDEBUG is defined.
#ifndef MPIXX_TYPE_CHECK
#ifdef NDEBUG
#define MPIXX_TYPE_CHECK 0
#else
#define MPIXX_TYPE_CHECK 1
#endif
#endif

/// Serialized bulk runs of at least this many bytes travel out of band (an integer literal).
#ifndef MPIXX_OOB_THRESHOLD
#define MPIXX_OOB_THRESHOLD 8192
#endif

/// 1: blocking collectives drive probe-sized receives while they wait (the whole program must agree).
#ifndef MPIXX_COLLECTIVE_PROGRESS
#define MPIXX_COLLECTIVE_PROGRESS 0
#endif

/// Checked mode: 1 compares the counts of the v-collectives with what each peer really sends (two small
/// extra collectives each; every rank throws, naming both sides, on a mismatch). Default: on unless
/// NDEBUG is defined. Every rank of a program must agree (the extra collectives are collective).
#ifndef MPIXX_CHECKED
#ifdef NDEBUG
#define MPIXX_CHECKED 0
#else
#define MPIXX_CHECKED 1
#endif
#endif

/// Attributes of an error path (inside `[[...]]`): never inlined, optimised for size. The messages built
/// there would otherwise be expanded inline at -O2, in every unit, on paths a correct program never takes.
#if defined(__clang__)
#define MPIXX_COLD gnu::noinline, gnu::cold, clang::minsize
#else
#define MPIXX_COLD gnu::noinline, gnu::cold
#endif

#define MPIXX_ABI_NAME_(tc, oob, cp, ck) abi_0_1_tc##tc##_oob##oob##_cp##cp##_ck##ck
#define MPIXX_ABI_NAME(tc, oob, cp, ck) MPIXX_ABI_NAME_(tc, oob, cp, ck)
/// The inline namespace every mpixx entity lives in, e.g. mpixx::abi_0_1_tc0_oob8192_cp0_ck0.
#define MPIXX_ABI MPIXX_ABI_NAME(MPIXX_TYPE_CHECK, MPIXX_OOB_THRESHOLD, MPIXX_COLLECTIVE_PROGRESS, MPIXX_CHECKED)
