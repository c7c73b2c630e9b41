import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import path from 'node:path';

/** uPlot's minified script and stylesheet, read from the installed package (inlined: the page needs no network). */
export const uplotAssets = (): { js: string; css: string } => {
  const dist = path.dirname(createRequire(import.meta.url).resolve('uplot'));
  return {
    js: readFileSync(path.join(dist, 'uPlot.iife.min.js'), 'utf8'),
    css: readFileSync(path.join(dist, 'uPlot.min.css'), 'utf8'),
  };
};
