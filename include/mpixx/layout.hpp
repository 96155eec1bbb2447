// mpixx/layout.hpp - layouts: non-contiguous data sent and received in place, without packing.
//
//   mpixx::vector_layout<double> col(n, 1, n);               // a column of an n x n matrix (MPI_Type_vector)
//   comm.send(mpixx::layout_view(&a[j], col), 1);            // one MPI_Send of the column, no copy
//   mpixx::subarray_layout<double> blk({8, 8}, {4, 4}, {2, 2});
//   comm.recv(mpixx::layout_view(a.data(), blk), 0);         // into the 4x4 block at (2, 2)
//   comm.send(mpixx::raw(p, 1, my_type), 1);                 // the escape hatch: any committed datatype
//
// A layout is a value describing which elements of type T an operation touches, relative to a base
// pointer: contiguous_layout, vector_layout / hvector_layout (strided), indexed_layout,
// indexed_block_layout, subarray_layout (N-D, C order), struct_layout (layouts at byte offsets) and
// resized_layout (a new extent, for gathers and scatters of columns). Arguments are checked when the
// layout is made (MPI_ERR_ARG, before MPI sees them); its MPI datatype is built and committed on first
// use (native()), shared by every copy and freed with the last copy. Any layout<T> (the common base)
// holds any of them.
//
// A layout_view pairs memory with a layout (and a count of instances, each `extent()` bytes after the
// previous): it is a buffer, accepted by every operation that takes one (point-to-point, non-blocking,
// persistent, collectives, mpixx::raw too). It is a borrowed view: it points into the caller's memory,
// which must outlive any request using it, as for std::span. Its datatype need not: MPI keeps a datatype
// that a pending (or persistent) request uses alive after MPI_Type_free (MPI-3.1 section 4.1.9), so a
// temporary layout_view given to isend or send_init is safe. Made from a contiguous range instead of a
// pointer, a view checks that the layout fits the range (MPI_ERR_ARG otherwise).
//
// Counts in collectives: a layout view is `count()` items of its datatype, each carrying `layout().size()`
// elements. Where one buffer is one rank's block (the send buffer of gather/allgather, the receive buffer
// of scatter) the whole view is that block. Where a buffer holds one block per rank (the root's buffer of
// gather/scatter, both buffers of alltoall, allgather's receive buffer) a plain container is split by the
// other side's element count, and a view's count must divide by the group size: block i is items
// [i*count/size, (i+1)*count/size), so a view that places successive blocks side by side needs a
// resized_layout (its extent is the step between blocks). Element counts of both sides must agree
// (MPI_ERR_TRUNCATE for a receive block smaller than what arrives, MPI_ERR_COUNT otherwise). In the
// v-collectives counts and displacements count items of the root buffer's datatype, as in MPI.
// alltoallw(sends, recvs) takes one buffer (view) per peer. Reductions take no views (it does not
// compile): MPI defines its built-in ops on built-in datatypes only (MPICH refuses MPI_SUM on a vector
// of doubles), and a user op would get whole non-contiguous items; reduce contiguous buffers. Value
// forms that copy their input (bcast, reduce, allreduce, scan value forms, and the non-blocking value
// forms) take no views either; gather/allgather/alltoall value forms return the elements packed.
// Raw views carry no element type: their sizes are compared in bytes.
#pragma once

#include <mpixx/config.hpp>

#include <mpixx/buffer.hpp>
#include <mpixx/datatype.hpp>
#include <mpixx/detail/layout_state.hpp>

#include <mpixx/detail/std_light.hpp>
#include <mpixx/detail/owner.hpp>
#include <concepts>
#include <cstddef>
#include <initializer_list>
#include <span>
#include <string>
#include <type_traits>
#include <utility>
#include <vector>

namespace mpixx::inline MPIXX_ABI {

/// What a layout describes: elements of an mpi_type, or (void) untyped memory (struct_layout).
template <class T>
concept layout_element = std::is_void_v<T> || mpi_type<T>;

/// A layout: a value type with `native()` (its committed MPI datatype, built once), `size()` (elements
/// of value_type in one instance) and value_type.
template <class L>
concept any_layout = requires(const L& l) {
    typename L::value_type;
    { l.native() } -> std::same_as<MPI_Datatype>;
    { l.size() } -> std::same_as<std::size_t>;
};

namespace detail {

template <class T>
inline constexpr std::ptrdiff_t elem_bytes = static_cast<std::ptrdiff_t>(sizeof(T));
template <>
inline constexpr std::ptrdiff_t elem_bytes<void> = 1;

template <class T>
MPI_Datatype elem_datatype() {
    if constexpr (std::is_void_v<T>) return MPI_BYTE;
    else return datatype<T>();
}

/// A span of ints as a vector (layouts keep their parameters until the datatype is built).
inline std::vector<int> int_vector(std::span<const int> s) { return std::vector<int>(s.begin(), s.end()); }

/// Checks one entry of an int array argument (non-negative).
inline void check_entries(const char* routine, const char* name, std::span<const int> v, int min) {
    for (std::size_t i = 0; i < v.size(); ++i)
        if (v[i] < min) [[unlikely]]
            throw_layout(routine, std::string(name) + "[" + std::to_string(i) + "] is " + std::to_string(v[i]) +
                                      " (must be >= " + std::to_string(min) + ")");
}

} // namespace detail

/// Any layout of elements of T: the common base of every layout below, and a type-erased holder of one.
/// Copies share the datatype, which is built on the first native() and freed with the last copy.
template <layout_element T>
class layout {
public:
    /// The element type the layout describes (void: untyped bytes).
    using value_type = T;

    /// An empty layout (no elements).
    layout() : layout(make({0, 0, 0, 0}, [] {
                   MPI_Datatype t = MPI_DATATYPE_NULL;
                   MPIXX_CALL(MPI_Type_contiguous, 0, detail::elem_datatype<T>(), &t);
                   return t;
               })) {}

    /// The committed MPI datatype (built and committed on the first call; one atomic load afterwards).
    [[nodiscard]] MPI_Datatype native() const { return s_->native(); }
    /// Elements of T in one instance (the length of its type signature); bytes for layout<void>.
    [[nodiscard]] std::size_t size() const noexcept { return s_->bounds().size; }
    /// Offset in bytes of the first byte of data, relative to the base pointer (negative strides and
    /// displacements reach below it).
    [[nodiscard]] std::ptrdiff_t true_lb() const noexcept { return s_->bounds().lb; }
    /// Offset in bytes one past the last byte of data, relative to the base pointer.
    [[nodiscard]] std::ptrdiff_t true_ub() const noexcept { return s_->bounds().ub; }
    /// Bytes from one instance to the next when a view holds several (MPI's extent).
    [[nodiscard]] std::ptrdiff_t extent() const {
        const std::ptrdiff_t e = s_->bounds().extent;
        return e >= 0 ? e : s_->extent();
    }
    /// The shared state (internal: how struct_layout and resized_layout hold their members).
    [[nodiscard]] const detail::rc<detail::layout_state>& state() const noexcept { return s_; }

protected:
    /// A layout over `s` (derived layouts make theirs with make()).
    explicit layout(detail::rc<detail::layout_state> s) noexcept : s_(std::move(s)) {}

    /// The state of a layout with bounds `b` whose datatype `f()` creates.
    template <class F>
    static detail::rc<detail::layout_state> make(const detail::layout_bounds& b, F f) {
        return detail::make_rc<detail::layout_state_of<F>>(b, std::move(f));
    }

private:
    detail::rc<detail::layout_state> s_;
};

/// n consecutive elements (MPI_Type_contiguous).
template <mpi_type T>
class contiguous_layout : public layout<T> {
public:
    /// `n` consecutive elements of T.
    explicit contiguous_layout(long long n) : layout<T>(build(detail::layout_count("mpixx::contiguous_layout", "n", n))) {}

private:
    static detail::rc<detail::layout_state> build(int n) {
        constexpr const char* r = "mpixx::contiguous_layout";
        const std::ptrdiff_t ub = detail::layout_mul(r, n, detail::elem_bytes<T>);
        return layout<T>::make({0, ub, ub, static_cast<std::size_t>(n)}, [n] {
            MPI_Datatype t = MPI_DATATYPE_NULL;
            MPIXX_CALL(MPI_Type_contiguous, n, datatype<T>(), &t);
            return t;
        });
    }
};

namespace detail {

/// Bounds of `count` blocks of `blocklength` elements of `esize` bytes, block i at i * stride_bytes.
inline layout_bounds strided_bounds(const char* r, int count, int blocklength, std::ptrdiff_t stride_bytes,
                                    std::ptrdiff_t esize) {
    if (count == 0) return {0, 0, 0, 0};
    if (blocklength == 0) return {0, 0, -1, 0}; // no data; extent: MPI's (MPICH counts the empty blocks' span)
    const std::ptrdiff_t last = layout_mul(r, count - 1, stride_bytes);
    const std::ptrdiff_t lb = std::min<std::ptrdiff_t>(0, last);
    const std::ptrdiff_t ub = layout_add(r, std::max<std::ptrdiff_t>(0, last), layout_mul(r, blocklength, esize));
    return {lb, ub, layout_sub(r, ub, lb), static_cast<std::size_t>(count) * static_cast<std::size_t>(blocklength)};
}

} // namespace detail

/// `count` blocks of `blocklength` elements, block i starting `stride` elements after block i-1
/// (MPI_Type_vector; a negative stride walks backwards). A matrix column: vector_layout<T>(rows, 1, cols).
template <mpi_type T>
class vector_layout : public layout<T> {
public:
    /// `count` blocks of `blocklength` elements, `stride` elements apart.
    vector_layout(long long count, long long blocklength, long long stride) : layout<T>(build(count, blocklength, stride)) {}

private:
    static detail::rc<detail::layout_state> build(long long count_, long long bl_, long long stride_) {
        constexpr const char* r = "mpixx::vector_layout";
        const int count = detail::layout_count(r, "count", count_), bl = detail::layout_count(r, "blocklength", bl_);
        if (stride_ < INT_MIN || stride_ > INT_MAX) [[unlikely]]
            detail::throw_layout(r, "stride " + std::to_string(stride_) + " does not fit an int");
        const int stride = static_cast<int>(stride_);
        const auto b = detail::strided_bounds(r, count, bl, detail::layout_mul(r, stride, detail::elem_bytes<T>),
                                              detail::elem_bytes<T>);
        return layout<T>::make(b, [count, bl, stride] {
            MPI_Datatype t = MPI_DATATYPE_NULL;
            MPIXX_CALL(MPI_Type_vector, count, bl, stride, datatype<T>(), &t);
            return t;
        });
    }
};

/// Like vector_layout with the stride in bytes (MPI_Type_create_hvector): rows of a struct array, or a
/// stride that is not a multiple of the element size.
template <mpi_type T>
class hvector_layout : public layout<T> {
public:
    /// `count` blocks of `blocklength` elements, `stride_bytes` bytes apart.
    hvector_layout(long long count, long long blocklength, std::ptrdiff_t stride_bytes)
        : layout<T>(build(count, blocklength, stride_bytes)) {}

private:
    static detail::rc<detail::layout_state> build(long long count_, long long bl_, std::ptrdiff_t stride) {
        constexpr const char* r = "mpixx::hvector_layout";
        const int count = detail::layout_count(r, "count", count_), bl = detail::layout_count(r, "blocklength", bl_);
        const auto b = detail::strided_bounds(r, count, bl, stride, detail::elem_bytes<T>);
        return layout<T>::make(b, [count, bl, stride] {
            MPI_Datatype t = MPI_DATATYPE_NULL;
            MPIXX_CALL(MPI_Type_create_hvector, count, bl, static_cast<MPI_Aint>(stride), datatype<T>(), &t);
            return t;
        });
    }
};

namespace detail {

/// Bounds of indexed blocks (displacements in elements of `esize` bytes); empty blocks hold no data.
inline layout_bounds indexed_bounds(const char* r, std::span<const int> lengths, std::span<const int> displs,
                                    std::ptrdiff_t esize) {
    layout_bounds b{0, 0, -1, 0};
    bool any = false;
    for (std::size_t i = 0; i < displs.size(); ++i) {
        if (lengths[i] == 0) continue;
        const std::ptrdiff_t lo = layout_mul(r, displs[i], esize);
        const std::ptrdiff_t hi = layout_add(r, lo, layout_mul(r, lengths[i], esize));
        b.lb = any ? std::min(b.lb, lo) : lo;
        b.ub = any ? std::max(b.ub, hi) : hi;
        any = true;
        b.size += static_cast<std::size_t>(lengths[i]);
    }
    return b; // extent -1: MPI's (its treatment of empty blocks is the reference)
}

} // namespace detail

/// Blocks of elements at element displacements (MPI_Type_indexed); displacements may be negative.
template <mpi_type T>
class indexed_layout : public layout<T> {
public:
    /// Block i holds blocklengths[i] elements starting displacements[i] elements from the base.
    indexed_layout(std::span<const int> blocklengths, std::span<const int> displacements)
        : layout<T>(build(blocklengths, displacements)) {}
    /// As above, from brace lists.
    indexed_layout(std::initializer_list<int> blocklengths, std::initializer_list<int> displacements)
        : layout<T>(build(std::span<const int>(blocklengths.begin(), blocklengths.size()),
                          std::span<const int>(displacements.begin(), displacements.size()))) {}

private:
    static detail::rc<detail::layout_state> build(std::span<const int> lengths, std::span<const int> displs) {
        constexpr const char* r = "mpixx::indexed_layout";
        if (lengths.size() != displs.size()) [[unlikely]]
            detail::throw_layout(r, "blocklengths has " + std::to_string(lengths.size()) + " entries but displacements " +
                                        std::to_string(displs.size()));
        detail::layout_count(r, "the number of blocks", static_cast<long long>(lengths.size()));
        detail::check_entries(r, "blocklengths", lengths, 0);
        const auto b = detail::indexed_bounds(r, lengths, displs, detail::elem_bytes<T>);
        return layout<T>::make(b, [l = detail::int_vector(lengths), d = detail::int_vector(displs)] {
            MPI_Datatype t = MPI_DATATYPE_NULL;
            MPIXX_CALL(MPI_Type_indexed, static_cast<int>(l.size()), l.data(), d.data(), datatype<T>(), &t);
            return t;
        });
    }
};

/// Blocks of one length at element displacements (MPI_Type_create_indexed_block).
template <mpi_type T>
class indexed_block_layout : public layout<T> {
public:
    /// Blocks of `blocklength` elements starting displacements[i] elements from the base.
    indexed_block_layout(long long blocklength, std::span<const int> displacements)
        : layout<T>(build(blocklength, displacements)) {}
    /// As above, from a brace list.
    indexed_block_layout(long long blocklength, std::initializer_list<int> displacements)
        : layout<T>(build(blocklength, std::span<const int>(displacements.begin(), displacements.size()))) {}

private:
    static detail::rc<detail::layout_state> build(long long bl_, std::span<const int> displs) {
        constexpr const char* r = "mpixx::indexed_block_layout";
        const int bl = detail::layout_count(r, "blocklength", bl_);
        detail::layout_count(r, "the number of blocks", static_cast<long long>(displs.size()));
        const std::vector<int> lengths(displs.size(), bl);
        const auto b = detail::indexed_bounds(r, lengths, displs, detail::elem_bytes<T>);
        return layout<T>::make(b, [bl, d = detail::int_vector(displs)] {
            MPI_Datatype t = MPI_DATATYPE_NULL;
            MPIXX_CALL(MPI_Type_create_indexed_block, static_cast<int>(d.size()), bl, d.data(), datatype<T>(), &t);
            return t;
        });
    }
};

/// An N-D block of an N-D array stored in C order (row-major; MPI_Type_create_subarray with
/// MPI_ORDER_C): the array has extents `sizes`, the block `subsizes` starting at `starts`. Its extent is
/// the whole array's, as in MPI. An empty block (a zero subsize) is allowed and holds nothing.
template <mpi_type T>
class subarray_layout : public layout<T> {
public:
    /// The block [starts, starts + subsizes) of an array of extents `sizes` (spans of one int per dimension).
    subarray_layout(std::span<const int> sizes, std::span<const int> subsizes, std::span<const int> starts)
        : layout<T>(build(sizes, subsizes, starts)) {}
    /// As above, from brace lists: subarray_layout<double>({ny, nx}, {h, w}, {y0, x0}).
    subarray_layout(std::initializer_list<int> sizes, std::initializer_list<int> subsizes,
                    std::initializer_list<int> starts)
        : layout<T>(build(std::span<const int>(sizes.begin(), sizes.size()),
                          std::span<const int>(subsizes.begin(), subsizes.size()),
                          std::span<const int>(starts.begin(), starts.size()))) {}

private:
    static detail::rc<detail::layout_state> build(std::span<const int> sizes, std::span<const int> sub,
                                                       std::span<const int> starts) {
        constexpr const char* r = "mpixx::subarray_layout";
        const std::size_t nd = sizes.size();
        if (nd == 0 || sub.size() != nd || starts.size() != nd) [[unlikely]]
            detail::throw_layout(r, "sizes, subsizes and starts need one entry per dimension (got " +
                                        std::to_string(nd) + ", " + std::to_string(sub.size()) + ", " +
                                        std::to_string(starts.size()) + ")");
        detail::check_entries(r, "sizes", sizes, 1);
        detail::check_entries(r, "subsizes", sub, 0);
        detail::check_entries(r, "starts", starts, 0);
        bool empty = false;
        for (std::size_t d = 0; d < nd; ++d) {
            if (static_cast<long long>(starts[d]) + sub[d] > sizes[d]) [[unlikely]]
                detail::throw_layout(r, "dimension " + std::to_string(d) + ": starts + subsizes = " +
                                            std::to_string(static_cast<long long>(starts[d]) + sub[d]) +
                                            " exceeds sizes = " + std::to_string(sizes[d]));
            empty = empty || sub[d] == 0;
        }
        // Bounds: row-major strides; the data runs from the block's first to its last element.
        std::ptrdiff_t stride = detail::elem_bytes<T>, first = 0, last = 0;
        std::size_t n = 1;
        for (std::size_t k = nd; k-- > 0;) {
            first = detail::layout_add(r, first, detail::layout_mul(r, starts[k], stride));
            if (!empty) last = detail::layout_add(r, last, detail::layout_mul(r, starts[k] + sub[k] - 1, stride));
            n *= static_cast<std::size_t>(sub[k]);
            stride = detail::layout_mul(r, stride, sizes[k]);
        }
        const detail::layout_bounds b = empty ? detail::layout_bounds{0, 0, stride, 0}
                                              : detail::layout_bounds{first, last + detail::elem_bytes<T>, stride, n};
        return layout<T>::make(b, [s = detail::int_vector(sizes), u = detail::int_vector(sub),
                                   o = detail::int_vector(starts), empty, extent = stride] {
            MPI_Datatype t = MPI_DATATYPE_NULL;
            if (empty) { // MPI-3 wants subsizes >= 1: an empty type with the array's extent instead
                MPI_Datatype e = MPI_DATATYPE_NULL;
                MPIXX_CALL(MPI_Type_contiguous, 0, datatype<T>(), &e);
                const int rc = MPI_Type_create_resized(e, 0, static_cast<MPI_Aint>(extent), &t);
                MPI_Type_free(&e);
                detail::check(rc, "MPI_Type_create_resized");
                return t;
            }
            MPIXX_CALL(MPI_Type_create_subarray, static_cast<int>(s.size()), s.data(), u.data(), o.data(), MPI_ORDER_C,
                       datatype<T>(), &t);
            return t;
        });
    }
};

/// `count` copies of another layout, `stride_bytes` bytes apart (MPI_Type_create_hvector of its
/// datatype): the planes of a 3-D block, the rows of a strided 2-D one (md_view builds its blocks so).
template <mpi_type T>
class repeated_layout : public layout<T> {
public:
    /// `count` copies of `inner`, copy i starting i * stride_bytes bytes after the first.
    repeated_layout(long long count, std::ptrdiff_t stride_bytes, const layout<T>& inner)
        : layout<T>(build(count, stride_bytes, inner)) {}

private:
    static detail::rc<detail::layout_state> build(long long count_, std::ptrdiff_t stride, const layout<T>& inner) {
        constexpr const char* r = "mpixx::repeated_layout";
        const int count = detail::layout_count(r, "count", count_);
        const auto& ib = inner.state()->bounds();
        detail::layout_bounds b{0, 0, -1, 0};
        if (count > 0 && ib.size > 0) {
            const std::ptrdiff_t last = detail::layout_mul(r, count - 1, stride);
            b.lb = detail::layout_add(r, ib.lb, std::min<std::ptrdiff_t>(0, last));
            b.ub = detail::layout_add(r, ib.ub, std::max<std::ptrdiff_t>(0, last));
            b.size = static_cast<std::size_t>(count) * ib.size;
        }
        return layout<T>::make(b, [count, stride, in = inner.state()] {
            MPI_Datatype t = MPI_DATATYPE_NULL;
            MPIXX_CALL(MPI_Type_create_hvector, count, 1, static_cast<MPI_Aint>(stride), in->native(), &t);
            return t;
        });
    }
};

/// Another layout with a new lower bound and extent (MPI_Type_create_resized): the data stays where it
/// is; instance i of a view (and block i of a gather or scatter) starts i * extent bytes after the first.
template <layout_element T>
class resized_layout : public layout<T> {
public:
    /// `inner` with lower bound `lb` and extent `extent`, both in bytes (extent >= 0).
    resized_layout(const layout<T>& inner, std::ptrdiff_t lb, std::ptrdiff_t extent) : layout<T>(build(inner, lb, extent)) {}

private:
    static detail::rc<detail::layout_state> build(const layout<T>& inner, std::ptrdiff_t lb, std::ptrdiff_t extent) {
        if (extent < 0) [[unlikely]]
            detail::throw_layout("mpixx::resized_layout", "extent " + std::to_string(extent) + " is negative");
        detail::layout_bounds b = inner.state()->bounds();
        b.extent = extent;
        return layout<T>::make(b, [in = inner.state(), lb, extent] {
            MPI_Datatype t = MPI_DATATYPE_NULL;
            MPIXX_CALL(MPI_Type_create_resized, in->native(), static_cast<MPI_Aint>(lb), static_cast<MPI_Aint>(extent), &t);
            return t;
        });
    }
};
/// resized_layout(any layout of T, lb, extent) is a resized_layout<T>.
template <class L>
resized_layout(const L&, std::ptrdiff_t, std::ptrdiff_t) -> resized_layout<typename L::value_type>;

/// Layouts of possibly different element types at byte offsets (MPI_Type_create_struct): one record of
/// a C struct, say. Untyped (layout<void>): a view of it may point at any memory. Its extent follows
/// MPI (alignment padding included); resize it to sizeof(S) for arrays of S if they differ.
class struct_layout : public layout<void> {
public:
    /// One member: `count` instances of a layout, the first `displacement` bytes from the base.
    class member {
    public:
        /// `count` instances of `l` starting `displacement` bytes from the record's base.
        template <layout_element U>
        member(std::ptrdiff_t displacement, const layout<U>& l, long long count = 1)
            : state_(l.state()), displacement_(displacement),
              count_(detail::layout_count("mpixx::struct_layout", "a member's count", count)),
              elem_(detail::elem_bytes<U>) {}

    private:
        friend class struct_layout;
        detail::rc<detail::layout_state> state_;
        std::ptrdiff_t displacement_;
        int count_;
        std::ptrdiff_t elem_;
    };

    /// A record of `members`.
    struct_layout(std::initializer_list<member> members) : struct_layout(std::span<const member>(members.begin(), members.size())) {}
    /// A record of `members`.
    explicit struct_layout(std::span<const member> members) : layout<void>(build(members)) {}

private:
    static detail::rc<detail::layout_state> build(std::span<const member> ms) {
        constexpr const char* r = "mpixx::struct_layout";
        detail::layout_count(r, "the number of members", static_cast<long long>(ms.size()));
        detail::layout_bounds b{0, 0, -1, 0};
        bool any = false;
        for (const member& m : ms) {
            const auto& mb = m.state_->bounds();
            if (m.count_ == 0 || mb.size == 0) continue;
            // instance j of the member lies at displacement + j * extent (extent from MPI when not analytic)
            const std::ptrdiff_t ext = mb.extent >= 0 ? mb.extent : m.state_->extent();
            const std::ptrdiff_t step = detail::layout_mul(r, m.count_ - 1, ext);
            const std::ptrdiff_t lo =
                detail::layout_add(r, m.displacement_, detail::layout_add(r, mb.lb, std::min<std::ptrdiff_t>(0, step)));
            const std::ptrdiff_t hi =
                detail::layout_add(r, m.displacement_, detail::layout_add(r, mb.ub, std::max<std::ptrdiff_t>(0, step)));
            b.lb = any ? std::min(b.lb, lo) : lo;
            b.ub = any ? std::max(b.ub, hi) : hi;
            any = true;
            b.size += static_cast<std::size_t>(m.count_) * mb.size * static_cast<std::size_t>(m.elem_);
        }
        return make(b, [members = std::vector<member>(ms.begin(), ms.end())] {
            std::vector<int> lengths;
            std::vector<MPI_Aint> displs;
            std::vector<MPI_Datatype> types;
            for (const member& m : members) {
                lengths.push_back(m.count_);
                displs.push_back(static_cast<MPI_Aint>(m.displacement_));
                types.push_back(m.state_->native());
            }
            MPI_Datatype t = MPI_DATATYPE_NULL;
            MPIXX_CALL(MPI_Type_create_struct, static_cast<int>(members.size()), lengths.data(), displs.data(),
                       types.data(), &t);
            return t;
        });
    }
};

// ---- views ---------------------------------------------------------------------------------------------

/// Memory paired with a layout: `count` instances of `layout`, the first at `data`. A buffer (every
/// operation takes it) and a borrowed view: it points into the caller's memory, which must outlive any
/// request using it; the view keeps its layout (the datatype) alive, and MPI keeps a datatype alive for
/// the requests using it. T is the layout's value type, const for a send-only view (any T for an untyped
/// layout<void>).
template <class T, any_layout L>
    requires(std::is_void_v<typename L::value_type> || std::same_as<std::remove_const_t<T>, typename L::value_type>)
class layout_view {
public:
    /// The element type of the memory (const: the view can only be sent).
    using element_type = T;
    /// The layout type.
    using layout_type = L;
    /// A layout view is borrowed: copies and temporaries refer to the same user memory (buffer.hpp).
    static constexpr bool borrowed = true;

    /// `count` instances of `l` starting at `data` (unchecked: the caller vouches for the memory).
    layout_view(T* data, L l, long long count = 1)
        : data_(data), layout_(std::move(l)),
          count_(static_cast<std::size_t>(detail::layout_count("mpixx::layout_view", "count", count))) {}

    /// `count` instances of `l` in the contiguous range `memory`, starting at its first element; checks
    /// that they fit inside it (MPI_ERR_ARG otherwise). An lvalue or a borrowed range (never a temporary
    /// container, which would die under the view).
    template <std::ranges::contiguous_range R>
        requires std::ranges::sized_range<R> && std::ranges::borrowed_range<R> &&
                 std::convertible_to<std::ranges::range_value_t<R>*, T*>
    layout_view(R&& memory, L l, long long count = 1)
        : layout_view(std::ranges::data(memory), std::move(l), count) {
        check_fits(static_cast<std::ptrdiff_t>(std::ranges::size(memory)) *
                   static_cast<std::ptrdiff_t>(sizeof(std::ranges::range_value_t<R>)));
    }

    /// The base pointer.
    [[nodiscard]] T* data() const noexcept { return data_; }
    /// The number of layout instances.
    [[nodiscard]] std::size_t count() const noexcept { return count_; }
    /// The layout.
    [[nodiscard]] const L& layout() const noexcept { return layout_; }
    /// The layout's committed datatype.
    [[nodiscard]] MPI_Datatype native() const { return layout_.native(); }
    /// Elements of the value type in one instance (0 for an untyped layout: unknown).
    [[nodiscard]] std::size_t unit() const noexcept {
        if constexpr (std::is_void_v<typename L::value_type>) return 0;
        else return layout_.size();
    }
    /// Elements of the value type the view holds (count() * layout().size()).
    [[nodiscard]] std::size_t size() const noexcept { return count_ * layout_.size(); }

private:
    /// MPI_ERR_ARG unless the view's data lies within [data, data + bytes): instance i starts i * extent
    /// bytes after the first (checked arithmetic: a huge extent is refused, not wrapped).
    void check_fits(std::ptrdiff_t bytes) const {
        if (count_ == 0 || layout_.size() == 0) return;
        std::ptrdiff_t step = 0, lo = 0, hi = 0;
        if (__builtin_mul_overflow(static_cast<std::ptrdiff_t>(count_ - 1), layout_.extent(), &step) ||
            __builtin_add_overflow(layout_.true_lb(), std::min<std::ptrdiff_t>(0, step), &lo) ||
            __builtin_add_overflow(layout_.true_ub(), std::max<std::ptrdiff_t>(0, step), &hi)) [[unlikely]]
            detail::throw_layout("mpixx::layout_view", std::to_string(count_) + " instances of a layout of extent " +
                                                           std::to_string(layout_.extent()) +
                                                           " bytes reach beyond any address (their byte offsets "
                                                           "overflow): they do not fit a range of " +
                                                           std::to_string(bytes) + " bytes");
        if (lo < 0 || hi > bytes) [[unlikely]]
            detail::throw_layout("mpixx::layout_view",
                                 "the layout does not fit its memory: it touches bytes [" + std::to_string(lo) + ", " +
                                     std::to_string(hi) + ") of a range of " + std::to_string(bytes) + " bytes");
    }

    T* data_;
    L layout_;
    std::size_t count_;
};

/// layout_view(ptr, layout) views elements of *ptr.
template <class T, any_layout L>
layout_view(T*, L) -> layout_view<T, L>;
/// layout_view(ptr, layout, count).
template <class T, any_layout L, class N>
layout_view(T*, L, N) -> layout_view<T, L>;
/// layout_view(range, layout): the range's elements.
template <std::ranges::contiguous_range R, any_layout L>
layout_view(R&&, L) -> layout_view<std::remove_reference_t<std::ranges::range_reference_t<R>>, L>;
/// layout_view(range, layout, count).
template <std::ranges::contiguous_range R, any_layout L, class N>
layout_view(R&&, L, N) -> layout_view<std::remove_reference_t<std::ranges::range_reference_t<R>>, L>;

/// `count` items of a datatype the caller made and committed (and keeps alive while it is used), at
/// `data`: the escape hatch for one's own derived datatypes. A borrowed view like layout_view; untyped
/// (sizes are compared in bytes). P is void, or const void for a send-only view.
template <class P>
class raw_view {
public:
    /// void or const void.
    using element_type = P;
    /// A raw view is borrowed (it refers to the caller's memory and datatype).
    static constexpr bool borrowed = true;

    /// `count` items of `type` at `data` (count < 0 and MPI_DATATYPE_NULL are refused).
    raw_view(P* data, long long count, MPI_Datatype type)
        : data_(data), count_(static_cast<std::size_t>(check(count, type))), type_(type) {}

    /// The base pointer.
    [[nodiscard]] P* data() const noexcept { return data_; }
    /// The number of items.
    [[nodiscard]] std::size_t count() const noexcept { return count_; }
    /// The caller's datatype.
    [[nodiscard]] MPI_Datatype native() const noexcept { return type_; }
    /// Untyped: 0 (sizes are compared in bytes).
    [[nodiscard]] static constexpr std::size_t unit() noexcept { return 0; }

private:
    static long long check(long long count, MPI_Datatype type) {
        if (count < 0) [[unlikely]]
            detail::throw_layout("mpixx::raw", "count " + std::to_string(count) + " is negative", MPI_ERR_COUNT);
        if (type == MPI_DATATYPE_NULL) [[unlikely]]
            detail::throw_layout("mpixx::raw", "the datatype is MPI_DATATYPE_NULL", MPI_ERR_TYPE);
        return count;
    }

    P* data_;
    std::size_t count_;
    MPI_Datatype type_;
};

/// A receive/send view of `count` items of the caller's committed datatype `type` at `data`.
inline raw_view<void> raw(void* data, long long count, MPI_Datatype type) { return {data, count, type}; }
/// A send-only view of `count` items of the caller's committed datatype `type` at `data`.
inline raw_view<const void> raw(const void* data, long long count, MPI_Datatype type) { return {data, count, type}; }

} // namespace mpixx
