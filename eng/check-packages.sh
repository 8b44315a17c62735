#!/usr/bin/env bash
# Checks that `dotnet pack` produced one .nupkg and one .snupkg per library under src/, each with
# its README, XML docs for every target framework, description, tags and licence expression.
set -euo pipefail
dir=${1:?usage: eng/check-packages.sh <package-dir>}
status=0
for csproj in src/*/*.csproj; do
  id=$(basename "$csproj" .csproj)
  nupkg=$(ls "$dir"/"$id".[0-9]*.nupkg 2>/dev/null | grep -v '\.symbols\.' | head -1 || true)
  if [ -z "$nupkg" ]; then echo "missing package for $id" >&2; status=1; continue; fi
  if ! ls "$dir"/"$id".[0-9]*.snupkg >/dev/null 2>&1; then echo "missing symbols package for $id" >&2; status=1; fi
  listing=$(unzip -l "$nupkg")
  nuspec=$(unzip -p "$nupkg" "$id.nuspec")
  for f in README.md "lib/net8.0/$id.dll" "lib/net8.0/$id.xml" "lib/net10.0/$id.dll" "lib/net10.0/$id.xml"; do
    grep -qF " $f" <<<"$listing" || { echo "$id: $f missing from $nupkg" >&2; status=1; }
  done
  for tag in '<readme>README.md</readme>' '<license type="expression">' '<description>' '<tags>'; do
    grep -qF "$tag" <<<"$nuspec" || { echo "$id: nuspec lacks $tag" >&2; status=1; }
  done
done
[ "$status" -eq 0 ] && echo "packages OK: $(ls "$dir"/*.nupkg | wc -l) nupkg, $(ls "$dir"/*.snupkg | wc -l) snupkg"
exit "$status"
