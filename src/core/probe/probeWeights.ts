import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { LanguageId } from '../parse/languages';
import { LayerProbe } from './layerProbe';

export const PROBE_FORMAT = 'astrolabe-ast-probe';

/**
 * `probe/probe.json` in an encoder folder (written by training/probe_train.py): per language, the labels
 * and one probe file per layer. A probe file is little-endian float32: projection (rank x hidden), c weight
 * (c labels x rank), c bias, u weight (u labels x rank), u bias.
 */
export interface ProbeManifest {
  readonly format: typeof PROBE_FORMAT;
  readonly formatVersion: 1;
  /** The encoder the probes were trained on: another model's hidden states mean nothing to them. */
  readonly modelId: string;
  readonly hiddenSize: number;
  readonly languages: Partial<Record<LanguageId, LanguageProbes>>;
}

export interface LanguageProbes {
  /** The layer whose probe recovered trees best on held-out units. */
  readonly bestLayer: number;
  readonly rank: number;
  readonly cLabels: readonly string[];
  readonly uLabels: readonly string[];
  readonly layers: readonly { readonly layer: number; readonly file: string }[];
}

export class ProbeLoadError extends Error {
  constructor(readonly path: string, why: string) {
    super(`cannot load the AST probe ${path}: ${why}`);
    this.name = 'ProbeLoadError';
  }
}

export function readProbeManifest(probeDir: string): ProbeManifest {
  const path = join(probeDir, 'probe.json');
  if (!existsSync(path)) throw new ProbeLoadError(path, 'missing (train one: training/README.md, "AST probe")');
  const manifest = JSON.parse(readFileSync(path, 'utf8')) as ProbeManifest;
  if (manifest.format !== PROBE_FORMAT || manifest.formatVersion !== 1) throw new ProbeLoadError(path, `not an ${PROBE_FORMAT} version 1 file`);
  return manifest;
}

/** The probe of `language` at `layer` (default: its best layer). */
export function loadLayerProbe(probeDir: string, manifest: ProbeManifest, language: LanguageId, layer?: number): LayerProbe {
  const probes = manifest.languages[language];
  if (!probes) throw new ProbeLoadError(join(probeDir, 'probe.json'), `no probe for ${language} (probes exist for ${Object.keys(manifest.languages).join(', ')})`);
  const chosen = layer ?? probes.bestLayer;
  const entry = probes.layers.find((candidate) => candidate.layer === chosen);
  if (!entry) throw new ProbeLoadError(join(probeDir, 'probe.json'), `no ${language} probe for layer ${chosen} (layers ${probes.layers.map((candidate) => candidate.layer).join(', ')})`);
  const path = join(probeDir, entry.file);
  const bytes = readFileSync(path);
  const { rank } = probes;
  const hidden = manifest.hiddenSize;
  const sizes = [rank * hidden, probes.cLabels.length * rank, probes.cLabels.length, probes.uLabels.length * rank, probes.uLabels.length];
  const total = sizes.reduce((sum, size) => sum + size, 0);
  if (bytes.length !== total * 4) throw new ProbeLoadError(path, `expected ${total * 4} bytes, found ${bytes.length}`);
  const floats = new Float32Array(total);
  for (let i = 0; i < total; i++) floats[i] = bytes.readFloatLE(i * 4);
  const parts: Float32Array[] = [];
  let offset = 0;
  for (const size of sizes) {
    parts.push(floats.subarray(offset, offset + size));
    offset += size;
  }
  const [projection, cWeight, cBias, uWeight, uBias] = parts as [Float32Array, Float32Array, Float32Array, Float32Array, Float32Array];
  return { layer: chosen, rank, hidden, projection, cWeight, cBias, uWeight, uBias, cLabels: probes.cLabels, uLabels: probes.uLabels };
}
