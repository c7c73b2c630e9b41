#!/usr/bin/env node
// `npx poseloss`: the command line, in this one process (signals reach it directly).
// Installed from npm, it runs the compiled dist/cli/main.js. In a checkout (src/ beside bin/)
// it runs the TypeScript sources through tsx's in-process loader, so the command is always
// the code as it is now, never a dist/ built before the last edit.
import { existsSync } from 'node:fs';

const source = new URL('../src/cli/main.ts', import.meta.url);
const tsx = existsSync(source) ? await import('tsx/esm/api').catch(() => null) : null;
if (tsx) {
  tsx.register();
  await import(source.href);
} else {
  await import('../dist/cli/main.js');
}
