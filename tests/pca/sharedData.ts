import { existsSync, readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import type { ComponentsToKeep, Matrix64, PcaFormat } from '../../src/pca/index.js';

export const repoRoot = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');
export const sharedDir = path.resolve(repoRoot, '../shared');
export const goldenDir = path.join(sharedDir, 'golden');
export const mirrorMouseDir = path.join(sharedDir, 'data', 'mirror-mouse');
export const sharedExists = existsSync(sharedDir);

/** Warns (visibly, once per suite) that a suite reading ../shared is skipped. */
export const warnIfNoShared = (suite: string): void => {
  if (!sharedExists) console.warn(`[${suite}] skipped: ${sharedDir} is absent (shared golden data / datasets)`);
};

export interface Tensor {
  shape: number[];
  data: (number | null)[];
}

/** A golden tensor as a row-major matrix (null = NaN, float32 values rounded with Math.fround). */
export const toMatrix = (t: Tensor, fround = true): Matrix64 => {
  const rows = t.shape.length >= 1 ? t.shape[0] : 1;
  const cols = t.shape.length >= 2 ? t.shape.slice(1).reduce((a, b) => a * b, 1) : 1;
  const data = Float64Array.from(t.data, (v) => (v === null ? NaN : fround ? Math.fround(v) : v));
  return { data, rows, cols };
};

export const toArray = (t: Tensor | (number | null)[]): Float64Array => {
  const data = Array.isArray(t) ? t : t.data;
  return Float64Array.from(data, (v) => (v === null ? NaN : v));
};

// eslint-disable-next-line @typescript-eslint/no-explicit-any
export type Golden = any;

export const goldenFiles = (prefix: string): string[] =>
  sharedExists
    ? readdirSync(goldenDir)
        .filter((f) => f.startsWith(prefix) && f.endsWith('.json'))
        .sort()
    : [];

export const readGolden = (file: string): Golden => JSON.parse(readFileSync(path.join(goldenDir, file), 'utf8'));

/**
 * The PCA settings of a golden PCA case's constructor params (PCALoss defaults: components 0.95,
 * percentile 99, no centering, all columns).
 */
export const pcaSettings = (loss: string, params: Record<string, unknown>): { format: PcaFormat; componentsToKeep: ComponentsToKeep; percentile: number } => {
  const ctk = (params.components_to_keep ?? 0.95) as number;
  // JSON drops the int/float distinction of 1 vs 1.0; no public case uses either.
  const componentsToKeep: ComponentsToKeep = Number.isInteger(ctk) ? { kind: 'count', n: ctk } : { kind: 'fraction', f: ctk };
  const percentile = (params.empirical_epsilon_percentile ?? 99) as number;
  const format: PcaFormat =
    loss === 'pca_multiview'
      ? { kind: 'multiview', matches: params.mirrored_column_matches as number[][] }
      : {
          kind: 'singleview',
          columns: (params.columns_for_singleview_pca ?? null) as number[] | null,
          centering: (params.centering_method ?? null) as 'mean' | 'median' | null,
        };
  return { format, componentsToKeep, percentile };
};
