// mpixx/detail/atomic.hpp - the atomics of the core (flags, counters, pointers and MPI handles) on the
// compiler's __atomic builtins (GCC, Clang and the compilers built on them), with std::atomic's names
// and meaning. Why: C++20's <atomic> brings atomic waits and with them <bits/chrono.h> and thread
// sleeping, 0.1 s of every translation unit that includes the core.
//
// The types do not depend on the build configuration (namespace atomic_v1, not the ABI namespace), so the
// process-wide hang watch state (hang_v1), shared by units built differently, may hold them.
#pragma once

#include <mpixx/config.hpp>

#include <type_traits>

namespace mpixx::atomic_v1 {

/// std::memory_order's orders, as the builtins number them.
enum class memory_order : int {
    relaxed = __ATOMIC_RELAXED,
    acquire = __ATOMIC_ACQUIRE,
    release = __ATOMIC_RELEASE,
    acq_rel = __ATOMIC_ACQ_REL,
    seq_cst = __ATOMIC_SEQ_CST,
};
inline constexpr memory_order memory_order_relaxed = memory_order::relaxed;
inline constexpr memory_order memory_order_acquire = memory_order::acquire;
inline constexpr memory_order memory_order_release = memory_order::release;
inline constexpr memory_order memory_order_acq_rel = memory_order::acq_rel;
inline constexpr memory_order memory_order_seq_cst = memory_order::seq_cst;

/// std::atomic<T> for a scalar T (integer, bool, enum, pointer, MPI handle) of 1, 2, 4 or 8 bytes.
template <class T>
    requires std::is_scalar_v<T> && (sizeof(T) == 1 || sizeof(T) == 2 || sizeof(T) == 4 || sizeof(T) == 8)
class atomic {
public:
    static constexpr bool is_always_lock_free = __atomic_always_lock_free(sizeof(T), 0);

    constexpr atomic() noexcept : v_{} {}
    constexpr atomic(T v) noexcept : v_(v) {}
    atomic(const atomic&) = delete;
    atomic& operator=(const atomic&) = delete;

    T load(memory_order o = memory_order::seq_cst) const noexcept {
        T r;
        __atomic_load(&v_, &r, int(o));
        return r;
    }
    void store(T v, memory_order o = memory_order::seq_cst) noexcept { __atomic_store(&v_, &v, int(o)); }
    T exchange(T v, memory_order o = memory_order::seq_cst) noexcept {
        T r;
        __atomic_exchange(&v_, &v, &r, int(o));
        return r;
    }
    bool compare_exchange_strong(T& expected, T desired, memory_order success, memory_order failure) noexcept {
        return __atomic_compare_exchange(&v_, &expected, &desired, false, int(success), int(failure));
    }
    bool compare_exchange_weak(T& expected, T desired, memory_order success, memory_order failure) noexcept {
        return __atomic_compare_exchange(&v_, &expected, &desired, true, int(success), int(failure));
    }
    /// One order for both outcomes; the failure order drops the release part, as std::atomic's does.
    bool compare_exchange_strong(T& expected, T desired, memory_order o = memory_order::seq_cst) noexcept {
        return compare_exchange_strong(expected, desired, o, failure_order(o));
    }
    bool compare_exchange_weak(T& expected, T desired, memory_order o = memory_order::seq_cst) noexcept {
        return compare_exchange_weak(expected, desired, o, failure_order(o));
    }
    T fetch_add(T v, memory_order o = memory_order::seq_cst) noexcept
        requires std::is_integral_v<T>
    {
        return __atomic_fetch_add(&v_, v, int(o));
    }
    T fetch_and(T v, memory_order o = memory_order::seq_cst) noexcept
        requires std::is_integral_v<T>
    {
        return __atomic_fetch_and(&v_, v, int(o));
    }

private:
    static constexpr memory_order failure_order(memory_order o) noexcept {
        if (o == memory_order::acq_rel) return memory_order::acquire;
        if (o == memory_order::release) return memory_order::relaxed;
        return o;
    }
    alignas(sizeof(T)) T v_; // naturally aligned, as the lock-free instructions need
};

/// std::atomic_thread_fence.
inline void atomic_thread_fence(memory_order o) noexcept { __atomic_thread_fence(int(o)); }

} // namespace mpixx::atomic_v1

namespace mpixx::inline MPIXX_ABI::detail {
using atomic_v1::atomic;
using atomic_v1::atomic_thread_fence;
using atomic_v1::memory_order;
using atomic_v1::memory_order_acq_rel;
using atomic_v1::memory_order_acquire;
using atomic_v1::memory_order_relaxed;
using atomic_v1::memory_order_release;
using atomic_v1::memory_order_seq_cst;
} // namespace mpixx::detail
