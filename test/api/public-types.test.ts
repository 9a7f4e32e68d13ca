// The public API's types: nothing from TensorFlow.js in them, and the README's TypeScript
// snippets compile against src/index.ts as they are written.
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import ts from 'typescript';
import { afterAll, expect, it } from 'vitest';

const ROOT = new URL('../../', import.meta.url).pathname;
const SRC = path.join(ROOT, 'src/');
const INDEX = path.join(SRC, 'index.ts');
const OPTIONS: ts.CompilerOptions = {
  target: ts.ScriptTarget.ES2022, module: ts.ModuleKind.NodeNext, moduleResolution: ts.ModuleResolutionKind.NodeNext,
  strict: true, esModuleInterop: true, skipLibCheck: true, resolveJsonModule: true, noEmit: true, types: ['node'],
};
const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'densetrain-api-'));
afterAll(() => fs.rmSync(tmp, { recursive: true, force: true }));

/** Names of the @tensorflow declarations reachable from a type (properties, signatures, type arguments). */
function tfjsTypesIn(checker: ts.TypeChecker, root: ts.Type): string[] {
  const found = new Set<string>();
  const seen = new Set<ts.Type>();
  const visit = (t: ts.Type, depth: number) => {
    if (seen.has(t) || depth > 12) return;
    seen.add(t);
    for (const d of (t.aliasSymbol ?? t.getSymbol())?.getDeclarations() ?? []) {
      if (d.getSourceFile().fileName.includes('/@tensorflow/')) found.add(checker.typeToString(t));
    }
    if (t.isUnionOrIntersection()) t.types.forEach((u) => visit(u, depth + 1));
    (t.aliasTypeArguments ?? []).forEach((a) => visit(a, depth + 1));
    if (t.flags & ts.TypeFlags.Object) {
      const o = t as ts.ObjectType;
      if (o.objectFlags & ts.ObjectFlags.Reference) checker.getTypeArguments(o as ts.TypeReference).forEach((a) => visit(a, depth + 1));
      // members only of our own types (a library's own types cannot name tfjs; walking them all takes minutes)
      const ours = (t.getSymbol()?.getDeclarations() ?? []).some((d) => d.getSourceFile().fileName.startsWith(SRC));
      if (ours) for (const p of t.getProperties()) visit(checker.getTypeOfSymbol(p), depth + 1);
      for (const sig of [...t.getCallSignatures(), ...t.getConstructSignatures()]) {
        sig.getParameters().forEach((p) => visit(checker.getTypeOfSymbol(p), depth + 1));
        visit(sig.getReturnType(), depth + 1);
      }
    }
  };
  visit(root, 0);
  return [...found];
}

it('no TensorFlow.js type appears in the public API', () => {
  const program = ts.createProgram([INDEX], OPTIONS);
  const checker = program.getTypeChecker();
  const exports = checker.getExportsOfModule(checker.getSymbolAtLocation(program.getSourceFile(INDEX)!)!);
  expect(exports.length).toBeGreaterThan(20);
  const leaks: string[] = [];
  for (const sym of exports) {
    const target = sym.flags & ts.SymbolFlags.Alias ? checker.getAliasedSymbol(sym) : sym;
    const types = [target.flags & ts.SymbolFlags.Type ? checker.getDeclaredTypeOfSymbol(target) : undefined,
      target.flags & ts.SymbolFlags.Value ? checker.getTypeOfSymbol(target) : undefined];
    for (const t of types) if (t) for (const name of tfjsTypesIn(checker, t)) leaks.push(`${sym.name}: ${name}`);
  }
  expect(leaks).toEqual([]);
}, 60_000);

it("the README's ts snippets compile against the library", () => {
  const readme = fs.readFileSync(path.join(ROOT, 'README.md'), 'utf8');
  const snippets = [...readme.matchAll(/```ts\n([\s\S]*?)```/g)].map((m) => m[1]);
  expect(snippets.length).toBeGreaterThan(0);
  const files = snippets.map((code, i) => {
    const file = path.join(tmp, `snippet-${i}.mts`);
    fs.writeFileSync(file, code.replace(/from 'densetrain'/g, `from '${INDEX.replace(/\.ts$/, '.js')}'`) + '\nexport {};\n');
    return file;
  });
  const program = ts.createProgram(files, OPTIONS);
  const problems = ts.getPreEmitDiagnostics(program).map((d) =>
    `${d.file ? path.basename(d.file.fileName) + ':' + (d.file.getLineAndCharacterOfPosition(d.start!).line + 1) : ''} ${ts.flattenDiagnosticMessageText(d.messageText, '\n')}`);
  expect(problems).toEqual([]);
}, 60_000);
