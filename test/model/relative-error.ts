// How far an array is from a reference, measured so that tiny reference entries cannot blow it up.
import assert from 'node:assert/strict';

/** max |got - want| / max |want|. */
export function relativeError(got: ArrayLike<number>, want: ArrayLike<number>): number {
  assert.equal(got.length, want.length);
  let err = 0;
  let scale = 0;
  for (let i = 0; i < got.length; i++) {
    err = Math.max(err, Math.abs(got[i]! - want[i]!));
    scale = Math.max(scale, Math.abs(want[i]!));
  }
  return err / scale;
}
