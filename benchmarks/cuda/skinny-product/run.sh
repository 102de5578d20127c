#!/usr/bin/env bash
# On the GPU machine: build harness.cu for sm_90a in a few variants (fence:stages:min-blocks:pdl:trace:partial-f16) and run each;
# FLOOR=1 also builds and runs floor.cu (the cost of a kernel boundary alone).
set -u
cd "$(dirname "$0")"
NVCC=/usr/local/cuda/bin/nvcc
variants="${VARIANTS:-1:6:1:0:0 1:6:1:1:0}"
for v in $variants; do
  IFS=: read fence stages minb pdl trace ph <<< "$v"; trace=${trace:-0}; ph=${ph:-0}; tag=${fence}_${stages}_${minb}_${pdl}_${trace}_${ph}
  ( $NVCC -std=c++17 -O3 -gencode arch=compute_90a,code=sm_90a -DSK_PROXY_FENCE=$fence -DSK_STAGES=$stages -DSK_MIN_BLOCKS=$minb -DSK_PDL=$pdl -DSK_TRACE=$trace -DSK_PARTIAL_F16=$ph -Xptxas -v -o harness_$tag.bin harness.cu > build_$tag.log 2>&1; echo "built $v rc=$?" ) &
done
if [ "${FLOOR:-0}" = 1 ]; then
  ( $NVCC -std=c++17 -O3 -gencode arch=compute_90a,code=sm_90a -o floor.bin floor.cu > build_floor.log 2>&1; echo "built floor rc=$?" ) &
fi
wait
if [ "${FLOOR:-0}" = 1 ]; then
  echo "== kernel boundary floor"
  grep -iE "error" build_floor.log | head -10
  [ -x floor.bin ] && timeout 100 ./floor.bin
fi
for v in $variants; do
  IFS=: read fence stages minb pdl trace ph <<< "$v"; trace=${trace:-0}; ph=${ph:-0}; tag=${fence}_${stages}_${minb}_${pdl}_${trace}_${ph}
  echo "== fence $fence stages $stages min blocks $minb pdl $pdl trace $trace fp16 partials $ph"
  grep -A2 "skinny_residual_8" build_$tag.log | grep -E "registers|spill" | head -3
  grep -iE "error|warning" build_$tag.log | head -10
  [ -x harness_$tag.bin ] && timeout 150 ./harness_$tag.bin
done
