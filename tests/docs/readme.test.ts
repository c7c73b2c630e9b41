import * as fs from 'node:fs';
import * as path from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, describe, expect, it } from 'vitest';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', '..');
const tmp = path.join(root, 'tests', 'docs', '.tmp');

/** The ```ts blocks of a markdown file, with `from 'poseloss'` pointing at the sources. */
export const tsBlocks = (file: string): string[] =>
  [...fs.readFileSync(file, 'utf8').matchAll(/```ts\n([\s\S]*?)```/g)].map((m) =>
    m[1].replaceAll(`from 'poseloss'`, `from '${path.join(root, 'src', 'index.ts')}'`),
  );

/** The README's TypeScript examples run as written (imports of 'poseloss' mapped to src/). */
afterAll(() => fs.rmSync(tmp, { recursive: true, force: true }));

describe('README examples', () => {
  const blocks = tsBlocks(path.join(root, 'README.md'));
  it('has examples', () => expect(blocks.length).toBeGreaterThan(0));
  blocks.forEach((code, i) => {
    it(`example ${i + 1} runs`, async () => {
      fs.mkdirSync(tmp, { recursive: true });
      const file = path.join(tmp, `readme-${i + 1}.ts`);
      fs.writeFileSync(file, `${code}\nexport {};\n`);
      await expect(import(file)).resolves.toBeDefined();
    });
  });
});
