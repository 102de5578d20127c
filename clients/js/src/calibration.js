// @ts-check
import { tileOf, resolveIncludes, hasSubgroupsOf8 } from "./webgpu-tail.js";

const STORAGE = 0x80 | 0x08 | 0x04, UNIFORM = 0x40 | 0x08;

/**
 * A short calibration for X-SplitCompute-Perf and the kernel forms, as the .NET edge's probe measures them: every form of the
 * product, attention and LayerNorm kernels this device can run, timed on a gpt2-sized block at T = 128 (median of 3 after a
 * warm-up); the fastest of each is `forms` (give it to the client as `kernelForms`), and the fastest product's f32 GFLOP/s on
 * 128 x 768 x 3072 is `gflops`; plus upload Gbit/s of a 32 MiB queue write. A page runs it once and keeps the figures (they
 * describe the device, not the request).
 * @param {GPUDevice} device
 * @param {Record<string, string>} kernels the kernel files (KERNEL_FILES), by name
 * @returns {Promise<{ gflops: number, uploadGbps: number, forms: { matmul: string, attention: string, layerNorm: string }, ms: Record<string, number> }>}
 */
export async function calibrate(device, kernels) {
  const [t, c, heads, inner] = [128, 768, 12, 3072];
  const make = (/** @type {number} */ count) => {
    const buffer = device.createBuffer({ size: count * 4, usage: STORAGE });
    device.queue.writeBuffer(buffer, 0, new Float32Array(count).fill(0.01));
    return buffer;
  };
  const uniform = (/** @type {number[]} */ values) => {
    const buffer = device.createBuffer({ size: 16, usage: UNIFORM });
    device.queue.writeBuffer(buffer, 0, new Uint32Array(values));
    return buffer;
  };
  const x = make(t * inner), w = make(c * inner), bias = make(inner), y = make(t * inner), qkv = make(t * 3 * c);
  const mask = device.createBuffer({ size: t * 4, usage: STORAGE });
  device.queue.writeBuffer(mask, 0, new Uint32Array(t).fill(1));
  const productParams = uniform([t, inner, c, 0]), attentionParams = uniform([t, c, heads, 1]);
  const layerNormParams = uniform([t, c, new Uint32Array(new Float32Array([1e-5]).buffer)[0], 0]);
  const subgroups = hasSubgroupsOf8(device);
  /** @type {Record<string, number>} */
  const ms = {};
  /** Median ms of one submission of `file`'s kernel over `buffers`, or nothing when this device cannot compile or run it. */
  const time = async (/** @type {string} */ file, /** @type {GPUBuffer[]} */ buffers, /** @type {(code: string) => [number, number]} */ grid) => {
    try {
      let code = resolveIncludes(file, kernels);
      if (file === "attention_subgroups.wgsl") code = code.replace("const D4: u32 = 16u;", `const D4: u32 = ${c / heads / 4}u;`);
      device.pushErrorScope("validation");
      const pipeline = device.createComputePipeline({ layout: "auto", compute: { module: device.createShaderModule({ code, label: file }), entryPoint: "main" } });
      const group = device.createBindGroup({ layout: pipeline.getBindGroupLayout(0), entries: buffers.map((buffer, binding) => ({ binding, resource: { buffer } })) });
      if (await device.popErrorScope()) return;
      const [gx, gy] = grid(code);
      const once = async () => {
        const start = performance.now();
        const encoder = device.createCommandEncoder();
        const pass = encoder.beginComputePass();
        pass.setPipeline(pipeline);
        pass.setBindGroup(0, group);
        pass.dispatchWorkgroups(gx, gy);
        pass.end();
        device.queue.submit([encoder.finish()]);
        await device.queue.onSubmittedWorkDone();
        return performance.now() - start;
      };
      await once();
      ms[file] = [await once(), await once(), await once()].sort((a, b) => a - b)[1];
    } catch {
      // not this form on this device: the others are chosen from
    }
  };
  const products = ["matmul_rows.wgsl", ...(subgroups ? ["matmul_rows_subgroups.wgsl"] : [])];
  for (const file of products) {
    await time(file, [productParams, x, w, bias, y], (code) => { const tile = tileOf(code); return [Math.ceil(inner / tile.cols), Math.ceil(t / tile.rows)]; });
  }
  const attentions = ["attention.wgsl", ...(subgroups ? ["attention_subgroups.wgsl"] : [])];
  for (const file of attentions) await time(file, [attentionParams, qkv, mask, y], () => [file === "attention.wgsl" ? t : Math.ceil(t / 8), heads]);
  const layerNorms = ["layernorm.wgsl", ...(subgroups ? ["layernorm_subgroups.wgsl"] : [])];
  for (const file of layerNorms) await time(file, [layerNormParams, x, bias, bias, y], () => [t, 1]);
  const fastest = (/** @type {string[]} */ files) => files.filter((f) => f in ms).sort((a, b) => ms[a] - ms[b])[0] ?? files[0];
  const forms = { matmul: fastest(products), attention: fastest(attentions), layerNorm: fastest(layerNorms) };

  const upload = device.createBuffer({ size: 32 << 20, usage: 0x08 | 0x80 });
  const data = new Uint8Array(32 << 20);
  device.queue.writeBuffer(upload, 0, data);  // the first write also allocates
  await device.queue.onSubmittedWorkDone();
  const uploadStart = performance.now();
  device.queue.writeBuffer(upload, 0, data);
  await device.queue.onSubmittedWorkDone();
  const uploadMs = Math.max(performance.now() - uploadStart, 0.01);
  for (const buffer of [x, w, bias, y, qkv, mask, productParams, attentionParams, layerNormParams, upload]) buffer.destroy();
  const productMs = ms[forms.matmul] ?? Infinity;
  return { gflops: Math.max((2 * t * c * inner) / (productMs * 1e6), 0.001), uploadGbps: Math.min((data.length * 8) / (uploadMs * 1e6), 1e4), forms, ms };
}
