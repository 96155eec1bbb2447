// tests/support/by_value_range.hpp - a range whose elements are temporaries, for the compile-time
// refusals of per-peer buffer ranges (alltoallw, neighbor_alltoallw).
#pragma once

#include <cstddef>
#include <vector>

// A sized forward range yielding containers BY VALUE (written by hand: clang 14 cannot compile
// libstdc++ 12's views::transform).
struct vectors_by_value_range {
    struct iterator {
        using value_type = std::vector<int>;
        using difference_type = std::ptrdiff_t;
        int i = 0;
        std::vector<int> operator*() const { return std::vector<int>(2, i); }
        iterator& operator++() { ++i; return *this; }
        iterator operator++(int) { auto t = *this; ++i; return t; }
        bool operator==(const iterator&) const = default;
    };
    iterator begin() const { return {0}; }
    iterator end() const { return {2}; }
    std::size_t size() const { return 2; }
};
