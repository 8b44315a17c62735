#!/usr/bin/env bash
# Runs the consumer matrix: tests/Consumers/SipConsumer, an application that uses the packed
# SipTraceContext packages as a NuGet user does (restored from the .nupkg files in <packages-dir>,
# third-party packages from NuGet, no ProjectReference), built and run once per row:
#   (a) net10.0 with the lowest OpenTelemetry.Api the packages declare (read from their nuspecs)
#   (b) net10.0 with OpenTelemetry 1.21.0
#   (c) net8.0 with OpenTelemetry 1.21.0, run on the newest installed runtime (DOTNET_ROLL_FORWARD=Major);
#       it still restores the package assets a .NET 8 application gets: lib/netstandard2.0
#   (d) net462 with OpenTelemetry 1.21.0, compiled only (no .NET Framework runtime here), against
#       lib/netstandard2.0. Until the packages carry lib/netstandard2.0 (or lib/net4*), restore fails
#       with NU1202: the row then reports 'not yet supported: NU1202' and does not fail the matrix;
#       once the asset is there it must compile.
# Each row also checks which lib/<tfm>/ folder every SipTraceContext package resolved to (the
# project.assets.json of its restore) against the one that row's framework must get.
# Prints one line per row and exits non-zero when any row fails. Logs: artifacts/consumer-matrix/.
set -euo pipefail
usage="usage: eng/run-consumer-matrix.sh <packages-dir>"
packages=$(cd "${1:?$usage}" && pwd)
cd "$(dirname "${BASH_SOURCE[0]}")/.."
root=$(pwd)
work=$root/artifacts/consumer-matrix

export DOTNET_CLI_TELEMETRY_OPTOUT=1 DOTNET_NOLOGO=1 DOTNET_SKIP_FIRST_TIME_EXPERIENCE=1
# A global packages folder of the matrix's own: a package packed again under the same version must
# never be served from a cache filled by an earlier pack. Third-party packages stay cached in it.
export NUGET_PACKAGES=$work/nuget-packages
rm -rf "$work/rows" "$NUGET_PACKAGES"/siptracecontext.*
mkdir -p "$work/rows" "$NUGET_PACKAGES"

shopt -s nullglob
nupkgs=()
for f in "$packages"/SipTraceContext.*.nupkg; do
  case "$f" in *.symbols.nupkg) continue ;; esac
  # A dotnet tool (SipTraceContext.Collector) is no library: apps do not reference it.
  unzip -p "$f" '*.nuspec' | grep -q '<packageType name="DotnetTool"' && continue
  nupkgs+=("$f")
done
if [ ${#nupkgs[@]} -eq 0 ]; then echo "no SipTraceContext .nupkg in $packages" >&2; exit 1; fi

# The packages' version, from the Instrumentation package's file name.
instrumentation=$(printf '%s\n' "${nupkgs[@]}" | grep -E '/SipTraceContext\.Instrumentation\.[0-9]' | head -1 || true)
if [ -z "$instrumentation" ]; then echo "no SipTraceContext.Instrumentation package in $packages" >&2; exit 1; fi
version=$(basename "$instrumentation" .nupkg)
version=${version#SipTraceContext.Instrumentation.}

# The lowest OpenTelemetry.Api any package accepts: the highest lower bound over every dependency
# group of every package (NuGet resolves a dependency to its lower bound).
floor=""
for f in "${nupkgs[@]}"; do
  id=$(basename "$f" ".$version.nupkg")
  while read -r range; do
    lower=${range#[[(]}; lower=${lower%%,*}; lower=${lower%[])]}; lower=${lower// /}
    [ -z "$lower" ] && continue
    if [ -z "$floor" ] || [ "$(printf '%s\n%s\n' "$floor" "$lower" | sort -V | tail -1)" = "$lower" ]; then floor=$lower; fi
  done < <(unzip -p "$f" "$id.nuspec" | grep -o '<dependency id="OpenTelemetry.Api" version="[^"]*"' | sed -E 's/.*version="([^"]*)"/\1/')
done
if [ -z "$floor" ]; then echo "no package declares an OpenTelemetry.Api dependency" >&2; exit 1; fi

# Whether every package carries an asset a .NET Framework application can use.
netfx_assets=yes
for f in "${nupkgs[@]}"; do
  unzip -l "$f" | grep -qE ' lib/(netstandard2\.0|net4[0-9]*)/' || netfx_assets=no
done

echo "== consumer matrix: SipTraceContext $version from $packages; declared OpenTelemetry.Api floor $floor"
failed=0; passed=0; unsupported=0

# run_row KEY TFM OTEL MODE ASSETS: MODE is run (build, then run the app) or compile; ASSETS is the
# lib/ folder every SipTraceContext package must resolve to for TFM.
run_row() {
  local key=$1 tfm=$2 otel=$3 mode=$4 assets=$5
  local label="row ($key) $tfm + OpenTelemetry $otel"
  local dir=$work/rows/$key log=$work/row-$key.log
  mkdir -p "$dir/local-packages"
  cp -R tests/Consumers/. "$dir/"
  cp "${nupkgs[@]}" "$dir/local-packages/"
  local project=$dir/SipConsumer/SipConsumer.csproj
  local status=0
  {
    echo "\$ dotnet build $project -c Release -p:ConsumerTargetFramework=$tfm -p:ConsumerOpenTelemetryVersion=$otel -p:SipTraceContextVersion=$version"
    dotnet build "$project" -c Release -nodeReuse:false -v:minimal \
      -p:ConsumerTargetFramework="$tfm" -p:ConsumerOpenTelemetryVersion="$otel" -p:SipTraceContextVersion="$version"
  } >"$log" 2>&1 || status=$?
  if [ "$status" -ne 0 ]; then
    if [ "$mode" = compile ] && [ "$netfx_assets" = no ] && grep -q 'error NU1202' "$log"; then
      echo "$label: not yet supported: NU1202 (the packages have no lib/netstandard2.0)"
      unsupported=$((unsupported + 1))
      return 0
    fi
    echo "$label: FAIL (build) $(grep -m1 -oE 'error [A-Z]*[0-9]*: ?.{0,200}' "$log" || true) [log: $log]"
    failed=$((failed + 1))
    return 0
  fi
  # The compile and runtime items of the restore's targets section ("lib/<tfm>/<id>.dll": {...}).
  local resolved
  resolved=$(grep -oE '"lib/[^/"]+/SipTraceContext\.[A-Za-z.]+\.dll": \{' "$dir/SipConsumer/obj/project.assets.json" \
    | sed -E 's#^"lib/([^/]+)/.*#\1#' | sort -u | tr '\n' ' ' | sed 's/ $//')
  echo "resolved SipTraceContext assets: lib/${resolved// /, lib/}" >>"$log"
  if [ "$resolved" != "$assets" ]; then
    echo "$label: FAIL (assets: lib/${resolved:-none}, expected lib/$assets) [log: $log]"
    failed=$((failed + 1))
    return 0
  fi
  if [ "$mode" = compile ]; then
    echo "$label: PASS (compiled against lib/$assets; no .NET Framework runtime here)"
    passed=$((passed + 1))
    return 0
  fi
  local dll=$dir/SipConsumer/bin/Release/$tfm/SipConsumer.dll
  {
    echo "\$ DOTNET_ROLL_FORWARD=Major dotnet $dll"
    DOTNET_ROLL_FORWARD=Major timeout 120 dotnet "$dll"
  } >>"$log" 2>&1 || status=$?
  if [ "$status" -eq 0 ]; then
    echo "$label: PASS (lib/$assets; $(grep -m1 '^SipConsumer on' "$log" | sed 's/^SipConsumer on //; s/ (\/.*)$//'))"
    passed=$((passed + 1))
  else
    echo "$label: FAIL (exit $status) $(grep -m1 -oE '(FAIL: .{0,240})' "$log" || true) [log: $log]"
    failed=$((failed + 1))
  fi
}

run_row a net10.0 "$floor" run net10.0
run_row b net10.0 1.21.0 run net10.0
run_row c net8.0 1.21.0 run netstandard2.0
run_row d net462 1.21.0 compile netstandard2.0

echo "== consumer matrix: $passed rows passed, $failed rows failed, $unsupported rows not yet supported"
[ "$failed" -eq 0 ]
