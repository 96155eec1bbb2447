// tests/support/owning_view.hpp - a view that owns its elements (as std::ranges::owning_view does): a
// view, but not a borrowed range, so an operation must never borrow it past the call. Tests of the
// borrowing rules use it everywhere, and std::views::all(temporary) only where MPIXX_TEST_STD_VIEWS is 1:
// clang < 16 cannot compile libstdc++'s owning_view/ref_view (its view_interface).
#pragma once

#include <cstddef>
#include <ranges>
#include <utility>
#include <vector>

#if defined(__clang__) && __clang_major__ < 16 && defined(__GLIBCXX__)
#define MPIXX_TEST_STD_VIEWS 0
#else
#define MPIXX_TEST_STD_VIEWS 1
#endif

namespace mpixx_test {

/// A contiguous view of ints that owns its vector.
struct owning_vec : std::ranges::view_base {
    std::vector<int> v;
    owning_vec() = default;
    explicit owning_vec(std::vector<int> x) : v(std::move(x)) {}
    int* begin() { return v.data(); }
    int* end() { return v.data() + v.size(); }
    const int* begin() const { return v.data(); }
    const int* end() const { return v.data() + v.size(); }
    int* data() { return v.data(); }
    const int* data() const { return v.data(); }
    std::size_t size() const { return v.size(); }
};
static_assert(std::ranges::view<owning_vec> && !std::ranges::borrowed_range<owning_vec>);

} // namespace mpixx_test
