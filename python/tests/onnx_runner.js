// Runs an ONNX model in ONNX Runtime (npm onnxruntime-node, its CPU runtime) for the export tests:
//   node onnx_runner.js MODEL INPUT_NAME DTYPE SHAPE(comma-separated) IN.bin OUT.bin
// IN.bin and OUT.bin are raw little-endian arrays (float32 or float64); inf, NaN and -0 survive.
// The module is found through NODE_PATH (the folder holding node_modules/onnxruntime-node).
'use strict';
const fs = require('fs');
const ort = require('onnxruntime-node');

async function main() {
  const [model, inputName, dtype, shapeText, inPath, outPath] = process.argv.slice(2);
  const shape = shapeText.split(',').map(Number);
  const raw = fs.readFileSync(inPath);
  const Array_ = dtype === 'float64' ? Float64Array : Float32Array;
  const data = new Array_(raw.buffer, raw.byteOffset, raw.byteLength / Array_.BYTES_PER_ELEMENT);
  const session = await ort.InferenceSession.create(model, {executionProviders: ['cpu']});
  const result = await session.run({[inputName]: new ort.Tensor(dtype, data, shape)});
  const out = result[session.outputNames[0]];
  fs.writeFileSync(outPath, Buffer.from(out.data.buffer, out.data.byteOffset, out.data.byteLength));
}

main().catch((e) => {
  console.error(`onnx_runner: ${e.message}`);
  process.exit(1);
});
