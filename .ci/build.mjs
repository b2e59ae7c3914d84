// Bundles the extension, the CLI and the scan worker with esbuild.
// onnxruntime-node and usearch stay external: native modules shipped in node_modules (linux-x64 only in the .vsix).
// typescript too: its language service finds lib.*.d.ts beside its own file, which a bundle would move.
// pyright is never bundled: its language server runs as a child process from node_modules.
import { build } from 'esbuild';

const production = process.argv.includes('--production');
const common = {
  bundle: true,
  platform: 'node',
  target: 'node20',
  format: 'cjs',
  sourcemap: !production,
  minify: production,
  logLevel: 'warning',
  external: ['vscode', 'onnxruntime-node', 'usearch', 'typescript', 'pyright'],
  // web-tree-sitter's ESM build reads import.meta.url at load, which is empty in a CommonJS bundle.
  alias: { 'web-tree-sitter': './node_modules/web-tree-sitter/web-tree-sitter.cjs' },
};

await Promise.all([
  build({ ...common, entryPoints: { extension: 'src/extension/main.ts' }, outdir: 'dist' }),
  build({ ...common, entryPoints: { cli: 'src/cli/main.ts' }, outdir: 'dist', banner: { js: '#!/usr/bin/env node' } }),
  build({ ...common, entryPoints: { scanWorker: 'src/core/scan/scanWorker.ts' }, outdir: 'dist' }),
  build({ ...common, entryPoints: { indexWorker: 'src/core/index/indexWorker.ts' }, outdir: 'dist' }),
  build({ ...common, entryPoints: { tokenizer: 'src/cli/tokenizerMain.ts' }, outdir: 'dist', banner: { js: '#!/usr/bin/env node' } }),
  // Execution traces for training (training/traces/js/), never shipped: the job builder, and the runtime
  // copied into each sandboxed run (an ES module, so examples can import ES-module packages).
  build({ ...common, entryPoints: { traceInstrument: 'training/traces/js/main.ts' }, outdir: 'dist' }),
  build({ ...common, format: 'esm', sourcemap: false, entryPoints: { traceRuntime: 'training/traces/js/runtimeEntry.ts' }, outdir: 'dist', outExtension: { '.js': '.mjs' } }),
]);
console.log(`build: dist/extension.js, dist/cli.js, dist/scanWorker.js, dist/indexWorker.js, dist/tokenizer.js, dist/traceInstrument.js, dist/traceRuntime.mjs${production ? ' (production)' : ''}`);
