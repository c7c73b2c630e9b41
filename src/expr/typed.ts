import type { Elementwise, Reduction, ValueType } from './functions.js';

/** An axis of a value: its name (from the input-key table) and its length when fixed by a constant. */
export interface Axis {
  readonly name: string;
  readonly size?: number;
}

/** A checked expression: every node knows its type and its named axes (in the canonical order). */
export type Typed = { readonly type: ValueType; readonly axes: readonly Axis[] } & (
  | { readonly op: 'const'; readonly data: Float64Array }
  | { readonly op: 'input'; readonly name: string }
  | { readonly op: 'def'; readonly name: string; readonly body: Typed }
  | { readonly op: 'size'; readonly axis: string }
  | { readonly op: 'index'; readonly axis: string }
  | { readonly op: 'apply'; readonly fn: Elementwise; readonly args: readonly Typed[] }
  | { readonly op: 'reduce'; readonly fn: Reduction; readonly arg: Typed; readonly over: readonly string[] }
  | { readonly op: 'topk'; readonly arg: Typed; readonly axis: string; readonly k: number }
  | { readonly op: 'take'; readonly arg: Typed; readonly axis: string; readonly index: readonly number[] }
);

/** A fixed axis length the inputs must agree with at run time (from a constant list or `take`). */
export interface SizeRule {
  readonly axis: string;
  readonly size: number;
  /** The axis needs at least `size` entries (top-k, take's indices) rather than exactly. */
  readonly atLeast?: boolean;
  readonly from: string;
}

export const axesStr = (axes: readonly Axis[]): string => `(${axes.map((a) => (a.size === undefined ? a.name : `${a.name}=${a.size}`)).join(', ')})`;
