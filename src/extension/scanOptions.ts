import { DEFAULT_CHUNKING } from '../core/parse/codeUnitExtractor';
import { DEFAULT_SCAN_OPTIONS, ScanOptions } from '../core/scan/workspaceScanner';

// Kept free of the vscode module so unit tests can check it under plain Node.

/** Raw setting values as VS Code hands them over: anything a user typed into settings.json. */
export interface RawScanSettings {
  readonly exclude: unknown;
  readonly respectGitignore: unknown;
  readonly maxFileSizeKB: unknown;
  readonly maxUnitLines: unknown;
  readonly topLevelWindowLines: unknown;
  readonly filesExclude: Record<string, unknown>;
}

/** Validates raw settings, falling back to defaults for values of the wrong type or range. */
export function toScanOptions(raw: RawScanSettings): ScanOptions {
  const globs = Array.isArray(raw.exclude) ? raw.exclude.filter((glob): glob is string => typeof glob === 'string') : [...DEFAULT_SCAN_OPTIONS.exclude];
  // files.exclude maps a glob to true, false, or a `when` clause; only plain true excludes unconditionally.
  const editorGlobs = Object.entries(raw.filesExclude).filter(([, value]) => value === true).map(([glob]) => glob);
  return {
    exclude: [...globs, ...editorGlobs],
    respectGitignore: typeof raw.respectGitignore === 'boolean' ? raw.respectGitignore : DEFAULT_SCAN_OPTIONS.respectGitignore,
    maxFileSizeBytes: positive(raw.maxFileSizeKB, DEFAULT_SCAN_OPTIONS.maxFileSizeBytes / 1024) * 1024,
    chunking: {
      maxUnitLines: positive(raw.maxUnitLines, DEFAULT_CHUNKING.maxUnitLines),
      topLevelWindowLines: positive(raw.topLevelWindowLines, DEFAULT_CHUNKING.topLevelWindowLines),
    },
  };
}

function positive(value: unknown, fallback: number): number {
  return typeof value === 'number' && Number.isFinite(value) && value > 0 ? Math.floor(value) : fallback;
}
