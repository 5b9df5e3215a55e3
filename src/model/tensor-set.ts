// Which of a checkpoint's tensors a model of its config reads, decided before anything is allocated:
// every parameter present with the shape the config gives it; no layers beyond the config's layer
// count (a config or block_count smaller than the file would silently drop them); tensors the model
// does not read listed (a warning, or an error when strict).
//
// Tied embeddings follow transformers (PreTrainedModel.tie_weights, v5): with tie_word_embeddings true,
// a file holding only model.embed_tokens.weight gives it to lm_head too, a file holding only
// lm_head.weight gives it to the embedding, and a file holding both keeps both (transformers warns
// when they differ and leaves them untied; the loader does the same after comparing them).
import { LoadError, type SourceTensor, type WeightSource } from './source.js';
import { parameterShapes } from './weights.js';

export interface TensorSelection {
  /** Model parameter name -> the source tensor that fills it. */
  sources: Map<string, SourceTensor>;
  /** The file's tensors the model does not read (file names for tensors without a Hugging Face name). */
  unused: string[];
  /** tie_word_embeddings is true and the file has its own lm_head.weight: compare it with the embedding once loaded. */
  tiedHeadInFile: boolean;
}

const EMBED = 'model.embed_tokens.weight';
const HEAD = 'lm_head.weight';

/** The file's key for the layer count, for messages. */
function layerKey(src: WeightSource): string {
  return src.format === 'gguf' ? 'llama.block_count' : 'num_hidden_layers (config.json)';
}

/** Names a few of a list: "a, b, c and 15 more". */
export function listNames(names: readonly string[], max = 6): string {
  const shown = names.slice(0, max).join(', ');
  return names.length > max ? `${shown} and ${names.length - max} more` : shown;
}

/** Checks `src` against its config and picks the tensor for each parameter; throws LoadError naming what is wrong. */
export function selectTensors(src: WeightSource, opts: { strict?: boolean } = {}): TensorSelection {
  const cfg = src.config;
  const fail = (detail: string): never => {
    throw new LoadError(src.format, src.path, detail);
  };

  const beyond: string[] = [];
  const layersBeyond = new Set<number>();
  for (const name of src.tensors.keys()) {
    const m = /^model\.layers\.(\d+)\./.exec(name);
    if (m && Number(m[1]) >= cfg.layers) {
      beyond.push(name);
      layersBeyond.add(Number(m[1]));
    }
  }
  if (beyond.length > 0) {
    const layers = [...layersBeyond].sort((a, b) => a - b);
    fail(
      `the file has tensors of layer${layers.length > 1 ? 's' : ''} ${listNames(layers.map(String), 4)} but ${layerKey(src)} is ${cfg.layers}; ` +
        `loading would silently drop ${beyond.length} tensors: ${listNames(beyond)}`,
    );
  }

  const sources = new Map<string, SourceTensor>();
  let tiedHeadInFile = false;
  for (const [name, shape] of parameterShapes(cfg)) {
    let s = src.tensors.get(name);
    if (cfg.tieEmbeddings) {
      if (name === HEAD) {
        if (s) tiedHeadInFile = src.tensors.has(EMBED);
        else s = src.tensors.get(EMBED);
      } else if (name === EMBED && !s) {
        s = src.tensors.get(HEAD);
      }
    }
    if (!s) {
      const hint = name === HEAD && !cfg.tieEmbeddings ? ' (and tie_word_embeddings is false)' : '';
      return fail(`tensor ${name} is missing${hint}`);
    }
    if (s.shape.length !== shape.length || s.shape.some((d, i) => d !== shape[i])) {
      fail(`tensor ${name} has shape [${s.shape.join(', ')}], the config needs [${shape.join(', ')}]`);
    }
    sources.set(name, s);
  }

  const used = new Set<SourceTensor>(sources.values());
  const unused = [...src.tensors].filter(([, s]) => !used.has(s)).map(([n]) => n);
  unused.push(...(src.unmapped ?? []));
  if (opts.strict && unused.length > 0) {
    fail(`strict: ${unused.length} tensor${unused.length > 1 ? 's are' : ' is'} in the file but not read by a Llama/Yi model: ${listNames(unused)}`);
  }
  return { sources, unused, tiedHeadInFile };
}

/** The warning for tensors the model does not read. */
export function unusedWarning(src: WeightSource, unused: readonly string[]): string {
  return `${src.path}: ${unused.length} tensor${unused.length > 1 ? 's' : ''} in the file ${unused.length > 1 ? 'are' : 'is'} not read by a Llama/Yi model and ignored (refused with --strict): ${listNames(unused)}`;
}
