// mpixx/collectives.hpp - blocking and non-blocking collectives with op functors.
#pragma once

#include <mpixx/nonblocking.hpp>

namespace mpixx::detail {

/// Layer of the communicator: blocking and non-blocking collectives with op functors.
class collective_layer : public nonblocking_layer {
protected:
    using nonblocking_layer::nonblocking_layer;
};

} // namespace mpixx::detail
