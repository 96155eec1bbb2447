# tests/examples/checks/patterns.sh - checkers of the "parallel patterns" examples (sourced by
# tests/examples/check_example.sh): embarrassingly_parallel, array_ops, matvec, monte_carlo_pi, hybrid,
# debugging (also run as debugging_attach, with MPIXX_DEBUG_RANK set) and pipeline. Every expected
# value is computed here (bash, awk), from the formulas the examples' comments state, never by mpixx.
# shellcheck shell=bash disable=SC2154 # out, np, errout: set by check_example.sh

# Fails unless the output has exactly $1 lines.
patterns_line_count() {
    local got
    got=$(printf '%s\n' "$out" | grep -c '')
    [ -n "$out" ] || got=0
    [ "$got" -eq "$1" ] || fail "expected $1 line(s), got $got"
}

# Fails unless |$1 - $2| <= $3 (decimal numbers; awk's doubles).
patterns_close() {
    awk -v a="$1" -v b="$2" -v tol="$3" 'BEGIN { d = a - b; if (d < 0) d = -d; exit !(d <= tol) }' ||
        fail "$4: got $1, expected $2 (tolerance $3)"
}

# sum of i*i for i < 1000, at every rank count (the remainder of 1000 / np must not be lost).
check_embarrassingly_parallel() {
    local sum=0 i
    for ((i = 0; i < 1000; i++)); do sum=$((sum + i * i)); done
    patterns_line_count 1
    expect_line 1 "Total sum: $sum"
}

# Global element i is frac(0.6180339887498949 * i); the sum of the 1000 squares, to 10 decimals (the
# summation order differs with the rank count, hence the tolerance).
check_array_ops() {
    local want got
    want=$(awk 'BEGIN { s = 0; for (i = 0; i < 1000; i++) { x = 0.6180339887498949 * i; x -= int(x); s += x * x }
                       printf "%.10f", s }')
    patterns_line_count 1
    got=$(printf '%s\n' "$out" | sed -n 's/^Global sum: \([0-9][0-9]*\.[0-9]\{10\}\)$/\1/p')
    [ -n "$got" ] || fail "expected 'Global sum: X' with 10 decimals"
    patterns_close "$got" "$want" 1.5e-10 "global sum" # 10 decimals, each side rounded
}

# y = A x with A[i][j] = (i + 2j) % 7, x[j] = j % 5, N = 100: the shape and the exact sum of y.
check_matvec() {
    local sum
    sum=$(awk 'BEGIN { s = 0; for (i = 0; i < 100; i++) for (j = 0; j < 100; j++) s += ((i + 2 * j) % 7) * (j % 5)
                       printf "%d", s }')
    patterns_line_count 2
    expect_line 1 "Result shape: (100,)"
    expect_line 2 "Checksum: $sum"
}

# Run with N = $MPIXX_PI_SAMPLES samples: the estimate is 4k/N for an integer k, within 0.05 of π, and
# the error line is |estimate - π|.
check_monte_carlo_pi() {
    local n=${MPIXX_PI_SAMPLES:?the test sets MPIXX_PI_SAMPLES to the N it passes} estimate error
    patterns_line_count 2
    estimate=$(printf '%s\n' "$out" | sed -n '1s/^Estimated π = \(.*\)$/\1/p')
    error=$(printf '%s\n' "$out" | sed -n '2s/^Error = \(.*\)$/\1/p')
    [ -n "$estimate" ] || fail "line 1: expected 'Estimated π = X'"
    [ -n "$error" ] || fail "line 2: expected 'Error = X'"
    local pi=3.14159265358979323846
    patterns_close "$estimate" "$pi" 0.05 "estimate of π from $n samples"
    awk -v e="$estimate" -v n="$n" 'BEGIN { k = e * n / 4; r = k - int(k + 0.5); exit !(r < 1e-6 && r > -1e-6) }' ||
        fail "the estimate $estimate is not 4k/$n for an integer k (not all $n samples counted?)"
    local want_error
    want_error=$(awk -v e="$estimate" -v pi="$pi" 'BEGIN { d = e - pi; if (d < 0) d = -d; printf "%.17g", d }')
    patterns_close "$error" "$want_error" 1e-15 "error line"
}

# One line per rank, in rank order: a thread level of at least funneled, the OpenMP thread count the
# test asked for ($MPIXX_EXPECT_OMP_THREADS: OMP_NUM_THREADS, or 1 when built without OpenMP) and the
# sum of the squares of rank + i % 100 for i < 10**6 (each residue 10**4 times).
check_hybrid() {
    local threads=${MPIXX_EXPECT_OMP_THREADS:?the test sets MPIXX_EXPECT_OMP_THREADS} r k sq line
    patterns_line_count "$np"
    for ((r = 0; r < np; r++)); do
        sq=0
        for ((k = 0; k < 100; k++)); do sq=$((sq + (r + k) * (r + k))); done
        line=$(printf '%s\n' "$out" | sed -n "$((r + 1))p")
        [[ $line =~ ^"Rank $r: thread level "(funneled|serialized|multiple)", $threads OpenMP thread(s), checksum "$((sq * 10000))$ ]] ||
            fail "line $((r + 1)): expected 'Rank $r: thread level funneled|serialized|multiple, $threads OpenMP thread(s), checksum $((sq * 10000))', got '$line'"
    done
}

# Every rank prints "[Rank r] Starting computation" and "[Rank r] Finished: total = np(np+1)/2".
check_debugging() {
    local expected=() r
    for ((r = 0; r < np; r++)); do
        expected+=("[Rank $r] Starting computation" "[Rank $r] Finished: total = $((np * (np + 1) / 2))")
    done
    expect_lines_any_order "${expected[@]}"
}

# The same program with MPIXX_DEBUG_RANK=0 and a short MPIXX_DEBUG_TIMEOUT: rank 0, and only rank 0,
# announces the wait on stderr and goes on when no debugger comes; stdout as without the variable.
check_debugging_attach() {
    check_debugging
    grep -Eq "^mpixx: rank 0 waiting for debugger: gdb -p [0-9]+ \(host " <<<"$errout" ||
        fail "expected rank 0's 'waiting for debugger: gdb -p PID' line on stderr, got: $errout"
    grep -q "^mpixx: rank 0: no debugger attached within" <<<"$errout" ||
        fail "expected rank 0 to time out waiting, got: $errout"
    ! grep -Eq "^mpixx: rank [1-9]" <<<"$errout" || fail "only rank 0 may wait, got: $errout"
}

# Items 0..7 through np stages, stage k: v -> 2v + k.
check_pipeline() {
    local results=() item v k
    for ((item = 0; item < 8; item++)); do
        v=$item
        for ((k = 0; k < np; k++)); do v=$((2 * v + k)); done
        results+=("$v")
    done
    patterns_line_count 1
    expect_line 1 "Results after $np stage(s): [${results[*]}]"
}
