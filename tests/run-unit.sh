#!/bin/sh
# Runs each cmocka unit test binary given, each bounded in time so a hung
# test fails instead of stalling CI; prints a summary line and fails if
# any test failed.
pass=0 fail=0
for t in "$@"; do
	if timeout 300 "$t"; then
		pass=$((pass + 1))
	else
		fail=$((fail + 1))
		echo "FAIL: $t (exit $?)"
	fi
done
echo "unit: $pass passed, $fail failed"
[ "$fail" -eq 0 ]
