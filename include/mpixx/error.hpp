// mpixx/error.hpp - the one exception type, and the zero-cost check of MPI return codes.
#pragma once

#include <mpixx/config.hpp>

#include <cstddef>
#include <exception>
#include <stdexcept>
#include <string>
#include <string_view>

// Outside the configuration-keyed namespace (config.hpp): it depends on no configuration, and code
// built one way must catch what code built another way throws.
namespace mpixx {

/// Thrown for every failed MPI call and every misuse mpixx detects.
class error : public std::runtime_error {
public:
    /// An error from `routine` with MPI error class `error_class` and the text `message`.
    error(std::string_view routine, int error_class, const std::string& message)
        : std::runtime_error(compose(routine, error_class, message)), routine_(routine), class_(error_class) {}

    /// The MPI routine (or mpixx function) that failed, e.g. "MPI_Recv".
    [[nodiscard]] const std::string& routine() const noexcept { return routine_; }
    /// The MPI error class, e.g. MPI_ERR_TRUNCATE.
    [[nodiscard]] int error_class() const noexcept { return class_; }

    /// The symbolic name of an MPI error class ("MPI_ERR_RANK"), or its number when unknown. Knows every
    /// class of MPI-3.1, and those of MPI-4 and ULFM the MPI library defines. Cold path (builds a string).
    static std::string class_name(int cls) {
        struct entry {
            int code;
            const char* name;
        };
        // A table rather than a switch: an implementation giving two names one value must still compile.
#define MPIXX_CLASS(c) entry{c, #c},
        static constexpr entry names[] = {
            MPIXX_CLASS(MPI_SUCCESS) MPIXX_CLASS(MPI_ERR_BUFFER) MPIXX_CLASS(MPI_ERR_COUNT) MPIXX_CLASS(MPI_ERR_TYPE)
            MPIXX_CLASS(MPI_ERR_TAG) MPIXX_CLASS(MPI_ERR_COMM) MPIXX_CLASS(MPI_ERR_RANK) MPIXX_CLASS(MPI_ERR_REQUEST)
            MPIXX_CLASS(MPI_ERR_ROOT) MPIXX_CLASS(MPI_ERR_GROUP) MPIXX_CLASS(MPI_ERR_OP) MPIXX_CLASS(MPI_ERR_TOPOLOGY)
            MPIXX_CLASS(MPI_ERR_DIMS) MPIXX_CLASS(MPI_ERR_ARG) MPIXX_CLASS(MPI_ERR_UNKNOWN) MPIXX_CLASS(MPI_ERR_TRUNCATE)
            MPIXX_CLASS(MPI_ERR_OTHER) MPIXX_CLASS(MPI_ERR_INTERN) MPIXX_CLASS(MPI_ERR_IN_STATUS)
            MPIXX_CLASS(MPI_ERR_PENDING) MPIXX_CLASS(MPI_ERR_NO_MEM)
            // files (MPI-IO)
            MPIXX_CLASS(MPI_ERR_FILE) MPIXX_CLASS(MPI_ERR_ACCESS) MPIXX_CLASS(MPI_ERR_AMODE)
            MPIXX_CLASS(MPI_ERR_BAD_FILE) MPIXX_CLASS(MPI_ERR_CONVERSION) MPIXX_CLASS(MPI_ERR_DUP_DATAREP)
            MPIXX_CLASS(MPI_ERR_FILE_EXISTS) MPIXX_CLASS(MPI_ERR_FILE_IN_USE) MPIXX_CLASS(MPI_ERR_IO)
            MPIXX_CLASS(MPI_ERR_NO_SPACE) MPIXX_CLASS(MPI_ERR_NO_SUCH_FILE) MPIXX_CLASS(MPI_ERR_QUOTA)
            MPIXX_CLASS(MPI_ERR_READ_ONLY) MPIXX_CLASS(MPI_ERR_UNSUPPORTED_DATAREP)
            // info, attributes, names, dynamic processes
            MPIXX_CLASS(MPI_ERR_INFO) MPIXX_CLASS(MPI_ERR_INFO_KEY) MPIXX_CLASS(MPI_ERR_INFO_VALUE)
            MPIXX_CLASS(MPI_ERR_INFO_NOKEY) MPIXX_CLASS(MPI_ERR_KEYVAL) MPIXX_CLASS(MPI_ERR_NAME)
            MPIXX_CLASS(MPI_ERR_NOT_SAME) MPIXX_CLASS(MPI_ERR_PORT) MPIXX_CLASS(MPI_ERR_SERVICE)
            MPIXX_CLASS(MPI_ERR_SPAWN) MPIXX_CLASS(MPI_ERR_UNSUPPORTED_OPERATION)
            // one-sided (windows, RMA)
            MPIXX_CLASS(MPI_ERR_WIN) MPIXX_CLASS(MPI_ERR_BASE) MPIXX_CLASS(MPI_ERR_LOCKTYPE) MPIXX_CLASS(MPI_ERR_SIZE)
            MPIXX_CLASS(MPI_ERR_DISP) MPIXX_CLASS(MPI_ERR_ASSERT) MPIXX_CLASS(MPI_ERR_RMA_CONFLICT)
            MPIXX_CLASS(MPI_ERR_RMA_SYNC) MPIXX_CLASS(MPI_ERR_RMA_RANGE) MPIXX_CLASS(MPI_ERR_RMA_ATTACH)
            MPIXX_CLASS(MPI_ERR_RMA_SHARED) MPIXX_CLASS(MPI_ERR_RMA_FLAVOR)
        // MPI-4 (absent from MPI-3.1 libraries such as Open MPI 4.1)
#ifdef MPI_ERR_SESSION
            MPIXX_CLASS(MPI_ERR_SESSION)
#endif
#ifdef MPI_ERR_PROC_ABORTED
            MPIXX_CLASS(MPI_ERR_PROC_ABORTED)
#endif
#ifdef MPI_ERR_VALUE_TOO_LARGE
            MPIXX_CLASS(MPI_ERR_VALUE_TOO_LARGE)
#endif
#ifdef MPI_ERR_ERRHANDLER
            MPIXX_CLASS(MPI_ERR_ERRHANDLER)
#endif
        // the tool information interface (MPI_T)
#ifdef MPI_T_ERR_MEMORY
            MPIXX_CLASS(MPI_T_ERR_MEMORY) MPIXX_CLASS(MPI_T_ERR_NOT_INITIALIZED) MPIXX_CLASS(MPI_T_ERR_CANNOT_INIT)
            MPIXX_CLASS(MPI_T_ERR_INVALID_INDEX) MPIXX_CLASS(MPI_T_ERR_INVALID_ITEM)
            MPIXX_CLASS(MPI_T_ERR_INVALID_HANDLE) MPIXX_CLASS(MPI_T_ERR_OUT_OF_HANDLES)
            MPIXX_CLASS(MPI_T_ERR_OUT_OF_SESSIONS) MPIXX_CLASS(MPI_T_ERR_INVALID_SESSION)
            MPIXX_CLASS(MPI_T_ERR_CVAR_SET_NOT_NOW) MPIXX_CLASS(MPI_T_ERR_CVAR_SET_NEVER)
            MPIXX_CLASS(MPI_T_ERR_PVAR_NO_STARTSTOP) MPIXX_CLASS(MPI_T_ERR_PVAR_NO_WRITE)
            MPIXX_CLASS(MPI_T_ERR_PVAR_NO_ATOMIC)
#endif
#ifdef MPI_T_ERR_INVALID_NAME
            MPIXX_CLASS(MPI_T_ERR_INVALID_NAME)
#endif
#ifdef MPI_T_ERR_INVALID
            MPIXX_CLASS(MPI_T_ERR_INVALID)
#endif
#ifdef MPI_T_ERR_NOT_SUPPORTED
            MPIXX_CLASS(MPI_T_ERR_NOT_SUPPORTED)
#endif
#ifdef MPI_T_ERR_NOT_ACCESSIBLE
            MPIXX_CLASS(MPI_T_ERR_NOT_ACCESSIBLE)
#endif
        // fault tolerance (ULFM: MPICH, Open MPI 5)
#ifdef MPIX_ERR_PROC_FAILED
            MPIXX_CLASS(MPIX_ERR_PROC_FAILED)
#endif
#ifdef MPIX_ERR_PROC_FAILED_PENDING
            MPIXX_CLASS(MPIX_ERR_PROC_FAILED_PENDING)
#endif
#ifdef MPIX_ERR_REVOKED
            MPIXX_CLASS(MPIX_ERR_REVOKED)
#endif
        };
#undef MPIXX_CLASS
        for (const entry& e : names)
            if (e.code == cls) return e.name;
        return "MPI error class " + std::to_string(cls);
    }

private:
    // Out of line (cold): each constructor would otherwise carry its own copy of the concatenation.
    [[MPIXX_COLD]] static std::string compose(std::string_view routine, int cls, const std::string& message) {
        return std::string(routine) + ": " + message + " [" + class_name(cls) + "]";
    }

    std::string routine_;
    int class_;
};

} // namespace mpixx

namespace mpixx::inline MPIXX_ABI {
namespace detail {

/// Builds and throws the error for a failed MPI call; kept out of line so callers stay small.
[[noreturn, MPIXX_COLD]] inline void throw_mpi_error(int code, const char* routine) {
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
[[noreturn, MPIXX_COLD]] inline void throw_usage(const char* routine, int error_class,
                                                 const std::string& message) {
    throw error(routine, error_class, message);
}

/// The what() of the exception being handled (call inside a catch block; cold paths only).
[[MPIXX_COLD]] inline std::string current_what() {
    try {
        throw;
    } catch (const std::exception& e) {
        return e.what();
    } catch (...) {
        return "an exception not derived from std::exception";
    }
}

/// The MPI error class of the exception being handled: its own for an mpixx::error, else `otherwise`.
[[MPIXX_COLD]] inline int current_error_class(int otherwise) {
    try {
        throw;
    } catch (const error& e) {
        return e.error_class();
    } catch (...) {
        return otherwise;
    }
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
[[MPIXX_COLD]] inline std::string describe_count(std::size_t count, MPI_Datatype type) {
    char name[MPI_MAX_OBJECT_NAME] = "";
    int len = 0, size = 0;
    MPI_Type_get_name(type, name, &len);
    MPI_Type_size(type, &size);
    std::string s = std::to_string(count) + " x " + (len > 0 ? std::string(name, static_cast<std::size_t>(len)) : "datatype");
    return s + " (" + std::to_string(count * static_cast<std::size_t>(size)) + " bytes)";
}

/// Turns a failed receive into an error; truncation says how much room the buffer had.
[[noreturn, MPIXX_COLD]] inline void throw_recv_error(int code, const char* routine, std::size_t capacity,
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
[[noreturn, MPIXX_COLD]] inline void throw_truncated(const char* routine, std::size_t incoming,
                                                     std::size_t capacity, MPI_Datatype type) {
    throw error(routine, MPI_ERR_TRUNCATE,
                "message truncated: the incoming message has " + describe_count(incoming, type) +
                    " but the receive buffer holds only " + describe_count(capacity, type));
}

} // namespace mpixx::detail
