#!/usr/bin/env python3
"""Our tokenizer trainer against SentencePiece's (spm_train --model_type=bpe, same options, same corpus).

Run from the repository root after `node scripts/build.mjs`, with Debian's python3-sentencepiece and
sentencepiece-tools (spm_train):   /usr/bin/python3 test/reference/spm_train_compare.py
Writes test/fixtures/spm-train-compare.json: vocabulary overlap and tokens per character on held-out text
(ours vs spm_train), training seconds of both, and the ids that the sentencepiece library produces with
OUR tokenizer.model on test texts; test/tokenizer/train.test.ts retrains the same model and checks our
encoder gives those ids.
"""
import hashlib
import json
import os
import shutil
import subprocess
import sys
import tempfile
import time

import sentencepiece as spm

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
OUT = os.path.join(ROOT, 'test', 'fixtures', 'spm-train-compare.json')
CORPUS_BYTES = 2_000_000
HELDOUT_BYTES = 300_000
CONFIGS = [4000, 8000]  # vocabulary sizes; the first one is the model the node test retrains
CONTROL = ['<fim_prefix>', '<fim_middle>', '<fim_suffix>', '<|im_start|>', '<|im_end|>', '<|im_sep|>']

TEXTS = [
    'Hello world',
    '  two leading, three   inside,  two trailing  ',
    'Digits 1234567890 and 3.14159, 2024-06-01',
    '你好，世界！这是一个测试。',
    '零一万物的Yi模型支持中英双语。',
    'emoji 😀🎉👍🏽 and flags 🇨🇳🇺🇸',
    'rare CJK 䶵𠀀𪚥 and ꙮ',
    'Ελληνικά, русский, العربية, हिन्दी, 日本語のテキスト',
    '<|im_start|>user\nhi<|im_end|>',
    '\n\n\t tabs\tand\nnewlines\r\n',
    '\u2581already escaped\u2581\u2581',
]


def node_js(code):
    subprocess.run(['node', '--input-type=module', '-e', code], check=True, cwd=ROOT)


def spm_train(corpus, prefix, vocab):
    args = [
        'spm_train', f'--input={corpus}', f'--model_prefix={prefix}', '--model_type=bpe', f'--vocab_size={vocab}',
        '--character_coverage=0.9995', '--byte_fallback=true', '--split_digits=true', '--add_dummy_prefix=false',
        '--normalization_rule_name=identity', '--remove_extra_whitespaces=false', '--allow_whitespace_only_pieces=true',
        '--max_sentencepiece_length=16', '--unk_id=0', '--bos_id=1', '--eos_id=2', '--pad_id=-1',
        '--unk_piece=<unk>', '--bos_piece=<|startoftext|>', '--eos_piece=<|endoftext|>',
        '--control_symbols=' + ','.join(CONTROL), '--num_threads=1', '--minloglevel=2',
    ]
    t0 = time.perf_counter()
    subprocess.run(args, check=True, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    return time.perf_counter() - t0


def ours_train(corpus, out, vocab):
    t0 = time.perf_counter()
    subprocess.run(['node', 'dist/src/cli/yi.js', 'tokenizer', 'train', '--input', corpus, '--vocab-size', str(vocab),
                    '--out', out, '--no-progress'], check=True, cwd=ROOT, stdout=subprocess.DEVNULL)
    return time.perf_counter() - t0


def pieces_hash(sp):
    # sha256 of the JSON array of pieces in id order, as JavaScript's JSON.stringify writes it.
    rows = [sp.id_to_piece(i) for i in range(sp.get_piece_size())]
    return hashlib.sha256(json.dumps(rows, ensure_ascii=False, separators=(',', ':')).encode()).hexdigest()


def main():
    if not shutil.which('spm_train'):
        sys.exit('spm_train not found (apt-get install sentencepiece)')
    tmp = tempfile.mkdtemp(prefix='spm-compare-')
    try:
        corpus = os.path.join(tmp, 'corpus.txt')
        heldout = os.path.join(tmp, 'heldout.txt')
        node_js(
            "import { bilingualCorpus } from './dist/bench/corpus.js';"
            "import { writeFileSync } from 'node:fs';"
            f"writeFileSync({json.dumps(corpus)}, bilingualCorpus({CORPUS_BYTES}, 1));"
            f"writeFileSync({json.dumps(heldout)}, bilingualCorpus({HELDOUT_BYTES}, 7));")
        held = open(heldout, encoding='utf-8').read()
        results = []
        for vocab in CONFIGS:
            ours_dir = os.path.join(tmp, f'ours-{vocab}')
            t_ours = ours_train(corpus, ours_dir, vocab)
            t_spm = spm_train(corpus, os.path.join(tmp, f'spm-{vocab}'), vocab)
            a = spm.SentencePieceProcessor(model_file=os.path.join(ours_dir, 'tokenizer.model'))
            b = spm.SentencePieceProcessor(model_file=os.path.join(tmp, f'spm-{vocab}.model'))
            pa = [a.id_to_piece(i) for i in range(a.get_piece_size())]
            pb = [b.id_to_piece(i) for i in range(b.get_piece_size())]
            na, nb = len(a.encode(held)), len(b.encode(held))
            res = {
                'vocab_size': vocab,
                'pieces_ours': len(pa),
                'pieces_spm': len(pb),
                'overlap': len(set(pa) & set(pb)) / len(pb),
                'same_id': sum(x == y for x, y in zip(pa, pb)) / len(pb),
                'heldout_chars': len(held),
                'tokens_ours': na,
                'tokens_spm': nb,
                'tokens_per_char_ours': na / len(held),
                'tokens_per_char_spm': nb / len(held),
                'token_ratio': na / nb,
                'train_seconds_ours': round(t_ours, 3),
                'train_seconds_spm': round(t_spm, 3),
                'pieces_sha256_ours': pieces_hash(a),
                'only_ours': [p for p in pa if p not in set(pb)][:20],
                'only_spm': [p for p in pb if p not in set(pa)][:20],
            }
            if vocab == CONFIGS[0]:
                # The sentencepiece library loading OUR model: ids and decodes the node test must reproduce.
                res['cases'] = [{'text': t, 'ids': a.encode(t), 'decoded': a.decode(a.encode(t))} for t in TEXTS + [held[:2000]]]
            results.append(res)
            print(f"vocab {vocab}: overlap {res['overlap']:.4f} same-id {res['same_id']:.4f} "
                  f"tokens ours/spm {res['token_ratio']:.4f} train {t_ours:.2f}s vs spm_train {t_spm:.2f}s")
        data = {
            'generator': 'python3-sentencepiece %s + spm_train, test/reference/spm_train_compare.py' % spm.__version__,
            'corpus': f'bilingualCorpus({CORPUS_BYTES}, 1) from bench/corpus.ts; held-out bilingualCorpus({HELDOUT_BYTES}, 7)',
            'options': 'bpe, byte_fallback, split_digits, identity, no dummy prefix, allow_whitespace_only_pieces, '
                       'character_coverage 0.9995, max_sentencepiece_length 16, Yi specials, num_threads 1',
            'results': results,
        }
        with open(OUT, 'w', encoding='utf-8') as f:
            json.dump(data, f, ensure_ascii=False, indent=1)
            f.write('\n')
        print('wrote', OUT, os.path.getsize(OUT), 'bytes')
    finally:
        shutil.rmtree(tmp, ignore_errors=True)


if __name__ == '__main__':
    main()
