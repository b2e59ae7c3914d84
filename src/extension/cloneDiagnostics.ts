import * as vscode from 'vscode';
import { ShownClass } from './clonesView';

/**
 * Marks cloned ranges in the Problems panel and the editor (off by default: `astrolabe.clones.diagnostics.enabled`),
 * each pointing at the other instances of its class.
 */
export function showCloneDiagnostics(collection: vscode.DiagnosticCollection, classes: readonly ShownClass[], severity: vscode.DiagnosticSeverity | undefined): void {
  collection.clear();
  if (severity === undefined) return;
  const byFile = new Map<string, { uri: vscode.Uri; diagnostics: vscode.Diagnostic[] }>();
  for (const { folder, cloneClass } of classes) {
    const uris = cloneClass.instances.map((instance) => vscode.Uri.joinPath(folder.uri, instance.file));
    cloneClass.instances.forEach((instance, index) => {
      const others = cloneClass.instances.filter((_, other) => other !== index);
      const similarity = cloneClass.type === 1 ? 'identical' : `similarity ${cloneClass.similarity.toFixed(2)}`;
      const diagnostic = new vscode.Diagnostic(
        new vscode.Range(instance.startLine - 1, 0, instance.endLine - 1, Number.MAX_SAFE_INTEGER),
        `Type ${cloneClass.type} clone (${similarity}) of ${others.map((other) => `${other.file}:${other.startLine}`).slice(0, 3).join(', ')}${others.length > 3 ? ` and ${others.length - 3} more` : ''}`,
        severity,
      );
      diagnostic.source = 'Astrolabe';
      diagnostic.code = `clone-type-${cloneClass.type}`;
      diagnostic.relatedInformation = others.slice(0, 10).map((other) => new vscode.DiagnosticRelatedInformation(
        new vscode.Location(uris[cloneClass.instances.indexOf(other)]!, new vscode.Range(other.startLine - 1, 0, other.endLine - 1, 0)), 'another instance'));
      const uri = uris[index]!;
      const entry = byFile.get(uri.toString()) ?? { uri, diagnostics: [] };
      entry.diagnostics.push(diagnostic);
      byFile.set(uri.toString(), entry);
    });
  }
  for (const { uri, diagnostics } of byFile.values()) collection.set(uri, diagnostics);
}
