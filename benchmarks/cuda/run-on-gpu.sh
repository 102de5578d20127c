#!/usr/bin/env bash
# On the GPU machine, from the repository root: unpack .NET and OpenBLAS carried in $D (made by pack-for-gpu.sh here), then
# run the CUDA parity checks, the benchmarks and a worker end to end; everything is written to $OUT.
# Usage: run-on-gpu.sh [all|parity|layer|batching|worker|gateway]   (gateway: CPU only, not part of all)
set -uo pipefail
D=${D:-.device-cuda}
OUT=${OUT:-/tmp/out}
mkdir -p "$OUT" /tmp/dotnet /tmp/ob
tar -xJf $D/dotnet-runtime.tar.xz -C /tmp/dotnet && tar -xJf $D/openblas.tar.xz -C /tmp/ob
export DOTNET_ROOT=/tmp/dotnet PATH=/tmp/dotnet:$PATH DOTNET_CLI_TELEMETRY_OPTOUT=1
export LD_LIBRARY_PATH=/tmp/ob/usr/lib/x86_64-linux-gnu:/tmp/ob/lib/x86_64-linux-gnu${LD_LIBRARY_PATH:+:$LD_LIBRARY_PATH}
nvidia-smi -L | tee $OUT/machine.txt
what=${1:-all}
rc=0
bench() {  # name, timeout, args...
  local name=$1 limit=$2; shift 2
  echo "\$ dotnet $D/app/SplitCompute.Benchmarks.dll $name $*" | tee $OUT/$name.txt
  timeout $limit dotnet $D/app/SplitCompute.Benchmarks.dll $name "$@" 2>&1 | tee -a $OUT/$name.txt
  local status=${PIPESTATUS[0]}
  [[ $status == 0 ]] || rc=$status
}
[[ $what == all || $what == parity ]] && bench cuda-parity 240 $D/fixtures
[[ $what == all || $what == layer ]] && bench cuda-layer 240 ${REPS:-50} ${PRESETS:-gpt2 gpt2-xl}
[[ $what == all || $what == batching ]] && bench cuda-batching 120 gpt2-xl 64 5
if [[ $what == gateway ]]; then
  mkdir -p /tmp/sys && tar -xJf $D/loadtools.tar.xz -C /tmp/sys
  export PATH=/tmp/sys/usr/bin:$PATH LD_LIBRARY_PATH=/tmp/sys/usr/lib/x86_64-linux-gnu:$LD_LIBRARY_PATH
  nproc | tee -a $OUT/machine.txt
  bench gateway 560 ${SECONDS_PER_RUN:-15} 32 ${ROUNDS:-3} ${PLANNING_CALLS:-1000000}
fi
if [[ $what == all || $what == worker ]]; then
  bash $D/worker-e2e.sh "$D" > $OUT/worker-e2e.txt 2>&1 || rc=$?
  cat $OUT/worker-e2e.txt
fi
exit $rc
