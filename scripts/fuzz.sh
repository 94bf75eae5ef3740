#!/usr/bin/env bash
# Fuzzes every fuzz target of the module, one after the other, FUZZTIME (default 30s) each.
# Targets are found, not listed, so a new one is fuzzed too; each must have a committed seed
# corpus in its package's testdata/fuzz/<Target>/ (the run stops if one has none).
set -euo pipefail
shopt -s nullglob
cd "$(dirname "$0")/.."
go=${GO:-go}
fuzztime=${FUZZTIME:-30s}

declare -a runs=()
while read -r pkg dir; do
	files=("$dir"/*_test.go)
	((${#files[@]})) || continue
	for name in $(sed -n 's/^func \(Fuzz[A-Za-z0-9_]*\)(.*/\1/p' "${files[@]}" | sort -u); do
		corpus=("$dir/testdata/fuzz/$name"/*)
		if ((${#corpus[@]} == 0)); then
			echo "fuzz: $pkg $name has no seed corpus in ${dir#"$PWD"/}/testdata/fuzz/$name/" >&2
			exit 1
		fi
		runs+=("$pkg $name ${#corpus[@]}")
	done
done < <("$go" list -f '{{.ImportPath}} {{.Dir}}' ./...)

for run in "${runs[@]}"; do
	read -r pkg name seeds <<<"$run"
	echo "=== $name ($pkg, $seeds committed seeds, $fuzztime)"
	"$go" test "$pkg" -run '^$' -fuzz "^$name\$" -fuzztime "$fuzztime"
done
echo "fuzzed ${#runs[@]} targets, $fuzztime each"
