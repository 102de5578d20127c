// @ts-check
import { tileOf, resolveIncludes } from "./webgpu-tail.js";

/**
 * A short calibration for X-SplitCompute-Perf, as the .NET edge's probe measures it: f32 GFLOP/s of the edge's product kernel on
 * a gpt2-sized MLP product (128 x 768 x 3072), median of 3 after a warm-up, and upload Gbit/s of a 32 MiB queue write. A page
 * runs it once and keeps the figures (they describe the device, not the request).
 * @param {GPUDevice} device
 * @param {Record<string, string>} kernels at least matmul_rows.wgsl and the epilogue.wgsl it includes
 * @returns {Promise<{ gflops: number, uploadGbps: number }>}
 */
export async function calibrate(device, kernels) {
  const matmulRowsSource = resolveIncludes("matmul_rows.wgsl", kernels);
  const [m, k, n] = [128, 768, 3072];
  const storage = 0x80 | 0x08 | 0x04;
  const make = (count) => device.createBuffer({ size: count * 4, usage: storage });
  const x = make(m * k), w = make(k * n), bias = make(n), y = make(m * n);
  const params = device.createBuffer({ size: 16, usage: 0x40 | 0x08 });
  device.queue.writeBuffer(params, 0, new Uint32Array([m, n, k, 0]));
  device.queue.writeBuffer(x, 0, new Float32Array(m * k).fill(0.01));
  device.queue.writeBuffer(w, 0, new Float32Array(k * n).fill(0.01));
  const pipeline = device.createComputePipeline({ layout: "auto", compute: { module: device.createShaderModule({ code: matmulRowsSource }), entryPoint: "main" } });
  const group = device.createBindGroup({ layout: pipeline.getBindGroupLayout(0), entries: [params, x, w, bias, y].map((buffer, binding) => ({ binding, resource: { buffer } })) });
  const tile = tileOf(matmulRowsSource);
  const once = async () => {
    const start = performance.now();
    const encoder = device.createCommandEncoder();
    const pass = encoder.beginComputePass();
    pass.setPipeline(pipeline);
    pass.setBindGroup(0, group);
    pass.dispatchWorkgroups(Math.ceil(n / tile.cols), Math.ceil(m / tile.rows));
    pass.end();
    device.queue.submit([encoder.finish()]);
    await device.queue.onSubmittedWorkDone();
    return performance.now() - start;
  };
  await once();
  const times = [await once(), await once(), await once()].sort((a, b) => a - b);
  const upload = device.createBuffer({ size: 32 << 20, usage: 0x08 | 0x80 });
  const data = new Uint8Array(32 << 20);
  device.queue.writeBuffer(upload, 0, data);  // the first write also allocates
  await device.queue.onSubmittedWorkDone();
  const uploadStart = performance.now();
  device.queue.writeBuffer(upload, 0, data);
  await device.queue.onSubmittedWorkDone();
  const uploadMs = Math.max(performance.now() - uploadStart, 0.01);
  for (const buffer of [x, w, bias, y, params, upload]) buffer.destroy();
  return { gflops: Math.max((2 * m * k * n) / (times[1] * 1e6), 0.001), uploadGbps: Math.min((data.length * 8) / (uploadMs * 1e6), 1e4) };
}
