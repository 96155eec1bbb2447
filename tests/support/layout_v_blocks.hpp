// tests/support/layout_v_blocks.hpp - data for v-collectives with layout views (test_collectives,
// test_nonblocking_collectives): each rank owns 3 doubles, seen either as 3 plain doubles or as one item
// of a 3-double contiguous layout, with the counts and displacements of both views.
#pragma once

#include <mpixx/layout.hpp>

#include <cstddef>
#include <vector>

namespace mpixx_test {

struct layout_v_blocks {
    const mpixx::contiguous_layout<double> three{3};
    std::vector<int> ones, items, threes, elems; // per rank: 1 item at i, or 3 doubles at 3i
    std::vector<double> all, mine;               // every rank's block in rank order; this rank's

    layout_v_blocks(int p, int r)
        : ones(static_cast<std::size_t>(p), 1), items(static_cast<std::size_t>(p)),
          threes(static_cast<std::size_t>(p), 3), elems(static_cast<std::size_t>(p)),
          all(3 * static_cast<std::size_t>(p)), mine(3) {
        for (std::size_t i = 0; i < items.size(); ++i) {
            items[i] = static_cast<int>(i);
            elems[i] = 3 * static_cast<int>(i);
        }
        for (std::size_t i = 0; i < all.size(); ++i) all[i] = static_cast<double>(i);
        for (std::size_t j = 0; j < 3; ++j) mine[j] = 3.0 * r + static_cast<double>(j);
    }
};

} // namespace mpixx_test
