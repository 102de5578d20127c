// @ts-check
import { ProtocolError } from "./protocol-error.js";

/** The edge's WGSL kernels (src/SplitCompute.WebGpu/Kernels), shared with the .NET edge: one source, fetched or read by name. */
/** Every file a tail may need: each kernel's forms (a tail compiles the ones it picks) and what they include. */
export const KERNEL_FILES = ["matmul.wgsl", "matmul_rows.wgsl", "matmul_rows_subgroups.wgsl", "layernorm.wgsl", "layernorm_subgroups.wgsl",
  "attention.wgsl", "attention_subgroups.wgsl", "matmul_rows_interface.wgsl", "epilogue.wgsl"];

/** @type {WeakMap<GPUDevice, number>} the adapter's smallest subgroup size, for devices made by requestTailDevice */
const SUBGROUP_MIN = new WeakMap();

/**
 * A device for split tails on `adapter`: its largest storage bindings (gpt2-xl's MLP weight is 41 MB), and the `subgroups`
 * feature where the adapter's subgroups have at least 8 invocations, so the tail runs the subgroup forms of the kernels as the
 * .NET edge does there.
 * @param {GPUAdapter} adapter
 * @returns {Promise<GPUDevice>}
 */
export async function requestTailDevice(adapter) {
  const min = /** @type {any} */ (adapter.info)?.subgroupMinSize ?? 0;
  const subgroups = adapter.features.has("subgroups") && min >= 8;
  const device = await adapter.requestDevice({
    requiredFeatures: subgroups ? [/** @type {GPUFeatureName} */ ("subgroups")] : [],
    requiredLimits: { maxStorageBufferBindingSize: adapter.limits.maxStorageBufferBindingSize, maxBufferSize: adapter.limits.maxBufferSize },
  });
  if (subgroups) SUBGROUP_MIN.set(device, min);
  return device;
}

/** Whether `device` runs the kernels' subgroup forms: it has the feature, with subgroups at least 8 wide. @param {GPUDevice} device */
export function hasSubgroupsOf8(device) {
  const min = SUBGROUP_MIN.get(device) ?? /** @type {any} */ (device).adapterInfo?.subgroupMinSize ?? 0;
  return device.features.has("subgroups") && min >= 8;
}

/**
 * WGSL has no includes: a line `// #include "name.wgsl"` becomes that file's text, as the .NET edge's KernelSource does.
 * @param {string} file @param {Record<string, string>} kernels @param {number} [depth]
 * @returns {string}
 */
export function resolveIncludes(file, kernels, depth = 0) {
  const code = kernels[file];
  if (typeof code !== "string") throw new ProtocolError(`kernels["${file}"]`, "missing: the tail needs it");
  if (depth > 4) throw new ProtocolError(`kernels["${file}"]`, "includes nested more than 4 deep");
  return code.replace(/^\/\/ #include "([a-z0-9_]+\.wgsl)"\r?$/gm, (_, name) => resolveIncludes(name, kernels, depth + 1));
}

/** The product kernels' epilogue flags (params[3]): add into Y; GELU, tanh (GPT-2) or erf (encoders), fused. */
const ACCUMULATE = 1, GELU_TANH = 2, GELU_ERF = 4;

const STORAGE = 0x80 | 0x08 | 0x04; // STORAGE | COPY_DST | COPY_SRC
const UNIFORM = 0x40 | 0x08; // UNIFORM | COPY_DST
const ENCODER_FAMILIES = ["bert", "roberta", "xlm-roberta"];

/** Compiled pipelines per device and kernel source: a tail made for every request must not compile its kernels again. */
const PIPELINES = new WeakMap();

/** @param {GPUDevice} device @param {string} file @param {string} code */
function pipelineFor(device, file, code) {
  let byCode = PIPELINES.get(device);
  if (!byCode) PIPELINES.set(device, (byCode = new Map()));
  let pipeline = byCode.get(code);
  if (!pipeline) {
    pipeline = device.createComputePipeline({ layout: "auto", compute: { module: device.createShaderModule({ code, label: file }), entryPoint: "main" } });
    byCode.set(code, pipeline);
  }
  return pipeline;
}

/**
 * Blocks [k, N) of a split on WebGPU (issue 24), as the .NET edge's backends run them, with the same kernels. GPT-2
 * (WebGpuBackend): per block ln_1, the qkv product, causal attention, the projection (+ residual), ln_2, the fc product, tanh
 * GELU, the second projection (+ residual); then ln_f. BERT-family encoders (WebGpuEncoderBackend): the qkv product on x,
 * bidirectional attention, x += projection, LayerNorm, the intermediate product, erf GELU, += output product, LayerNorm; no
 * final norm. Weights f32: GPT-2's Conv1D (in, out) as the shards hold them; an encoder's nn.Linear (out, in) transposed here
 * and q | k | v stacked. Legend: B sequences, T positions, C channels, H heads, I inner width, R = B T rows.
 */
export class WebGpuTail {
  /**
   * @param {GPUDevice} device
   * @param {Record<string, string>} kernels WGSL source by file name (KERNEL_FILES)
   * @param {any} manifest the frame's manifest: layers [k, N) (and GPT-2's final norm)
   * @param {Map<string, { shape: number[], data: Float32Array }>} tensors every tensor of its shards
   * @param {{ matmulFile?: string, subgroups?: boolean, forms?: { matmul?: string, attention?: string, layerNorm?: string } }} [options]
   *   matmulFile: force a product kernel (benchmarks comparing them); subgroups: false runs the plain forms even where the device
   *   has subgroups of 8; forms: the files calibrate() measured fastest on this device (a plain file there means the plain form)
   */
  constructor(device, kernels, manifest, tensors, options = {}) {
    this.family = manifest.family ?? "gpt2";
    this.encoder = ENCODER_FAMILIES.includes(this.family);
    if (!this.encoder && this.family !== "gpt2") throw new ProtocolError("manifest.family", `this client runs gpt2 and BERT-family tails; found ${JSON.stringify(this.family)}`);
    this.device = device;
    this.c = manifest.n_embd;
    this.heads = manifest.n_head;
    this.eps = manifest.layer_norm_epsilon;
    this.first = manifest.shards.length > 0 ? manifest.shards[0].layer : manifest.n_layer;
    this.n = manifest.n_layer;
    const c = this.c;
    const tensor = (name, shape) => {
      const t = tensors.get(name);
      if (!t || t.shape.join(",") !== shape.join(",")) throw new ProtocolError(name, `expected a tensor of shape [${shape}], found ${t ? `[${t.shape}]` : "none"}`);
      return t.data;
    };
    const upload = (name, data) => this.buffer(data, STORAGE, name);
    this.layers = [];
    if (this.encoder) {
      const firstInner = tensors.get(`encoder.layer.${this.first}.intermediate.dense.weight`);
      this.inner = firstInner ? firstInner.shape[0] : 4 * c;
      const i = this.inner;
      for (let l = this.first; l < this.n; l++) {
        const p = `encoder.layer.${l}.`;
        const linear = (name, out, inp) => upload(p + name, transpose(tensor(p + name + ".weight", [out, inp]), out, inp));
        const vector = (name, size) => upload(p + name, tensor(p + name, [size]));
        const [q, k, v] = ["query", "key", "value"].map((part) => transpose(tensor(`${p}attention.self.${part}.weight`, [c, c]), c, c));
        const qkv = new Float32Array(3 * c * c);  // row r: q[r] | k[r] | v[r]
        for (let r = 0; r < c; r++) {
          qkv.set(q.subarray(r * c, (r + 1) * c), r * 3 * c);
          qkv.set(k.subarray(r * c, (r + 1) * c), r * 3 * c + c);
          qkv.set(v.subarray(r * c, (r + 1) * c), r * 3 * c + 2 * c);
        }
        const qkvBias = new Float32Array(3 * c);
        ["query", "key", "value"].forEach((part, j) => qkvBias.set(tensor(`${p}attention.self.${part}.bias`, [c]), j * c));
        this.layers.push({
          qkv: [upload(p + "qkv", qkv), upload(p + "qkv.bias", qkvBias)],
          proj: [linear("attention.output.dense", c, c), vector("attention.output.dense.bias", c)],
          ln1: [vector("attention.output.LayerNorm.weight", c), vector("attention.output.LayerNorm.bias", c)],
          fc: [linear("intermediate.dense", i, c), vector("intermediate.dense.bias", i)],
          fcProj: [linear("output.dense", c, i), vector("output.dense.bias", c)],
          ln2: [vector("output.LayerNorm.weight", c), vector("output.LayerNorm.bias", c)],
        });
      }
      this.finalNorm = [];
    } else {
      this.inner = 4 * c;
      const pair = (name, shape, biasSize) => [upload(name + ".weight", tensor(name + ".weight", shape)), upload(name + ".bias", tensor(name + ".bias", [biasSize]))];
      for (let l = this.first; l < this.n; l++) {
        const p = `h.${l}.`;
        this.layers.push({
          ln1: pair(p + "ln_1", [c], c), qkv: pair(p + "attn.c_attn", [c, 3 * c], 3 * c), proj: pair(p + "attn.c_proj", [c, c], c),
          ln2: pair(p + "ln_2", [c], c), fc: pair(p + "mlp.c_fc", [c, 4 * c], 4 * c), fcProj: pair(p + "mlp.c_proj", [4 * c, c], c),
        });
      }
      this.finalNorm = pair("ln_f", [c], c);
    }
    // The kernels as the .NET edge picks them without a tuning: 16 rows x 8 columns an invocation where every N (3C, C, I) is a
    // multiple of 4; the subgroup forms where the device has subgroups of at least 8 (attention also needs D % 32 == 0).
    // With `forms` (calibrate's choice for this device), those, wherever this model's shapes allow them.
    const subgroups = options.subgroups ?? hasSubgroupsOf8(device);
    const forms = options.forms ?? {};
    const d = c / this.heads;
    const rows = c % 4 === 0 && this.inner % 4 === 0;
    const matmulRows = forms.matmul === "matmul_rows.wgsl" || !subgroups ? "matmul_rows.wgsl" : "matmul_rows_subgroups.wgsl";
    this.matmulFile = options.matmulFile ?? (rows ? matmulRows : "matmul.wgsl");
    this.attentionFile = subgroups && d % 32 === 0 && d <= 256 && forms.attention !== "attention.wgsl" ? "attention_subgroups.wgsl" : "attention.wgsl";
    this.layerNormFile = subgroups && c % 4 === 0 && forms.layerNorm !== "layernorm.wgsl" ? "layernorm_subgroups.wgsl" : "layernorm.wgsl";
    this.tile = tileOf(kernels[this.matmulFile]);
    const source = (/** @type {string} */ file) => file === "attention_subgroups.wgsl"
      ? resolveIncludes(file, kernels).replace("const D4: u32 = 16u;", `const D4: u32 = ${d / 4}u;`)  // compiled for this head size
      : resolveIncludes(file, kernels);
    this.pipelines = Object.fromEntries([this.matmulFile, this.attentionFile, this.layerNormFile].map((file) => [file, pipelineFor(device, file, source(file))]));
  }

  /**
   * Runs blocks [k, N) (and GPT-2's final norm) on a hidden frame's (B, T, C) state; returns the finished (B, T, C) state.
   * @param {Float32Array} hidden
   * @param {number[]} shape [B, T, C]
   * @param {number[]} lengths
   * @returns {Promise<Float32Array>}
   */
  async run(hidden, shape, lengths) {
    const [b, t, c] = shape;
    if (c !== this.c) throw new ProtocolError("shape[2]", `expected C = ${this.c}, found ${c}`);
    const rows = b * t;
    const inner = this.inner;
    const d = this.device;
    const mask = new Uint32Array(rows);
    lengths.forEach((l, s) => mask.fill(1, s * t, s * t + l));
    const x = this.buffer(hidden, STORAGE, "x (R, C)");
    const normed = this.empty(rows * c, "normed (R, C)");
    const qkv = this.empty(rows * 3 * c, "qkv (R, 3C)");
    const att = this.empty(rows * c, "attention (R, C)");
    const mlp = this.empty(rows * inner, "mlp (R, I)");
    const maskBuffer = this.buffer(mask, STORAGE, "mask (B, T)");
    const u32 = (/** @type {number[]} */ values) => this.buffer(new Uint32Array(values), UNIFORM, "params");
    const params = {
      layerNorm: u32([rows, c, new Uint32Array(new Float32Array([this.eps]).buffer)[0], 0]),
      qkv: u32([rows, 3 * c, c, 0]), proj: u32([rows, c, c, ACCUMULATE]), fc: u32([rows, inner, c, this.encoder ? GELU_ERF : GELU_TANH]),
      fcProj: u32([rows, c, inner, ACCUMULATE]),
      attention: u32([t, c, this.heads, this.encoder ? 0 : 1]),
    };
    const encoder = d.createCommandEncoder({ label: `${this.family} tail [${this.first}, ${this.n}) B=${b} T=${t}` });
    const pass = encoder.beginComputePass();
    const dispatch = (file, buffers, x1, y1 = 1) => {
      const pipeline = this.pipelines[file];
      pass.setPipeline(pipeline);
      pass.setBindGroup(0, d.createBindGroup({ layout: pipeline.getBindGroupLayout(0), entries: buffers.map((buffer, binding) => ({ binding, resource: { buffer } })) }));
      pass.dispatchWorkgroups(x1, y1);
    };
    const matmul = (p, input, [w, bias], output, n) =>
      dispatch(this.matmulFile, [p, input, w, bias, output], Math.ceil(n / this.tile.cols), Math.ceil(rows / this.tile.rows));
    const layerNorm = (input, [gamma, beta], output) => dispatch(this.layerNormFile, [params.layerNorm, input, gamma, beta, output], rows);
    const queryGroups = this.attentionFile === "attention_subgroups.wgsl" ? Math.ceil(t / 8) : t;  // 8 queries a workgroup there
    const attention = (input) => dispatch(this.attentionFile, [params.attention, input, maskBuffer, att], queryGroups, b * this.heads);
    for (const w of this.layers) {
      if (this.encoder) {
        matmul(params.qkv, x, w.qkv, qkv, 3 * c);        // x (R, C) x (C, 3C) + b
        attention(qkv);                                   // every real key
        matmul(params.proj, att, w.proj, x, c);           // x += attention (R, C) x (C, C) + b
        layerNorm(x, w.ln1, normed);                      // normed = LN(x)
        matmul(params.fc, normed, w.fc, mlp, inner);      // erf GELU((R, C) x (C, I) + b)
        matmul(params.fcProj, mlp, w.fcProj, normed, c);  // normed += mlp (R, I) x (I, C) + b
        layerNorm(normed, w.ln2, x);                      // x = LN(normed)
      } else {
        layerNorm(x, w.ln1, normed);                      // ln_1
        matmul(params.qkv, normed, w.qkv, qkv, 3 * c);
        attention(qkv);                                   // causal
        matmul(params.proj, att, w.proj, x, c);           // x += ...
        layerNorm(x, w.ln2, normed);                      // ln_2
        matmul(params.fc, normed, w.fc, mlp, inner);      // tanh GELU, fused
        matmul(params.fcProj, mlp, w.fcProj, x, c);       // x += ...
      }
    }
    if (!this.encoder) layerNorm(x, this.finalNorm, normed);  // ln_f
    pass.end();
    const result = this.encoder ? x : normed;
    const readback = d.createBuffer({ size: rows * c * 4, usage: 0x01 | 0x08, label: "readback" }); // MAP_READ | COPY_DST
    encoder.copyBufferToBuffer(result, 0, readback, 0, rows * c * 4);
    d.queue.submit([encoder.finish()]);
    await readback.mapAsync(1); // GPUMapMode.READ
    const finished = new Float32Array(readback.getMappedRange().slice(0));
    readback.unmap();
    for (const buffer of [x, normed, qkv, att, mlp, maskBuffer, readback, ...Object.values(params)]) buffer.destroy();
    return finished;
  }

  /** @param {Float32Array | Uint32Array} values @param {number} usage @param {string} label */
  buffer(values, usage, label) {
    const buffer = this.device.createBuffer({ size: Math.max(16, values.byteLength), usage, label });
    this.device.queue.writeBuffer(buffer, 0, values);
    return buffer;
  }

  /** @param {number} count @param {string} label */
  empty(count, label) {
    return this.device.createBuffer({ size: Math.max(16, count * 4), usage: STORAGE, label });
  }

  destroy() {
    for (const layer of this.layers) for (const pair of Object.values(layer)) for (const buffer of pair) buffer.destroy();
    for (const buffer of this.finalNorm) buffer.destroy();
  }
}

/** (rows, cols) -> (cols, rows): nn.Linear's (out, in) as the products' (in, out). */
function transpose(data, rows, cols) {
  const out = new Float32Array(rows * cols);
  for (let r = 0; r < rows; r++) for (let c = 0; c < cols; c++) out[c * rows + r] = data[r * cols + c];
  return out;
}

/**
 * The rows and columns of Y one matmul workgroup computes, from the kernel's own constants (TILE, or TILE_ROWS / TILE_COLS):
 * the dispatch follows the kernel, whichever version the gateway serves.
 * @param {string} source
 */
export function tileOf(source) {
  const constant = (name) => Number(source.match(new RegExp(`const\\s+${name}\\s*:\\s*u32\\s*=\\s*(\\d+)u?\\s*;`))?.[1] ?? NaN);
  const tile = constant("TILE");
  const rows = Number.isFinite(constant("TILE_ROWS")) ? constant("TILE_ROWS") : tile;
  const cols = Number.isFinite(constant("TILE_COLS")) ? constant("TILE_COLS") : tile;
  if (!(rows > 0 && cols > 0)) throw new ProtocolError("matmul.wgsl", "declares neither TILE nor TILE_ROWS and TILE_COLS");
  return { rows, cols };
}
