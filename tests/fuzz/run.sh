#!/usr/bin/env bash
# SPDX-License-Identifier: ISC
#
# Runs each libFuzzer target given for SECONDS on its corpus, which
# persists in DIR/corpus/<target> from run to run and is seeded by
# DIR/seeds-gen (and, for fuzz_config, by the configs of tests/config).
# Prints one line per target (executions, coverage, corpus size) and
# fails, naming the input that did it, if any target crashes, leaks,
# times out or trips a sanitizer.
#
#	tests/fuzz/run.sh DIR SECONDS FUZZER...
set -u

if [ $# -lt 3 ]; then
	echo "usage: $0 DIR SECONDS FUZZER..." >&2
	exit 2
fi
dir=$1 secs=$2
shift 2
here=$(cd "$(dirname "$0")" && pwd)

mkdir -p "$dir/corpus" "$dir/artifacts" "$dir/logs" || exit 2
rm -rf "$dir/seeds"
"$dir/seeds-gen" "$dir/seeds" || exit 2

# Config seeds: tests/config with real key files where they say @KEYDIR@.
keydir=$(cd "$dir" && pwd)/keys
mkdir -p -m 700 "$keydir" "$dir/seeds/fuzz_config"
for k in alpha.key alpha-beta.psk alpha-gamma.psk; do
	[ -s "$keydir/$k" ] ||
	    (umask 077 && head -c 32 /dev/urandom | base64 >"$keydir/$k")
done
for f in "$here"/../config/*.conf "$here"/../config/*.bad; do
	sed "s|@KEYDIR@|$keydir|g" "$f" >"$dir/seeds/fuzz_config/${f##*/}"
done

pass=0 fail=0
for bin in "$@"; do
	name=${bin##*/}
	corpus=$dir/corpus/$name
	log=$dir/logs/$name.log
	mkdir -p "$corpus"
	seeds=()
	[ -d "$dir/seeds/$name" ] && seeds=("$dir/seeds/$name")
	# The fuzzer's own clock ends the run; timeout only guards a hang
	# of the fuzzer itself.
	timeout -k 10 $((secs + 120)) "$bin" -max_total_time="$secs" \
	    -timeout=10 -rss_limit_mb=2048 -max_len=70000 \
	    -print_final_stats=1 -artifact_prefix="$dir/artifacts/$name-" \
	    "$corpus" "${seeds[@]}" >"$log" 2>&1
	rc=$?
	runs=$(sed -n 's/^stat::number_of_executed_units: *//p' "$log")
	done_line=$(grep -E '^#[0-9]+[[:space:]]+DONE' "$log" | tail -n 1)
	cov=$(sed -n 's/.* cov: \([0-9]*\).*/\1/p' <<<"$done_line")
	ft=$(sed -n 's/.* ft: \([0-9]*\).*/\1/p' <<<"$done_line")
	corp=$(sed -n 's/.* corp: \([0-9]*\/[0-9]*[a-zA-Z]*\).*/\1/p' \
	    <<<"$done_line")
	if [ "$rc" -eq 0 ]; then
		pass=$((pass + 1))
		echo "PASS $name: ${runs:-?} runs in ${secs} s, cov ${cov:-?}," \
		    "ft ${ft:-?}, corpus ${corp:-?}"
	else
		fail=$((fail + 1))
		echo "FAIL $name: exit $rc (log $log)"
		grep -E 'ERROR|SUMMARY|runtime error|Test unit written' "$log" |
		    head -n 10 | sed 's/^/    /'
	fi
done
echo "fuzz: $pass passed, $fail failed"
[ "$fail" -eq 0 ]
