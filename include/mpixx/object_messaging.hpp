// mpixx/object_messaging.hpp - serialized messaging of any C++ object (the lowercase mpi4py API).
#pragma once

#include <mpixx/collectives.hpp>

namespace mpixx::detail {

/// Layer of the communicator: serialized messaging of any C++ object (the lowercase mpi4py API).
class object_layer : public collective_layer {
protected:
    using collective_layer::collective_layer;
};

} // namespace mpixx::detail
