// Packages the extension for one platform: `node .ci/package.mjs [linux-x64|linux-arm64|darwin-arm64|win32-x64|win32-arm64]`.
// The .vsix carries the bundled code, the grammars, and only that platform's onnxruntime and usearch binaries.
import { execFileSync } from 'node:child_process';
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';

const PLATFORMS = { 'linux-x64': 'linux/x64', 'linux-arm64': 'linux/arm64', 'darwin-arm64': 'darwin/arm64', 'win32-x64': 'win32/x64', 'win32-arm64': 'win32/arm64' };
// usearch's prebuilt folders (node-gyp-build's names); it has none for Windows, where search stays exact.
const USEARCH_PREBUILDS = { 'linux-x64': 'linux-x64', 'linux-arm64': 'linux-arm64', 'darwin-arm64': 'darwin-arm64+x64' };
const target = process.argv[2] ?? 'linux-x64';
if (!(target in PLATFORMS)) {
  console.error(`package: unknown target ${target}; one of ${Object.keys(PLATFORMS).join(', ')}`);
  process.exit(2);
}

execFileSync(process.execPath, ['grammars/copy-grammars.mjs'], { stdio: 'inherit' });
execFileSync(process.execPath, ['.ci/build.mjs', '--production'], { stdio: 'inherit' });

// Everything is excluded but what the extension loads at run time.
const ignore = [
  '**',
  '!package.json', '!README.md', '!LICENSE',
  '!dist/extension.js', '!dist/scanWorker.js', '!dist/indexWorker.js', '!dist/cli.js',
  '!grammars/*.wasm',
  // The syntax probe's webview script and styles.
  '!media/**',
  // The models' files and their probes; not the parity data, which checks an export rather than runs it.
  // (vsce includes whatever any negation matches, whatever the order, so parity/ is simply never named.)
  '!models/*/*.onnx', '!models/*/*.json', '!models/*/*.md', '!models/*/probe/**',
  '!node_modules/onnxruntime-common/**',
  '!node_modules/onnxruntime-node/package.json', '!node_modules/onnxruntime-node/LICENSE', '!node_modules/onnxruntime-node/dist/**',
  `!node_modules/onnxruntime-node/bin/napi-v6/${PLATFORMS[target]}/**`,
  // usearch (the HNSW index) and what its loader requires at run time; not its C++ sources.
  '!node_modules/usearch/package.json', '!node_modules/usearch/LICENSE', '!node_modules/usearch/javascript/dist/cjs/**',
  ...(USEARCH_PREBUILDS[target] ? [`!node_modules/usearch/prebuilds/${USEARCH_PREBUILDS[target]}/**`] : []),
  '!node_modules/node-gyp-build/**', '!node_modules/bindings/**', '!node_modules/file-uri-to-path/**',
];
mkdirSync('dist', { recursive: true });
const ignoreFile = join('dist', `vscodeignore-${target}`);
writeFileSync(ignoreFile, `${ignore.join('\n')}\n`);
const out = join('dist', `astrolabe-${target}.vsix`);
execFileSync('npx', ['vsce', 'package', '--target', target, '--ignoreFile', ignoreFile, '--allow-missing-repository', '--out', out], { stdio: 'inherit' });

// Check what went in: no other platform's native code.
const listing = execFileSync('unzip', ['-Z1', out], { encoding: 'utf8' }).split('\n');
const native = listing.filter((entry) => /\.(node|so(\.\d+)*|dylib|dll)$/.test(entry));
const foreign = native.filter((entry) => !entry.includes(`/bin/napi-v6/${PLATFORMS[target]}/`) && !(USEARCH_PREBUILDS[target] && entry.includes(`/usearch/prebuilds/${USEARCH_PREBUILDS[target]}/`)));
const parity = listing.filter((entry) => entry.includes('/parity/'));
if (parity.length > 0) {
  console.error(`package: ${out} carries parity data, which is not needed at run time:\n  ${parity.join('\n  ')}`);
  process.exit(1);
}
if (foreign.length > 0) {
  console.error(`package: ${out} carries other platforms' binaries:\n  ${foreign.join('\n  ')}`);
  process.exit(1);
}
console.log(`package: ${out} (${listing.length - 1} files; native: ${native.join(', ') || 'none'})`);
