// mpixx/message.hpp - a message matched by mprobe: its size is known before it is received, and no
// other receive can take it (the race-free way to size a receive; what mpi4py's recv() does).
#pragma once

#include <mpixx/config.hpp>

#include <mpixx/buffer.hpp>
#include <mpixx/detail/comm_base.hpp>
#include <mpixx/status.hpp>

#include <cstddef>
#include <utility>
#include <vector>

namespace mpixx::inline MPIXX_ABI {

/// A matched, not yet received message (MPI_Message). Move-only; one that is never received is
/// received into scratch memory and dropped by the destructor, so it cannot leak.
class message {
public:
    message(MPI_Message m, const MPI_Status& st) noexcept : m_(m), st_(st) {}
    message(message&& o) noexcept : m_(std::exchange(o.m_, MPI_MESSAGE_NULL)), st_(o.st_) {}
    message& operator=(message&& o) noexcept {
        if (this != &o) {
            discard();
            m_ = std::exchange(o.m_, MPI_MESSAGE_NULL);
            st_ = o.st_;
        }
        return *this;
    }
    message(const message&) = delete;
    message& operator=(const message&) = delete;
    ~message() { discard(); }

    /// Source, tag and size of the message.
    [[nodiscard]] const mpixx::status& status() const noexcept { return st_; }
    /// Number of T elements in the message.
    template <mpi_type T>
    [[nodiscard]] std::size_t count() const {
        return st_.count<T>();
    }
    /// Whether the message is still waiting to be received.
    [[nodiscard]] bool pending() const noexcept { return m_ != MPI_MESSAGE_NULL; }

    /// Receives into the caller's buffer; a message larger than the buffer throws naming both sizes
    /// and stays pending.
    template <class B>
        requires recv_target<B&&>
    mpixx::status recv(B&& buf) {
        auto v = detail::view(buf);
        const std::size_t incoming = st_.count(v.type);
        if (incoming > v.count) [[unlikely]]
            detail::throw_truncated("mpixx::message::recv", incoming, v.count, v.type);
        return receive(v.ptr, incoming, v.type);
    }

    /// Resizes the container to the message and receives into it.
    template <resizable_buffer C>
    mpixx::status recv_resize(C& c) {
        using E = std::remove_cv_t<std::ranges::range_value_t<C&>>;
        const MPI_Datatype type = datatype<E>();
        c.resize(st_.count(type));
        return receive(std::ranges::data(c), std::ranges::size(c), type);
    }

    /// Receives and returns a value or a container sized to the message.
    template <typed_recv_value T>
    [[nodiscard]] T recv() {
        T out;
        if constexpr (resizable_buffer<T>) recv_resize(out);
        else recv(out);
        return out;
    }

    /// The underlying MPI_Message handle.
    [[nodiscard]] MPI_Message& native() noexcept { return m_; }

private:
    mpixx::status receive(void* p, std::size_t n, MPI_Datatype type) {
        if (!pending()) [[unlikely]]
            detail::throw_usage("mpixx::message::recv", MPI_ERR_REQUEST, "the message was already received");
        // The matched probe's status already says source, tag and size: the receive's would repeat it.
        MPIXX_CALL_COUNT(MPI_Mrecv, p, n, type, &m_, MPI_STATUS_IGNORE);
        return st_;
    }

    void discard() noexcept {
        if (!pending()) return;
        int finalized = 0;
        MPI_Finalized(&finalized);
        if (finalized) return;
        try {
            std::vector<std::byte> scratch(st_.count(MPI_BYTE));
            MPI_Mrecv(scratch.data(), static_cast<int>(scratch.size()), MPI_BYTE, &m_, MPI_STATUS_IGNORE);
        } catch (...) {
        }
        m_ = MPI_MESSAGE_NULL;
    }

    MPI_Message m_;
    mpixx::status st_;
};

} // namespace mpixx
