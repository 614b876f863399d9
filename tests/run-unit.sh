#!/bin/sh
# Runs each cmocka unit test binary given, each bounded in time so a hung
# test fails instead of stalling CI; prints a summary line and fails if
# any test failed.
pass=0 fail=0
for t in "$@"; do
	timeout 300 "$t"
	rc=$?
	if [ "$rc" -eq 0 ]; then
		pass=$((pass + 1))
	else
		fail=$((fail + 1))
		why="exit $rc"
		[ "$rc" -eq 124 ] && why="timed out after 300 s"
		echo "FAIL: $t ($why)"
	fi
done
echo "unit: $pass passed, $fail failed"
[ "$fail" -eq 0 ]
