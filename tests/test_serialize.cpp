// tests/test_serialize.cpp - mpixx::serialize / deserialize: round trips of every supported type family,
// capacity reuse, out-of-band segments, the stream format, and robustness against hostile streams.
// Purely local: no MPI communication (runs unchanged on every rank).
#include "support/mpixx_test.hpp"

#include <mpixx/serialize.hpp>

#include <array>
#include <cmath>
#include <complex>
#include <cstring>
#include <deque>
#include <forward_list>
#include <list>
#include <map>
#include <memory>
#include <optional>
#include <random>
#include <set>
#include <string>
#include <string_view>
#include <tuple>
#include <unordered_map>
#include <unordered_set>
#include <variant>
#include <vector>

namespace {

using bytes_t = std::vector<std::byte>;
using mpixx::detail::oob_in;
using mpixx::detail::oob_out;

template <class T>
T round_trip(const T& value) {
    const bytes_t b = mpixx::serialize(value);
    return mpixx::deserialize<T>(b);
}

template <class T>
void check_round_trip(const T& value) {
    CHECK(round_trip(value) == value);
}

/// A stream built by hand: header without type name, then `payload`.
bytes_t stream(std::initializer_list<int> payload) {
    bytes_t b{std::byte{mpixx::detail::format_version}, std::byte{0}};
    for (int v : payload) b.push_back(static_cast<std::byte>(v));
    return b;
}

/// Encoded without a type name, so that it can be decoded as a differently spelled but same-format type.
template <class T>
bytes_t untyped(const T& value) {
    return mpixx::detail::encode(value, mpixx::detail::never_oob, false).bytes;
}

/// Runs f and returns the MPI error class of the mpixx::error it throws (-1 when it does not throw).
template <class F>
int error_class_of(F&& f) {
    try {
        f();
    } catch (const mpixx::error& e) {
        CHECK(e.routine() == "mpixx::deserialize");
        return e.error_class();
    }
    return -1;
}

enum color { red, green, blue };
enum class level : std::uint16_t { low = 1, high = 500 };
enum class yes_no : bool { no, yes };

struct point {
    double x, y, z;
    bool operator==(const point&) const = default;
};
struct pixel {
    std::uint8_t r, g, b;
    level l;
    std::array<float, 2> uv;
    point p;
    bool operator==(const pixel&) const = default;
};
struct record {
    std::string name;
    std::vector<point> path;
    std::map<std::string, int> counts;
    std::optional<std::variant<int, std::string>> note;
    pixel px;
    bool flag;
    bool operator==(const record&) const = default;
};
struct with_pointer {
    int a;
    int* p;
};
union number {
    int i;
    float f;
};
class opaque {
    int hidden_ = 0;

public:
    int get() const { return hidden_; }
};

} // namespace

namespace user {
/// Member hook, private state.
class account {
public:
    account() = default;
    account(std::string owner, double balance, std::vector<int> history)
        : owner_(std::move(owner)), balance_(balance), history_(std::move(history)) {}
    template <class Archive>
    void serialize(Archive& ar) {
        ar(owner_, balance_, history_);
    }
    bool operator==(const account&) const = default;

private:
    std::string owner_;
    double balance_ = 0;
    std::vector<int> history_;
};

/// Free hook found by ADL; not an aggregate (user constructor).
struct legacy {
    legacy() = default;
    legacy(int i, std::string n) : id(i), name(std::move(n)) {}
    int id = 0;
    std::string name;
    bool operator==(const legacy&) const = default;
};
template <class Archive>
void serialize(Archive& ar, legacy& l) {
    ar(l.id, l.name);
}

/// Asymmetric hook: a derived field is rebuilt on load, never sent.
struct cached {
    int value = 0;
    int twice = 0;
    template <class Archive>
    void serialize(Archive& ar) {
        ar(value);
        if constexpr (Archive::loading()) twice = 2 * value;
        static_assert(Archive::saving() != Archive::loading());
    }
};
} // namespace user

// ---- the concept ----

static_assert(mpixx::serializable<int>);
static_assert(mpixx::serializable<color> && mpixx::serializable<level> && mpixx::serializable<std::byte>);
static_assert(mpixx::serializable<std::complex<double>> && mpixx::serializable<std::nullptr_t>);
static_assert(mpixx::serializable<record> && mpixx::serializable<user::account> &&
              mpixx::serializable<user::legacy> && mpixx::serializable<int[4]>);
static_assert(mpixx::serializable<std::map<std::string, std::vector<std::optional<std::variant<int, std::string>>>>>);
static_assert(!mpixx::serializable<int*> && !mpixx::serializable<const char*>);
static_assert(!mpixx::serializable<with_pointer> && !mpixx::serializable<std::vector<with_pointer>>);
static_assert(!mpixx::serializable<number> && !mpixx::serializable<opaque>);
static_assert(!mpixx::serializable<const int> && !mpixx::serializable<int&>);
static_assert(!mpixx::serializable<std::unique_ptr<int>> && !mpixx::serializable<std::string_view>);
static_assert(!mpixx::serializable<std::pair<const int, int>>);
static_assert(!mpixx::serializable<std::tuple<int, std::vector<int*>>>);
// bulk: copied with one memcpy
static_assert(mpixx::detail::bulk_v<point> && mpixx::detail::bulk_v<pixel> && mpixx::detail::bulk_v<level>);
static_assert(mpixx::detail::bulk_v<std::array<point, 3>> && mpixx::detail::bulk_v<std::complex<float>>);
static_assert(!mpixx::detail::bulk_v<bool> && !mpixx::detail::bulk_v<yes_no> && !mpixx::detail::bulk_v<record>);
static_assert(!mpixx::detail::bulk_v<user::cached>); // hooks are never memcpy'd

TEST_CASE("serialize: scalars round trip", "[serialize]") {
    check_round_trip(0);
    check_round_trip(-123456789);
    check_round_trip(std::numeric_limits<std::int64_t>::min());
    check_round_trip(std::numeric_limits<std::uint64_t>::max());
    check_round_trip(static_cast<std::int8_t>(-7));
    check_round_trip(static_cast<unsigned short>(65535));
    check_round_trip(3.25f);
    check_round_trip(-1e300);
    check_round_trip(1.5L);
    check_round_trip('x');
    check_round_trip(L'w');
    check_round_trip(u8'a');
    check_round_trip(U'\U0001F600');
    check_round_trip(true);
    check_round_trip(false);
    check_round_trip(blue);
    check_round_trip(level::high);
    check_round_trip(yes_no::yes);
    check_round_trip(std::byte{0xAB});
    check_round_trip(std::complex<double>(1.5, -2.5));
    check_round_trip(std::monostate{});
    CHECK(round_trip(nullptr) == nullptr);
    CHECK(std::isinf(round_trip(std::numeric_limits<double>::infinity())));
}

TEST_CASE("serialize: strings round trip", "[serialize]") {
    check_round_trip(std::string());
    check_round_trip(std::string("hello"));
    check_round_trip(std::string(100000, 'z'));
    check_round_trip(std::string("with\0nul", 8));
    check_round_trip(std::wstring(L"wide string"));
    check_round_trip(std::u8string(u8"utf-8 \u00e9"));
    check_round_trip(std::u16string(u"utf-16"));
    check_round_trip(std::u32string(U"utf-32"));
    check_round_trip(std::basic_string<unsigned char>{1, 2, 255});
}

TEST_CASE("serialize: sequences round trip", "[serialize]") {
    check_round_trip(std::vector<int>{});
    check_round_trip(std::vector<int>{1, -2, 3});
    check_round_trip(std::vector<double>(1000, 0.5));
    check_round_trip(std::vector<std::string>{"", "a", std::string(300, 'b')});
    check_round_trip(std::vector<bool>{true, false, true, true});
    check_round_trip(std::vector<bool>{});
    check_round_trip(std::vector<point>{{1, 2, 3}, {4, 5, 6}});
    check_round_trip(std::vector<std::vector<int>>{{}, {1}, {2, 3}});
    check_round_trip(std::array<int, 4>{1, 2, 3, 4});
    check_round_trip(std::array<int, 0>{});
    check_round_trip(std::array<std::string, 2>{"x", "yz"});
    check_round_trip(std::array<bool, 3>{true, false, true});
    check_round_trip(std::array<std::array<double, 2>, 2>{{{1, 2}, {3, 4}}});
    check_round_trip(std::deque<std::string>{"a", "b", "c"});
    check_round_trip(std::deque<int>{5, 6});
    check_round_trip(std::list<std::vector<int>>{{1}, {}, {2, 3}});
    check_round_trip(std::forward_list<int>{9, 8, 7});
    check_round_trip(std::forward_list<int>{});

    int c_array[3] = {7, 8, 9};
    const bytes_t b = mpixx::serialize(c_array);
    int back[3] = {};
    mpixx::deserialize_into(b, back);
    CHECK(std::equal(std::begin(back), std::end(back), std::begin(c_array)));
    std::string names[2] = {"ab", "cd"};
    std::string names_back[2];
    mpixx::deserialize_into(mpixx::serialize(names), names_back);
    CHECK((names_back[0] == "ab" && names_back[1] == "cd"));
}

TEST_CASE("serialize: associative containers round trip", "[serialize]") {
    check_round_trip(std::map<std::string, int>{{"one", 1}, {"two", 2}, {"three", 3}});
    check_round_trip(std::map<int, std::string>{});
    check_round_trip(std::unordered_map<std::string, std::vector<int>>{{"a", {1}}, {"b", {2, 3}}});
    check_round_trip(std::set<std::string>{"x", "y", "z"});
    check_round_trip(std::unordered_set<int>{1, 5, 9, 13});
    check_round_trip(std::unordered_multiset<int>{1, 1, 2});
    check_round_trip(std::unordered_multimap<int, int>{{1, 1}, {1, 2}, {3, 4}});
    check_round_trip(std::multiset<int>{3, 3, 1, 3});
    // multimap keeps equal keys, in order
    const std::multimap<int, std::string> mm{{2, "b1"}, {1, "a"}, {2, "b2"}, {2, "b3"}};
    const auto mm2 = round_trip(mm);
    CHECK(mm2 == mm);
    std::vector<std::string> order;
    for (const auto& kv : mm2) order.push_back(kv.second);
    CHECK(order == std::vector<std::string>{"a", "b1", "b2", "b3"});
    check_round_trip(std::map<std::vector<int>, std::set<std::string>>{{{1, 2}, {"p"}}, {{}, {}}});
}

TEST_CASE("serialize: products, optional and variant round trip", "[serialize]") {
    check_round_trip(std::pair<int, std::string>{4, "four"});
    check_round_trip(std::tuple<>{});
    check_round_trip(std::tuple<int, double, std::string, bool>{1, 2.5, "three", true});
    check_round_trip(std::optional<int>{});
    check_round_trip(std::optional<int>{17});
    check_round_trip(std::optional<std::string>{"engaged"});
    using var = std::variant<std::monostate, int, std::string, std::vector<double>>;
    check_round_trip(var{});
    check_round_trip(var{42});
    check_round_trip(var{std::string("str")});
    check_round_trip(var{std::vector<double>{1, 2}});
    check_round_trip(std::variant<int, int>{std::in_place_index<1>, 5});
    CHECK(round_trip(std::variant<int, int>{std::in_place_index<1>, 5}).index() == 1);
}

TEST_CASE("serialize: deep nesting round trips", "[serialize]") {
    using deep = std::map<std::string, std::vector<std::optional<std::variant<int, std::string>>>>;
    deep d;
    d["empty"];
    d["ints"] = {1, std::nullopt, 3};
    d["mixed"] = {std::string("s"), std::nullopt, 7, std::string(1000, 'q')};
    check_round_trip(d);

    using deeper = std::vector<std::tuple<std::list<std::set<int>>, std::deque<std::pair<std::string, point>>,
                                          std::optional<std::array<std::vector<std::string>, 2>>>>;
    deeper v(3);
    std::get<0>(v[0]) = {{1, 2}, {}, {3}};
    std::get<1>(v[1]) = {{"p", {1, 2, 3}}};
    std::get<2>(v[2]) = std::array<std::vector<std::string>, 2>{{{"a"}, {"b", "c"}}};
    check_round_trip(v);
}

TEST_CASE("serialize: aggregates and user hooks round trip", "[serialize]") {
    record r{"rec", {{1, 2, 3}, {4, 5, 6}}, {{"k", 1}}, std::variant<int, std::string>("note"),
             pixel{1, 2, 3, level::low, {0.5f, 0.25f}, {7, 8, 9}}, true};
    check_round_trip(r);
    check_round_trip(pixel{9, 8, 7, level::high, {1, 2}, {3, 4, 5}});
    check_round_trip(std::vector<record>{r, record{}, r});

    check_round_trip(user::account("alice", 12.5, {1, -1, 2}));
    check_round_trip(std::vector<user::account>{user::account("bob", 1, {}), user::account()});
    check_round_trip(user::legacy(3, "three"));
    check_round_trip(std::map<int, user::legacy>{{1, {1, "a"}}, {2, {2, "b"}}});

    user::cached c;
    c.value = 21;
    const bytes_t b = mpixx::serialize(c);
    const user::cached back = mpixx::deserialize<user::cached>(b);
    CHECK(back.value == 21);
    CHECK(back.twice == 42);
}

TEST_CASE("serialize: deserialize_into reuses existing storage", "[serialize]") {
    const std::vector<double> src(5000, 3.0);
    std::vector<double> dst(5000, 1.0);
    const double* before = dst.data();
    mpixx::deserialize_into(mpixx::serialize(src), dst);
    CHECK(dst.data() == before);
    CHECK(dst == src);

    // a shorter vector keeps its capacity too
    mpixx::deserialize_into(mpixx::serialize(std::vector<double>(10, 2.0)), dst);
    CHECK(dst.data() == before);
    CHECK(dst.size() == 10);

    // nested: the inner strings keep their heap buffers
    const std::vector<std::string> words(4, std::string(100, 'w'));
    std::vector<std::string> into(4, std::string(200, 'x'));
    std::vector<const char*> buffers;
    for (const auto& s : into) buffers.push_back(s.data());
    mpixx::deserialize_into(mpixx::serialize(words), into);
    CHECK(into == words);
    for (std::size_t i = 0; i < into.size(); ++i) CHECK(into[i].data() == buffers[i]);

    // same variant alternative: reused
    std::variant<int, std::vector<int>> var = std::vector<int>(100, 1);
    const int* vp = std::get<1>(var).data();
    mpixx::deserialize_into(mpixx::serialize(std::variant<int, std::vector<int>>(std::vector<int>(50, 2))), var);
    CHECK(std::get<1>(var).data() == vp);
    CHECK(std::get<1>(var) == std::vector<int>(50, 2));

    // containers are overwritten, not appended to
    std::map<int, int> m{{100, 100}};
    mpixx::deserialize_into(mpixx::serialize(std::map<int, int>{{1, 1}}), m);
    CHECK(m == std::map<int, int>{{1, 1}});
    // map and set nodes are recycled: values keep their storage
    const std::map<std::string, std::vector<double>> series{{"a", std::vector<double>(64, 1.0)},
                                                           {"b", std::vector<double>(64, 2.0)}};
    std::map<std::string, std::vector<double>> series_into{{"x", std::vector<double>(64, 0.0)},
                                                          {"y", std::vector<double>(64, 0.0)},
                                                          {"z", {}}};
    std::vector<const double*> storage;
    for (const auto& kv : series_into) storage.push_back(kv.second.data());
    mpixx::deserialize_into(mpixx::serialize(series), series_into);
    CHECK(series_into == series);
    CHECK(series_into.at("a").data() == storage[0]);
    CHECK(series_into.at("b").data() == storage[1]);

    std::unordered_map<int, std::string> um{{1, "one"}, {2, "two"}, {3, "three"}};
    const std::unordered_map<int, std::string> um_src{{7, "seven"}, {8, "eight"}};
    mpixx::deserialize_into(mpixx::serialize(um_src), um);
    CHECK(um == um_src);
    std::set<std::string> st{"p", "q"};
    mpixx::deserialize_into(mpixx::serialize(std::set<std::string>{"c", "b", "a", "d"}), st);
    CHECK(st == std::set<std::string>{"a", "b", "c", "d"});
    std::unordered_multiset<int> ums{5, 5, 6};
    mpixx::deserialize_into(mpixx::serialize(std::unordered_multiset<int>{1, 1}), ums);
    CHECK(ums == std::unordered_multiset<int>{1, 1});
    // duplicates are caught on recycled nodes too
    std::map<int, int> recycled{{5, 5}, {6, 6}, {7, 7}};
    CHECK(error_class_of([&] {
              mpixx::deserialize_into(untyped(std::multimap<int, int>{{1, 1}, {1, 2}}), recycled);
          }) == MPI_ERR_OTHER);

    std::optional<std::string> o = "old";
    mpixx::deserialize_into(mpixx::serialize(std::optional<std::string>()), o);
    CHECK(!o.has_value());
}

TEST_CASE("serialize: maps and sets decoded over the same keys keep their nodes", "[serialize]") {
    using map_t = std::map<std::string, std::vector<int>>;
    const auto addresses = [](const map_t& m) {
        std::vector<const void*> a;
        for (const auto& kv : m) a.push_back(&kv);
        return a;
    };
    map_t m{{"a", {1}}, {"b", {2, 2}}, {"c", {3, 3, 3}}};
    const auto nodes = addresses(m);

    SECTION("same keys, new values: every node and value kept in place") {
        const map_t src{{"a", {10}}, {"b", {20, 20}}, {"c", {30, 30, 30}}};
        const int* b_storage = m.at("b").data();
        mpixx::deserialize_into(mpixx::serialize(src), m);
        CHECK(m == src);
        CHECK(addresses(m) == nodes);
        CHECK(m.at("b").data() == b_storage);
    }
    SECTION("fewer entries: the tail is dropped") {
        const map_t src{{"a", {7}}, {"b", {8}}};
        mpixx::deserialize_into(mpixx::serialize(src), m);
        CHECK(m == src);
        CHECK(addresses(m) == std::vector<const void*>(nodes.begin(), nodes.begin() + 2));
    }
    SECTION("more entries: the matched prefix stays, the rest is built") {
        const map_t src{{"a", {}}, {"b", {}}, {"c", {}}, {"d", {4}}, {"e", {5}}};
        mpixx::deserialize_into(mpixx::serialize(src), m);
        CHECK(m == src);
        const auto after = addresses(m);
        CHECK(std::vector<const void*>(after.begin(), after.begin() + 3) == nodes);
    }
    SECTION("a different key after a matched prefix: the remaining nodes are recycled") {
        const map_t src{{"a", {1}}, {"x", {9}}, {"y", {8}}, {"z", {7}}};
        mpixx::deserialize_into(mpixx::serialize(src), m);
        CHECK(m == src);
        CHECK(addresses(m).front() == nodes.front());
    }
    SECTION("no key in common") {
        const map_t src{{"p", {1}}};
        mpixx::deserialize_into(mpixx::serialize(src), m);
        CHECK(m == src);
    }
    SECTION("an empty stream empties the map") {
        mpixx::deserialize_into(mpixx::serialize(map_t{}), m);
        CHECK(m.empty());
    }
    SECTION("a duplicate after a matched prefix is still rejected") {
        CHECK(error_class_of([&] {
                  mpixx::deserialize_into(untyped(std::multimap<std::string, std::vector<int>>{
                                              {"a", {1}}, {"b", {2}}, {"b", {3}}}),
                                          m);
              }) == MPI_ERR_OTHER);
        CHECK(error_class_of([&] {
                  mpixx::deserialize_into(untyped(std::multimap<std::string, std::vector<int>>{
                                              {"a", {1}}, {"a", {2}}}),
                                          m);
              }) == MPI_ERR_OTHER);
    }
    SECTION("non-string keys, sets, unordered and multi containers") {
        std::map<int, double> mi{{1, 1.0}, {2, 2.0}};
        const std::map<int, double> mi_src{{1, 5.0}, {2, 6.0}, {3, 7.0}};
        mpixx::deserialize_into(mpixx::serialize(mi_src), mi);
        CHECK(mi == mi_src);

        std::set<std::string> st{"a", "b", "c"};
        const void* first = &*st.begin();
        mpixx::deserialize_into(mpixx::serialize(std::set<std::string>{"a", "b", "c"}), st);
        CHECK(st == std::set<std::string>{"a", "b", "c"});
        CHECK(&*st.begin() == first);
        mpixx::deserialize_into(mpixx::serialize(std::set<std::string>{"a", "c"}), st);
        CHECK(st == std::set<std::string>{"a", "c"});

        std::unordered_map<std::string, int> um{{"one", 1}, {"two", 2}, {"three", 3}};
        auto um_src = um;
        for (auto& kv : um_src) kv.second *= 10;
        mpixx::deserialize_into(mpixx::serialize(um_src), um);
        CHECK(um == um_src);
        um_src.erase("two");
        um_src.emplace("four", 40);
        mpixx::deserialize_into(mpixx::serialize(um_src), um);
        CHECK(um == um_src);

        std::multimap<int, int> mm{{1, 1}, {1, 2}, {2, 3}};
        const std::multimap<int, int> mm_src{{1, 5}, {1, 6}, {1, 7}, {2, 8}};
        mpixx::deserialize_into(mpixx::serialize(mm_src), mm);
        CHECK(mm == mm_src);
    }
}

TEST_CASE("serialize: encode_into reuses its buffer", "[serialize]") {
    bytes_t buf;
    std::vector<oob_out> segs;
    const std::map<std::string, int> m{{"a", 1}, {"b", 2}};
    mpixx::detail::encode_into(buf, segs, m);
    const bytes_t first = buf;
    const std::byte* data = buf.data();
    for (int i = 0; i < 10; ++i) {
        mpixx::detail::encode_into(buf, segs, m);
        CHECK(buf.data() == data);
        CHECK(buf == first);
    }
    CHECK(segs.empty());
    CHECK(mpixx::deserialize<std::map<std::string, int>>(buf) == m);
}

namespace {
struct sim_state {
    int step = 0;
    std::string name;
    std::vector<double> field;
    std::array<std::int32_t, 20000> grid{};
    bool operator==(const sim_state&) const = default;
};
} // namespace

TEST_CASE("serialize: big bulk runs travel out of band", "[serialize]") {
    auto s = std::make_unique<sim_state>();
    s->step = 42;
    s->name = "run";
    s->field.assign(100000, 1.5);
    for (std::size_t i = 0; i < s->grid.size(); ++i) s->grid[i] = static_cast<std::int32_t>(i);

    const auto e = mpixx::detail::encode(*s, mpixx::detail::default_oob_threshold);
    REQUIRE(e.segments.size() == 2);
    CHECK(e.segments[0].data == reinterpret_cast<const std::byte*>(s->field.data()));
    CHECK(e.segments[0].bytes == 100000 * sizeof(double));
    CHECK(e.segments[1].data == reinterpret_cast<const std::byte*>(s->grid.data()));
    CHECK(e.segments[1].bytes == sizeof(s->grid));
    CHECK(e.bytes.size() < 32 + mpixx::detail::type_fingerprint<sim_state>().size());

    auto out = std::make_unique<sim_state>();
    std::vector<oob_in> in;
    mpixx::detail::decode_into(e.bytes, *out, in, 1 << 30);
    REQUIRE(in.size() == 2);
    CHECK(in[0].data == reinterpret_cast<std::byte*>(out->field.data()));
    CHECK(in[0].bytes == e.segments[0].bytes);
    CHECK(in[1].data == reinterpret_cast<std::byte*>(out->grid.data()));
    CHECK(in[1].bytes == e.segments[1].bytes);
    CHECK(out->step == 42);
    CHECK(out->name == "run");
    for (std::size_t i = 0; i < in.size(); ++i) std::memcpy(in[i].data, e.segments[i].data, in[i].bytes);
    CHECK(*out == *s);

    // the in-memory API cannot receive out-of-band data
    CHECK(error_class_of([&] { (void)mpixx::deserialize<sim_state>(e.bytes); }) == MPI_ERR_OTHER);
    // nor may out-of-band runs exceed the caller's limit
    CHECK(error_class_of([&] { mpixx::detail::decode_into(e.bytes, *out, in, 800000); }) == MPI_ERR_OTHER);
    // below the threshold everything is inline, and serialize() never goes out of band
    CHECK(mpixx::detail::encode(*s, 1 << 20).segments.empty());
    *out = sim_state{};
    mpixx::deserialize_into(mpixx::serialize(*s), *out);
    CHECK(*out == *s);
}

TEST_CASE("serialize: out-of-band destinations stay valid in nested containers", "[serialize]") {
    // threshold 1: every non-empty bulk run goes out of band, except inside map keys and sets
    using nested = std::tuple<std::map<std::string, std::vector<int>>, std::vector<std::string>,
                              std::list<std::array<int, 4>>, std::optional<std::vector<double>>,
                              std::variant<int, std::u16string>, std::set<std::vector<int>>,
                              std::deque<std::string>, std::vector<std::vector<char>>>;
    const nested src{{{"alpha", {1, 2}}, {"beta", {}}, {"gamma", {3}}},
                     {"short", "", std::string(100, 'L')},
                     {{1, 2, 3, 4}, {5, 6, 7, 8}},
                     std::vector<double>{0.5},
                     std::u16string(u"sixteen"),
                     {{1}, {2, 3}},
                     {"d1", "d2"},
                     {{'a'}, {}, {'b', 'c'}}};
    const auto e = mpixx::detail::encode(src, 1);
    // map values 2, strings 2, arrays 2, optional 1, variant 1, deque 2, vectors 2 (keys and sets inline)
    CHECK(e.segments.size() == 12);
    nested out;
    std::vector<oob_in> in;
    mpixx::detail::decode_into(e.bytes, out, in);
    REQUIRE(in.size() == e.segments.size());
    for (std::size_t i = 0; i < in.size(); ++i) {
        REQUIRE(in[i].bytes == e.segments[i].bytes);
        std::memcpy(in[i].data, e.segments[i].data, in[i].bytes);
    }
    CHECK(out == src);
    // the flag per run is what the decoder follows: the same stream decodes the same way again
    nested again = out;
    mpixx::detail::decode_into(e.bytes, again, in);
    CHECK(in.size() == e.segments.size());
}

TEST_CASE("serialize: stream format", "[serialize]") {
    const bytes_t b = untyped(std::vector<std::uint8_t>(300, 7));
    REQUIRE(b.size() == 2 + 2 + 300);
    CHECK(b[0] == std::byte{mpixx::detail::format_version});
    CHECK(b[1] == std::byte{0});
    // varint(300 << 1) = varint(600) = 0xD8 0x04
    CHECK(b[2] == std::byte{0xD8});
    CHECK(b[3] == std::byte{0x04});
    CHECK(untyped(std::int32_t{5}) == stream({5, 0, 0, 0}));
    CHECK(untyped(std::optional<bool>(true)) == stream({1, 1}));
    CHECK(untyped(std::variant<int, char>('c')) == stream({1, 'c'}));

    const bytes_t typed = mpixx::detail::encode(1, mpixx::detail::never_oob, true).bytes;
    CHECK(typed[1] == std::byte{mpixx::detail::flag_type_name});
    CHECK(typed[2] == std::byte{3}); // "int"
    CHECK(std::string_view(reinterpret_cast<const char*>(typed.data() + 3), 3) == "int");
    CHECK(mpixx::deserialize<int>(typed) == 1);

    // a stream without a name decodes, whether or not the receiver checks types
    CHECK(mpixx::deserialize<int>(stream({9, 0, 0, 0})) == 9);
}

TEST_CASE("serialize: wrong-type decode names both types", "[serialize]") {
    const bytes_t b = mpixx::detail::encode(std::vector<int>{1, 2}, mpixx::detail::never_oob, true).bytes;
    if constexpr (mpixx::detail::type_check_enabled) {
        try {
            (void)mpixx::deserialize<std::vector<long>>(b);
            FAIL("expected a type mismatch");
        } catch (const mpixx::error& e) {
            CHECK(e.error_class() == MPI_ERR_TYPE);
            CHECK(e.routine() == "mpixx::deserialize");
            const std::string what = e.what();
            CHECK(what.find("received a std::vector<int> but decoding as std::vector<std::int64_t>") != std::string::npos);
        }
        // the same stream without a name: no check possible, the bytes decide (and here they do not fit)
        CHECK(error_class_of([&] { (void)mpixx::deserialize<std::vector<long>>(untyped(std::vector<int>{1, 2})); }) ==
              MPI_ERR_TRUNCATE);
    } else {
        // a non-checking decoder skips the name
        CHECK(mpixx::deserialize<std::vector<int>>(b) == std::vector<int>{1, 2});
    }
}

TEST_CASE("serialize: corrupt values are rejected", "[serialize]") {
    CHECK(error_class_of([] { (void)mpixx::deserialize<bool>(stream({2})); }) == MPI_ERR_OTHER);
    CHECK(mpixx::deserialize<bool>(stream({1})) == true);
    CHECK(error_class_of([] { (void)mpixx::deserialize<yes_no>(stream({7})); }) == MPI_ERR_OTHER);
    CHECK(error_class_of([] { (void)mpixx::deserialize<std::vector<bool>>(stream({2, 1, 9})); }) == MPI_ERR_OTHER);
    CHECK(error_class_of([] { (void)mpixx::deserialize<std::optional<int>>(stream({3})); }) == MPI_ERR_OTHER);
    CHECK(error_class_of([] { (void)mpixx::deserialize<std::variant<int, char>>(stream({2, 0})); }) ==
          MPI_ERR_OTHER);
    CHECK(error_class_of([] { (void)mpixx::deserialize<std::variant<int, char>>(stream({0x80, 0x80, 1})); }) ==
          MPI_ERR_OTHER);
    // overlong / overflowing varints
    CHECK(error_class_of([] { (void)mpixx::deserialize<std::string>(stream({0x82, 0x00, 'a'})); }) == MPI_ERR_OTHER);
    CHECK(error_class_of([] {
              (void)mpixx::deserialize<std::vector<int>>(
                  stream({0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0x02}));
          }) == MPI_ERR_OTHER);
    // header
    CHECK(error_class_of([] { (void)mpixx::deserialize<int>(bytes_t{std::byte{99}, std::byte{0}}); }) ==
          MPI_ERR_OTHER);
    CHECK(error_class_of([] {
              (void)mpixx::deserialize<std::int8_t>(bytes_t{std::byte{1}, std::byte{0x80}, std::byte{1}});
          }) == MPI_ERR_OTHER);
    // trailing bytes
    CHECK(error_class_of([] { (void)mpixx::deserialize<std::int8_t>(stream({1, 2})); }) == MPI_ERR_OTHER);
    // out-of-band run flagged in a stream whose header says inline
    CHECK(error_class_of([] { (void)mpixx::deserialize<std::string>(stream({3})); }) == MPI_ERR_OTHER);
    std::vector<oob_in> segs;
    std::string s;
    CHECK(error_class_of([&] { mpixx::detail::decode_into(stream({3}), s, segs); }) == MPI_ERR_OTHER);
    CHECK(error_class_of([] { (void)mpixx::deserialize<std::array<int, 1>>(stream({2, 1, 0, 0, 0})); }) ==
          MPI_ERR_OTHER);
}

TEST_CASE("serialize: duplicate keys are rejected by maps and sets", "[serialize]") {
    const auto mm = untyped(std::multimap<int, int>{{1, 1}, {1, 2}});
    CHECK(error_class_of([&] { (void)mpixx::deserialize<std::map<int, int>>(mm); }) == MPI_ERR_OTHER);
    CHECK(error_class_of([&] { (void)mpixx::deserialize<std::unordered_map<int, int>>(mm); }) == MPI_ERR_OTHER);
    CHECK(mpixx::deserialize<std::multimap<int, int>>(mm).size() == 2);
    const auto ms = untyped(std::multiset<std::string>{"a", "a"});
    CHECK(error_class_of([&] { (void)mpixx::deserialize<std::set<std::string>>(ms); }) == MPI_ERR_OTHER);
    CHECK(error_class_of([&] { (void)mpixx::deserialize<std::unordered_set<std::string>>(ms); }) ==
          MPI_ERR_OTHER);
}

TEST_CASE("serialize: hostile lengths throw without huge allocations", "[serialize]") {
    // varint 2^62, 1e9 and 1e8 (each shifted by one for bulk runs, whose low bit is the oob flag)
    const std::vector<bytes_t> huge = {
        stream({0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x40}),
        stream({0x80, 0x94, 0xeb, 0xdc, 0x03}),
        stream({0x80, 0xc2, 0xd7, 0x2f}),
    };
    for (const bytes_t& b : huge) {
        CHECK(error_class_of([&] { (void)mpixx::deserialize<std::vector<std::string>>(b); }) == MPI_ERR_OTHER);
        CHECK(error_class_of([&] { (void)mpixx::deserialize<std::vector<double>>(b); }) == MPI_ERR_TRUNCATE);
        CHECK(error_class_of([&] { (void)mpixx::deserialize<std::string>(b); }) == MPI_ERR_TRUNCATE);
        CHECK(error_class_of([&] { (void)mpixx::deserialize<std::vector<bool>>(b); }) == MPI_ERR_OTHER);
        CHECK(error_class_of([&] { (void)mpixx::deserialize<std::list<int>>(b); }) == MPI_ERR_OTHER);
        CHECK(error_class_of([&] { (void)mpixx::deserialize<std::deque<std::vector<int>>>(b); }) == MPI_ERR_OTHER);
        CHECK(error_class_of([&] { (void)mpixx::deserialize<std::map<int, int>>(b); }) == MPI_ERR_OTHER);
        CHECK(error_class_of([&] { (void)mpixx::deserialize<std::unordered_set<int>>(b); }) == MPI_ERR_OTHER);
        CHECK(error_class_of([&] { (void)mpixx::deserialize<std::vector<std::monostate>>(b); }) == MPI_ERR_OTHER);
        CHECK(error_class_of([&] { (void)mpixx::deserialize<std::vector<user::cached>>(b); }) == MPI_ERR_OTHER);
        // an out-of-band length is bounded by the caller's limit
        std::vector<double> v;
        std::vector<oob_in> segs;
        bytes_t oob = b;
        oob[1] = std::byte{mpixx::detail::flag_oob};
        oob[2] |= std::byte{1}; // the run's out-of-band bit
        CHECK(error_class_of([&] { mpixx::detail::decode_into(oob, v, segs, 1 << 20); }) == MPI_ERR_OTHER);
    }
    // zero-size elements are legal in moderation, but their total is budgeted per decode
    check_round_trip(std::vector<std::monostate>(1000));
    CHECK(error_class_of([] {
              (void)mpixx::deserialize<std::vector<std::vector<std::monostate>>>(
                  stream({3, 0x80, 0x80, 0x30, 0x80, 0x80, 0x30, 0x80, 0x80, 0x30}));
          }) == MPI_ERR_OTHER);
}

namespace {
template <class T>
void check_every_truncation_throws(const T& value) {
    const bytes_t full = mpixx::serialize(value);
    CHECK(mpixx::deserialize<T>(full) == value);
    for (std::size_t n = 0; n < full.size(); ++n) {
        const std::span<const std::byte> prefix(full.data(), n);
        const int cls = error_class_of([&] { (void)mpixx::deserialize<T>(prefix); });
        if (cls != MPI_ERR_TRUNCATE && cls != MPI_ERR_OTHER) FAIL("prefix " << n << " gave class " << cls);
    }
}
} // namespace

TEST_CASE("serialize: every truncation throws", "[serialize]") {
    std::map<std::string, std::vector<std::optional<std::variant<int, std::string>>>> deep;
    deep["a"] = {1, std::nullopt, std::string("xyz")};
    deep["bb"] = {};
    check_every_truncation_throws(deep);
    check_every_truncation_throws(record{"rec", {{1, 2, 3}}, {{"k", 1}, {"l", 2}}, 5, {}, true});
    check_every_truncation_throws(std::vector<std::string>{"one", "two", "three"});
    check_every_truncation_throws(std::tuple<std::array<int, 3>, std::set<int>, std::vector<bool>>{
        {1, 2, 3}, {4, 5}, {true, false}});
    check_every_truncation_throws(user::account("carol", 2.5, {1, 2, 3}));
    check_every_truncation_throws(std::u32string(U"abc"));
}

namespace {
template <class T>
void check_random_corruption(const T& value, std::uint32_t seed) {
    const bytes_t clean = untyped(value); // no type name: the flips hit the payload
    std::mt19937 rng(seed);
    int decoded = 0;
    int rejected = 0;
    for (int round = 0; round < 2000; ++round) {
        bytes_t b = clean;
        const int flips = 1 + static_cast<int>(rng() % 4);
        for (int i = 0; i < flips; ++i) {
            const std::size_t at = 2 + rng() % (b.size() - 2);
            b[at] ^= static_cast<std::byte>(1u << (rng() % 8));
        }
        if (rng() % 4 == 0) b.resize(2 + rng() % (b.size() - 2));
        try {
            T out = mpixx::deserialize<T>(b);
            ++decoded;
            // whatever decoded must encode and decode again
            CHECK(mpixx::deserialize<T>(mpixx::serialize(out)) == out);
        } catch (const mpixx::error& e) {
            ++rejected;
            CHECK((e.error_class() == MPI_ERR_TRUNCATE || e.error_class() == MPI_ERR_OTHER));
        }
    }
    CHECK(decoded + rejected == 2000);
    CHECK(rejected > 0);
}
} // namespace

TEST_CASE("serialize: random byte flips never crash", "[serialize]") {
    std::map<std::string, std::vector<std::optional<std::variant<int, std::string>>>> deep;
    deep["alpha"] = {1, std::nullopt, std::string("xyz"), 77};
    deep["b"] = {std::string(40, 'q')};
    check_random_corruption(deep, 1);
    check_random_corruption(std::vector<std::string>{"one", "two", "three", std::string(50, 'f')}, 2);
    check_random_corruption(std::tuple<std::set<int>, std::list<std::vector<bool>>, std::deque<std::u16string>,
                                       std::optional<std::array<std::string, 2>>>{
                                {1, 2, 3}, {{true}, {false, true}}, {u"ab", u""}, std::array<std::string, 2>{"x", "y"}},
                            3);
    check_random_corruption(std::unordered_map<int, std::multiset<std::string>>{{1, {"a", "a"}}, {2, {}}}, 4);

    // random garbage after a valid header
    std::mt19937 rng(5);
    for (int round = 0; round < 2000; ++round) {
        bytes_t b = stream({});
        const std::size_t n = rng() % 40;
        for (std::size_t i = 0; i < n; ++i) b.push_back(static_cast<std::byte>(rng() % 4 == 0 ? rng() : rng() % 4));
        try {
            (void)mpixx::deserialize<std::map<std::string, std::vector<std::optional<std::variant<int, std::string>>>>>(
                b);
        } catch (const mpixx::error&) {
        }
        try {
            (void)mpixx::deserialize<std::vector<std::vector<std::monostate>>>(b);
        } catch (const mpixx::error&) {
        }
    }
}

namespace geo {
template <class T>
struct box {
    T v;
    template <class Archive>
    void serialize(Archive& ar) {
        ar(v);
    }
};
} // namespace geo

TEST_CASE("serialize: type fingerprints are spelled the same by every compiler", "[serialize]") {
    using mpixx::detail::type_fingerprint;
    // The same strings are asserted when this file is built with g++ and with clang++ (CI builds both).
    CHECK(type_fingerprint<int>() == "int");
    CHECK(type_fingerprint<long>() == "std::int64_t");
    CHECK(type_fingerprint<long long>() == "std::int64_t");
    CHECK(type_fingerprint<unsigned long>() == "std::uint64_t");
    CHECK(type_fingerprint<std::size_t>() == "std::uint64_t");
    CHECK(type_fingerprint<short>() == "short");
    CHECK(type_fingerprint<std::uint8_t>() == "unsigned char");
    CHECK(type_fingerprint<char>() == "char");
    CHECK(type_fingerprint<bool>() == "bool");
    CHECK(type_fingerprint<std::byte>() == "std::byte");
    CHECK(type_fingerprint<std::complex<double>>() == "std::complex<double>");
    CHECK(type_fingerprint<std::string>() == "std::string");
    CHECK(type_fingerprint<std::u16string>() == "std::basic_string<char16_t>");
    CHECK(type_fingerprint<std::vector<bool>>() == "std::vector<bool>");
    CHECK(type_fingerprint<std::list<int>>() == "std::list<int>");
    CHECK(type_fingerprint<std::map<std::string, std::vector<double>>>() == "std::map<std::string, std::vector<double>>");
    CHECK(type_fingerprint<std::variant<int, std::string>>() == "std::variant<int, std::string>");
    CHECK(type_fingerprint<std::optional<std::tuple<long, float>>>() == "std::optional<std::tuple<std::int64_t, float>>");
    CHECK(type_fingerprint<std::pair<const std::string, int>>() == "std::pair<std::string, int>");
    CHECK(type_fingerprint<std::array<int, 3>>() == "std::array<int, 3>");
    CHECK(type_fingerprint<std::unordered_multimap<int, std::set<char>>>() ==
          "std::unordered_multimap<int, std::set<char>>");
    CHECK(type_fingerprint<std::monostate>() == "std::monostate");
    // Containers recognised by their interface are named after it.
    CHECK(type_fingerprint<std::deque<short>>() == "std::deque<short>");
    CHECK(type_fingerprint<std::forward_list<char>>() == "std::forward_list<char>");
    CHECK(type_fingerprint<std::set<int>>() == "std::set<int>");
    CHECK(type_fingerprint<std::multiset<int>>() == "std::multiset<int>");
    CHECK(type_fingerprint<std::unordered_set<int>>() == "std::unordered_set<int>");
    CHECK(type_fingerprint<std::unordered_multiset<int>>() == "std::unordered_multiset<int>");
    CHECK(type_fingerprint<std::multimap<int, char>>() == "std::multimap<int, char>");
    CHECK(type_fingerprint<std::unordered_map<int, char>>() == "std::unordered_map<int, char>");
    CHECK(type_fingerprint<std::complex<float>>() == "std::complex<float>");
    // User types: their (normalised) name, and a reflected aggregate's fields.
    CHECK(type_fingerprint<point>() == "(anonymous namespace)::point{double, double, double}");
    CHECK(type_fingerprint<level>() == "(anonymous namespace)::level");
    CHECK(type_fingerprint<user::account>() == "user::account");
    CHECK(type_fingerprint<user::legacy>() == "user::legacy");
    CHECK(type_fingerprint<geo::box<std::string>>() == "geo::box<std::string>");
    CHECK(type_fingerprint<geo::box<std::vector<long>>>() == "geo::box<std::vector<long>>");
    CHECK(type_fingerprint<pixel>() ==
          "(anonymous namespace)::pixel{unsigned char, unsigned char, unsigned char, (anonymous namespace)::level, "
          "std::array<float, 2>, (anonymous namespace)::point{double, double, double}}");
    // The spellings g++ and clang++ differ on are made one.
    using mpixx::detail::normalise_type_spelling;
    CHECK(normalise_type_spelling("std::__cxx11::list<long unsigned int>") == "std::list<unsigned long>");
    CHECK(normalise_type_spelling("{anonymous}::x<std::vector<std::vector<int> > >") ==
          "(anonymous namespace)::x<std::vector<std::vector<int>>>");
    CHECK(normalise_type_spelling("ns::t<std::__cxx11::basic_string<char, std::char_traits<char>, std::allocator<char> > >") ==
          "ns::t<std::string>");
    CHECK(normalise_type_spelling("int [3]") == "int[3]");
    CHECK(normalise_type_spelling("ns::y<long long int, short unsigned int>") == "ns::y<long long, unsigned short>");
}

namespace {
// A container with the standard map's interface that is not std::map: the serializer knows containers by
// their interface (it does not include <map> and friends), so it serializes as a map does.
struct registry : std::map<std::string, int> {
    using std::map<std::string, int>::map;
};
} // namespace

TEST_CASE("serialize: containers are recognised by their interface, not their name", "[serialize]") {
    static_assert(mpixx::serializable<registry>);
    static_assert(mpixx::detail::family_of<registry>() == mpixx::detail::family::unique_map);
    static_assert(mpixx::detail::family_of<std::multiset<int>>() == mpixx::detail::family::multi_set);
    static_assert(mpixx::detail::family_of<std::forward_list<int>>() == mpixx::detail::family::sequence);
    // Not containers: no push_front, no node handles.
    static_assert(mpixx::detail::family_of<std::string_view>() == mpixx::detail::family::none);
    static_assert(mpixx::detail::family_of<std::span<int>>() == mpixx::detail::family::none);
    const registry r{{"a", 1}, {"b", 2}};
    CHECK(round_trip(r) == r);
    // The same bytes as the std::map it derives from: either can receive the other.
    const std::map<std::string, int>& as_map = r;
    CHECK(mpixx::serialize(r) == mpixx::serialize(as_map));
}
