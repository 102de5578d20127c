// Reads each frame file named in argv with the client's reader and prints one JSON line per file: what it found (a summary of
// the header and a checksum of the payload) or the ProtocolError (field, offset). The .NET test compares it with FrameReader.
import { readFileSync } from "node:fs";
import { readFrame } from "../src/index.js";

for (const path of process.argv.slice(2)) {
  try {
    const f = readFrame(readFileSync(path));
    let sum = 0;
    for (const v of f.data) sum += v;
    console.log(JSON.stringify({ ok: true, kind: f.kind, model: f.model, revision: f.revision, k: f.k, n: f.n, dtype: f.dtype, shape: f.shape,
      lengths: f.lengths, pooling: f.pooling, poolFrom: f.poolFrom, requestId: f.requestId, shards: f.manifest?.shards?.length ?? null,
      count: f.data.length, sum, first: f.data[0], last: f.data[f.data.length - 1] }));
  } catch (error) {
    if (error?.name !== "ProtocolError") throw error;
    console.log(JSON.stringify({ ok: false, field: error.field, offset: error.offset ?? null, detail: error.detail }));
  }
}
