// mpixx/detail/std_light.hpp - the parts of <ranges>, <algorithm>, <functional> and <mutex> that the
// core uses: range concepts and access (ranges::data, size, ...), std::min/max, the standard
// function objects (std::plus, ...) and std::mutex/lock_guard/unique_lock.
//
// Why: in C++20 those umbrella headers also bring views, ranges algorithms, searchers, std::function
// and timed mutexes, 0.3 s of every translation unit with libstdc++, a third of what the whole typed
// core may cost. With libstdc++ the internal headers that define exactly these parts are included;
// they exist since GCC 10 (the first with C++20 ranges). Elsewhere, or with
// -DMPIXX_STANDARD_HEADERS=1, the standard headers are. The declarations are the same either way.
#pragma once

#if !defined(MPIXX_STANDARD_HEADERS)
#if defined(__GLIBCXX__) && __has_include(<bits/ranges_base.h>) && __has_include(<bits/stl_function.h>) && \
    __has_include(<bits/stl_algobase.h>) && __has_include(<bits/std_mutex.h>) && __has_include(<bits/unique_lock.h>)
#define MPIXX_STANDARD_HEADERS 0
#else
#define MPIXX_STANDARD_HEADERS 1
#endif
#endif

#if MPIXX_STANDARD_HEADERS
#include <algorithm>
#include <functional>
#include <mutex>
#include <ranges>
#else
#include <bits/ranges_base.h> // the range concepts, range_value_t, ranges::data/size/begin/end
#include <bits/stl_algobase.h> // std::min, std::max, std::fill
#include <bits/stl_function.h> // std::plus, std::multiplies, std::bit_and, ...
#include <bits/std_mutex.h>    // std::mutex, std::lock_guard, std::try_to_lock
#include <bits/unique_lock.h>  // std::unique_lock
#include <type_traits>         // std::invoke_result_t
#endif
