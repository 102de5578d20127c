// @ts-check
import { ProtocolError } from "./protocol-error.js";

/** The edge's WGSL kernels (src/SplitCompute.WebGpu/Kernels), shared with the .NET edge: one source, fetched or read by name. */
export const KERNEL_FILES = ["matmul.wgsl", "matmul_rows.wgsl", "layernorm.wgsl", "attention.wgsl", "gelu.wgsl"];

const STORAGE = 0x80 | 0x08 | 0x04; // STORAGE | COPY_DST | COPY_SRC
const UNIFORM = 0x40 | 0x08; // UNIFORM | COPY_DST

/**
 * GPT-2's blocks [k, N) and final norm on WebGPU (issue 24), as the .NET edge's WebGpuBackend runs them, with the same kernels:
 * per block ln_1, the qkv product, causal attention, the projection (+ residual), ln_2, the fc product, GELU (tanh), the second
 * projection (+ residual); then ln_f. Weights f32, Conv1D layout (in, out) as the shards hold them. Legend: B sequences,
 * T positions, C channels, H heads, R = B T rows.
 */
export class Gpt2Tail {
  /**
   * @param {GPUDevice} device
   * @param {Record<string, string>} kernels WGSL source by file name (KERNEL_FILES)
   * @param {any} manifest the frame's manifest: layers [k, N) and the final norm
   * @param {Map<string, { shape: number[], data: Float32Array }>} tensors every tensor of its shards
   */
  constructor(device, kernels, manifest, tensors) {
    if ((manifest.family ?? "gpt2") !== "gpt2") throw new ProtocolError("manifest.family", `this client runs GPT-2 tails; found ${JSON.stringify(manifest.family)}`);
    this.device = device;
    this.c = manifest.n_embd;
    this.heads = manifest.n_head;
    this.eps = manifest.layer_norm_epsilon;
    this.first = manifest.shards.length > 0 ? manifest.shards[0].layer : manifest.n_layer;
    this.n = manifest.n_layer;
    // The product kernel as the .NET edge picks it: 16 rows x 8 columns an invocation where every N (3C, C, 4C) is a multiple of 4.
    this.matmulFile = this.c % 4 === 0 ? "matmul_rows.wgsl" : "matmul.wgsl";
    this.tile = tileOf(kernels[this.matmulFile]);
    const used = KERNEL_FILES.filter((file) => !file.startsWith("matmul") || file === this.matmulFile);
    this.pipelines = Object.fromEntries(used.map((file) => [file, device.createComputePipeline({
      layout: "auto", compute: { module: device.createShaderModule({ code: kernels[file], label: file }), entryPoint: "main" },
    })]));
    const c = this.c;
    const upload = (name, shape) => {
      const t = tensors.get(name);
      if (!t || t.shape.join(",") !== shape.join(",")) throw new ProtocolError(name, `expected a tensor of shape [${shape}], found ${t ? `[${t.shape}]` : "none"}`);
      return this.buffer(t.data, STORAGE, name);
    };
    this.layers = [];
    for (let l = this.first; l < this.n; l++) {
      const p = `h.${l}.`;
      this.layers.push({
        ln1: [upload(p + "ln_1.weight", [c]), upload(p + "ln_1.bias", [c])],
        qkv: [upload(p + "attn.c_attn.weight", [c, 3 * c]), upload(p + "attn.c_attn.bias", [3 * c])],
        proj: [upload(p + "attn.c_proj.weight", [c, c]), upload(p + "attn.c_proj.bias", [c])],
        ln2: [upload(p + "ln_2.weight", [c]), upload(p + "ln_2.bias", [c])],
        fc: [upload(p + "mlp.c_fc.weight", [c, 4 * c]), upload(p + "mlp.c_fc.bias", [4 * c])],
        fcProj: [upload(p + "mlp.c_proj.weight", [4 * c, c]), upload(p + "mlp.c_proj.bias", [c])],
      });
    }
    this.finalNorm = [upload("ln_f.weight", [c]), upload("ln_f.bias", [c])];
  }

  /**
   * Runs blocks [k, N) and the final norm on a hidden frame's (B, T, C) state; returns the finished (B, T, C) state.
   * @param {Float32Array} hidden
   * @param {number[]} shape [B, T, C]
   * @param {number[]} lengths
   * @returns {Promise<Float32Array>}
   */
  async run(hidden, shape, lengths) {
    const [b, t, c] = shape;
    if (c !== this.c) throw new ProtocolError("shape[2]", `expected C = ${this.c}, found ${c}`);
    const rows = b * t;
    const d = this.device;
    const mask = new Uint32Array(rows);
    lengths.forEach((l, s) => mask.fill(1, s * t, s * t + l));
    const x = this.buffer(hidden, STORAGE, "x (R, C)");
    const normed = this.empty(rows * c, "normed (R, C)");
    const qkv = this.empty(rows * 3 * c, "qkv (R, 3C)");
    const att = this.empty(rows * c, "attention (R, C)");
    const mlp = this.empty(rows * 4 * c, "mlp (R, 4C)");
    const maskBuffer = this.buffer(mask, STORAGE, "mask (B, T)");
    const u32 = (/** @type {number[]} */ values) => this.buffer(new Uint32Array(values), UNIFORM, "params");
    const lnParams = this.buffer(new Uint32Array([rows, c, new Uint32Array(new Float32Array([this.eps]).buffer)[0], 0]), UNIFORM, "layernorm params");
    const params = {
      qkv: u32([rows, 3 * c, c, 0]), proj: u32([rows, c, c, 1]), fc: u32([rows, 4 * c, c, 0]), fcProj: u32([rows, c, 4 * c, 1]),
      attention: u32([t, c, this.heads, 1]), gelu: u32([rows * 4 * c, 0, 0, 0]),
    };
    const encoder = d.createCommandEncoder({ label: `gpt2 tail [${this.first}, ${this.n}) B=${b} T=${t}` });
    const pass = encoder.beginComputePass();
    const dispatch = (file, buffers, x1, y1 = 1) => {
      const pipeline = this.pipelines[file];
      pass.setPipeline(pipeline);
      pass.setBindGroup(0, d.createBindGroup({ layout: pipeline.getBindGroupLayout(0), entries: buffers.map((buffer, binding) => ({ binding, resource: { buffer } })) }));
      pass.dispatchWorkgroups(x1, y1);
    };
    const matmul = (p, input, [w, bias], output, n) =>
      dispatch(this.matmulFile, [p, input, w, bias, output], Math.ceil(n / this.tile.cols), Math.ceil(rows / this.tile.rows));
    for (const w of this.layers) {
      dispatch("layernorm.wgsl", [lnParams, x, ...w.ln1, normed], rows);                 // ln_1: x -> normed
      matmul(params.qkv, normed, w.qkv, qkv, 3 * c);                                       // (R, C) x (C, 3C) + b
      dispatch("attention.wgsl", [params.attention, qkv, maskBuffer, att], t, b * this.heads);
      matmul(params.proj, att, w.proj, x, c);                                              // x += (R, C) x (C, C) + b
      dispatch("layernorm.wgsl", [lnParams, x, ...w.ln2, normed], rows);                 // ln_2
      matmul(params.fc, normed, w.fc, mlp, 4 * c);                                         // (R, C) x (C, 4C) + b
      dispatch("gelu.wgsl", [params.gelu, mlp], Math.min(Math.max(Math.ceil((rows * 4 * c) / 256), 1), 4096));
      matmul(params.fcProj, mlp, w.fcProj, x, c);                                          // x += (R, 4C) x (4C, C) + b
    }
    dispatch("layernorm.wgsl", [lnParams, x, ...this.finalNorm, normed], rows);          // ln_f
    pass.end();
    const readback = d.createBuffer({ size: rows * c * 4, usage: 0x01 | 0x08, label: "readback" }); // MAP_READ | COPY_DST
    encoder.copyBufferToBuffer(normed, 0, readback, 0, rows * c * 4);
    d.queue.submit([encoder.finish()]);
    await readback.mapAsync(1); // GPUMapMode.READ
    const result = new Float32Array(readback.getMappedRange().slice(0));
    readback.unmap();
    for (const buffer of [x, normed, qkv, att, mlp, maskBuffer, lnParams, readback, ...Object.values(params)]) buffer.destroy();
    return result;
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
