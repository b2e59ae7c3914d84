import { syntaxOf } from './codeSyntax';
import { PyrightAnalysis } from './pyrightAnalysis';
import { AnalysisDocument, StaticAnalysis } from './staticAnalysis';
import { TypeScriptAnalysis } from './typeScriptAnalysis';

/**
 * Static analysis without an editor (the CLI, the benchmarks): Python files go to pyright's language
 * server, everything else to the TypeScript language service (which answers for TS and JS only).
 * Each starts on the first question for its language. `close()` stops the pyright servers.
 */
export class HeadlessAnalysis implements StaticAnalysis {
  private typeScript: TypeScriptAnalysis | undefined;
  private pyright: PyrightAnalysis | undefined;

  memberNames(document: AnalysisDocument, signal?: AbortSignal): Promise<readonly string[] | undefined> {
    if (syntaxOf(document.fileName).name === 'python') return (this.pyright ??= new PyrightAnalysis()).memberNames(document, signal);
    return (this.typeScript ??= new TypeScriptAnalysis()).memberNames(document, signal);
  }

  async close(): Promise<void> {
    await this.pyright?.close();
  }
}
