import { rng } from '../example/random.js';

/**
 * What makes the demo video hard for a model trained on a few labels: occluders (a dark bar
 * sliding across the frame, hiding whatever it covers) and distractors (a bright blob that
 * looks like the nose, drifting through the frame). Each is an event lasting tens of frames;
 * a purely supervised model tends to jump to the distractor or lose an occluded keypoint.
 */

export interface Occluder {
  readonly kind: 'occluder';
  /** Left edge (pixels) at frame t. */
  readonly x: (t: number) => number;
  readonly width: number;
  readonly intensity: number;
}

export interface Distractor {
  readonly kind: 'distractor';
  readonly at: (t: number) => [number, number];
  readonly radius: number;
  readonly intensity: number;
}

export type Nuisance = Occluder | Distractor;

export interface Event {
  readonly start: number;
  readonly end: number; // exclusive
  readonly nuisance: Nuisance;
}

export interface NuisanceOptions {
  /** Chance per frame that an event of each kind starts, when none of that kind is active. */
  readonly rate: number;
  readonly minLength: number;
  readonly maxLength: number;
}

export const DEFAULT_NUISANCE: NuisanceOptions = { rate: 0.008, minLength: 20, maxLength: 45 };

/** Occluder and distractor events over `frames` frames of a `size`×`size` video, deterministic by seed. */
export const scheduleEvents = (seed: number, frames: number, size: number, o: NuisanceOptions = DEFAULT_NUISANCE): Event[] => {
  const r = rng(seed);
  const events: Event[] = [];
  const busyUntil = { occluder: 0, distractor: 0 };
  for (let t = 0; t < frames; t++) {
    for (const kind of ['occluder', 'distractor'] as const) {
      if (t < busyUntil[kind] || r.next() >= o.rate) continue;
      const len = Math.round(o.minLength + r.next() * (o.maxLength - o.minLength));
      const end = Math.min(frames, t + len);
      busyUntil[kind] = end + 5;
      const start = t;
      if (kind === 'occluder') {
        const width = 6 + r.next() * 6;
        const fromLeft = r.next() < 0.5;
        const x0 = fromLeft ? -width : size;
        const speed = ((size + width) / len) * (fromLeft ? 1 : -1);
        events.push({ start, end, nuisance: { kind, x: (u) => x0 + speed * (u - start), width, intensity: 0.08 + 0.1 * r.next() } });
      } else {
        const [x0, y0] = [8 + r.next() * (size - 16), 8 + r.next() * (size - 16)];
        const [vx, vy] = [(r.next() - 0.5) * 0.6, (r.next() - 0.5) * 0.6];
        events.push({
          start,
          end,
          nuisance: { kind, at: (u) => [x0 + vx * (u - start), y0 + vy * (u - start)], radius: 1.2 + 0.6 * r.next(), intensity: 0.9 + 0.1 * r.next() },
        });
      }
    }
  }
  return events;
};

/** The events active at frame t. */
export const activeAt = (events: readonly Event[], t: number): Nuisance[] => events.filter((e) => e.start <= t && t < e.end).map((e) => e.nuisance);
