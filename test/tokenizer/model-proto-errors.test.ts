// A malformed tokenizer.model is refused with a TokenizerError (ModelProtoError) naming the file. The
// top-level fields are checked on the wire before protobufjs decodes anything: each length claim is
// bounded by the bytes left, wire types ModelProto does not use are refused, and the file's size is
// bounded before it is read. Before: a bad precompiled_charsmap threw a plain Error without the file
// name, and a large file of zeros was decoded field by field.
import assert from 'node:assert/strict';
import { closeSync, ftruncateSync, openSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'node:test';
import { FormatError } from '../../src/formats/errors.js';
import { ModelProtoError, TokenizerError } from '../../src/tokenizer/errors.js';
import { encodeModelProto } from '../../src/tokenizer/sentencepiece-proto.js';
import { Tokenizer } from '../../src/tokenizer/tokenizer.js';
import { tempDir } from '../formats/helpers.js';
import { tinyTokenizerProto } from '../model/tiny-tokenizer.js';

function modelError(bytes: Uint8Array, sparseSize?: number): string {
  const path = join(tempDir(), 'tokenizer.model');
  writeFileSync(path, bytes);
  if (sparseSize !== undefined) {
    const fd = openSync(path, 'r+');
    ftruncateSync(fd, sparseSize);
    closeSync(fd);
  }
  try {
    Tokenizer.load(path);
  } catch (e) {
    assert.ok(e instanceof TokenizerError && e instanceof FormatError, `expected a TokenizerError, got ${String(e)}`);
    assert.ok(e.message.startsWith(`tokenizer: ${path}: `), e.message);
    return e.message;
  }
  assert.fail('loaded without an error');
}

test('tokenizer.model: wire-level problems are named before decoding', () => {
  assert.match(modelError(new Uint8Array(4096)), /not a valid SentencePiece model \(field number 0 at byte 0 is not a protobuf field number\)/);
  assert.match(modelError(Uint8Array.from([0x0a, 0xff, 0xff, 0xff, 0xff, 0x0f, 1, 2])), /field 1 at byte 0 claims 4294967295 bytes but only 2 remain/);
  assert.match(modelError(Uint8Array.from([0x0b, 0x0c])), /field 1 at byte 0 has wire type 3, expected 2 \(a message\)/);
  assert.match(modelError(Uint8Array.from([0x33, 0x34])), /field 6 at byte 0 has wire type 3 \(groups are not used by ModelProto\)/);
  assert.match(modelError(Uint8Array.from([0x0a, 0x80, 0x80])), /length of field 1 at byte 1 runs past the end of the file/);
  assert.match(modelError(Uint8Array.from([0x0a, ...new Array(11).fill(0xff)])), /length of field 1 at byte 1 is longer than 10 bytes/);
  const good = encodeModelProto(tinyTokenizerProto());
  // Unknown fields (extensions) with ordinary wire types are skipped as protobuf requires.
  const withExtension = Uint8Array.from([...good, 0xc0, 0x0c, 0x05, 0xc5, 0x0c, 1, 2, 3, 4]);
  assert.equal(Tokenizer.load(writeModel(withExtension)).vocabSize, 96);
});

test('tokenizer.model: files over 64 MiB are refused by size before being read', () => {
  const good = encodeModelProto(tinyTokenizerProto());
  assert.match(modelError(good, 64 * 1024 * 1024 + 1), /67108865 bytes; tokenizer files over 67108864 bytes are refused/);
});

test('tokenizer.model: a malformed precompiled_charsmap and bad pieces name the file', () => {
  const proto = tinyTokenizerProto();
  proto.normalizerSpec = { ...proto.normalizerSpec, precompiledCharsmap: Uint8Array.from([1, 2, 3]) };
  assert.match(modelError(encodeModelProto(proto)), /normalizer_spec\.precompiled_charsmap: shorter than its 4-byte header/);
  proto.normalizerSpec.precompiledCharsmap = Uint8Array.from([0x40, 0, 0, 0, 1, 2, 3, 4]);
  assert.match(modelError(encodeModelProto(proto)), /normalizer_spec\.precompiled_charsmap: trie size 64 does not fit the 8-byte blob/);
  const dup = tinyTokenizerProto();
  dup.pieces[7] = { piece: 'a' };
  const msg = modelError(encodeModelProto(dup));
  assert.match(msg, /not a valid SentencePiece model \(piece \d+ "a" is defined twice\)/);
  assert.ok(new ModelProtoError('x', 'y') instanceof TokenizerError);
});

function writeModel(bytes: Uint8Array): string {
  const path = join(tempDir(), 'tokenizer.model');
  writeFileSync(path, bytes);
  return path;
}
