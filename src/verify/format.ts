import * as tf from '@tensorflow/tfjs';

/** A tensor in the reference vectors' JSON: row-major data, `null` = NaN. */
export interface JsonTensor {
  readonly shape: number[];
  readonly data: (number | null)[];
}

export interface GoldenCase {
  readonly case: string;
  readonly loss: string;
  readonly params: Record<string, unknown>;
  readonly stage: string | null;
  readonly dtype?: string;
  readonly note?: string;
  readonly inputs: Record<string, JsonTensor>;
  readonly expected: Record<string, unknown>;
  readonly poseloss?: { deviation: string; reason: string; expected: Record<string, unknown> };
}

export const isJsonTensor = (u: unknown): u is JsonTensor =>
  typeof u === 'object' && u !== null && Array.isArray((u as JsonTensor).shape) && Array.isArray((u as JsonTensor).data);

/** Values as float64 with null → NaN. */
export const values = (t: JsonTensor): Float64Array => Float64Array.from(t.data, (v) => (v === null ? NaN : v));

/** A float32 tfjs tensor (Math.fround of each value, as the vectors' README says). */
export const toTensor = (t: JsonTensor): tf.Tensor => tf.tensor(Float32Array.from(values(t)), t.shape, 'float32');

/** The effective expectation: the `poseloss` block overrides `expected`. */
export const effectiveExpected = (c: GoldenCase): Record<string, unknown> => c.poseloss?.expected ?? c.expected;
