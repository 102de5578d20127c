// @ts-check
// SplitCompute's JavaScript client (issue 24): the split protocol of docs/protocol.md for web pages and Node.
export { SplitComputeClient, FRAME_MEDIA_TYPE } from "./client.js";
export { readFrame, DEFAULT_LIMITS, halfToFloat } from "./frame.js";
export { pool, parseShaping, shape } from "./pooling.js";
export { ProtocolError } from "./protocol-error.js";
export { capabilityHeaders, describeAdapter, newClientId } from "./capabilities.js";
export { ShardCache } from "./shards.js";
export { readSafetensors } from "./safetensors.js";
export { WebGpuTail, KERNEL_FILES, tileOf, requestTailDevice, resolveIncludes, hasSubgroupsOf8 } from "./webgpu-tail.js";
export { ManifestVerifier } from "./manifest-verifier.js";
export { calibrate } from "./calibration.js";
