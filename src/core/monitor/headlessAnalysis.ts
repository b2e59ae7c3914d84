import { completionLanguageOf } from './codeSyntax';
import { PyrightAnalysis } from './pyrightAnalysis';
import { AnalysisDocument, StaticAnalysis } from './staticAnalysis';
import { TypeScriptAnalysis } from './typeScriptAnalysis';

/**
 * Static analysis without an editor (the CLI, the benchmarks): Python files go to pyright's language
 * server, JavaScript and TypeScript to the TypeScript language service; other languages get no answer
 * (the model completes them unguided). Each starts on the first question for its language. `close()`
 * stops the pyright servers.
 */
export class HeadlessAnalysis implements StaticAnalysis {
  private typeScript: TypeScriptAnalysis | undefined;
  private pyright: PyrightAnalysis | undefined;

  async memberNames(document: AnalysisDocument, signal?: AbortSignal): Promise<readonly string[] | undefined> {
    switch (completionLanguageOf(document.fileName)) {
      case 'python':
        return (this.pyright ??= new PyrightAnalysis()).memberNames(document, signal);
      case 'javascript':
      case 'typescript':
      case 'tsx':
        return (this.typeScript ??= new TypeScriptAnalysis()).memberNames(document, signal);
      default:
        return undefined;
    }
  }

  async close(): Promise<void> {
    await this.pyright?.close();
  }
}
