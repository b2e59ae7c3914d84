import { CloneClass } from './cloneClasses';
import { CloneType } from './cloneSettings';

const RULES: Record<CloneType, { id: string; name: string; text: string }> = {
  1: { id: 'AST1001', name: 'ExactCopy', text: 'Code copied unchanged (Type 1 clone: only layout and comments differ).' },
  2: { id: 'AST1002', name: 'RenamedCopy', text: 'Code copied with identifiers or literals changed (Type 2 clone).' },
  3: { id: 'AST1003', name: 'EditedCopy', text: 'Code copied and edited: statements added, removed or changed (Type 3 clone).' },
  4: { id: 'AST1004', name: 'SemanticClone', text: 'Code that does the same as other code, written differently (Type 4 clone, from embeddings).' },
};

/**
 * A SARIF 2.1.0 log of clone classes, for code scanning tools: one rule per clone type, one result per
 * class, located at its first instance, with the other instances as related locations.
 */
export function cloneSarif(classes: readonly CloneClass[], tool: { name: string; version: string }): object {
  const types = ([1, 2, 3, 4] as const);
  return {
    $schema: 'https://json.schemastore.org/sarif-2.1.0.json',
    version: '2.1.0',
    runs: [{
      tool: {
        driver: {
          name: tool.name,
          version: tool.version,
          rules: types.map((type) => ({
            id: RULES[type].id,
            name: RULES[type].name,
            shortDescription: { text: RULES[type].text },
            defaultConfiguration: { level: 'warning' },
            properties: { cloneType: type },
          })),
        },
      },
      columnKind: 'utf16CodeUnits',
      results: classes.map((cloneClass) => {
        const [first, ...others] = cloneClass.instances;
        const rule = RULES[cloneClass.type];
        return {
          ruleId: rule.id,
          ruleIndex: cloneClass.type - 1,
          level: 'warning',
          message: {
            text: `${cloneClass.instances.length} instances of ${rule.name === 'SemanticClone' ? 'similar' : 'duplicated'} code (Type ${cloneClass.type}, ${cloneClass.lines} lines in all, similarity ≥ ${cloneClass.similarity.toFixed(2)}); also at ${others.map((_, index) => `[${others[index]!.file}:${others[index]!.startLine}](${index + 1})`).join(', ')}.`,
          },
          locations: [location(first!)],
          relatedLocations: others.map((instance, index) => ({ id: index + 1, ...location(instance), message: { text: `instance ${index + 2} of ${cloneClass.instances.length}` } })),
          partialFingerprints: { cloneClass: `${cloneClass.type}:${cloneClass.instances.map((instance) => `${instance.file}:${instance.tokens}`).join('|')}` },
          properties: { cloneType: cloneClass.type, similarity: cloneClass.similarity, instances: cloneClass.instances.length },
        };
      }),
    }],
  };
}

function location(instance: CloneClass['instances'][number]): object {
  return {
    physicalLocation: {
      artifactLocation: { uri: encodeURI(instance.file), uriBaseId: '%SRCROOT%' },
      region: { startLine: instance.startLine, endLine: instance.endLine },
    },
  };
}
