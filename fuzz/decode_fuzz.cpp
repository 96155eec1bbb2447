// fuzz/decode_fuzz.cpp - libFuzzer target for mpixx's decoder (run it with scripts/fuzz.sh).
//
// Every input is decoded as several types, through the in-memory API and through the out-of-band API.
// A decode may succeed or throw mpixx::error; anything else (crash, sanitizer report, other exception,
// leak, huge allocation) is a finding. A successful decode must re-encode to a stream that decodes back
// to the same bytes.
//
// Built with -DMPIXX_FUZZ_SEED_GENERATOR instead of -fsanitize=fuzzer, this file is a program that
// writes the seed corpus: decode_fuzz <dir>.
#include <mpixx/serialize.hpp>

#include <array>
#include <complex>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <deque>
#include <forward_list>
#include <list>
#include <map>
#include <optional>
#include <set>
#include <string>
#include <tuple>
#include <unordered_map>
#include <unordered_set>
#include <variant>
#include <vector>

namespace fuzz {

enum class kind : std::uint8_t { a, b, c };

/// Bulk aggregate: vectors of it travel as one memcpy.
struct inner {
    std::int32_t id;
    double weight;
    std::array<std::uint16_t, 3> tri;
    kind k;
};

/// User class with the free hook.
struct tagged {
    std::string tag;
    std::vector<std::int64_t> values;
};
template <class Archive>
void serialize(Archive& ar, tagged& t) {
    ar(t.tag, t.values);
}

/// User class with the member hook.
class counter {
public:
    template <class Archive>
    void serialize(Archive& ar) {
        ar(count_, label_);
    }

private:
    std::uint32_t count_ = 0;
    std::optional<std::string> label_;
};

/// A nested aggregate touching most type families (ordered containers only: re-encoding is canonical).
struct record {
    std::optional<std::string> name;
    std::variant<std::monostate, int, std::string, std::vector<inner>, tagged> payload;
    std::tuple<bool, std::set<std::int64_t>, std::u16string, std::array<std::string, 2>> meta;
    std::deque<std::list<std::vector<bool>>> nest;
    std::map<std::string, std::multiset<int>> tags;
    std::forward_list<std::pair<char, std::vector<std::byte>>> tail;
    std::vector<counter> counters;
    std::multimap<std::int16_t, std::complex<float>> spectrum;
    std::vector<std::vector<std::monostate>> empties;
};

/// Unordered containers and out-of-band-capable runs.
struct unordered_record {
    std::unordered_map<std::string, std::vector<double>> series;
    std::unordered_set<std::int32_t> ids;
    std::unordered_multimap<int, std::optional<std::array<std::int32_t, 4>>> sparse;
    std::vector<std::string> lines;
};

template <class T>
[[noreturn]] void fail(const char* what) {
    std::fprintf(stderr, "decode_fuzz: %s for %.*s\n", what, static_cast<int>(mpixx::detail::type_name<T>().size()),
                 mpixx::detail::type_name<T>().data());
    std::abort();
}

/// Decodes with the in-memory API; on success checks that encoding is stable.
template <class T, bool Canonical>
void decode_in_memory(std::span<const std::byte> bytes) {
    T value{};
    try {
        mpixx::deserialize_into(bytes, value);
    } catch (const mpixx::error&) {
        return;
    }
    const std::vector<std::byte> once = mpixx::serialize(value);
    T again{};
    try {
        mpixx::deserialize_into(once, again);
    } catch (const mpixx::error&) {
        fail<T>("re-encoded stream does not decode");
    }
    if (Canonical && mpixx::serialize(again) != once) fail<T>("encoding is not stable");
}

/// Decodes with the out-of-band API and writes every destination it hands out.
template <class T>
void decode_out_of_band(std::span<const std::byte> bytes) {
    T value{};
    std::vector<mpixx::detail::oob_in> segments;
    try {
        mpixx::detail::decode_into(bytes, value, segments, std::size_t{1} << 20);
    } catch (const mpixx::error&) {
        return;
    }
    std::size_t total = 0;
    for (const auto& s : segments) {
        std::memset(s.data, 0x5A, s.bytes); // ASan reports it if a destination is not real storage
        total += s.bytes;
    }
    if (total > (std::size_t{1} << 20)) fail<T>("out-of-band total exceeds the limit");
}

} // namespace fuzz

#ifndef MPIXX_FUZZ_SEED_GENERATOR

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    const std::span<const std::byte> bytes(reinterpret_cast<const std::byte*>(data), size);
    fuzz::decode_in_memory<std::map<std::string, int>, true>(bytes);
    fuzz::decode_in_memory<std::vector<std::string>, true>(bytes);
    fuzz::decode_in_memory<fuzz::record, true>(bytes);
    fuzz::decode_in_memory<fuzz::unordered_record, false>(bytes);
    fuzz::decode_in_memory<std::variant<bool, std::vector<fuzz::inner>, std::optional<std::u32string>>, true>(bytes);
    fuzz::decode_out_of_band<fuzz::record>(bytes);
    fuzz::decode_out_of_band<fuzz::unordered_record>(bytes);
    fuzz::decode_out_of_band<std::tuple<std::vector<double>, std::string, std::array<std::int64_t, 8>>>(bytes);
    return 0;
}

#else // seed generator

#include <fstream>
#include <string>

namespace {
std::string out_dir;
int seed_count = 0;

void write_seed(const std::vector<std::byte>& bytes) {
    const std::string path = out_dir + "/seed-" + std::to_string(seed_count++);
    std::ofstream(path, std::ios::binary).write(reinterpret_cast<const char*>(bytes.data()),
                                               static_cast<std::streamsize>(bytes.size()));
}
/// Seeds are written without the type name (so every decoder reaches the payload), plus one with it.
template <class T>
void seed(const T& value, std::size_t oob_threshold = mpixx::detail::never_oob, bool named = false) {
    write_seed(mpixx::detail::encode(value, oob_threshold, named).bytes);
}
} // namespace

int main(int argc, char** argv) {
    if (argc != 2) return 2;
    out_dir = argv[1];
    using namespace fuzz;
    seed(std::map<std::string, int>{{"alpha", 1}, {"beta", -2}, {"gamma", 300000}});
    seed(std::map<std::string, int>{{"key", 7}}, mpixx::detail::never_oob, true);
    seed(std::vector<std::string>{"", "one", "two", std::string(40, 'x')});
    record r;
    r.name = "record";
    r.payload = std::vector<inner>{{1, 0.5, {1, 2, 3}, kind::b}, {2, -1.0, {4, 5, 6}, kind::c}};
    r.meta = {true, {1, -5, 1LL << 40}, u"utf16", {"s0", "s1"}};
    r.nest = {{{true, false}, {}}, {}};
    r.tags = {{"even", {2, 4, 4}}, {"odd", {1}}};
    r.tail = {{'a', {std::byte{1}, std::byte{2}}}, {'b', {}}};
    r.counters.resize(2);
    r.spectrum = {{1, {0.5f, 1.5f}}, {1, {2.0f, 0.0f}}};
    r.empties = {{{}, {}}, {}};
    seed(r);
    record t;
    t.payload = tagged{"tag", {1, 2, 3}};
    seed(t);
    unordered_record u;
    u.series = {{"s", {1.0, 2.0, 3.0}}, {"empty", {}}};
    u.ids = {1, 2, 3};
    u.sparse = {{1, std::nullopt}, {1, std::array<std::int32_t, 4>{1, 2, 3, 4}}};
    u.lines = {"first", "second"};
    seed(u);
    seed(u, 8); // out-of-band runs
    seed(std::variant<bool, std::vector<inner>, std::optional<std::u32string>>(std::optional<std::u32string>(U"x")));
    seed(std::tuple<std::vector<double>, std::string, std::array<std::int64_t, 8>>({1.0, 2.0}, "oob", {}), 16);
    return 0;
}

#endif
