#!/usr/bin/env bash
# Runs a benchmark that loads TorchSharp (cpu-vs-torch) on Debian 12. Usage: benchmarks/torch/run.sh [--no-build] NAME [ARGS...]
#
# TorchSharp's glue library (libLibTorchSharp.so) needs GLIBCXX_3.4.32, for one iostream symbol that GCC 13 emits; Debian 12's
# libstdc++ stops at 3.4.30, and Debian 13's libstdc++6 in turn needs glibc 2.38 (Debian 12 has 2.36). So this one benchmark
# process runs on Debian 13's libc6 and libstdc++6, unpacked into a private folder with private apt state (the system is not
# changed): its launcher is a copy of the benchmark's apphost whose ELF interpreter is that folder's loader. The product never
# loads TorchSharp, and nothing else uses this folder.
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
PROJECT="$ROOT/benchmarks/SplitCompute.Benchmarks"
BIN="$PROJECT/bin/Release/net10.0"
RUNTIME="${SPLITCOMPUTE_HOME:-$ROOT/.splitcompute}/torch-runtime"
SUITE=trixie  # Debian 13: the first with GCC >= 13's libstdc++
APP=SplitCompute.Benchmarks

log() { printf '[torch-bench] %s\n' "$*" >&2; }
as_root() { if [ "$(id -u)" -eq 0 ]; then "$@"; else sudo "$@"; fi; }

if [ "${1:-}" = "--no-build" ]; then shift; else
  log "building $APP with TorchSharp"
  dotnet build "$PROJECT" -c Release -p:WithTorchSharp=true -nologo -v quiet >&2
fi
[ -d "$BIN/runtimes/linux-x64/native" ] && [ -f "$BIN/TorchSharp.dll" ] \
  || { log "$BIN has no TorchSharp: build with -p:WithTorchSharp=true"; exit 1; }

# Debian 13's libc6 and libstdc++6, once, from this machine's own Debian mirror (its first URIs: line).
if [ ! -f "$RUNTIME/lib/libstdc++.so.6" ] || [ ! -f "$RUNTIME/lib/ld-linux-x86-64.so.2" ]; then
  mirror="$(awk '/^URIs:/ { print $2; exit }' /etc/apt/sources.list.d/debian.sources 2>/dev/null || true)"
  [ -n "$mirror" ] || { log "no URIs: line in /etc/apt/sources.list.d/debian.sources to take the Debian mirror from"; exit 1; }
  work="$(mktemp -d)"
  trap 'rm -rf "$work"' EXIT
  mkdir -p "$work/lists/partial" "$work/cache/archives/partial" "$work/debs"
  echo "deb [signed-by=/usr/share/keyrings/debian-archive-keyring.gpg] $mirror $SUITE main" > "$work/sources.list"
  apt_private=(-o "Dir::Etc::SourceList=$work/sources.list" -o Dir::Etc::SourceParts=/dev/null
               -o "Dir::State::Lists=$work/lists" -o "Dir::Cache=$work/cache" -o APT::Sandbox::User=root)
  log "fetching $SUITE's libc6 and libstdc++6 into $RUNTIME"
  apt-get "${apt_private[@]}" update -qq
  (cd "$work/debs" && apt-get "${apt_private[@]}" download -qq libc6 libstdc++6)
  for deb in "$work"/debs/*.deb; do dpkg-deb -x "$deb" "$work/root"; done
  mkdir -p "$RUNTIME/lib"
  cp -a "$work/root/usr/lib/x86_64-linux-gnu/." "$RUNTIME/lib/"
fi

command -v patchelf >/dev/null || { log "installing patchelf"; as_root apt-get install -y -qq --no-install-recommends patchelf >/dev/null; }

# The launcher: the build's files linked into one folder, the apphost copied and pointed at Debian 13's loader. The apphost
# finds its .dll beside its own real path, so it must live in that folder.
rm -rf "$RUNTIME/app"
mkdir -p "$RUNTIME/app"
for entry in "$BIN"/*; do [ "$(basename "$entry")" = "$APP" ] || ln -s "$entry" "$RUNTIME/app/"; done
cp "$BIN/$APP" "$RUNTIME/app/$APP"
patchelf --set-interpreter "$RUNTIME/lib/ld-linux-x86-64.so.2" "$RUNTIME/app/$APP"

LD_LIBRARY_PATH="$RUNTIME/lib" exec "$RUNTIME/app/$APP" "$@"
