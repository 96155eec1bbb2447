// mpixx/print.hpp - debugging output that does not interleave: the guide's
//   def debug_print(msg): print(f"[Rank {rank}] {msg}", flush=True)
// as `mpixx::print("x = {}", x)`, and `mpixx::print_ordered(comm, ...)`, which prints one line per rank
// in rank order.
//
// Each call formats its whole text into one buffer and hands it to the kernel in one write(2) on
// stdout's file descriptor, after flushing stdio (so it stays in order with earlier printf/std::cout
// output), so lines of different ranks never mix mid-line. Formatting is fmt's (compile-time checked
// format strings); <mpixx/format.hpp> makes mpixx's own types printable.
#pragma once

#include <mpixx/config.hpp>

#include <mpixx/communicator.hpp>
#include <mpixx/detail/private_comm.hpp>
#include <mpixx/environment.hpp>
#include <mpixx/format.hpp> // and the {fmt} header that declares fmt::format

#include <cerrno>
#include <cstdio>
#include <string>
#include <string_view>
#include <utility>

#include <unistd.h>

namespace mpixx::inline MPIXX_ABI {

namespace detail {

/// Writes all of `s` to stdout with as few write(2) calls as the kernel allows (one, normally).
inline void write_stdout(std::string_view s) noexcept {
    std::fflush(stdout); // earlier stdio output first
    const int fd = fileno(stdout);
    while (!s.empty()) {
        const ssize_t n = ::write(fd, s.data(), s.size());
        if (n < 0) {
            if (errno == EINTR) continue;
            return; // a debugging print never throws (e.g. a closed pipe)
        }
        s.remove_prefix(static_cast<std::size_t>(n));
    }
}

/// Appends `text` as whole lines: every line prefixed (when asked) and the last one ended by '\n'.
inline void append_lines(std::string& out, std::string_view text, int rank, bool prefixed) {
    do {
        const std::size_t nl = text.find('\n');
        const std::string_view line = text.substr(0, nl);
        if (prefixed) {
            out += "[Rank ";
            out += std::to_string(rank);
            out += "] ";
        }
        out.append(line);
        out.push_back('\n');
        text = nl == std::string_view::npos ? std::string_view() : text.substr(nl + 1);
    } while (!text.empty());
}

/// This process's rank in MPI_COMM_WORLD, or -1 outside MPI_Init..MPI_Finalize.
inline int world_rank() noexcept {
    int rank = -1;
    if (initialized()) MPI_Comm_rank(MPI_COMM_WORLD, &rank);
    return rank;
}

/// One prefixed block of lines in one write.
inline void print_prefixed(int rank, std::string_view text) {
    std::string out;
    out.reserve(text.size() + 16);
    append_lines(out, text, rank, true);
    write_stdout(out);
}

/// Rank 0 of `comm` prints every rank's text in rank order (collective; point-to-point on a private
/// duplicate of `comm`, each message sized by a matched probe).
inline void print_ordered_text(const communicator& comm, const std::string& text, bool prefixed) {
    if (comm.is_null()) [[unlikely]]
        throw_usage("mpixx::print_ordered", MPI_ERR_COMM, "the communicator is null");
    if (comm.is_inter()) [[unlikely]]
        throw_intercomm("mpixx::print_ordered");
    const communicator dup = communicator::wrap(private_comm::get(comm.native()));
    const p2p_layer& inner = dup; // the typed buffer path: one message of chars, never serialization
    if (inner.rank() != 0) {
        inner.send(text, 0, 0);
        return;
    }
    std::string out;
    append_lines(out, text, 0, prefixed);
    for (int r = 1; r < inner.size(); ++r) append_lines(out, inner.recv<std::string>(r, 0), r, prefixed);
    write_stdout(out); // the whole block in one write: nothing of other output lands inside it
}

} // namespace detail

/// For programs that need several ranks: false (after saying "<program> needs at least <n> ranks" on
/// stderr, from rank 0) when `comm` is smaller. Usage: if (!mpixx::require_ranks(comm, 2, "app")) return 1;
[[nodiscard]] inline bool require_ranks(const communicator& comm, int n, std::string_view program) {
    if (comm.size() >= n) return true;
    if (comm.rank() == 0) {
        const std::string text = fmt::format("{} needs at least {} ranks\n", program, n);
        std::fflush(stdout);
        std::fputs(text.c_str(), stderr);
        std::fflush(stderr);
    }
    return false;
}

/// Prints one line "[Rank r] text" (r: the rank in MPI_COMM_WORLD) in one write and flushes; every
/// line of a multi-line text gets the prefix. Outside MPI_Init..MPI_Finalize r is -1.
template <class... Args>
void print(fmt::format_string<Args...> format, Args&&... args) {
    detail::print_prefixed(detail::world_rank(), fmt::format(format, std::forward<Args>(args)...));
}

/// Prints one line "[Rank r] text" with this process's rank in `comm`, in one write, and flushes.
template <class... Args>
void print(const communicator& comm, fmt::format_string<Args...> format, Args&&... args) {
    if (comm.is_null()) [[unlikely]]
        detail::throw_usage("mpixx::print", MPI_ERR_COMM, "the communicator is null");
    detail::print_prefixed(comm.rank(), fmt::format(format, std::forward<Args>(args)...));
}

/// Collective: every rank formats its text; rank 0 prints them as lines in rank order (no prefix),
/// all in one write, and flushes. Safe alongside user messages: it talks on a private duplicate.
template <class... Args>
void print_ordered(const communicator& comm, fmt::format_string<Args...> format, Args&&... args) {
    detail::print_ordered_text(comm, fmt::format(format, std::forward<Args>(args)...), false);
}

/// Like print_ordered, each line prefixed "[Rank r] " with its rank in `comm`.
template <class... Args>
void print_ordered_prefixed(const communicator& comm, fmt::format_string<Args...> format, Args&&... args) {
    detail::print_ordered_text(comm, fmt::format(format, std::forward<Args>(args)...), true);
}

} // namespace mpixx
