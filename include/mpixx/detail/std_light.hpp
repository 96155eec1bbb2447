// mpixx/detail/std_light.hpp - the parts of <ranges>, <algorithm>, <functional>, <memory> and <mutex>
// that mpixx uses: range concepts and access (ranges::data, size, ...), std::min/max, std::addressof,
// the standard function objects (std::plus, ...), std::mutex/lock_guard; and detail::invoke (std::invoke
// without <functional>) and detail::mutex_lock (std::unique_lock without its timed locking, which needs
// <chrono>).
//
// Why: in C++20 those umbrella headers also bring views, ranges algorithms, searchers, std::function,
// timed mutexes and chrono's calendars and formatting (<sstream>): 0.3 s of every translation unit with
// libstdc++, a third of what the whole typed core may cost. With libstdc++ (GCC 10 and later: C++20
// ranges) the internal headers that define exactly these parts are included instead. Elsewhere, or with
// -DMPIXX_STANDARD_HEADERS=1, the standard headers are. The declarations are the same either way.
#pragma once

#include <mpixx/config.hpp>

#if !defined(MPIXX_STANDARD_HEADERS)
#if defined(__GLIBCXX__) && __has_include(<bits/ranges_base.h>) && __has_include(<bits/stl_function.h>) && \
    __has_include(<bits/stl_algobase.h>) && __has_include(<bits/std_mutex.h>) && __has_include(<bits/move.h>)
#define MPIXX_STANDARD_HEADERS 0
#else
#define MPIXX_STANDARD_HEADERS 1
#endif
#endif

#if MPIXX_STANDARD_HEADERS
#include <algorithm>
#include <functional>
#include <memory>
#include <mutex>
#include <ranges>
#else
#include <span>                // first: bits/ranges_base.h is not self-contained, <span> includes it
#include <bits/move.h>         // std::addressof
#include <bits/ranges_base.h>  // the range concepts, range_value_t, ranges::data/size/begin/end
#include <bits/stl_algobase.h> // std::min, std::max, std::fill
#include <bits/stl_function.h> // std::plus, std::multiplies, std::bit_and, ...
#include <bits/std_mutex.h>    // std::mutex, std::lock_guard, std::try_to_lock
#endif

#include <type_traits>
#include <utility>

namespace mpixx::inline MPIXX_ABI::detail {

/// A pointer to a member function or data member applied to an object, a reference or a pointer.
template <class M, class O, class... B>
constexpr decltype(auto) invoke_member(M m, O&& o, B&&... b) {
    auto&& obj = [&]() -> decltype(auto) {
        if constexpr (std::is_pointer_v<std::remove_cvref_t<O>>) return *o;
        else return std::forward<O>(o);
    }();
    if constexpr (std::is_member_function_pointer_v<M>)
        return (static_cast<decltype(obj)>(obj).*m)(std::forward<B>(b)...);
    else
        return (static_cast<decltype(obj)>(obj).*m);
}

/// std::invoke (which needs <functional>): a callable, or a pointer to a member function or data member.
template <class F, class... A>
constexpr decltype(auto) invoke(F&& f, A&&... a) {
    if constexpr (std::is_member_pointer_v<std::remove_cvref_t<F>>)
        return detail::invoke_member(f, std::forward<A>(a)...);
    else
        return std::forward<F>(f)(std::forward<A>(a)...);
}

/// std::unique_lock<std::mutex> without timed locking: holds `m` locked (or, with std::try_to_lock,
/// when it was free) until unlock() or destruction.
class mutex_lock {
public:
    explicit mutex_lock(std::mutex& m) : m_(&m) { m.lock(); owns_ = true; }
    mutex_lock(std::mutex& m, std::try_to_lock_t) noexcept : m_(&m), owns_(m.try_lock()) {}
    mutex_lock(const mutex_lock&) = delete;
    mutex_lock& operator=(const mutex_lock&) = delete;
    ~mutex_lock() {
        if (owns_) m_->unlock();
    }
    void lock() { m_->lock(); owns_ = true; }
    void unlock() noexcept { m_->unlock(); owns_ = false; }
    [[nodiscard]] bool owns_lock() const noexcept { return owns_; }
    explicit operator bool() const noexcept { return owns_; }

private:
    std::mutex* m_;
    bool owns_ = false;
};

} // namespace mpixx::detail
