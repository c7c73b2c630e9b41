/**
 * Progress for logs (stderr that is not a terminal): `tick(text)` writes `text()` at most once
 * every `ms` (the first after `ms`), so a long run in CI or a log file shows it is alive
 * without flooding it. `now` is injectable for tests.
 */
export const periodic = (write: (line: string) => void, ms = 10_000, now: () => number = Date.now) => {
  let last = now();
  return {
    tick: (text: () => string): void => {
      const t = now();
      if (t - last < ms) return;
      last = t;
      write(text());
    },
  };
};
