#!/usr/bin/env bash
# On the GPU machine, from the repository root: unpack .NET and OpenBLAS carried in $D (made by pack-for-gpu.sh here), then
# run the CUDA parity checks, the benchmarks and a worker end to end; everything is written to $OUT.
# Usage: run-on-gpu.sh [MODE ...]   modes: all (= parity layer batching worker), parity, layer, batching, worker, gateway, webgpu,
# fleet (issue 18's fleet benchmark through `up` with a CUDA worker: FLEET_SECONDS, FLEET_LOADS, FLEET_RATE, FLEET_PRESET, FLEET_POLICIES),
# tenants (issue 21's two-tenant benchmark: TENANTS_SECONDS, TENANTS_PRESET), encoder (issue 22's Hugging Face parity),
# encoder-anchors (issue 22's PyTorch figures for bge-base), encoder-cuda (issue 22's CUDA encoder: parity with the CPU encoder,
# bge-base speed);
# several may be given to one call (one device call, one machine start); they run in the order of this script.
set -uo pipefail
D=${D:-.device-cuda}
OUT=${OUT:-/tmp/out}
mkdir -p "$OUT" /tmp/dotnet /tmp/ob
tar -xJf $D/dotnet-runtime.tar.xz -C /tmp/dotnet && tar -xJf $D/openblas.tar.xz -C /tmp/ob
# The fixtures travel with the repository (tests/fixtures); an older pack may still carry its own copy.
if [[ -f $D/fixtures.tar.xz && ! -d $D/fixtures ]]; then mkdir -p $D/fixtures && tar -xJf $D/fixtures.tar.xz -C $D/fixtures; fi
FIXTURES=$D/fixtures; [[ -d $FIXTURES ]] || FIXTURES=tests/fixtures
export DOTNET_ROOT=/tmp/dotnet PATH=/tmp/dotnet:$PATH DOTNET_CLI_TELEMETRY_OPTOUT=1
export LD_LIBRARY_PATH=/tmp/ob/usr/lib/x86_64-linux-gnu:/tmp/ob/lib/x86_64-linux-gnu${LD_LIBRARY_PATH:+:$LD_LIBRARY_PATH}
nvidia-smi -L | tee $OUT/machine.txt
modes=" ${*:-all} "
wants() { for m in "$@"; do [[ $modes == *" $m "* ]] && return 0; done; return 1; }
rc=0
bench() {  # name, timeout, args...
  local name=$1 limit=$2; shift 2
  echo "\$ dotnet $D/app/SplitCompute.Benchmarks.dll $name $*" | tee $OUT/$name.txt
  timeout $limit dotnet $D/app/SplitCompute.Benchmarks.dll $name "$@" 2>&1 | tee -a $OUT/$name.txt
  local status=${PIPESTATUS[0]}
  [[ $status == 0 ]] || rc=$status
}
wants all parity && bench cuda-parity 240 $FIXTURES
wants all layer && bench cuda-layer 240 ${REPS:-50} ${PRESETS:-gpt2 gpt2-xl}
wants all batching && bench cuda-batching 120 gpt2-xl 64 5
if wants gateway; then
  mkdir -p /tmp/sys && tar -xJf $D/loadtools.tar.xz -C /tmp/sys
  export PATH=/tmp/sys/usr/bin:$PATH LD_LIBRARY_PATH=/tmp/sys/usr/lib/x86_64-linux-gnu:$LD_LIBRARY_PATH
  nproc | tee -a $OUT/machine.txt
  bench gateway 560 ${SECONDS_PER_RUN:-15} 32 ${ROUNDS:-3} ${PLANNING_CALLS:-1000000}
fi
if wants webgpu; then
  # Dawn through NVIDIA's Vulkan driver: the loader from Debian's packages, the ICD the image already has.
  for f in $D/vulkan-debs/*.deb; do dpkg -x $f /; done; ldconfig
  export VK_DRIVER_FILES=${VK_DRIVER_FILES:-/usr/local/nvidia/share/vulkan/icd.d/nvidia_icd.json}
  export SPLITCOMPUTE_HOME=/tmp/splitcompute-home && mkdir -p $SPLITCOMPUTE_HOME/dawn && tar -xJf $D/dawn.tar.xz -C $SPLITCOMPUTE_HOME/dawn
  bench webgpu-features 120
  bench webgpu-layer 400 ${REPS:-10} ${PRESETS:-gpt2 gpt2-xl}
fi
if wants fleet; then
  # `up` finds redis-server in /usr/local/bin; its libraries (and wrk's) come from the carried Debian binaries.
  mkdir -p /tmp/sys && tar -xJf $D/loadtools.tar.xz -C /tmp/sys
  export PATH=/tmp/sys/usr/bin:$PATH LD_LIBRARY_PATH=/tmp/sys/usr/lib/x86_64-linux-gnu:$LD_LIBRARY_PATH
  cp /tmp/sys/usr/bin/redis-server /usr/local/bin/redis-server
  nproc | tee -a $OUT/machine.txt
  bench fleet 590 ${FLEET_SECONDS:-15} ${FLEET_LOADS:-1,16,64} ${FLEET_RATE:-4} ${FLEET_PRESET:-gpt2-medium} ${FLEET_POLICIES:-all}
fi
if wants tenants; then
  # Issue 21's two-tenant run through `up` (CPU workers unless the preset is served by CUDA), on a machine with cores to spare.
  mkdir -p /tmp/sys && tar -xJf $D/loadtools.tar.xz -C /tmp/sys
  export PATH=/tmp/sys/usr/bin:$PATH LD_LIBRARY_PATH=/tmp/sys/usr/lib/x86_64-linux-gnu:$LD_LIBRARY_PATH
  cp /tmp/sys/usr/bin/redis-server /usr/local/bin/redis-server
  bench tenants 200 ${TENANTS_SECONDS:-30} ${TENANTS_PRESET:-tiny}
fi
if wants encoder; then
  # Issue 22: seeded encoders and WordPiece against this machine's transformers / sentence-transformers; the answer is the
  # tests' fixture (tests/fixtures/bert/hf-encoders.json).
  bench encoder-parity 300 /tmp/encoder-parity python3
  cp /tmp/encoder-parity/hf-encoders.json $OUT/ 2>/dev/null
fi
if wants encoder-cuda; then
  bench cuda-encoder 400 /tmp/cuda-encoder ${REPS:-30}
fi
if wants encoder-anchors; then
  # Issue 22: PyTorch's BertModel at the bge-base shape (eager, CUDA graph, torch.compile max-autotune) on this card.
  python3 benchmarks/pytorch/bert_anchors.py ${REPS:-30} 2>&1 | tee $OUT/bert-anchors.txt
fi
if wants all worker; then
  bash $D/worker-e2e.sh "$D" > $OUT/worker-e2e.txt 2>&1 || rc=$?
  cat $OUT/worker-e2e.txt
fi
exit $rc
