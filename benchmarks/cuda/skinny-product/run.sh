#!/usr/bin/env bash
# On the GPU machine: build harness.cu for sm_90a in a few variants (fence:stages:min-blocks:pdl) and run each.
set -u
cd "$(dirname "$0")"
NVCC=/usr/local/cuda/bin/nvcc
variants="${VARIANTS:-1:6:1:0 1:6:1:1}"
for v in $variants; do
  IFS=: read fence stages minb pdl <<< "$v"
  ( $NVCC -std=c++17 -O3 -gencode arch=compute_90a,code=sm_90a -DSK_PROXY_FENCE=$fence -DSK_STAGES=$stages -DSK_MIN_BLOCKS=$minb -DSK_PDL=$pdl -Xptxas -v -o harness_${fence}_${stages}_${minb}_${pdl}.bin harness.cu > build_${fence}_${stages}_${minb}_${pdl}.log 2>&1; echo "built $v rc=$?" ) &
done
wait
for v in $variants; do
  IFS=: read fence stages minb pdl <<< "$v"
  echo "== fence $fence stages $stages min blocks $minb pdl $pdl"
  grep -A2 "skinny_residual_8" build_${fence}_${stages}_${minb}_${pdl}.log | grep -E "registers|spill" | head -3
  grep -iE "error|warning" build_${fence}_${stages}_${minb}_${pdl}.log | head -10
  [ -x harness_${fence}_${stages}_${minb}_${pdl}.bin ] && timeout 100 ./harness_${fence}_${stages}_${minb}_${pdl}.bin
done
