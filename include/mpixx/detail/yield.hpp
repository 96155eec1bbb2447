// mpixx/detail/yield.hpp - gives the core up to another thread or process: polling loops call it so that
// oversubscribed ranks are not starved. POSIX's sched_yield where it exists (what std::this_thread::yield
// calls there), without <thread>'s compile cost in every translation unit.
#pragma once

#include <mpixx/config.hpp>

#if __has_include(<sched.h>)
#include <sched.h>
#else
#include <thread>
#endif

namespace mpixx::inline MPIXX_ABI::detail {

/// Lets another thread or process run (sched_yield / std::this_thread::yield).
inline void yield_cpu() noexcept {
#if __has_include(<sched.h>)
    sched_yield();
#else
    std::this_thread::yield();
#endif
}

} // namespace mpixx::detail
