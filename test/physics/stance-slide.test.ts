import { describe, expect, it } from 'vitest';
import { LANDMARK_INDEX } from '../../src/formats/landmarks.ts';
import { stanceSlide2 } from '../../src/physics/stance-slide.ts';

/** Two frames (198 values) of landmarks 1 m up, the left foot's heel and toe at `height`, moved by dx in the second frame. */
function frames(height: number, dx = 0): Float64Array {
  const f = new Float64Array(198).map((_, i) => (i % 3 === 1 ? 1 : 0));
  for (const j of [LANDMARK_INDEX.left_heel, LANDMARK_INDEX.left_foot_index]) {
    f[j * 3 + 1] = height; f[99 + j * 3 + 1] = height;
    f[99 + j * 3] = dx;
  }
  return f;
}

describe('the slide of a foot the reference holds planted', () => {
  const at = (f: Float64Array, frame: number) => (i: number) => f[frame * 99 + i]!;
  it('charges the simulated foot\'s horizontal motion over the margin where the reference foot stands still on the floor', () => {
    const ref = frames(0.02);
    const sim = frames(0.02, 0.04);
    expect(stanceSlide2(at(sim, 0), at(sim, 1), ref, 0, 1)).toBeCloseTo(0.03 * 0.03, 12);
    // Within the margin: nothing.
    const still = frames(0.02, 0.008);
    expect(stanceSlide2(at(still, 0), at(still, 1), ref, 0, 1)).toBe(0);
  });

  it('charges a simulated foot in the air nothing where the reference foot is in the air or moving', () => {
    const sim = frames(0.08, 0.04);
    expect(stanceSlide2(at(sim, 0), at(sim, 1), frames(0.08), 0, 1)).toBe(0);
    expect(stanceSlide2(at(sim, 0), at(sim, 1), frames(0.02, 0.03), 0, 1)).toBe(0);
  });

  it('charges a simulated foot down on the floor and skidding whatever the reference foot does', () => {
    const sim = frames(0.02, 0.04);
    expect(stanceSlide2(at(sim, 0), at(sim, 1), frames(0.08), 0, 1)).toBeCloseTo(0.03 * 0.03, 12);
  });
});
