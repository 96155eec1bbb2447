// mpixx/version.hpp - the library's own version.
#pragma once

#define MPIXX_VERSION_MAJOR 0
#define MPIXX_VERSION_MINOR 1
#define MPIXX_VERSION_PATCH 0

namespace mpixx {
/// "0.1.0"
inline constexpr const char* version_string = "0.1.0";
} // namespace mpixx
