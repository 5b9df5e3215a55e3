#!/usr/bin/env bash
# Reproduces docs/finetuning.md's "Results": the proof run (yi sft on the chat-facts set, the base model
# scored zero-shot and 5-shot on the same held-out prompts) and the science row (N clean samples vs 4N
# samples of which 60% have corrupted answers, equal steps), then prints the tables.
# Not run by npm test: each run takes minutes of CPU.
#
#   scripts/sft-science.sh BASE_MODEL_FOLDER [OUT_FOLDER]
#
# Environment: N (clean samples, default 1000), SEEDS (science seeds, default "1 2"), THREADS (default:
# one per core), PROOF_STEPS (default 200), SCIENCE_STEPS (default 120), SKIP_PROOF=1 / SKIP_SCIENCE=1.
set -euo pipefail
if [ $# -lt 1 ] || [ ! -d "$1" ]; then
  echo "usage: $0 BASE_MODEL_FOLDER [OUT_FOLDER]  (a Hugging Face folder, e.g. runs/recipe/train/model)" >&2
  exit 2
fi
MODEL=$1
OUT=${2:-runs/sft-science}
N=${N:-1000}
SEEDS=${SEEDS:-1 2}
PROOF_STEPS=${PROOF_STEPS:-200}
SCIENCE_STEPS=${SCIENCE_STEPS:-120}
ROOT=$(cd "$(dirname "$0")/.." && pwd)
YI="node $ROOT/dist/src/cli/yi.js"
THREADS_FLAG=${THREADS:+-t $THREADS}
mkdir -p "$OUT"

# The settings of both experiments (see docs/finetuning.md for why the learning rate is 2e-3, not the paper's 1e-5).
COMMON="--batch 16 --seq-len 256 --lr 2e-3 --warmup 20 --eval-interval 50 --checkpoint-interval 1000 --eval-max-tokens 32 --eval-generations 200 --no-progress $THREADS_FLAG"

$YI corpus export chat-facts --out "$OUT/chat-facts.jsonl"
$YI corpus export chat-facts --split heldout --out "$OUT/heldout.jsonl"
$YI corpus export chat-facts --split train --train-samples "$N" --out "$OUT/clean-$N.jsonl"
$YI corpus export chat-facts --split train --noisy "$N" --corrupt 0.6 --out "$OUT/noisy-$N.jsonl"

run() { # out-name, then yi sft arguments; an existing finished run is kept
  local dir="$OUT/$1"
  shift
  if [ -f "$dir/report.md" ]; then echo "kept $dir"; return; fi
  rm -rf "$dir"
  $YI sft --model "$MODEL" --out "$dir" $COMMON "$@"
}

if [ "${SKIP_PROOF:-}" != 1 ]; then
  run proof --data "$OUT/chat-facts.jsonl" --steps "$PROOF_STEPS" --base-shots 5 --base-shots-format text
fi
if [ "${SKIP_SCIENCE:-}" != 1 ]; then
  for seed in $SEEDS; do
    run "clean-$N-seed$seed" --data "$OUT/clean-$N.jsonl" --eval-data "$OUT/heldout.jsonl" --steps "$SCIENCE_STEPS" --seed "$seed" --base-shots 0
    run "noisy-$N-seed$seed" --data "$OUT/noisy-$N.jsonl" --eval-data "$OUT/heldout.jsonl" --steps "$SCIENCE_STEPS" --seed "$seed" --base-shots 0
  done
fi

# The tables, from each run's log.jsonl.
node - "$OUT" <<'EOF'
const fs = require('node:fs');
const path = require('node:path');
const out = process.argv[2];
const pct = (x) => (x === undefined ? '-' : `${(100 * x).toFixed(1)}%`);
for (const run of fs.readdirSync(out).filter((d) => fs.existsSync(path.join(out, d, 'log.jsonl'))).sort()) {
  const recs = fs.readFileSync(path.join(out, run, 'log.jsonl'), 'utf8').trim().split('\n').map((l) => JSON.parse(l));
  const gen = (w) => recs.find((r) => r.type === 'generation' && r.when === w);
  const vals = recs.filter((r) => r.type === 'val');
  const g = (w) => { const r = gen(w); return r ? `${pct(r.accuracy)} (${r.correct}/${r.prompts}), im_end ${pct(r.imEndShare)}` : '-'; };
  console.log(`${run}: base few-shot ${g('base-few-shot')} | before (zero-shot) ${g('before')} | after ${g('after')} | held-out answer loss ${vals[0]?.val_loss.toFixed(3)} -> ${vals.at(-1)?.val_loss.toFixed(3)}`);
}
EOF
