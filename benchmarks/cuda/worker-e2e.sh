#!/usr/bin/env bash
# A real worker process on the GPU serving HTTP: starts the InferenceWorker on the gpt2-mini fixture with Worker:Device=cuda
# (f16, then f32) and with Worker:Device=cpu, asks each for the whole model's embeddings of the same two sequences and one of
# them for a split at k = 3 (a hidden-state frame), and compares the GPU answers with the CPU's. No Redis: the worker logs
# that and keeps serving. Usage: worker-e2e.sh CARRIED_DIR
set -uo pipefail
D=$1
M=/tmp/model-mini
F=$D/fixtures; [[ -d $F ]] || F=tests/fixtures
rm -rf $M && cp -r $F/gpt2-mini $M && chmod -R u+w $M
body='{"model":"model-mini","input":[[5,17,300,2048,99,1,4095,7,7,7,12,13,14,15,16,17,18,19,20,21,22,23,24,25,26,27,28,29,30,31],[11,22,33]]}'
port=8190
status=0
run_worker() {  # device precision tag
  port=$((port + 1))
  dotnet $D/app/SplitCompute.InferenceWorker.dll --Worker:ModelDirectory=$M --Worker:Device=$1 --Worker:CudaPrecision=$2 \
    --Redis:Endpoint=127.0.0.1:1 --urls http://127.0.0.1:$port > /tmp/worker-$3.log 2>&1 &
  local pid=$!
  for _ in $(seq 1 240); do curl -sf http://127.0.0.1:$port/alive > /dev/null && break; sleep 0.5; done
  echo "== worker $3 (Worker:Device=$1, Worker:CudaPrecision=$2) on port $port"
  echo "-- GET /health"; curl -s http://127.0.0.1:$port/health; echo
  echo "-- POST /v1/embeddings (k = N, JSON)"
  curl -s -D /tmp/headers-$3.txt -o /tmp/emb-$3.json -H 'Content-Type: application/json' -d "$body" http://127.0.0.1:$port/v1/embeddings
  grep -i "^x-splitcompute\|^HTTP" /tmp/headers-$3.txt
  if [[ $1 == cuda ]]; then
    echo "-- POST /v1/embeddings with X-SplitCompute-K: 3 (hidden-state frame)"
    curl -s -D - -o /tmp/frame-$3.bin -H 'Content-Type: application/json' -H 'X-SplitCompute-K: 3' \
      -H 'Accept: application/vnd.splitcompute.hidden-state' -d "$body" http://127.0.0.1:$port/v1/embeddings | grep -i "^HTTP\|^content-type\|^x-splitcompute"
    echo "frame bytes: $(stat -c %s /tmp/frame-$3.bin) (2 sequences x 30 positions x 192 channels x 4 bytes = 46080 + header)"
  fi
  echo "-- worker log (device lines)"; grep -i "head layers run\|cuda\|fail\|error" /tmp/worker-$3.log | head -5
  kill $pid; wait $pid 2>/dev/null
}
run_worker cuda f16 cuda-f16
run_worker cuda f32 cuda-f32
run_worker cpu f16 cpu
python3 - <<'PY' || status=1
import json
def load(tag):
    return [d["embedding"] for d in json.load(open(f"/tmp/emb-{tag}.json"))["data"]]
cpu = load("cpu")
ok = True
for tag, tol in (("cuda-f32", 1e-4), ("cuda-f16", 1e-2)):
    gpu = load(tag)
    diff = max(abs(a - b) for ga, ca in zip(gpu, cpu) for a, b in zip(ga, ca))
    scale = max(1.0, max(abs(b) for ca in cpu for b in ca))
    limit = tol if tag.endswith("f32") else tol * scale
    verdict = "PASS" if diff <= limit else "FAIL"
    ok &= diff <= limit
    print(f"{verdict}  worker {tag} embeddings vs worker cpu: max|diff| {diff:.3e} (limit {limit:.1e}, {len(gpu)} sequences x {len(gpu[0])})")
raise SystemExit(0 if ok else 1)
PY
exit $status
