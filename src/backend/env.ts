/**
 * An environment variable where there is one (Node), undefined elsewhere (a browser page):
 * the library reads `process` only through here, so its root entry runs without a `process`
 * global and without a bundler's shim.
 */
export const envVar = (name: string): string | undefined => (globalThis as { process?: { env?: Record<string, string | undefined> } }).process?.env?.[name];

/** Whether this is Node (where native TensorFlow bindings may be installed). */
export const isNode = (): boolean => typeof (globalThis as { process?: { versions?: { node?: string } } }).process?.versions?.node === 'string';
