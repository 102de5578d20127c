#!/usr/bin/env bash
# Here (no GPU): builds what run-on-gpu.sh needs into OUTDIR, an ignored folder of the checkout the device tool sends:
# the benchmarks (they include the worker) published framework-dependent, the .NET runtime, OpenBLAS (for the CPU backend
# the parity run compares with), the two fixtures and the scripts. Then: run "bash OUTDIR/run-on-gpu.sh" there with OUTDIR carried.
# Usage: benchmarks/cuda/pack-for-gpu.sh OUTDIR   (from the repository root)
set -euo pipefail
out=${1:?usage: pack-for-gpu.sh OUTDIR}
here=$(cd "$(dirname "$0")" && pwd)
root=$(cd "$here/../.." && pwd)
rm -rf "$out/app" && mkdir -p "$out/fixtures"
dotnet publish "$root/benchmarks/SplitCompute.Benchmarks" -c Release -o "$out/app" --no-self-contained -v quiet
[[ -f "$out/dotnet-runtime.tar.xz" ]] || "$root/../shared/device/pack-dotnet-runtime.sh" "$out" > /dev/null
[[ -f "$out/openblas.tar.xz" ]] || tar -cJf "$out/openblas.tar.xz" -C / -h usr/lib/x86_64-linux-gnu/libopenblas.so.0 \
  lib/x86_64-linux-gnu/libgfortran.so.5 lib/x86_64-linux-gnu/libquadmath.so.0
# wrk and redis-server for the gateway benchmark (the GPU machine has neither): Debian's binaries and the libraries it lacks.
[[ -f "$out/loadtools.tar.xz" ]] || tar -cJf "$out/loadtools.tar.xz" -C / -h usr/bin/wrk usr/bin/redis-server \
  usr/lib/x86_64-linux-gnu/libluajit-5.1.so.2 usr/lib/x86_64-linux-gnu/liblzf.so.1 usr/lib/x86_64-linux-gnu/libjemalloc.so.2
for f in gpt2-tiny gpt2-mini; do [[ -d "$out/fixtures/$f" ]] || { cp -r "$root/../shared/fixtures/$f" "$out/fixtures/"; chmod -R u+w "$out/fixtures/$f"; }; done
cp "$here/run-on-gpu.sh" "$here/worker-e2e.sh" "$out/"
du -sh "$out"
