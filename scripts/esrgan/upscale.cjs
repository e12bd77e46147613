// Super-resolves low-resolution PNGs with the ESRGAN models that npm's @upscalerjs packages ship
// (TF.js layers models, weights inside the package), on TF.js's WebAssembly backend under Node.
// A data-making tool only: Dif itself never runs Node. Used by scripts/make-real-data.sh.
//
//   node upscale.cjs --model esrgan-slim|esrgan-thick --scale 2|3|4|8 --in DIR --out DIR
//
// Every *.png in --in is upscaled by the model's factor and written to --out under the same name
// (written to NAME.tmp, then renamed, so an interrupted run never leaves half a file; files already
// there are skipped, so a rerun resumes). Output is 8-bit RGB PNG, rounded from the model's output.
'use strict';
const fs = require('fs');
const path = require('path');
const { PNG } = require('pngjs');
const tf = require('@tensorflow/tfjs');
require('@tensorflow/tfjs-backend-wasm');

function args(argv) {
  const a = {};
  for (let i = 0; i < argv.length; i += 2) {
    if (!argv[i].startsWith('--') || argv[i + 1] === undefined) throw new Error(`bad argument ${argv[i]}`);
    a[argv[i].slice(2)] = argv[i + 1];
  }
  for (const k of ['model', 'scale', 'in', 'out']) if (!a[k]) throw new Error(`--${k} is required`);
  return a;
}

// A model definition of the package (its custom layers are registered by its own setup), and an IO
// handler that reads model.json and the weight shards from the package folder: tfjs's file:// loader
// needs tfjs-node, whose install downloads a native binary.
function loadDefinition(model, scale) {
  const pkg = `@upscalerjs/${model}`;
  const exported = require(`${pkg}/${scale}x`);
  const def = exported.default || exported;
  // The package's exports hide package.json: walk up from an exported file to the package folder.
  let root = path.dirname(require.resolve(`${pkg}/${scale}x`));
  while (!fs.existsSync(path.join(root, 'package.json')) || JSON.parse(fs.readFileSync(path.join(root, 'package.json'), 'utf8')).name !== pkg) {
    const up = path.dirname(root);
    if (up === root) throw new Error(`cannot find the folder of ${pkg}`);
    root = up;
  }
  return { def, modelJson: path.join(root, def._internals.path) };
}

function fileHandler(modelJson) {
  return {
    load: async () => {
      const json = JSON.parse(fs.readFileSync(modelJson, 'utf8'));
      const dir = path.dirname(modelJson);
      const weightSpecs = [];
      const buffers = [];
      for (const group of json.weightsManifest) {
        weightSpecs.push(...group.weights);
        for (const p of group.paths) buffers.push(fs.readFileSync(path.join(dir, p)));
      }
      const all = Buffer.concat(buffers);
      const weightData = all.buffer.slice(all.byteOffset, all.byteOffset + all.byteLength);
      return { modelTopology: json.modelTopology, weightSpecs, weightData, format: json.format };
    },
  };
}

function readPng(file) {
  const png = PNG.sync.read(fs.readFileSync(file));
  const rgb = new Float32Array(png.width * png.height * 3);
  for (let i = 0, j = 0; i < png.data.length; i += 4, j += 3) {
    rgb[j] = png.data[i]; rgb[j + 1] = png.data[i + 1]; rgb[j + 2] = png.data[i + 2];
  }
  return { width: png.width, height: png.height, rgb };
}

function writePng(file, width, height, rgb) {
  const png = new PNG({ width, height, colorType: 2 });
  const data = Buffer.alloc(width * height * 4);
  for (let i = 0, j = 0; j < rgb.length; i += 4, j += 3) {
    data[i] = rgb[j]; data[i + 1] = rgb[j + 1]; data[i + 2] = rgb[j + 2]; data[i + 3] = 255;
  }
  png.data = data;
  const tmp = `${file}.tmp`;
  fs.writeFileSync(tmp, PNG.sync.write(png, { colorType: 2 }));
  fs.renameSync(tmp, file);
}

async function main() {
  const a = args(process.argv.slice(2));
  const scale = Number(a.scale);
  await tf.setBackend('wasm');
  await tf.ready();
  const { def, modelJson } = loadDefinition(a.model, scale);
  if (def.setup) def.setup(tf);
  const net = await tf.loadLayersModel(fileHandler(modelJson));
  const [inLo, inHi] = def.inputRange;
  const [outLo, outHi] = def.outputRange;
  fs.mkdirSync(a.out, { recursive: true });
  const files = fs.readdirSync(a.in).filter(f => f.endsWith('.png')).sort();
  const started = Date.now();
  let done = 0, skipped = 0;
  for (const name of files) {
    const target = path.join(a.out, name);
    if (fs.existsSync(target)) { skipped++; continue; }
    const img = readPng(path.join(a.in, name));
    const out = tf.tidy(() => {
      const x = tf.tensor4d(img.rgb, [1, img.height, img.width, 3]).div(255).mul(inHi - inLo).add(inLo);
      const y = net.predict(x);
      return y.sub(outLo).div(outHi - outLo).mul(255).round().clipByValue(0, 255).squeeze();
    });
    const [h, w] = out.shape;
    const values = await out.data();
    out.dispose();
    writePng(target, w, h, Uint8Array.from(values));
    done++;
    if (done % 16 === 0 || done + skipped === files.length) {
      const rate = done / ((Date.now() - started) / 1000);
      process.stderr.write(`[esrgan] ${a.model} x${scale}: ${done + skipped}/${files.length} (${rate.toFixed(2)} img/s)\n`);
    }
  }
  if (files.length === 0) throw new Error(`no .png files in ${a.in}`);
}

main().catch(e => { process.stderr.write(`[esrgan] error: ${e.message}\n`); process.exit(1); });
