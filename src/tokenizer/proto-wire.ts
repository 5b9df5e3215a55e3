// A first pass over the top-level fields of a serialized ModelProto, before protobufjs decodes it: every
// length claim is bounded by the bytes that remain, wire types ModelProto never uses are refused, and the
// pieces are counted, so that a file of zeros or a claim of millions of pieces is refused before any
// object is built for it.

/** ModelProto's own fields (pieces, trainer_spec, normalizer_spec, self_test_data, denormalizer_spec): all length-delimited. */
const KNOWN_FIELDS = 5;
const LENGTH_DELIMITED = 2;

export interface TopLevel {
  /** Number of `pieces` entries (field 1). */
  pieces: number;
}

/** Walks the top-level fields; `fail` is called with what was wrong (and must throw). */
export function scanTopLevel(bytes: Uint8Array, fail: (what: string) => never): TopLevel {
  const len = bytes.length;
  let pos = 0;
  const varint = (what: string): number => {
    const start = pos;
    let v = 0;
    let scale = 1;
    for (let i = 0; i < 10; i++) {
      if (pos >= len) fail(`${what} at byte ${start} runs past the end of the file`);
      const b = bytes[pos++]!;
      v += (b & 0x7f) * scale;
      scale *= 128;
      if (b < 0x80) return v;
    }
    return fail(`${what} at byte ${start} is longer than 10 bytes`);
  };
  let pieces = 0;
  while (pos < len) {
    const at = pos;
    const tag = varint('field tag');
    const field = Math.floor(tag / 8);
    const wire = tag % 8;
    if (field < 1 || field > 0x1fffffff) fail(`field number ${field} at byte ${at} is not a protobuf field number`);
    if (field <= KNOWN_FIELDS && wire !== LENGTH_DELIMITED) fail(`field ${field} at byte ${at} has wire type ${wire}, expected ${LENGTH_DELIMITED} (a message)`);
    let skip = 0;
    if (wire === 0) varint(`field ${field}`);
    else if (wire === 1) skip = 8;
    else if (wire === 5) skip = 4;
    else if (wire === 2) skip = varint(`length of field ${field}`);
    else fail(`field ${field} at byte ${at} has wire type ${wire} (${wire === 3 || wire === 4 ? 'groups are not used by ModelProto' : 'not a protobuf wire type'})`);
    if (skip > len - pos) fail(`field ${field} at byte ${at} claims ${skip} bytes but only ${len - pos} remain`);
    pos += skip;
    if (field === 1) pieces++;
  }
  return { pieces };
}
