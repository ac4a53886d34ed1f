#!/usr/bin/env bash
# Every *_linux.go file must carry a linux build constraint and have an
# *_other.go companion in the same package, so non-Linux builds compile.
set -euo pipefail
cd "$(dirname "$0")/.."
status=0
while read -r f; do
	case "$f" in *_test.go) continue ;; esac
	if ! grep -qE '^//go:build .*linux' "$f"; then
		echo "$f: missing an explicit //go:build linux line" >&2
		status=1
	fi
	other="$(dirname "$f")/$(basename "$f" _linux.go)_other.go"
	if [ ! -f "$other" ]; then
		echo "$f: no companion $other for other systems" >&2
		status=1
	fi
done < <(git ls-files '*_linux.go' 2>/dev/null || find . -name '*_linux.go')
if [ "$status" -eq 0 ]; then
	echo "build tags: ok"
fi
exit $status
