// Copies the tree-sitter runtime and grammar .wasm files from their npm packages into grammars/,
// so the extension, the CLI and the .vsix load them from one known folder.
import { copyFileSync, existsSync, mkdirSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const here = dirname(fileURLToPath(import.meta.url));
const modules = join(here, '..', 'node_modules');

// [package folder, file inside it, name in grammars/]
const files = [
  ['web-tree-sitter', 'web-tree-sitter.wasm', 'web-tree-sitter.wasm'],
  ['tree-sitter-python', 'tree-sitter-python.wasm', 'tree-sitter-python.wasm'],
  ['tree-sitter-javascript', 'tree-sitter-javascript.wasm', 'tree-sitter-javascript.wasm'],
  ['tree-sitter-typescript', 'tree-sitter-typescript.wasm', 'tree-sitter-typescript.wasm'],
  ['tree-sitter-typescript', 'tree-sitter-tsx.wasm', 'tree-sitter-tsx.wasm'],
  ['tree-sitter-java', 'tree-sitter-java.wasm', 'tree-sitter-java.wasm'],
  ['tree-sitter-go', 'tree-sitter-go.wasm', 'tree-sitter-go.wasm'],
  ['tree-sitter-rust', 'tree-sitter-rust.wasm', 'tree-sitter-rust.wasm'],
  ['tree-sitter-c', 'tree-sitter-c.wasm', 'tree-sitter-c.wasm'],
  ['tree-sitter-cpp', 'tree-sitter-cpp.wasm', 'tree-sitter-cpp.wasm'],
];

mkdirSync(here, { recursive: true });
const missing = [];
for (const [pkg, file, target] of files) {
  const source = join(modules, pkg, file);
  if (!existsSync(source)) { missing.push(`${pkg}/${file}`); continue; }
  copyFileSync(source, join(here, target));
}
if (missing.length > 0) {
  console.error(`copy-grammars: missing in node_modules (run npm ci): ${missing.join(', ')}`);
  process.exit(1);
}
console.log(`copy-grammars: ${files.length} wasm files in grammars/`);
