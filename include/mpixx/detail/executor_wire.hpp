// mpixx/detail/executor_wire.hpp - the wire side of mpixx::executor's protocol (described in
// mpixx/detail/executor_core.hpp): the tags, the announcement of long messages, their receipt, and the
// worker's loop. The client's pool, which drives it, is in executor_core.hpp.
#pragma once

#include <mpixx/config.hpp>

#include <mpixx/detail/comm_base.hpp>
#include <mpixx/detail/executor_registry.hpp>
#include <mpixx/detail/private_comm.hpp>
#include <mpixx/error.hpp>
#include <mpixx/message.hpp>

#include <array>
#include <cstddef>
#include <cstdint>
#include <cstring>
#include <new>
#include <span>
#include <string>
#include <string_view>
#include <vector>

namespace mpixx::inline MPIXX_ABI::detail {

inline constexpr int exec_task_tag = 1;
inline constexpr int exec_task_body_tag = 2;
inline constexpr int exec_reply_tag = 3;
inline constexpr int exec_reply_body_tag = 4;
/// Messages up to this size travel in one piece; longer ones are announced, then sent on the body tag.
inline constexpr std::size_t exec_inline_bytes = 8192;
inline constexpr std::byte exec_big_marker{0x80};
inline constexpr std::size_t exec_announce_bytes = 1 + sizeof(std::uint64_t);
inline constexpr std::size_t exec_task_header = 1 + 2 * sizeof(std::uint64_t);
inline constexpr int exec_max_in_flight = 1024;
inline constexpr const char* exec_routine = "mpixx::executor";

using exec_announce = std::array<std::byte, exec_announce_bytes>;

/// Writes the announcement of a long message of `n` bytes (its body follows on the body tag).
inline void exec_set_announce(exec_announce& a, std::size_t n) noexcept {
    const std::uint64_t size = n;
    a[0] = exec_big_marker;
    std::memcpy(a.data() + 1, &size, sizeof size);
}

/// Drops the matched body `m` of an announced message and throws (cold path): its real size `real` is
/// not the announced `size` (a corrupt or foreign message), or there is no memory for it. Dropped, so
/// the next message from that peer arrives intact.
[[noreturn, MPIXX_COLD]] inline void exec_drop_body(MPI_Message& m, const MPI_Status& st, MPI_Comm comm,
                                                    std::uint64_t size, MPI_Count real) {
    drop_message(m, st, comm);
    if (real >= 0 && static_cast<std::uint64_t>(real) == size)
        throw_usage(exec_routine, MPI_ERR_NO_MEM, "no memory for a message of " + std::to_string(size) + " bytes");
    throw_usage(exec_routine, MPI_ERR_TRUNCATE,
                "a message announced as " + std::to_string(size) + " bytes came with a body of " +
                    std::to_string(real) + " bytes (a corrupt or foreign message on the pool's communicator)");
}

/// Receives the message of `count` bytes now in `inbox` (from `from`, on `tag`): itself, or the body it
/// announces (received into `body`, on tag + 1). An empty span is an empty message. The announced size
/// is not trusted: the body is matched first (MPI_Mprobe, long messages only) and a real size that
/// differs throws mpixx::error (MPI_ERR_TRUNCATE) before anything is allocated.
inline std::span<const std::byte> exec_complete(MPI_Comm comm, int from, int tag, std::size_t count,
                                                const std::vector<std::byte>& inbox, std::vector<std::byte>& body) {
    if (count != exec_announce_bytes || inbox[0] != exec_big_marker) return {inbox.data(), count};
    std::uint64_t size = 0;
    std::memcpy(&size, inbox.data() + 1, sizeof size);
    MPI_Message m = MPI_MESSAGE_NULL;
    MPI_Status st;
    MPIXX_CALL(MPI_Mprobe, from, tag + 1, comm, &m, &st);
    MPI_Count real = 0;
    MPIXX_CALL(MPI_Get_elements_x, &st, MPI_BYTE, &real);
    if (real < 0 || static_cast<std::uint64_t>(real) != size) [[unlikely]]
        exec_drop_body(m, st, comm, size, real);
    const auto n = static_cast<std::size_t>(size); // the real size: it fits in memory on the sender
    if (body.size() < n) {
        try {
            body.resize(n);
        } catch (const std::bad_alloc&) {
            exec_drop_body(m, st, comm, size, real);
        }
    }
    MPIXX_CALL_COUNT(MPI_Mrecv, body.data(), n, MPI_BYTE, &m, MPI_STATUS_IGNORE);
    return {body.data(), n};
}

/// Blocks for the next message on `tag` from `source` (or any): one MPI_Recv into `inbox`.
inline std::span<const std::byte> exec_recv(MPI_Comm comm, int source, int tag, std::vector<std::byte>& inbox,
                                            std::vector<std::byte>& body, int& from) {
    MPI_Status st;
    MPIXX_CALL(MPI_Recv, inbox.data(), static_cast<int>(exec_inline_bytes), MPI_BYTE, source, tag, comm, &st);
    int n = 0;
    MPIXX_CALL(MPI_Get_count, &st, MPI_BYTE, &n);
    from = st.MPI_SOURCE;
    return exec_complete(comm, from, tag, static_cast<std::size_t>(n), inbox, body);
}

/// A worker's loop: runs the tasks the client sends until "stop"; returns how many it ran. It keeps
/// `depth` receives posted, so that a blocking send of the client (at most `depth` tasks out to this
/// worker) always finds one; the k-th task matches the k-th posted receive (MPI's ordering rule).
inline std::size_t exec_serve(MPI_Comm comm, int client, std::size_t depth) {
    std::vector<std::vector<std::byte>> inboxes(depth, std::vector<std::byte>(exec_inline_bytes));
    std::vector<std::byte> body, out(1);
    exec_announce announce{};
    posted_receives posted(depth);
    auto& req = posted.requests;
    for (std::size_t k = 0; k < depth; ++k)
        MPIXX_CALL(MPI_Irecv, inboxes[k].data(), static_cast<int>(exec_inline_bytes), MPI_BYTE, client, exec_task_tag,
                   comm, &req[k]);
    const task_registry& registry = task_registry::instance();
    const task_entry* last = nullptr; // tasks of one kind in a row skip the registry's lock
    std::size_t served = 0;
    for (std::size_t k = 0;; k = (k + 1) % depth) {
        MPI_Status st;
        MPIXX_CALL(MPI_Wait, &req[k], &st);
        int n = 0;
        MPIXX_CALL(MPI_Get_count, &st, MPI_BYTE, &n);
        if (n == 0) { // stop: the client sent one per posted receive, so none is left to match a later pool's task
            for (std::size_t j = 1; j < depth; ++j) MPIXX_CALL(MPI_Wait, &req[(k + j) % depth], MPI_STATUS_IGNORE);
            return served;
        }
        std::span<const std::byte> msg;
        std::string malformed; // empty: no allocation on success
        try {
            msg = exec_complete(comm, client, exec_task_tag, static_cast<std::size_t>(n), inboxes[k], body);
        } catch (const error& e) { // a body dropped (corrupt size, or no memory): this task fails, not the pool
            if (e.error_class() != MPI_ERR_TRUNCATE && e.error_class() != MPI_ERR_NO_MEM) throw;
            malformed = e.what();
        }
        task_status status = task_status::bad_arguments;
        if (msg.size() < exec_task_header || msg[0] != std::byte{0}) [[unlikely]] {
            write_text(out, malformed.empty() ? std::string_view("malformed task message") : malformed);
        } else {
            std::uint64_t name = 0, signature = 0;
            std::memcpy(&name, msg.data() + 1, sizeof name);
            std::memcpy(&signature, msg.data() + 1 + sizeof name, sizeof signature);
            const task_entry* e = last != nullptr && last->name_hash() == name ? last : registry.find(name);
            if (e != nullptr) last = e;
            if (e == nullptr) {
                status = task_status::unknown_task;
                out.resize(1);
            } else if (e->signature_hash() != signature) {
                status = task_status::bad_signature;
                write_text(out, e->signature());
            } else {
                status = e->run(msg.subspan(exec_task_header), out);
            }
        }
        out[0] = static_cast<std::byte>(status);
        if (out.size() <= exec_inline_bytes) {
            MPIXX_CALL_COUNT(MPI_Send, out.data(), out.size(), MPI_BYTE, client, exec_reply_tag, comm);
        } else {
            exec_set_announce(announce, out.size());
            MPIXX_CALL(MPI_Send, announce.data(), static_cast<int>(announce.size()), MPI_BYTE, client,
                       exec_reply_tag, comm);
            MPIXX_CALL_COUNT(MPI_Send, out.data(), out.size(), MPI_BYTE, client, exec_reply_body_tag, comm);
        }
        ++served;
        MPIXX_CALL(MPI_Irecv, inboxes[k].data(), static_cast<int>(exec_inline_bytes), MPI_BYTE, client, exec_task_tag,
                   comm, &req[k]);
    }
}

} // namespace mpixx::detail
