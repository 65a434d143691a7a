#!/usr/bin/env bash
# The harness itself: it must catch what a suite leaves behind, clean it up,
# and count failures honestly. Each fixture suite runs in namespaces of its
# own, nested in this suite's.
source "$(dirname "$0")/lib.sh"

# count_existing PATH...: how many of the (glob-expanded) paths exist.
count_existing() {
  local p n=0
  for p in "$@"; do [[ -e $p ]] && n=$((n + 1)); done
  echo "$n"
}

test_leftovers_are_reported_cleaned_and_fail_the_suite() {
  local before after
  before=$(count_existing /tmp/mydocker-it.leaky_suite.*)
  expect_exit 1 bash "$HARNESS_DIR/fixtures/leaky_suite.sh"
  # The test itself passed: the leftovers are what fails the suite.
  expect_contains "$OUT" "PASS leaky_suite.test_leaves_things_behind"
  expect_contains "$OUT" "LEFTOVER mounts: /tmp/mydocker-it.leaky_suite."
  expect_contains "$OUT" "LEFTOVER links: mydocker-leak"
  expect_contains "$OUT" "LEFTOVER nftables rules:"
  expect_contains "$OUT" "table inet mydocker_leak"
  expect_contains "$OUT" "LEFTOVER processes:"
  expect_contains "$OUT" "sleep"
  expect_contains "$OUT" "cleaned up: nothing left after removal"
  expect_contains "$OUT" "FAIL leaky_suite: left state behind"
  expect_eq "leaky_suite: 1 passed, 1 failed" "$(tail -n 1 <<< "$OUT")" "last line"
  # Its work dir is gone too.
  after=$(count_existing /tmp/mydocker-it.leaky_suite.*)
  expect_eq "$before" "$after" "leaky_suite work dirs"
}

test_a_failing_assertion_fails_its_test_only() {
  expect_exit 1 bash "$HARNESS_DIR/fixtures/failing_suite.sh"
  expect_contains "$OUT" "PASS failing_suite.test_passes"
  expect_contains "$OUT" "FAIL failing_suite.test_fails"
  expect_contains "$ERR" "FAIL (failing_suite.sh:"
  expect_contains "$ERR" "sum: want '3', got '2'"
  expect_not_contains "$OUT" "LEFTOVER"
  expect_eq "failing_suite: 1 passed, 1 failed" "$(tail -n 1 <<< "$OUT")" "last line"
}

test_the_suite_runs_in_its_own_namespaces() {
  # This shell is pid 1 of a pid namespace, and none of its namespaces is
  # the one the suite was started in.
  expect_eq 1 "$$" "suite pid"
  local ns
  for ns in net mnt pid; do
    expect_not_contains "$HARNESS_OUTER_NS" "$(readlink /proc/1/ns/$ns)" "outer namespaces"
  done
  expect_eq "lo" "$(ip -o link show | awk -F': ' '{print $2}')" "links"
  expect_eq "" "$(nft list ruleset)" "nftables ruleset"
  # A mount made here is invisible outside: the mount namespace is private.
  expect_contains "$(findmnt -n -o FSTYPE "$WORK")" tmpfs
}

run_suite
