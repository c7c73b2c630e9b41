/** An error found while decoding or building a loss: `path` locates it, `message` says what and why. */
export interface PoselossIssue {
  readonly path: string;
  readonly message: string;
}

export const issue = (path: string, message: string): PoselossIssue => ({ path, message });

export const formatIssue = (i: PoselossIssue): string => (i.path ? `${i.path}: ${i.message}` : i.message);

export const formatIssues = (issues: readonly PoselossIssue[]): string => issues.map(formatIssue).join('\n');

/** Thrown by the throwing conveniences; carries every issue, its message lists them all. */
export class PoselossError extends Error {
  constructor(readonly issues: readonly PoselossIssue[]) {
    super(formatIssues(issues));
    this.name = 'PoselossError';
  }
}

/** Thrown when a loss is applied to inputs it cannot use (missing key, shape mismatch). */
export class LossInputError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'LossInputError';
  }
}

export const shapeStr = (shape: readonly number[]): string => `(${shape.join(',')})`;
