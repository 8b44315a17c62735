#!/usr/bin/env bash
# Adds every public symbol the PublicApiAnalyzers report as undeclared (RS0016) to the project's
# PublicAPI.Unshipped.txt, and drops the ones it reports as removed (RS0017). Review the diff:
# this file is where public API changes are decided.
# Usage: eng/update-public-api.sh src/<Package>
set -euo pipefail
project_dir=${1:?usage: eng/update-public-api.sh src/<Package>}
unshipped="$project_dir/PublicAPI.Unshipped.txt"
log=$(mktemp)
dotnet build "$project_dir" -c Release -p:TreatWarningsAsErrors=false -p:WarningsAsErrors= -p:WarningLevel=4 --no-incremental >"$log" 2>&1 || true
added=$(grep -oE "RS0016: Symbol '[^']+'" "$log" | sed -E "s/^RS0016: Symbol '//; s/'$//" | sort -u || true)
removed=$(grep -oE "RS0017: Symbol '[^']+'" "$log" | sed -E "s/^RS0017: Symbol '//; s/'$//" | sort -u || true)
tmp=$(mktemp)
{ grep -v '^#nullable' "$unshipped" || true; if [ -n "$added" ]; then printf '%s\n' "$added"; fi; } | sort -u >"$tmp"
if [ -n "$removed" ]; then
  grep -vxF -f <(printf '%s\n' "$removed") "$tmp" >"$tmp.2" || true
  mv "$tmp.2" "$tmp"
fi
{ echo '#nullable enable'; grep -v '^$' "$tmp" || true; } >"$unshipped"
rm -f "$tmp" "$log"
echo "updated $unshipped ($(echo -n "$added" | grep -c . || true) added, $(echo -n "$removed" | grep -c . || true) removed)"
