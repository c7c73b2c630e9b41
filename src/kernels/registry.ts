import type { Fused, KernelMatcher, Plan } from '../pipeline/interpret.js';

/**
 * A fused kernel as registered: its name and what it accepts — `match` reads the plan's
 * declarations (each step's `fusion`, the compute's input roles, the plan's differentiable
 * keys) and returns a runner, or null when the plan is not exactly what the kernel computes.
 */
export interface KernelDef {
  readonly name: string;
  match(plan: Plan): Fused | null;
}

const kernels: KernelDef[] = [];

/** Register a kernel; a taken name is an error. Kernels are tried in registration order. */
export const registerKernel = (def: KernelDef): void => {
  if (kernels.some((k) => k.name === def.name)) throw new Error(`registerKernel: a kernel '${def.name}' is already registered`);
  kernels.push(def);
};

export const kernelNames = (): string[] => kernels.map((k) => k.name);

/** The first registered kernel that implements the plan exactly, or null (the plan runs as tfjs ops). */
export const matchKernel: KernelMatcher = (plan) => {
  for (const k of kernels) {
    const f = k.match(plan);
    if (f) return f;
  }
  return null;
};
