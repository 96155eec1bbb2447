// mpixx/nonblocking.hpp - RAII requests and non-blocking point-to-point (isend, irecv, ...).
#pragma once

#include <mpixx/point_to_point.hpp>

namespace mpixx::detail {

/// Layer of the communicator: RAII requests and non-blocking point-to-point (isend, irecv, ...).
class nonblocking_layer : public p2p_layer {
protected:
    using p2p_layer::p2p_layer;
};

} // namespace mpixx::detail
