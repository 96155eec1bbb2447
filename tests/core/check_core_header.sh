#!/usr/bin/env bash
# Proves that <mpixx/core.hpp> is light: compiles a unit that includes only it with -H -fsyntax-only and
# fails if any header it pulls in is part of the serializer, the object protocol, {fmt}, print, format,
# the task farm or the executor, or <map>; with libstdc++ also <memory>, <ostream>, <functional>, <ranges>,
# <algorithm>, <mutex>, <cmath>, <thread>, <chrono>, <sstream>, <atomic> (the core includes the pieces it needs).
# Usage: check_core_header.sh COMPILER INCLUDE_DIRS(';'- or ':'-separated) SCRATCH_DIR
set -euo pipefail
compiler=$1
includes=$2
scratch=$3
mkdir -p "$scratch"
src=$scratch/core_only.cpp
printf '#include <mpixx/core.hpp>\nint main() { return 0; }\n' >"$src"
flags=(-std=c++20 -H -fsyntax-only)
IFS=';:' read -r -a dirs <<<"$includes"
for d in "${dirs[@]}"; do [[ -n $d ]] && flags+=("-I$d"); done
if ! "$compiler" "${flags[@]}" "$src" 2>"$scratch/headers.txt"; then
    cat "$scratch/headers.txt"
    echo "FAIL: <mpixx/core.hpp> alone does not compile"
    exit 1
fi
headers=$(grep -E '^\.+ ' "$scratch/headers.txt" | sed -E 's/^\.+ //')
echo "core.hpp pulls in $(wc -l <<<"$headers") headers ($(grep -c '/mpixx/' <<<"$headers") of mpixx)"
heavy=$(grep -E 'serializ|object_messaging|object_protocol|object_collectives|/fmt/|print\.hpp|format\.hpp|task_farm|executor|/c\+\+/[0-9]+/map$' <<<"$headers" || true)
if [[ -n $heavy ]]; then
    echo "FAIL: <mpixx/core.hpp> pulls in heavy headers:"
    echo "$heavy"
    exit 1
fi
# With libstdc++ the core avoids its costly C++20 umbrella headers (detail/owner.hpp, detail/std_light.hpp):
# <memory> and <ostream> (0.5 s), <functional>, <ranges>, <algorithm>, <mutex>, <cmath>, <thread>; and
# <atomic> and <bits/chrono.h> (detail/atomic.hpp, detail::mutex_lock: C++20 atomic waits and timed locks).
if grep -q '/bits/c++config.h$' <<<"$headers"; then
    costly=$(grep -E '/c\+\+/[0-9]+/(memory|ostream|functional|ranges|algorithm|mutex|cmath|thread|chrono|sstream|atomic|bits/chrono\.h)$' <<<"$headers" || true)
    if [[ -n $costly ]]; then
        echo "FAIL: with libstdc++, <mpixx/core.hpp> pulls in costly standard headers:"
        echo "$costly"
        exit 1
    fi
fi
# For each tolerated standard header, the innermost mpixx header on the include stack that first reaches it.
awk '/^\.+ / {
    d = index($0, " ") - 1; path = substr($0, d + 2); stack[d] = path
    n = split(path, parts, "/"); name = parts[n]
    if (path ~ /\/c\+\+\/[0-9]+\/(thread|mutex|functional|ranges|atomic|variant)$/ && !(name in seen)) {
        seen[name] = 1
        for (i = d - 1; i >= 1; --i) if (stack[i] ~ /\/mpixx\//) { sub(/.*\/include\//, "", stack[i]); break }
        printf "note: <%s> comes in through %s\n", name, (i >= 1 ? stack[i] : "core.hpp")
    }
}' "$scratch/headers.txt"
grep -q '/mpixx/communicator.hpp$' <<<"$headers" || { echo "FAIL: communicator.hpp not seen (is -H working?)"; exit 1; }
echo "core header is light: PASS"
