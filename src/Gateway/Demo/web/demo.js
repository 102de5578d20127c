// The /demo page: SplitCompute's JavaScript client (served by this gateway at /client/) on this browser's WebGPU.
// ?texts=a|b&split=auto|none|K&run=1 embeds on load and writes the result as JSON into #result (for automated checks).
import { KERNEL_FILES, ShardCache, SplitComputeClient, calibrate, describeAdapter, requestTailDevice } from "/client/index.js";

const CORPUS = [
  "Split inference runs the first layers in the cloud and the rest on the client.",
  "WebGPU lets a web page run compute shaders on the visitor's graphics card.",
  "A load balancer spreads requests over many servers.",
  "Laptops and phones often have capable GPUs that sit idle.",
  "The cat slept in the warm sun all afternoon.",
  "Embeddings map sentences to vectors so that similar meanings are close.",
  "Redis keeps the live load of every inference worker.",
  "Grafana dashboards show the split decisions over time.",
  "Fresh bread is best eaten on the day it is baked.",
  "Transformer models are stacks of identical layers.",
];

const $ = (id) => document.getElementById(id);
const params = new URLSearchParams(location.search);
let client;
let corpusVectors = null;

async function connect() {
  const options = {};
  let note = "no WebGPU adapter: the cloud answers every request whole";
  try {
    const adapter = await navigator.gpu?.requestAdapter();
    if (adapter) {
      const device = await requestTailDevice(adapter);  // with subgroups where they are 8 wide or more
      const kernels = Object.fromEntries(await Promise.all(KERNEL_FILES.map(async (f) => [f, await (await fetch(`/client/kernels/${f}`)).text()])));
      const { forms, ms, ...perf } = await calibrate(device, kernels);  // the kernel forms fastest here (ms: each timed), and the figures the headers carry
      options.kernels = kernels;
      options.kernelForms = forms;
      const link = navigator.connection;
      options.device = device;
      options.capabilities = {
        ...describeAdapter(adapter), perf,
        network: { downlinkMbps: link?.downlink || 100, rttMs: link?.rtt ?? 20 },
      };
      const info = options.capabilities.adapter;
      note = `${info.vendor} ${info.device} (${info.architecture}); f32 products ${perf.gflops.toFixed(1)} GFLOP/s (${forms.matmul}), upload ${perf.uploadGbps.toFixed(1)} Gbit/s`;
    }
  } catch (error) {
    note = `WebGPU failed (${error.message}): the cloud answers every request whole`;
  }
  try {
    const key = await (await fetch("/v1/keys/manifest")).json();
    options.manifestKey = key.public_key_pem;  // pinned for this page: every split's manifest must be the gateway's signed one
  } catch {
    // a gateway without a manifest key: shards are still checked by their SHA-256
  }
  options.shards = await ShardCache.open();  // Cache Storage: shards survive a reload (checked again when read)
  client = await SplitComputeClient.connect(location.origin, options);
  $("device").textContent = `${note}. Model: ${client.model}.`;
  $("device").classList.remove("muted");
}

function texts() {
  return $("texts").value.split("\n").map((t) => t.trim()).filter(Boolean);
}

function split() {
  const v = $("split").value;
  return /^[0-9]+$/.test(v) ? Number(v) : v;
}

async function embed(inputs, splitChoice) {
  const bar = $("progress");
  bar.hidden = false;
  bar.value = 0;
  const result = await client.embed(inputs, {
    split: splitChoice,
    onProgress: (p) => { bar.max = Math.max(p.total, 1); bar.value = p.phase === "tail" ? bar.max : p.loaded; },
  });
  bar.hidden = true;
  show(result);
  return result;
}

function show(result) {
  const path = `<span class="path-${result.path}">${result.path}</span>`;
  const k = result.k ?? "n/a";
  $("summary").innerHTML = `${path}: the cloud ran ${k === result.n ? "all" : k} of ${result.n ?? "?"} layers` +
    (result.decision?.worker ? ` on worker <code>${result.decision.worker}</code>` : "") +
    (result.downloadedBytes ? `; ${(result.downloadedBytes / 1e6).toFixed(1)} MB of shards downloaded and verified` : "") +
    (result.warnings.length ? `<br>${result.warnings.map((w) => `<code>${w}</code>`).join("<br>")}` : "");
  $("summary").classList.remove("muted");
  const p = result.predicted;
  const rows = [
    ["queue + cloud layers", (p["queue-ms"] ?? 0) + (p["cloud-ms"] ?? 0), null],
    ["transfer", p["transfer-ms"], null],
    ["request (queue + cloud + transfer)", (p["queue-ms"] ?? 0) + (p["cloud-ms"] ?? 0) + (p["transfer-ms"] ?? 0), result.timings.requestMs],
    ["shard download", p["download-ms"], result.timings.shardsMs],
    ["tail on this GPU", (p["edge-ms"] ?? 0) + (p["load-ms"] ?? 0), result.timings.tailMs],
    ["total", p["total-ms"], result.timings.totalMs],
    ["cloud only (the alternative)", p["cloud-only-ms"], null],
  ];
  const fmt = (v) => (v === null || v === undefined || Number.isNaN(v) ? "" : v.toFixed(1));
  $("stages").tBodies[0].innerHTML = rows.map(([name, a, b]) => `<tr><td>${name}</td><td>${fmt(a)}</td><td>${fmt(b)}</td></tr>`).join("");
  $("stages").hidden = false;
  $("vectors").innerHTML = result.embeddings.map((v, i) =>
    `<div><code>[${i}]</code> ${v.length} dims: ${v.slice(0, 6).map((x) => x.toFixed(4)).join(", ")}, ...</div>`).join("");
  $("vectors").classList.remove("muted");
}

function cosine(a, b) {
  let dot = 0, na = 0, nb = 0;
  for (let i = 0; i < a.length; i++) { dot += a[i] * b[i]; na += a[i] * a[i]; nb += b[i] * b[i]; }
  return dot / Math.sqrt(na * nb || 1);
}

async function search() {
  corpusVectors ??= (await client.embed(CORPUS, { split: split() })).embeddings;
  const [query] = (await embed([$("query").value], split())).embeddings;
  const hits = CORPUS.map((s, i) => [s, cosine(query, corpusVectors[i])]).sort((a, b) => b[1] - a[1]);
  $("hits").tBodies[0].innerHTML = hits.map(([s, c]) => `<tr><td>${s}</td><td>${c.toFixed(3)}</td></tr>`).join("");
  $("hits").hidden = false;
}

async function main() {
  const k = params.get("split");
  if (k && ![...$("split").options].some((o) => o.value === k)) $("split").add(new Option(`k=${k}`, k));
  if (k) $("split").value = k;
  if (params.get("texts")) $("texts").value = params.get("texts").split("|").join("\n");
  await connect();
  $("embed").onclick = () => embed(texts(), split()).catch((e) => { $("summary").textContent = e.message; });
  $("search").onclick = () => search().catch((e) => { $("summary").textContent = e.message; });
  if (params.get("run") === "1") {
    const out = $("result");
    try {
      const result = await embed(texts(), split());
      out.textContent = JSON.stringify({ path: result.path, k: result.k, n: result.n, embeddings: result.embeddings, warnings: result.warnings, timings: result.timings,
        downloadedBytes: result.downloadedBytes, heldShards: client.shards.hashes().length, device: $("device").textContent });
    } catch (error) {
      out.textContent = JSON.stringify({ error: error.message });
    }
    out.dataset.done = "1";
  }
}

main().catch((error) => {
  $("result").textContent = JSON.stringify({ error: error.message });
  $("result").dataset.done = "1";
});
