#!/usr/bin/env bash
# Here (no GPU): builds what run-on-gpu.sh needs into OUTDIR, an ignored folder of the checkout the device tool sends: the
# benchmarks (they include the worker) published framework-dependent, the .NET runtime and OpenBLAS (the CPU backend the
# parity and WebGPU runs compare with), plus what the chosen modes need: the two fixtures (parity, worker), wrk and
# redis-server (gateway), Dawn and the Vulkan loader (webgpu). The device tool carries 64 MiB at most, so pack only the modes
# one run will use. Then: run "bash OUTDIR/run-on-gpu.sh MODE" there with OUTDIR carried.
# Usage: benchmarks/cuda/pack-for-gpu.sh OUTDIR [MODE ...]   (from the repository root; modes as run-on-gpu.sh, default all)
set -euo pipefail
out=${1:?usage: pack-for-gpu.sh OUTDIR [all|parity|layer|batching|worker|gateway|webgpu|fleet|tenants|encoder ...]}
shift
modes=" ${*:-all} "
wants() { for m in "$@"; do [[ $modes == *" $m "* ]] && return 0; done; return 1; }
here=$(cd "$(dirname "$0")" && pwd)
root=$(cd "$here/../.." && pwd)
rm -rf "$out/app" "$out/fixtures" "$out/fixtures.tar.xz" "$out/loadtools.tar.xz" "$out/dawn.tar.xz" "$out/vulkan-debs" && mkdir -p "$out"
dotnet publish "$root/benchmarks/SplitCompute.Benchmarks" -c Release -o "$out/app" --no-self-contained -v quiet
# This machine's .NET runtime (host + NETCore + AspNetCore): the GPU machine has none.
dotnet_root=$(dirname "$(readlink -f "$(command -v dotnet)")")
[[ -f "$out/dotnet-runtime.tar.xz" ]] || tar -C "$dotnet_root" -cJf "$out/dotnet-runtime.tar.xz" dotnet host shared/Microsoft.NETCore.App shared/Microsoft.AspNetCore.App
[[ -f "$out/openblas.tar.xz" ]] || tar -cJf "$out/openblas.tar.xz" -C / -h usr/lib/x86_64-linux-gnu/libopenblas.so.0 \
  lib/x86_64-linux-gnu/libgfortran.so.5 lib/x86_64-linux-gnu/libquadmath.so.0
# The fixtures are not packed: tests/fixtures is tracked, so it reaches the GPU machine with the working tree.
if wants gateway fleet tenants; then
  # wrk and redis-server (the GPU machine has neither): Debian's binaries and the libraries that machine lacks.
  tar -cJf "$out/loadtools.tar.xz" -C / -h usr/bin/wrk usr/bin/redis-server \
    usr/lib/x86_64-linux-gnu/libluajit-5.1.so.2 usr/lib/x86_64-linux-gnu/liblzf.so.1 usr/lib/x86_64-linux-gnu/libjemalloc.so.2
fi
if wants webgpu; then
  # Dawn as the launcher provisioned it here, and the Vulkan loader with the GL/EGL libraries NVIDIA's ICD needs (the GPU
  # machine has the ICD but no loader: docs/webgpu.md).
  dawn="${SPLITCOMPUTE_HOME:-$root/.splitcompute}/dawn"
  [[ -f "$dawn/libwebgpu_wrapper.so" ]] || { echo "pack-for-gpu: no Dawn in $dawn (run ./splitcompute test or demo once)" >&2; exit 1; }
  tar -cJf "$out/dawn.tar.xz" -C "$dawn" libwebgpu_wrapper.so .integrity
  mkdir -p "$out/vulkan-debs"
  (cd "$out/vulkan-debs" && apt-get download -q libvulkan1 libegl1 libglvnd0 libopengl0 libgl1 libglx0 libgles2 2>/dev/null >/dev/null)
fi
cp "$here/run-on-gpu.sh" "$here/worker-e2e.sh" "$out/"
du -sh "$out"
