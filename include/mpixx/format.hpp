// mpixx/format.hpp - fmt formatters (and to_string) for mpixx's own types, so that
// fmt::format("{} {}", comm, st) and mpixx::print("{}", e) just work:
//   status          status(source=1, tag=13, bytes=16)   (proc_null / any_source / any_tag by name)
//   communicator    communicator(rank 2 of 4)            communicator(null)
//   error           its what()
//   comparison      identical | congruent | similar | unequal
//   thread_level    single | funneled | serialized | multiple
//   mpi_version_t   (4, 0)                  vendor_t   ('MPICH', (4, 0, 2))    (mpi4py's tuples)
// A string format spec applies to the whole text: fmt::format("{:>12}", mpixx::thread_level::single).
//
// Only the light {fmt} header where it declares fmt::format ({fmt} 9 and 10: <fmt/core.h>, a third of
// <fmt/format.h>'s compile cost); <fmt/format.h> from {fmt} 11. Nothing here runs on a communication path.
#pragma once

#include <mpixx/config.hpp>

#include <mpixx/communicator.hpp>
#include <mpixx/environment.hpp>
#include <mpixx/error.hpp>
#include <mpixx/status.hpp>
#include <mpixx/detail/std_light.hpp>

#include <fmt/core.h>
#if FMT_VERSION >= 110000
#include <fmt/format.h> // fmt::format left <fmt/core.h> in {fmt} 11
#endif

#include <concepts>
#include <string>
#include <string_view>
#include <vector>

namespace mpixx::inline MPIXX_ABI {

/// "identical", "congruent", "similar" or "unequal" ("unknown" for a value MPI never returns).
[[nodiscard]] constexpr std::string_view to_string(comparison c) noexcept {
    switch (c) {
    case comparison::identical: return "identical";
    case comparison::congruent: return "congruent";
    case comparison::similar: return "similar";
    case comparison::unequal: return "unequal";
    }
    return "unknown";
}

/// "single", "funneled", "serialized" or "multiple" ("unknown" for a value MPI never returns).
[[nodiscard]] constexpr std::string_view to_string(thread_level t) noexcept {
    switch (t) {
    case thread_level::single: return "single";
    case thread_level::funneled: return "funneled";
    case thread_level::serialized: return "serialized";
    case thread_level::multiple: return "multiple";
    }
    return "unknown";
}

namespace detail {

/// "proc_null" / "any_source" / "any_tag" for MPI's special values, else the number.
inline std::string special_rank_or_tag(int v, bool is_tag) {
    if (!is_tag && v == MPI_PROC_NULL) return "proc_null";
    if (!is_tag && v == MPI_ANY_SOURCE) return "any_source";
    if (is_tag && v == MPI_ANY_TAG) return "any_tag";
    return std::to_string(v);
}

/// "status(source=1, tag=13, bytes=16)"; never throws on an odd status.
inline std::string describe(const status& st) {
    std::string s = "status(source=" + special_rank_or_tag(st.source(), false) +
                    ", tag=" + special_rank_or_tag(st.tag(), true) + ", bytes=";
    bool known = false;
    if (initialized()) { // MPICH aborts on MPI_Get_count before MPI_Init
#if MPI_VERSION >= 4
        MPI_Count n = 0;
        if (MPI_Get_count_c(&st.native(), MPI_BYTE, &n) == MPI_SUCCESS && n != MPI_UNDEFINED) {
#else
        int n = 0;
        if (MPI_Get_count(&st.native(), MPI_BYTE, &n) == MPI_SUCCESS && n != MPI_UNDEFINED) {
#endif
            s += std::to_string(n);
            known = true;
        }
    }
    if (!known) s += '?';
    s += ')';
    return s;
}

/// "communicator(rank 2 of 4)" or "communicator(null)".
inline std::string describe(const communicator& c) {
    if (c.is_null()) return "communicator(null)";
    return "communicator(rank " + std::to_string(c.rank()) + " of " + std::to_string(c.size()) + ")";
}

/// Shared by mpixx's formatters: the text is formatted like a string, honouring fill, align, width
/// and precision ("{:>20}").
struct text_formatter {
    std::string_view spec; // the spec between ':' and '}', a view into the format string

    constexpr auto parse(fmt::format_parse_context& ctx) -> decltype(ctx.begin()) {
        auto it = ctx.begin();
        const auto start = it;
        while (it != ctx.end() && *it != '}') ++it;
        spec = std::string_view(start, static_cast<std::size_t>(it - start));
        return it;
    }

    template <class FormatContext>
    auto write(std::string_view text, FormatContext& ctx) const -> decltype(ctx.out()) {
        if (spec.empty()) return write_raw(text, ctx.out());
        std::string f = "{:"; // only with a spec: the common "{}" allocates nothing here
        f.append(spec);
        f += '}';
        // fmt::format, not format_to: clang cannot link format_to's iterator path against a
        // g++-built libfmt 9 (the two mangle detail::vformat_to<char> differently).
        return write_raw(fmt::format(fmt::runtime(f), text), ctx.out());
    }

private:
    template <class Out>
    static Out write_raw(std::string_view text, Out out) {
        for (char ch : text) *out++ = ch;
        return out;
    }
};

/// "[ 8  9 10 11]": integers right-aligned to the widest, as numpy prints an int array.
template <class R>
std::string numpy_text(const R& values) {
    // fmt::format only (not formatted_size/format_to): see text_formatter on clang and libfmt 9.
    std::vector<std::string> items;
    std::size_t width = 0;
    for (const auto& v : values) {
        items.push_back(fmt::format("{}", v));
        width = std::max(width, items.back().size());
    }
    std::string out = "[";
    for (const auto& item : items) {
        if (out.size() > 1) out += ' ';
        out.append(width - item.size(), ' ');
        out += item;
    }
    out += ']';
    return out;
}

} // namespace detail

/// A range of integers that fmt prints the way numpy prints an int array ("[ 8  9 10 11]").
template <std::ranges::input_range R>
    requires std::integral<std::ranges::range_value_t<R>>
struct numpy_array {
    const R& values; ///< The range printed (borrowed).
};

/// Wraps a range for printing like numpy: fmt::print("Rank 1 received: {}", mpixx::numpy(data)).
template <std::ranges::input_range R>
    requires std::integral<std::ranges::range_value_t<R>>
[[nodiscard]] numpy_array<R> numpy(const R& values) noexcept {
    return {values};
}

} // namespace mpixx

// The {fmt} formatters of mpixx types (fmt::format("{}", comm), ...); not part of the reference.
/// @cond

template <class R>
struct fmt::formatter<mpixx::numpy_array<R>> : mpixx::detail::text_formatter {
    template <class FormatContext>
    auto format(const mpixx::numpy_array<R>& a, FormatContext& ctx) const -> decltype(ctx.out()) {
        return write(mpixx::detail::numpy_text(a.values), ctx);
    }
};

/// status(source=1, tag=13, bytes=16)
template <>
struct fmt::formatter<mpixx::status> : mpixx::detail::text_formatter {
    template <class FormatContext>
    auto format(const mpixx::status& st, FormatContext& ctx) const -> decltype(ctx.out()) {
        return write(mpixx::detail::describe(st), ctx);
    }
};

/// communicator(rank 2 of 4), communicator(null)
template <>
struct fmt::formatter<mpixx::communicator> : mpixx::detail::text_formatter {
    template <class FormatContext>
    auto format(const mpixx::communicator& c, FormatContext& ctx) const -> decltype(ctx.out()) {
        return write(mpixx::detail::describe(c), ctx);
    }
};

/// The error's what(): "MPI_Recv: message truncated ... [MPI_ERR_TRUNCATE]"
template <>
struct fmt::formatter<mpixx::error> : mpixx::detail::text_formatter {
    template <class FormatContext>
    auto format(const mpixx::error& e, FormatContext& ctx) const -> decltype(ctx.out()) {
        return write(e.what(), ctx);
    }
};

/// identical, congruent, similar, unequal
template <>
struct fmt::formatter<mpixx::comparison> : mpixx::detail::text_formatter {
    template <class FormatContext>
    auto format(mpixx::comparison c, FormatContext& ctx) const -> decltype(ctx.out()) {
        return write(mpixx::to_string(c), ctx);
    }
};

/// single, funneled, serialized, multiple
template <>
struct fmt::formatter<mpixx::thread_level> : mpixx::detail::text_formatter {
    template <class FormatContext>
    auto format(mpixx::thread_level t, FormatContext& ctx) const -> decltype(ctx.out()) {
        return write(mpixx::to_string(t), ctx);
    }
};

/// (4, 0), as mpi4py prints MPI.Get_version()
template <>
struct fmt::formatter<mpixx::mpi_version_t> : mpixx::detail::text_formatter {
    template <class FormatContext>
    auto format(const mpixx::mpi_version_t& v, FormatContext& ctx) const -> decltype(ctx.out()) {
        return write(fmt::format("({}, {})", v.major, v.minor), ctx);
    }
};

/// ('MPICH', (4, 0, 2)), as mpi4py prints MPI.get_vendor()
template <>
struct fmt::formatter<mpixx::vendor_t> : mpixx::detail::text_formatter {
    template <class FormatContext>
    auto format(const mpixx::vendor_t& v, FormatContext& ctx) const -> decltype(ctx.out()) {
        return write(fmt::format("('{}', ({}, {}, {}))", v.name, v.major, v.minor, v.patch), ctx);
    }
};
/// @endcond
