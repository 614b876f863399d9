#!/usr/bin/env bash
# SPDX-License-Identifier: ISC
#
# The throughput guard: one bench run (bench/run.sh) of vtun, ipcp with
# `offload = off' and ipcp as configured by default, one after the
# other on the same host, and two relative assertions on the
# single-stream Gbit/s:
#
#   ipcp > ipcp-nooffload	the TUN offloads buy something
#   ipcp >= 1.25 x vtun		a quarter of the 5x target over the best
#				TCP peer of our runs
#
# No absolute Gbit/s: the host is shared and its speed unknown.  Only
# ratios within one run count, and a run whose assertions fail is run
# once more (other load may have hit one case and not the other); the
# guard passes if that second run passes.  A case that gives no number
# at all (its tunnel did not come up) fails the guard at once.  The bench installs vtun, jq
# and ethtool from Debian if missing, non-interactively.
. "$(dirname "$0")/lib.sh"

BENCH=$ROOT/bench/run.sh
SECS=5			# iperf3 seconds per test
PINGS=20
RUN_LIMIT=140		# seconds per bench run; run.sh gives a test 180
MIN_VS_VTUN=1.25

need_root
[ -x "$BENCH" ] || fail "$BENCH missing"

# bench_run N: one bench run into $TMP/gN.tsv, its log in $TMP/gN.log.
# The bench kills what it started and deletes its namespaces when it
# gets SIGTERM, which is what lib.sh's cleanup sends if we are stopped.
bench_run() {
	local pid rc
	IPCP_BUILD=$IPCP_BUILD timeout -k 10 "$RUN_LIMIT" "$BENCH" \
	    -t "$SECS" -n "$PINGS" -o "$TMP/g$1.tsv" vtun ipcp-nooffload ipcp \
	    </dev/null >"$TMP/g$1.log" 2>&1 &
	pid=$!
	MY_PIDS+=("$pid")
	wait "$pid"
	rc=$?
	forget_pid "$pid"
	return $rc
}

# judge N: print the numbers and ratios of run N; 0 if both assertions
# hold, 1 if one does not, 2 if a case gave no number.
judge() {
	python3 - "$TMP/g$1.tsv" "$MIN_VS_VTUN" "$T_NAME" <<'EOF'
import csv, sys

path, need, name = sys.argv[1], float(sys.argv[2]), sys.argv[3]
try:
    with open(path) as f:
        lines = [l for l in f if not l.startswith("#")]
except OSError as e:
    print("  %s: no results: %s" % (name, e))
    sys.exit(2)
rows = {r["case"]: r for r in csv.DictReader(lines, delimiter="\t",
                                             quoting=csv.QUOTE_NONE)}
g = {}
for c in ("vtun", "ipcp-nooffload", "ipcp"):
    r = rows.get(c, {})
    try:
        g[c] = float(r.get("gbps_1"))
    except (TypeError, ValueError):
        print("  %s: %s gave no single-stream number (%s)" %
              (name, c, r.get("note") or "no row"))
        sys.exit(2)
print("  %s: single-stream Gbit/s: vtun %.3f, ipcp-nooffload %.3f, "
      "ipcp %.3f" % (name, g["vtun"], g["ipcp-nooffload"], g["ipcp"]))
r_off = g["ipcp"] / g["ipcp-nooffload"] if g["ipcp-nooffload"] else 0
r_vtun = g["ipcp"] / g["vtun"] if g["vtun"] else 0
ok_off = g["ipcp"] > g["ipcp-nooffload"]
ok_vtun = g["ipcp"] >= need * g["vtun"]
print("  %s: ipcp / ipcp-nooffload = %.2f (must be > 1): %s" %
      (name, r_off, "ok" if ok_off else "NOT MET"))
print("  %s: ipcp / vtun = %.2f (must be >= %.2f): %s" %
      (name, r_vtun, need, "ok" if ok_vtun else "NOT MET"))
sys.exit(0 if ok_off and ok_vtun else 1)
EOF
}

# The bench's own error lines, for a failure message.
bench_errors() {
	grep -E 'error|failed|skipped|no ping|not up' "$TMP/g$1.log" |
	    grep -v '^ipcpd' | tail -n 5
}

for run in 1 2; do
	bench_run "$run"
	brc=$?
	[ "$brc" = 124 ] && info "run $run: the bench took over ${RUN_LIMIT}s"
	judge "$run"
	case $? in
	0)	[ "$run" = 2 ] && info "passed on the retry"
		pass ;;
	1)	[ "$run" = 1 ] && info "run 1 did not pass; retrying once" ;;
	*)	# A tunnel that did not run is broken, not slow: no retry.
		bench_errors "$run" | sed "s/^/  $T_NAME: bench: /"
		fail "a case of the bench did not run (bench exit $brc)" ;;
	esac
done
fail "the guard failed twice in a row"
