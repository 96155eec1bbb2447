// mpixx/environment.hpp - MPI start-up and shut-down (RAII), the abort-on-uncaught-exception guard,
// and queries about the MPI library and the machine.
#pragma once

#include <mpixx/config.hpp>

#include <mpixx/detail/hang_watchdog.hpp>
#include <mpixx/detail/p2p_signature.hpp>
#include <mpixx/error.hpp>

#include <cstdio>
#include <cstdlib>
#include <exception>
#include <string>

#include <time.h> // nanosleep

namespace mpixx::inline MPIXX_ABI {

/// Thread support levels, in increasing order (MPI_THREAD_*).
enum class thread_level : int {
    single = MPI_THREAD_SINGLE,
    funneled = MPI_THREAD_FUNNELED,
    serialized = MPI_THREAD_SERIALIZED,
    multiple = MPI_THREAD_MULTIPLE,
};

namespace detail {

/// Prints the exception that escaped main (with the rank) and aborts the whole job, so that the other
/// ranks do not hang in their next collective; this is what `python -m mpi4py` does.
[[noreturn]] inline void abort_on_terminate() {
    int initialized = 0, finalized = 0, rank = -1;
    MPI_Initialized(&initialized);
    MPI_Finalized(&finalized);
    const bool live = initialized && !finalized;
    if (live) MPI_Comm_rank(MPI_COMM_WORLD, &rank);
    const char* what = "unknown exception";
    std::string text;
    if (auto ep = std::current_exception()) {
        try {
            std::rethrow_exception(ep);
        } catch (const std::exception& e) {
            text = e.what();
            what = text.c_str();
        } catch (...) {
        }
    } else {
        what = "std::terminate called without an active exception";
    }
    std::fprintf(stderr, "mpixx: rank %d: uncaught exception: %s\nmpixx: rank %d: calling MPI_Abort\n", rank,
                 what, rank);
    std::fflush(stderr);
    if (live) {
        // The launcher forwards our stderr asynchronously and may drop it once the abort reaches it
        // (seen about once in 100 runs with MPICH's hydra): give the message a moment to get out.
        const timespec pause{0, 100'000'000};
        nanosleep(&pause, nullptr);
        MPI_Abort(MPI_COMM_WORLD, 1);
    }
    std::abort();
}

/// Makes MPI report errors as return codes (mpixx turns them into exceptions) instead of aborting.
inline void install_error_handlers() {
    MPIXX_CALL(MPI_Comm_set_errhandler, MPI_COMM_WORLD, MPI_ERRORS_RETURN);
    MPIXX_CALL(MPI_Comm_set_errhandler, MPI_COMM_SELF, MPI_ERRORS_RETURN);
}

} // namespace detail

/// Initialises MPI for the lifetime of the object (unless the application already did) and finalizes
/// it at the end (only if this object initialised it). Installs MPI_ERRORS_RETURN and the abort guard,
/// and starts the hang report when MPIXX_HANG_TIMEOUT is set (detail/hang_watchdog.hpp).
class environment {
public:
    /// MPI_Init_thread with the requested level; argc/argv may be omitted.
    explicit environment(int& argc, char**& argv, thread_level requested = thread_level::single) {
        init(&argc, &argv, requested);
    }
    /// MPI_Init_thread without command-line arguments.
    explicit environment(thread_level requested = thread_level::single) { init(nullptr, nullptr, requested); }

    environment(const environment&) = delete;
    environment& operator=(const environment&) = delete;

    ~environment() {
        if (!owns_) return;
        int finalized = 0;
        MPI_Finalized(&finalized);
        if (!finalized) MPI_Finalize();
    }

    /// The thread level MPI granted (may be lower than requested).
    [[nodiscard]] thread_level provided() const noexcept { return provided_; }
    /// Whether this object initialised MPI (and so will finalize it).
    [[nodiscard]] bool owns_mpi() const noexcept { return owns_; }

private:
    void init(int* argc, char*** argv, thread_level requested) {
        int initialized = 0, finalized = 0;
        MPI_Initialized(&initialized);
        MPI_Finalized(&finalized);
        if (finalized) detail::throw_usage("mpixx::environment", MPI_ERR_OTHER, "MPI was already finalized");
        int got = 0;
        if (initialized) {
            MPIXX_CALL(MPI_Query_thread, &got);
        } else {
            MPIXX_CALL(MPI_Init_thread, argc, argv, static_cast<int>(requested), &got);
            owns_ = true;
        }
        provided_ = static_cast<thread_level>(got);
        detail::install_error_handlers();
        detail::enable_signatures(MPI_COMM_WORLD); // checked mode only (detail/p2p_signature.hpp)
        std::set_terminate(&detail::abort_on_terminate);
        // The hang report (MPIXX_HANG_TIMEOUT): one getenv when unset; stopped at MPI_Finalize.
        detail::hang_watchdog::start_from_env(provided_ == thread_level::multiple);
    }

    bool owns_ = false;
    thread_level provided_ = thread_level::single;
};

/// Whether MPI is initialised and not yet finalized.
[[nodiscard]] inline bool initialized() noexcept {
    int i = 0, f = 0;
    MPI_Initialized(&i);
    MPI_Finalized(&f);
    return i && !f;
}

/// Version of the MPI standard the library implements.
struct mpi_version_t {
    int major; ///< Major version (4 for MPI-4.0).
    int minor; ///< Minor version (0 for MPI-4.0).
};

/// MPI_Get_version (callable before MPI_Init).
[[nodiscard]] inline mpi_version_t mpi_version() {
    mpi_version_t v{};
    MPIXX_CALL(MPI_Get_version, &v.major, &v.minor);
    return v;
}

/// MPI_Get_library_version: the implementation's own version banner.
[[nodiscard]] inline std::string library_version() {
    char text[MPI_MAX_LIBRARY_VERSION_STRING];
    int len = 0;
    MPIXX_CALL(MPI_Get_library_version, text, &len);
    std::string s(text, static_cast<std::size_t>(len));
    while (!s.empty() && (s.back() == '\n' || s.back() == '\0' || s.back() == ' ')) s.pop_back();
    return s;
}

/// The MPI implementation's name and version, like mpi4py's MPI.get_vendor().
struct vendor_t {
    std::string name; ///< "MPICH", "Open MPI", ...
    int major;        ///< Major version of the implementation.
    int minor;        ///< Minor version.
    int patch;        ///< Patch level.
};

/// Identifies the implementation from its headers (MPICH and derivatives, Open MPI).
[[nodiscard]] inline vendor_t vendor() {
#if defined(I_MPI_VERSION)
    return {"Intel MPI", I_MPI_NUMVERSION / 10000000, I_MPI_NUMVERSION / 100000 % 100, I_MPI_NUMVERSION / 1000 % 100};
#elif defined(MVAPICH2_NUMVERSION)
    return {"MVAPICH2", MVAPICH2_NUMVERSION / 10000000, MVAPICH2_NUMVERSION / 100000 % 100,
            MVAPICH2_NUMVERSION / 1000 % 100};
#elif defined(MPICH_NUMVERSION)
    return {"MPICH", MPICH_NUMVERSION / 10000000, MPICH_NUMVERSION / 100000 % 100, MPICH_NUMVERSION / 1000 % 100};
#elif defined(OMPI_MAJOR_VERSION)
    return {"Open MPI", OMPI_MAJOR_VERSION, OMPI_MINOR_VERSION, OMPI_RELEASE_VERSION};
#else
    return {"unknown", 0, 0, 0};
#endif
}

/// MPI_Get_processor_name: usually the host name.
[[nodiscard]] inline std::string processor_name() {
    char text[MPI_MAX_PROCESSOR_NAME];
    int len = 0;
    MPIXX_CALL(MPI_Get_processor_name, text, &len);
    return std::string(text, static_cast<std::size_t>(len));
}

/// MPI_Wtime: wall-clock seconds since an arbitrary point.
[[nodiscard]] inline double wtime() noexcept { return MPI_Wtime(); }
/// MPI_Wtick: resolution of wtime() in seconds.
[[nodiscard]] inline double wtick() noexcept { return MPI_Wtick(); }

} // namespace mpixx
