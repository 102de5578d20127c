// Prints the capability headers capabilityHeaders() writes for SPLITCOMPUTE_CAPABILITIES (JSON) and SPLITCOMPUTE_SPLIT, as JSON.
import { capabilityHeaders } from "../src/index.js";

const split = process.env.SPLITCOMPUTE_SPLIT;
console.log(JSON.stringify(capabilityHeaders(JSON.parse(process.env.SPLITCOMPUTE_CAPABILITIES), split && /^[0-9]+$/.test(split) ? Number(split) : split)));
