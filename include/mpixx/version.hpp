// mpixx/version.hpp - the library's own version.
#pragma once

#include <mpixx/config.hpp>

#define MPIXX_VERSION_MAJOR 0
#define MPIXX_VERSION_MINOR 1
#define MPIXX_VERSION_PATCH 0

namespace mpixx::inline MPIXX_ABI {
/// "0.1.0"
inline constexpr const char* version_string = "0.1.0";
} // namespace mpixx
