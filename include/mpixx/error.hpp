// mpixx/error.hpp - the one exception type, and the zero-cost check of MPI return codes.
#pragma once

#include <mpixx/config.hpp>

#include <cstddef>
#include <stdexcept>
#include <string>
#include <string_view>

namespace mpixx::inline MPIXX_ABI {

/// Thrown for every failed MPI call and every misuse mpixx detects.
class error : public std::runtime_error {
public:
    /// An error from `routine` with MPI error class `error_class` and the text `message`.
    error(std::string_view routine, int error_class, const std::string& message)
        : std::runtime_error(std::string(routine) + ": " + message + " [" + class_name(error_class) + "]"),
          routine_(routine), class_(error_class) {}

    /// The MPI routine (or mpixx function) that failed, e.g. "MPI_Recv".
    [[nodiscard]] const std::string& routine() const noexcept { return routine_; }
    /// The MPI error class, e.g. MPI_ERR_TRUNCATE.
    [[nodiscard]] int error_class() const noexcept { return class_; }

    /// The symbolic name of an MPI error class ("MPI_ERR_RANK"), or its number when unknown.
    static std::string class_name(int cls) {
        switch (cls) {
#define MPIXX_CLASS_CASE(c) \
    case c: return #c;
            MPIXX_CLASS_CASE(MPI_SUCCESS) MPIXX_CLASS_CASE(MPI_ERR_BUFFER) MPIXX_CLASS_CASE(MPI_ERR_COUNT)
            MPIXX_CLASS_CASE(MPI_ERR_TYPE) MPIXX_CLASS_CASE(MPI_ERR_TAG) MPIXX_CLASS_CASE(MPI_ERR_COMM)
            MPIXX_CLASS_CASE(MPI_ERR_RANK) MPIXX_CLASS_CASE(MPI_ERR_REQUEST) MPIXX_CLASS_CASE(MPI_ERR_ROOT)
            MPIXX_CLASS_CASE(MPI_ERR_GROUP) MPIXX_CLASS_CASE(MPI_ERR_OP) MPIXX_CLASS_CASE(MPI_ERR_TOPOLOGY)
            MPIXX_CLASS_CASE(MPI_ERR_DIMS) MPIXX_CLASS_CASE(MPI_ERR_ARG) MPIXX_CLASS_CASE(MPI_ERR_UNKNOWN)
            MPIXX_CLASS_CASE(MPI_ERR_TRUNCATE) MPIXX_CLASS_CASE(MPI_ERR_OTHER) MPIXX_CLASS_CASE(MPI_ERR_INTERN)
            MPIXX_CLASS_CASE(MPI_ERR_IN_STATUS) MPIXX_CLASS_CASE(MPI_ERR_PENDING)
            MPIXX_CLASS_CASE(MPI_ERR_NO_MEM)
#undef MPIXX_CLASS_CASE
        default: return "MPI error class " + std::to_string(cls);
        }
    }

private:
    std::string routine_;
    int class_;
};

namespace detail {

/// Builds and throws the error for a failed MPI call; kept out of line so callers stay small.
[[noreturn, gnu::noinline, gnu::cold]] inline void throw_mpi_error(int code, const char* routine) {
    int cls = code;
    int initialized = 0;
    MPI_Initialized(&initialized);
    char text[MPI_MAX_ERROR_STRING] = "MPI error";
    if (initialized) {
        MPI_Error_class(code, &cls);
        int len = 0;
        if (MPI_Error_string(code, text, &len) != MPI_SUCCESS) text[0] = '\0';
    }
    throw error(routine, cls, text);
}

/// Throws an mpixx::error for misuse detected by mpixx itself (never on the success path).
[[noreturn, gnu::noinline, gnu::cold]] inline void throw_usage(const char* routine, int error_class,
                                                                const std::string& message) {
    throw error(routine, error_class, message);
}

/// Checks an MPI return code; the success path is one compare and branch.
inline void check(int code, const char* routine) {
    if (code != MPI_SUCCESS) [[unlikely]]
        throw_mpi_error(code, routine);
}

} // namespace detail
} // namespace mpixx

/// Calls an MPI function and throws mpixx::error, naming the function, when it fails.
#define MPIXX_CALL(fn, ...) ::mpixx::detail::check(fn(__VA_ARGS__), #fn)

namespace mpixx::inline MPIXX_ABI::detail {

/// "4 x MPI_INT (16 bytes)": a count of a datatype, for error messages (cold path only).
inline std::string describe_count(std::size_t count, MPI_Datatype type) {
    char name[MPI_MAX_OBJECT_NAME] = "";
    int len = 0, size = 0;
    MPI_Type_get_name(type, name, &len);
    MPI_Type_size(type, &size);
    std::string s = std::to_string(count) + " x " + (len > 0 ? std::string(name, static_cast<std::size_t>(len)) : "datatype");
    return s + " (" + std::to_string(count * static_cast<std::size_t>(size)) + " bytes)";
}

/// Turns a failed receive into an error; truncation says how much room the buffer had.
[[noreturn, gnu::noinline, gnu::cold]] inline void throw_recv_error(int code, const char* routine, std::size_t capacity,
                                                                     MPI_Datatype type) {
    int cls = code;
    MPI_Error_class(code, &cls);
    if (cls != MPI_ERR_TRUNCATE) throw_mpi_error(code, routine);
    throw error(routine, MPI_ERR_TRUNCATE,
                "message truncated: the receive buffer holds " + describe_count(capacity, type) +
                    " but the incoming message is larger (MPI does not report its size after truncation; "
                    "receive into a resizable container, or use mprobe, to learn it)");
}

/// Truncation detected before receiving (after a probe): both sizes are known.
[[noreturn, gnu::noinline, gnu::cold]] inline void throw_truncated(const char* routine, std::size_t incoming,
                                                                    std::size_t capacity, MPI_Datatype type) {
    throw error(routine, MPI_ERR_TRUNCATE,
                "message truncated: the incoming message has " + describe_count(incoming, type) +
                    " but the receive buffer holds only " + describe_count(capacity, type));
}

} // namespace mpixx::detail
