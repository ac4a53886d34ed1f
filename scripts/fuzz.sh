#!/usr/bin/env bash
# Runs every fuzz target in the module for FUZZTIME (default 8s) each.
# A target that finds a failure stops the script with its exit status.
#
# Go's fuzzer can fail with "context deadline exceeded" and no failing input
# when FUZZTIME runs out while it is still gathering baseline coverage on a
# loaded machine; such a run found nothing, so it is retried once. A real
# finding ("Failing input written to ...") is never retried.
set -uo pipefail
cd "$(dirname "$0")/.."
fuzztime=${FUZZTIME:-8s}
go=${GO:-go}
found=0
targets=$(grep -rEo --include='*_test.go' --with-filename '^func Fuzz[A-Za-z0-9_]+' . |
	sed -E 's/^\.\/(.*):func (Fuzz[A-Za-z0-9_]+)$/\1:\2/' | sort)
for t in $targets; do
	file=${t%%:*}
	name=${t##*:}
	pkg=./$(dirname "$file")
	for attempt in 1 2; do
		echo "fuzz $pkg $name ($fuzztime, attempt $attempt)"
		out=$("$go" test -run='^$' -fuzz="^${name}\$" -fuzztime="$fuzztime" "$pkg" 2>&1)
		status=$?
		echo "$out" | tail -3
		if [ $status -eq 0 ]; then
			break
		fi
		if [ $attempt -eq 1 ] && grep -q 'context deadline exceeded' <<<"$out" && ! grep -q 'Failing input written' <<<"$out"; then
			echo "fuzz: $name timed out before fuzzing started; retrying"
			continue
		fi
		echo "$out" >&2
		exit $status
	done
	found=$((found + 1))
done
if [ "$found" -eq 0 ]; then
	echo "fuzz: no fuzz targets found" >&2
	exit 1
fi
echo "fuzz: $found targets ran clean"
