# tests/examples/checks/rma.sh - checkers of the one-sided examples (sourced by
# tests/examples/check_example.sh): shared_memory and rma_counter. Every expected value is computed
# here, in bash, never by mpixx.
# shellcheck shell=bash disable=SC2154 # out, np: set by check_example.sh

# Rank 0 prints three lines: the table size, the sum of i*i % 1000 over 0..9999, the copy count.
check_shared_memory() {
    local i sum=0
    for ((i = 0; i < 10000; i++)); do sum=$((sum + i * i % 1000)); done
    local want
    want=$(printf '%s\n' "table of 10000 entries, shared by the processes of each node" \
        "sum of all entries = $sum (looked up by $np rank(s))" \
        "copies of the table: at most one per node")
    [ "$out" = "$want" ] || fail "expected exactly:"$'\n'"$want"
}

# Rank 0 prints the Collatz steps of 1..40 in task order, their total, and that each task ran once.
check_rma_counter() {
    local n m steps total=0 line=""
    for ((n = 1; n <= 40; n++)); do
        m=$n steps=0
        while ((m != 1)); do
            if ((m % 2)); then m=$((3 * m + 1)); else m=$((m / 2)); fi
            steps=$((steps + 1))
        done
        line+="${line:+ }$steps"
        total=$((total + steps))
    done
    local want
    want=$(printf '%s\n' "40 tasks handed out by a fetch-and-op counter to $np rank(s)" \
        "collatz steps of 1..40: $line" "total steps = $total" "every task ran exactly once: yes")
    [ "$out" = "$want" ] || fail "expected exactly:"$'\n'"$want"
}
