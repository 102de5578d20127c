// @ts-check
import { ProtocolError } from "./protocol-error.js";
import { halfToFloat } from "./frame.js";

/** Whether this machine stores floats little-endian, as safetensors does (then an f32 tensor is its bytes as they are). */
const LITTLE_ENDIAN = new Uint8Array(new Float32Array([1]).buffer)[3] === 0x3f;

/**
 * The tensors of a safetensors file (8-byte LE header length, JSON header, raw little-endian data), as f32 arrays: what a shard
 * is (docs/protocol.md 2). F32 and F16 tensors; anything else, or a tensor outside the data, is refused naming it.
 * @param {ArrayBuffer} buffer
 * @param {string} what names the file in errors
 * @returns {Map<string, { shape: number[], data: Float32Array }>}
 */
export function readSafetensors(buffer, what) {
  const view = new DataView(buffer);
  if (buffer.byteLength < 8) throw new ProtocolError(what, "shorter than a safetensors header");
  const length = Number(view.getBigUint64(0, true));
  if (length > buffer.byteLength - 8) throw new ProtocolError(what, `header of ${length} bytes runs past the ${buffer.byteLength}-byte file`);
  const header = JSON.parse(new TextDecoder("utf-8", { fatal: true }).decode(new Uint8Array(buffer, 8, length)));
  const start = 8 + length;
  const tensors = new Map();
  for (const [name, entry] of Object.entries(header)) {
    if (name === "__metadata__") continue;
    const [begin, end] = entry.data_offsets;
    const count = entry.shape.reduce((a, d) => a * d, 1);
    const size = entry.dtype === "F32" ? 4 : entry.dtype === "F16" ? 2 : 0;
    if (size === 0) throw new ProtocolError(`${what}: ${name}`, `dtype ${entry.dtype} is not F32 or F16`);
    if (end - begin !== count * size || start + end > buffer.byteLength) throw new ProtocolError(`${what}: ${name}`, `data [${begin}, ${end}) does not hold ${count} ${entry.dtype} values inside the file`);
    let data;
    if (size === 4 && LITTLE_ENDIAN) {
      data = new Float32Array(buffer.slice(start + begin, start + end));  // one copy, aligned whatever the file's offsets
    } else {
      data = new Float32Array(count);
      const at = new DataView(buffer, start + begin, end - begin);
      for (let i = 0; i < count; i++) data[i] = size === 4 ? at.getFloat32(4 * i, true) : halfToFloat(at.getUint16(2 * i, true));
    }
    tensors.set(name, { shape: entry.shape, data });
  }
  return tensors;
}

