import ignore, { Ignore } from 'ignore';
import picomatch from 'picomatch';

/** The .gitignore files in effect in one folder: the root's and every ancestor's, nearest last. */
export class GitignoreStack {
  private constructor(private readonly layers: readonly { readonly base: string; readonly rules: Ignore }[]) {}

  static empty(): GitignoreStack {
    return new GitignoreStack([]);
  }

  /** A stack with the rules of `content` (a .gitignore's text) added for the folder `base` ("" is the root). */
  with(base: string, content: string): GitignoreStack {
    return new GitignoreStack([...this.layers, { base, rules: ignore({ allowRelativePaths: true }).add(content) }]);
  }

  /**
   * Whether `path` (relative to the root, "/"-separated) is ignored. As in git, the nearest file that
   * says anything about a path wins, so a nested `!pattern` re-includes what a parent ignored.
   */
  ignores(path: string, isDirectory: boolean): boolean {
    for (let i = this.layers.length - 1; i >= 0; i--) {
      const { base, rules } = this.layers[i]!;
      const relative = base === '' ? path : path.slice(base.length + 1);
      const result = rules.test(isDirectory ? `${relative}/` : relative);
      if (result.ignored) return true;
      if (result.unignored) return false;
    }
    return false;
  }
}

/** Glob exclusions (astrolabe.exclude, files.exclude), matched against root-relative paths. */
export class ExcludeGlobs {
  private readonly matchesFile: (path: string) => boolean;
  private readonly matchesDirectory: (path: string) => boolean;

  constructor(patterns: readonly string[]) {
    const valid = patterns.map((pattern) => pattern.trim()).filter((pattern) => pattern.length > 0);
    const options = { dot: true };
    this.matchesFile = valid.length > 0 ? picomatch(valid, options) : () => false;
    // "**/node_modules/**" should prune the folder itself, not only what is under it.
    const forDirectories = valid.flatMap((pattern) => (pattern.endsWith('/**') ? [pattern, pattern.slice(0, -3)] : [pattern]));
    this.matchesDirectory = forDirectories.length > 0 ? picomatch(forDirectories, options) : () => false;
  }

  excludes(path: string, isDirectory: boolean): boolean {
    return isDirectory ? this.matchesDirectory(path) : this.matchesFile(path);
  }
}
