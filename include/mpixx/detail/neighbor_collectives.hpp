// mpixx/detail/neighbor_collectives.hpp - the base of the topology communicators (topology.hpp): their
// in/out degrees, and the neighbourhood collectives that every process topology offers.
#pragma once

#include <mpixx/config.hpp>

#include <mpixx/communicator.hpp>

#include <utility>

namespace mpixx::inline MPIXX_ABI::detail {

/// A communicator with a process topology: its neighbours (in and out degrees) and the neighbourhood
/// collectives over them.
class neighbor_layer : public communicator {
public:
    /// Number of processes this one receives from in a neighbourhood collective.
    [[nodiscard]] int in_degree() const noexcept { return indeg_; }
    /// Number of processes this one sends to in a neighbourhood collective.
    [[nodiscard]] int out_degree() const noexcept { return outdeg_; }

protected:
    neighbor_layer() = default;
    neighbor_layer(communicator c, int indeg, int outdeg) : communicator(std::move(c)), indeg_(indeg), outdeg_(outdeg) {}

    int indeg_ = 0;
    int outdeg_ = 0;
};

} // namespace mpixx::detail
