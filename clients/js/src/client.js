// @ts-check
import { ProtocolError } from "./protocol-error.js";
import { readFrame } from "./frame.js";
import { parseShaping, pool, shape } from "./pooling.js";
import { ShardCache } from "./shards.js";
import { readSafetensors } from "./safetensors.js";
import { WebGpuTail, KERNEL_FILES } from "./webgpu-tail.js";
import { ManifestVerifier } from "./manifest-verifier.js";
import { capabilityHeaders, newClientId } from "./capabilities.js";

/** docs/protocol.md: the frame media type, with pool-from=1 (this client honours a frame's pool_from). */
export const FRAME_MEDIA_TYPE = "application/vnd.splitcompute.hidden-state";
const ACCEPT = `${FRAME_MEDIA_TYPE}; pool-from=1, application/json;q=0.5`;

/**
 * @typedef {object} EmbedTimings what this client measured, in milliseconds
 * @property {number} requestMs POST /v1/embeddings until the answer was read
 * @property {number} shardsMs shard downloads and their checks (0 when all were held)
 * @property {number} tailMs the tail on this device, pooling included
 * @property {number} loadMs the part of tailMs spent parsing the shards and uploading the tail's weights
 * @property {number} totalMs the whole embed() call
 *
 * @typedef {object} EmbedResult
 * @property {number[][]} embeddings one vector per input, shaped as the request asked (dimensions, normalize)
 * @property {number | null} k layers the cloud ran, from a frame answer (null from a JSON one: then the cloud ran them all)
 * @property {number | null} n the model's layers, from a frame answer
 * @property {"cloud" | "edge" | "cloud-fallback"} path how the answer was made: the cloud alone, split (the tail on this
 *   device's WebGPU), or the cloud's whole answer after the edge could not finish
 * @property {string[]} warnings the gateway's X-SplitCompute-Warning lines, and why a fallback happened
 * @property {Record<string, string>} decision X-SplitCompute-Decision's members (k, n, worker, id), when the gateway planned
 * @property {Record<string, number>} predicted X-SplitCompute-Predicted's stage times in ms (queue-ms, cloud-ms, ..., total-ms)
 * @property {EmbedTimings} timings
 * @property {number} downloadedBytes shard bytes this call downloaded
 * @property {number | string | null} feedback after a split: the gateway's status for this client's feedback (200: accepted),
 *   or why it could not be sent; null when there was nothing to report
 */

/**
 * A SplitCompute gateway from a web page (or Node): embeddings through the split protocol (docs/protocol.md). With
 * `capabilities` it sends the capability headers, so the gateway may split; given a WebGPU `device`, a hidden state is finished
 * here: the manifest's shards downloaded once and verified (SHA-256), blocks [k, N) (GPT-2 or a BERT-family encoder) run with
 * the .NET edge's WGSL kernels (`kernels`: file name -> source, or a function fetching it; by default the gateway's /client/kernels/), pooled and
 * shaped as the JSON answer. Anything that fails on the way falls back to the cloud's whole answer, saying why.
 *
 * @typedef {{ apiKey?: string, model?: string, fetch?: typeof fetch, capabilities?: import("./capabilities.js").Capabilities,
 *   clientId?: string, device?: GPUDevice, kernels?: Record<string, string> | ((file: string) => Promise<string>),
 *   manifestKey?: string, shards?: ShardCache, kernelForms?: { matmul?: string, attention?: string, layerNorm?: string } }} ClientOptions
 *   manifestKey: the gateway's manifest public key (PEM), pinned: every split's manifest must then equal the signed one before a
 *   shard is fetched. shards: where shards are kept (ShardCache.open() for one that survives reloads); a memory one by default.
 *   kernelForms: calibrate()'s `forms` for this device (else the subgroup forms wherever the device has subgroups of 8)
 */
export class SplitComputeClient {
  /**
   * @param {URL} gateway
   * @param {ClientOptions} options
   */
  constructor(gateway, options) {
    this.gateway = gateway;
    this.apiKey = options.apiKey ?? null;
    this.model = options.model ?? null;
    this.fetch = options.fetch ?? globalThis.fetch.bind(globalThis);
    this.capabilities = options.capabilities ?? null;
    this.clientId = options.clientId ?? newClientId();
    this.device = options.device ?? null;
    this.kernelSource = options.kernels ?? ((file) => this.fetch(new URL(`/client/kernels/${file}`, this.gateway)).then((r) => r.text()));
    this.kernelForms = options.kernelForms ?? undefined;
    this.shards = options.shards ?? new ShardCache();
    this.verifier = options.manifestKey ? ManifestVerifier.fromPem(options.manifestKey) : null;
    /** @type {{ key: string, tail: WebGpuTail, hashes: string[] } | null} the last tail, resident on the device for the next split */
    this.resident = null;
    /** @type {Promise<[string, string][]> | undefined} the kernels' sources, fetched once */
    this.kernelTexts = undefined;
  }

  /**
   * Checks the gateway answers (GET /v1/models, with the key) and returns a client for it.
   * @param {string | URL} gatewayUrl the gateway's origin, e.g. "https://embed.example.com"
   * @param {ClientOptions} [options]
   */
  static async connect(gatewayUrl, options = {}) {
    const client = new SplitComputeClient(new URL(gatewayUrl), options);
    const response = await client.fetch(new URL("/v1/models", client.gateway), { headers: client.headers("application/json") });
    if (!response.ok) throw await apiError(response, "GET /v1/models");
    const models = await response.json();
    if (client.model === null) client.model = models?.data?.[0]?.id ?? null;
    return client;
  }

  /**
   * Embeds texts: one vector each, as the gateway's OpenAI-compatible JSON would give them.
   * @param {string[]} texts
   * @param {{ dimensions?: number, normalize?: boolean, signal?: AbortSignal, split?: "auto" | "none" | number,
   *   onProgress?: (progress: { phase: "shards" | "tail", loaded: number, total: number }) => void }} [options]
   *   split: a forced k (tests and demos) or none; auto lets the gateway choose
   * @returns {Promise<EmbedResult>}
   */
  async embed(texts, options = {}) {
    if (!Array.isArray(texts) || texts.length === 0 || texts.some((t) => typeof t !== "string"))
      throw new TypeError("embed(texts): texts must be a non-empty array of strings");
    const body = { model: this.model ?? undefined, input: texts, dimensions: options.dimensions, normalize: options.normalize };
    const started = performance.now();
    const timings = { requestMs: 0, shardsMs: 0, tailMs: 0, loadMs: 0, totalMs: 0 };
    const planning = this.capabilities === null ? {} : {
      ...capabilityHeaders({ ...this.capabilities, shards: this.shards.hashes(), resident: this.resident?.hashes ?? [] }, options.split),
      "X-SplitCompute-Client": this.clientId,
    };
    const first = await this.post(body, ACCEPT, planning, options.signal);
    const about = {
      decision: members(first.headers.get("X-SplitCompute-Decision")), predicted: numbers(first.headers.get("X-SplitCompute-Predicted")),
      timings, downloadedBytes: 0, loadedBytes: 0, feedback: /** @type {number | string | null} */ (null),
    };
    const done = (/** @type {any} */ result) => {
      timings.totalMs = performance.now() - started;
      return { ...about, ...result };
    };
    const warning = first.headers.get("X-SplitCompute-Warning");
    const warnings = warning === null ? [] : [warning];
    const type = first.headers.get("Content-Type") ?? "";
    if (type.startsWith("application/json")) {
      const json = await fromJson(first);
      timings.requestMs = performance.now() - started;
      return done({ ...json, path: "cloud", warnings });
    }
    if (!type.startsWith(FRAME_MEDIA_TYPE)) throw new ProtocolError("Content-Type", `expected ${FRAME_MEDIA_TYPE} or application/json, found ${JSON.stringify(type)}`);
    const frame = readFrame(await first.arrayBuffer());
    timings.requestMs = performance.now() - started;
    if (frame.kind === "embeddings") {
      const [b, c] = frame.shape;
      const pooled = Array.from({ length: b }, (_, i) => frame.data.subarray(i * c, (i + 1) * c));
      return done({ embeddings: shape(pooled, parseShaping(first.headers.get("X-SplitCompute-Shaping"))), k: frame.k, n: frame.n, path: "cloud", warnings });
    }
    // A hidden state: finish it on this device, or ask the cloud for the whole answer.
    let why = "this client has no WebGPU device";
    if (this.device !== null) {
      try {
        const finished = await this.runTail(frame, timings, about, options.onProgress);
        const pooled = pool(finished, frame.shape, frame.lengths, frame.pooling, frame.poolFrom);
        const result = done({ embeddings: shape(pooled, parseShaping(first.headers.get("X-SplitCompute-Shaping"))), k: frame.k, n: frame.n, path: "edge", warnings });
        result.feedback = await this.sendFeedback(about.decision, frame, timings, about, false);
        return result;
      } catch (error) {
        why = `the edge failed: ${/** @type {Error} */ (error).message}`;
      }
    }
    const whole = await this.post(body, "application/json", { "X-SplitCompute-Split": "none" }, options.signal);
    const result = done({
      ...(await fromJson(whole)),
      path: "cloud-fallback",
      warnings: [...warnings, `the gateway split at k = ${frame.k} of ${frame.n}; ${why}, so the cloud answered whole`],
    });
    if (this.device !== null) result.feedback = await this.sendFeedback(about.decision, frame, timings, about, true);
    return result;
  }

  /**
   * POST /v1/feedback (docs/protocol.md 5): what this split really cost, so the gateway plans this client by its measured speed.
   * At most 2 s, and it never fails the answer: returns the status, or why it could not be sent.
   * @returns {Promise<number | string | null>}
   */
  async sendFeedback(decision, frame, timings, about, fellBack) {
    if (!decision.id || this.capabilities === null) return null;
    const ms = (/** @type {number} */ v) => (v > 0 ? Math.min(Math.max(Math.round(v * 1000) / 1000, 0.001), 600000) : 0);
    const body = {
      decision: decision.id, model: frame.model, k: frame.k, n: frame.n,
      request_ms: ms(timings.requestMs), download_ms: ms(timings.shardsMs), downloaded_bytes: about.downloadedBytes,
      edge_ms: ms(timings.tailMs), total_ms: ms(timings.totalMs), fell_back: fellBack,
      weights_loaded: about.loadedBytes > 0, load_ms: Math.min(ms(timings.loadMs), ms(timings.tailMs)), loaded_bytes: about.loadedBytes,
    };
    try {
      const response = await this.fetch(new URL("/v1/feedback", this.gateway), {
        method: "POST",
        headers: { ...this.headers("application/json"), "Content-Type": "application/json", "X-SplitCompute-Client": this.clientId },
        body: JSON.stringify(body),
        signal: AbortSignal.timeout(2000),
      });
      return response.status;
    } catch (error) {
      return `feedback not sent: ${/** @type {Error} */ (error).message}`;
    }
  }

  /**
   * Blocks [k, N) (and GPT-2's final norm) of a hidden frame on this client's WebGPU device.
   * @param {import("./frame.js").Frame} frame
   * @param {EmbedTimings} timings
   * @param {{ downloadedBytes: number, loadedBytes: number }} about
   * @param {((progress: { phase: "shards" | "tail", loaded: number, total: number }) => void) | undefined} onProgress
   */
  async runTail(frame, timings, about, onProgress) {
    const manifest = frame.manifest;
    if (this.verifier !== null) await (await this.verifier).verify(manifest, this.gateway, this.fetch, this.headers("application/json"));
    const entries = /** @type {[any, string][]} */ ([...manifest.shards.map((e, i) => [e, `manifest.shards[${i}]`]), ...(manifest.final_norm ? [[manifest.final_norm, "manifest.final_norm"]] : [])]);
    // The same tail as last time (same revision, same shards): its weights are still on the device.
    const key = `${manifest.model}@${manifest.revision}:${entries.map(([e]) => e.sha256).join(",")}`;
    if (this.resident?.key === key) {
      onProgress?.({ phase: "tail", loaded: 0, total: frame.n - frame.k });
      const started = performance.now();
      try {
        return await this.resident.tail.run(frame.data, frame.shape, frame.lengths);
      } finally {
        timings.tailMs = performance.now() - started;
      }
    }
    const tensors = new Map();
    const shardsStarted = performance.now();
    const total = entries.reduce((sum, [entry]) => sum + (this.shards.has(entry.sha256) ? 0 : entry.bytes), 0);
    const onBytes = (/** @type {number} */ n) => {
      about.downloadedBytes += n;
      onProgress?.({ phase: "shards", loaded: about.downloadedBytes, total });
    };
    // Each shard's SHA-256 check runs while its tensors are parsed and uploaded (WebCrypto hashes off the page's thread); the tail
    // computes nothing before every check has passed.
    const loads = [];
    for (const [entry, field] of entries) {
      loads.push({ field, ...(await this.shards.load(entry, field, this.gateway, this.fetch, this.headers("application/octet-stream"), onBytes)) });
    }
    const verified = Promise.all(loads.map((l) => l.verified));
    verified.catch(() => {});  // awaited below; a parse error may be thrown first
    try {
      for (const { bytes, field } of loads) for (const [name, tensor] of readSafetensors(bytes, field)) tensors.set(name, tensor);
    } catch (error) {
      await verified;  // bytes that fail their hash are reported as such, not as whatever the parser tripped on
      throw error;
    }
    timings.shardsMs = performance.now() - shardsStarted;
    onProgress?.({ phase: "tail", loaded: 0, total: frame.n - frame.k });
    const tailStarted = performance.now();
    about.loadedBytes = entries.reduce((sum, [entry]) => sum + entry.bytes, 0);  // not resident: the tail's weights are uploaded now
    this.kernelTexts ??= Promise.all(KERNEL_FILES.map(async (file) =>
      [file, typeof this.kernelSource === "function" ? await this.kernelSource(file) : this.kernelSource[file]]));
    const kernels = Object.fromEntries(await this.kernelTexts.catch((error) => { this.kernelTexts = undefined; throw error; }));
    this.resident?.tail.destroy();  // one tail resident at a time: a new range or revision replaces it
    this.resident = null;
    const tail = new WebGpuTail(/** @type {GPUDevice} */ (this.device), kernels, manifest, tensors, { forms: this.kernelForms });
    let intact;
    try {
      intact = (await verified).every(Boolean);
    } catch (error) {
      tail.destroy();  // a download that does not match its hash: refused
      throw error;
    }
    if (!intact) {
      tail.destroy();  // a stored copy went bad (it was dropped): this time it is downloaded
      return this.runTail(frame, timings, about, onProgress);
    }
    timings.loadMs = performance.now() - tailStarted;
    try {
      const finished = await tail.run(frame.data, frame.shape, frame.lengths);
      this.resident = { key, tail, hashes: entries.map(([e]) => e.sha256) };
      return finished;
    } catch (error) {
      tail.destroy();
      throw error;
    } finally {
      timings.tailMs = performance.now() - tailStarted;
    }
  }

  /** @param {string} accept */
  headers(accept) {
    /** @type {Record<string, string>} */
    const headers = { Accept: accept };
    if (this.apiKey !== null) headers.Authorization = `Bearer ${this.apiKey}`;
    return headers;
  }

  /**
   * @param {object} body
   * @param {string} accept
   * @param {Record<string, string>} extra
   * @param {AbortSignal | undefined} signal
   */
  async post(body, accept, extra, signal) {
    const response = await this.fetch(new URL("/v1/embeddings", this.gateway), {
      method: "POST",
      headers: { ...this.headers(accept), "Content-Type": "application/json", ...extra },
      body: JSON.stringify(body),
      signal,
    });
    if (!response.ok) throw await apiError(response, "POST /v1/embeddings");
    return response;
  }
}

/**
 * A member header ("k=6; n=12; worker=\"w1\"") as a map of strings; {} when absent.
 * @param {string | null} header
 * @returns {Record<string, string>}
 */
function members(header) {
  /** @type {Record<string, string>} */
  const out = {};
  for (const part of (header ?? "").split(/[;,]/)) {
    const at = part.indexOf("=");
    if (at > 0) out[part.slice(0, at).trim()] = part.slice(at + 1).trim().replace(/^"(.*)"$/, "$1");
  }
  return out;
}

/** @param {string | null} header @returns {Record<string, number>} */
function numbers(header) {
  return Object.fromEntries(Object.entries(members(header)).map(([k, v]) => [k, Number(v)]).filter(([, v]) => Number.isFinite(v)));
}

/** @param {Response} response */
async function fromJson(response) {
  const json = await response.json();
  if (!Array.isArray(json?.data)) throw new ProtocolError("data", "the JSON answer has no data array");
  const embeddings = json.data.slice().sort((a, b) => a.index - b.index).map((d) => d.embedding);
  return { embeddings, k: null, n: null };
}

/**
 * The gateway's OpenAI-style error as an Error with status, code and param.
 * @param {Response} response
 * @param {string} what
 */
async function apiError(response, what) {
  let message = `${what}: HTTP ${response.status}`;
  let code = null;
  let param = null;
  try {
    const json = await response.json();
    if (json?.error) ({ message = message, code = null, param = null } = json.error);
  } catch {
    // not JSON: keep the status line
  }
  return Object.assign(new Error(message), { status: response.status, code, param });
}
