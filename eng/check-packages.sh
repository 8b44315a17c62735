#!/usr/bin/env bash
# Checks that `dotnet pack` produced one .nupkg and one .snupkg per library under src/, at the version
# src/Directory.Build.props sets, each with its README, LICENSE, XML docs for every target framework,
# description, tags, licence expression, and a <repository> element naming the repository URL and the
# commit; and that every PDB in the symbols package carries a Source Link mapping to that commit.
set -euo pipefail
dir=${1:?usage: eng/check-packages.sh <package-dir>}
dir=$(cd "$dir" && pwd)
cd "$(dirname "${BASH_SOURCE[0]}")/.."
props=src/Directory.Build.props
version=$(sed -nE 's:.*<Version>([^<]+)</Version>.*:\1:p' "$props" | head -1)
repo_url=$(sed -nE 's:.*<PackageProjectUrl>([^<]+)</PackageProjectUrl>.*:\1:p' "$props" | head -1)
raw_url=${repo_url/https:\/\/github.com\//https://raw.githubusercontent.com/}
head_commit=$(git rev-parse HEAD 2>/dev/null || true)
[ -n "$version" ] && [ -n "$repo_url" ] || { echo "cannot read Version and PackageProjectUrl from $props" >&2; exit 1; }
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
status=0
for csproj in src/*/*.csproj; do
  id=$(basename "$csproj" .csproj)
  nupkg="$dir/$id.$version.nupkg"
  snupkg="$dir/$id.$version.snupkg"
  if [ ! -f "$nupkg" ]; then echo "missing package $id.$version.nupkg" >&2; status=1; continue; fi
  if [ ! -f "$snupkg" ]; then echo "missing symbols package $id.$version.snupkg" >&2; status=1; fi
  listing=$(unzip -l "$nupkg")
  nuspec=$(unzip -p "$nupkg" "$id.nuspec")
  # Every package: net10.0 and netstandard2.0 (src/Directory.Build.props).
  for f in README.md LICENSE "lib/netstandard2.0/$id.dll" "lib/netstandard2.0/$id.xml" "lib/net10.0/$id.dll" "lib/net10.0/$id.xml"; do
    grep -qE " $f\$" <<<"$listing" || { echo "$id: $f missing from $nupkg" >&2; status=1; }
  done
  for tag in "<version>$version</version>" '<readme>README.md</readme>' '<license type="expression">' '<description>' '<tags>'; do
    grep -qF "$tag" <<<"$nuspec" || { echo "$id: nuspec lacks $tag" >&2; status=1; }
  done
  # Our packages share internals, so they depend on each other at exactly one version.
  while read -r dependency; do
    [ -n "$dependency" ] || continue
    grep -qF "version=\"[$version]\"" <<<"$dependency" \
      || { echo "$id: $dependency is not pinned to [$version]" >&2; status=1; }
  done < <(grep -oE '<dependency id="SipTraceContext\.[^"]+" [^>]*>' <<<"$nuspec" || true)
  repository=$(grep -oE '<repository [^>]*>' <<<"$nuspec" || true)
  commit=$(sed -nE 's/.* commit="([0-9a-f]{40})".*/\1/p' <<<"$repository")
  if ! grep -qF "url=\"$repo_url\"" <<<"$repository" || ! grep -qF 'type="git"' <<<"$repository" || [ -z "$commit" ]; then
    echo "$id: nuspec lacks <repository type=\"git\" url=\"$repo_url\" commit=\"<sha>\"> (has: ${repository:-none})" >&2; status=1
  elif [ -n "$head_commit" ] && [ "$commit" != "$head_commit" ]; then
    echo "$id: nuspec's repository commit $commit is not HEAD ($head_commit): pack again" >&2; status=1
  fi
  [ -f "$snupkg" ] || continue
  pdbs=$(unzip -Z1 "$snupkg" | grep -E '^lib/[^/]+/[^/]+\.pdb$' || true)
  [ -n "$pdbs" ] || { echo "$id: no PDB in $snupkg" >&2; status=1; }
  for pdb in $pdbs; do
    # A portable PDB keeps the Source Link JSON as plain UTF-8: the raw content URL at the commit.
    unzip -p "$snupkg" "$pdb" >"$work/file.pdb"
    grep -aqF "\"$raw_url/${commit:-?}/*\"" "$work/file.pdb" \
      || { echo "$id: $pdb carries no Source Link to $raw_url/${commit:-<commit>}/*" >&2; status=1; }
  done
done
[ "$status" -eq 0 ] && echo "packages OK: $(ls "$dir"/*.nupkg | wc -l) nupkg, $(ls "$dir"/*.snupkg | wc -l) snupkg, version $version, commit ${head_commit:-?}, LICENSE, Source Link and pinned own dependencies in each"
exit "$status"
