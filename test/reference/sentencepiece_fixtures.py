#!/usr/bin/env python3
"""Expected ids from the SentencePiece library (Debian python3-sentencepiece) for the tokenizer tests.

Run from the repository root:  python3 test/reference/sentencepiece_fixtures.py
Writes test/fixtures/sentencepiece-llama2.json (Llama 2 tokenizer.model from ../shared/data) and
test/fixtures/sentencepiece-yi-like.json (a tiny BPE model trained here with Yi's options: identity
normalization, no dummy prefix, split digits, byte fallback, ChatML pieces; the model is stored base64
in the fixture so the npm test needs no Python).
"""
import base64
import io
import json
import os
import random
import sys

import sentencepiece as spm

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
LLAMA2 = os.path.join(ROOT, '..', 'shared', 'data', 'llama2-tokenizer', 'tokenizer.model')
OUT = os.path.join(ROOT, 'test', 'fixtures')

TEXTS = [
    'Hello world',
    'The quick brown fox jumps over the lazy dog.',
    ' leading space',
    'trailing space ',
    '  two leading, three   inside,  two trailing  ',
    '',
    ' ',
    '\n\n\t tabs\tand\nnewlines\r\n',
    'Digits 1234567890 and 3.14159, 2024-06-01, 1,000,000',
    '你好，世界！这是一个测试。',
    '零一万物的Yi模型支持中英双语。',
    'emoji 😀🎉👍🏽 and flags 🇨🇳🇺🇸',
    'math 𝔘𝔫𝔦𝔠𝔬𝔡𝔢 ∮ E⋅da = Q',
    'rare CJK 䶵𠀀𪚥 and ꙮ',
    'Ελληνικά, русский, العربية, हिन्दी, 日本語のテキスト',
    '<s> looks special </s> <unk> but is text',
    '<|im_start|>user\nhi<|im_end|>',
    "don't won't y'all ''quoted''",
    'café naïve résumé (NFC) vs cafe\u0301 (NFD)',
    'ＦＵＬＬ　ＷＩＤＴＨ　ｔｅｘｔ',
    'zero\u200bwidth\u00a0nbsp',
    'a' * 40 + ' ' + 'ab' * 15,
    '\u2581already escaped\u2581\u2581',
]

BILINGUAL = (
    'Yi 系列模型是 01.AI 从零训练的下一代开源大语言模型。The Yi series models are the next generation of '
    'open-source large language models trained from scratch by 01.AI. 作为双语模型，Yi 在 3T 多语言语料上训练，'
    '在语言理解、常识推理、阅读理解等方面表现出色。For example, Yi-34B-Chat ranked second (after GPT-4 Turbo) '
    'on the AlpacaEval Leaderboard in December 2023. 它的上下文窗口可以扩展到 200K tokens！'
)

# Byte sequences for the decoder: valid, truncated, overlong, surrogate, stray continuation bytes.
DECODE_BYTES = [
    [0xE4, 0xBD, 0xA0],
    [0xE4, 0xBD],
    [0xE4, 0xBD, 0x41],
    [0xF0, 0x9F, 0x98, 0x80],
    [0xF0, 0x9F, 0x98],
    [0xC0, 0x80],
    [0xED, 0xA0, 0x80],
    [0x80, 0xBF],
    [0xF8, 0x41],
    [0xF4, 0x90, 0x80, 0x80],
]


def cases(sp, texts):
    return [{'text': t, 'ids': sp.encode(t), 'decoded': sp.decode(sp.encode(t))} for t in texts]


def decode_cases(sp, text_ids):
    out = []
    for bs in DECODE_BYTES:
        ids = [sp.piece_to_id('<0x%02X>' % b) for b in bs]
        for wrap in ([], text_ids):
            seq = ids + wrap
            out.append({'ids': seq, 'decoded': sp.decode(seq)})
    # Control and unknown pieces, and the dummy-prefix space at the start.
    extra = [[sp.bos_id()] + text_ids + [sp.eos_id()], [sp.unk_id()] + text_ids, [sp.unk_id(), sp.unk_id()]]
    out += [{'ids': s, 'decoded': sp.decode(s)} for s in extra]
    return out


def llama2():
    if not os.path.exists(LLAMA2):
        print('skip llama2: no', LLAMA2, file=sys.stderr)
        return
    sp = spm.SentencePieceProcessor(model_file=LLAMA2)
    data = {
        'generator': 'python3-sentencepiece %s, test/reference/sentencepiece_fixtures.py' % spm.__version__,
        'model': '../shared/data/llama2-tokenizer/tokenizer.model',
        'cases': cases(sp, TEXTS),
        'bilingual': cases(sp, [BILINGUAL])[0],
        'decode': decode_cases(sp, sp.encode(' hello')),
        'pieces': {str(i): sp.id_to_piece(i) for i in (0, 1, 2, 3, 13, 259, 29871, 31999)},
    }
    write('sentencepiece-llama2.json', data)


def yi_like():
    rng = random.Random(0)
    words_en = 'the model data train token text language open source large chat user assistant yes no'.split()
    words_zh = ['模型', '数据', '训练', '语言', '中文', '英文', '开源', '大型', '你好', '世界', '测试', '智能']
    lines = []
    for _ in range(3000):
        parts = []
        for _ in range(rng.randint(3, 12)):
            r = rng.random()
            parts.append(rng.choice(words_en) if r < 0.5 else rng.choice(words_zh) if r < 0.85 else str(rng.randint(0, 99999)))
        lines.append(' '.join(parts))
    model = io.BytesIO()
    spm.SentencePieceTrainer.train(
        sentence_iterator=iter(lines), model_writer=model, model_type='bpe', vocab_size=450,
        character_coverage=0.9995, byte_fallback=True, split_digits=True, add_dummy_prefix=False,
        normalization_rule_name='identity', remove_extra_whitespaces=False, allow_whitespace_only_pieces=True,
        unk_id=0, bos_id=1, eos_id=2, pad_id=-1, unk_piece='<unk>', bos_piece='<|startoftext|>', eos_piece='<|endoftext|>',
        control_symbols=['<|im_sep|>'], user_defined_symbols=['<|im_start|>', '<|im_end|>'],
        num_threads=1, minloglevel=2)
    sp = spm.SentencePieceProcessor(model_proto=model.getvalue())
    texts = TEXTS + [
        '<|im_start|>user\n你好<|im_end|>\n<|im_start|>assistant\n',
        'model 12345 训练 data<|im_sep|>text',
        BILINGUAL,
    ]
    data = {
        'generator': 'python3-sentencepiece %s, test/reference/sentencepiece_fixtures.py' % spm.__version__,
        'model_base64': base64.b64encode(model.getvalue()).decode('ascii'),
        'cases': cases(sp, texts),
        'decode': decode_cases(sp, sp.encode(' hello 模型')),
    }
    write('sentencepiece-yi-like.json', data)


def write(name, data):
    os.makedirs(OUT, exist_ok=True)
    path = os.path.join(OUT, name)
    with open(path, 'w', encoding='utf-8') as f:
        json.dump(data, f, ensure_ascii=False, indent=1)
        f.write('\n')
    print('wrote', path, os.path.getsize(path), 'bytes')


if __name__ == '__main__':
    llama2()
    yi_like()
