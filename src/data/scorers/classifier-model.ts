// A text classifier = a feature extractor (named and configured in the model file) + a logistic
// model over its hashed features. The quality, coherence and safety scorers are all one of these,
// each saved as a scorer file whose header carries the feature settings, the class names, the
// held-out metrics and (for safety) the word lists.
import { coherenceFeatures, type CoherenceFeatureSpec } from './coherence-features.js';
import { checkNgramSpec, FeatureBuffer, ngramFeatures, type NgramFeatureSpec } from './hashed-features.js';
import { LogisticModel, type BinaryMetrics } from './logistic.js';
import { headerNumber, headerObject, readScorerFile, writeScorerFile } from './model-file.js';

export type FeatureSpec = NgramFeatureSpec | CoherenceFeatureSpec;

export interface ClassifierInfo {
  /** What probability 1 means, e.g. 'reference'; and what 0 means, e.g. 'web'. */
  labels: { positive: string; negative: string };
  /** Held-out metrics measured at training time. */
  metrics?: BinaryMetrics;
  training?: Record<string, unknown>;
}

export class TextClassifier {
  private readonly buf = new FeatureBuffer();

  constructor(
    /** The stage kind this classifier is for: 'quality', 'coherence', 'safety'. */
    readonly scorer: string,
    readonly features: FeatureSpec,
    readonly model: LogisticModel,
    readonly info: ClassifierInfo,
    /** Extra header fields the scorer keeps with the model (e.g. safety word lists). */
    readonly extra: Record<string, unknown> = {},
  ) {
    if (model.buckets !== features.buckets) throw new Error(`${scorer} classifier: ${model.buckets} weights for ${features.buckets} feature buckets`);
  }

  /** The features of a text, or undefined when the extractor declines it (too few sentences). */
  featurize(text: string, out: FeatureBuffer = new FeatureBuffer()): Uint32Array | undefined {
    out.clear();
    if (this.features.kind === 'ngrams') ngramFeatures(text, this.features, out);
    else if (!coherenceFeatures(text, this.features, out)) return undefined;
    return out.ids.subarray(0, out.length);
  }

  /** p(positive label | text); undefined when the text cannot be scored. */
  probability(text: string): number | undefined {
    const f = this.featurize(text, this.buf);
    return f === undefined ? undefined : this.model.probability(f);
  }

  save(path: string): void {
    writeScorerFile(path, { ...this.extra, scorer: this.scorer, model: 'logistic', features: this.features, bias: this.model.bias, ...this.info }, { weights: this.model.weights });
  }

  static load(path: string, scorer: string): TextClassifier {
    const f = readScorerFile(path, scorer);
    if (f.header.model !== 'logistic') f.fail(`header field 'model' is ${JSON.stringify(f.header.model)}, expected "logistic"`);
    const spec = headerObject(f, 'features') as unknown as FeatureSpec;
    if (spec.kind === 'ngrams') {
      try {
        checkNgramSpec(spec, 'header field features');
      } catch (e) {
        f.fail((e as Error).message);
      }
    } else if (spec.kind === 'coherence') {
      if (!Number.isInteger(spec.buckets) || spec.buckets < 2 || (spec.buckets & (spec.buckets - 1)) !== 0) f.fail(`header field 'features.buckets' must be a power of two (got ${spec.buckets})`);
      if (!Number.isInteger(spec.min_sentences) || spec.min_sentences < 2) f.fail(`header field 'features.min_sentences' must be an integer >= 2 (got ${spec.min_sentences})`);
    } else {
      f.fail(`header field 'features.kind' is ${JSON.stringify((spec as { kind: unknown }).kind)}, expected "ngrams" or "coherence"`);
    }
    const bias = headerNumber(f, 'bias');
    const weights = f.array('weights', 'f32', spec.buckets);
    for (let i = 0; i < weights.length; i++) if (!Number.isFinite(weights[i]!)) f.fail(`array 'weights' element ${i} is ${weights[i]}, not a finite number`);
    const labels = headerObject(f, 'labels') as ClassifierInfo['labels'];
    if (typeof labels.positive !== 'string' || typeof labels.negative !== 'string') f.fail(`header field 'labels' must name the positive and negative classes`);
    const { format_version: _v, scorer: _s, model: _m, features: _f, bias: _b, labels: _l, metrics, training, arrays: _a, ...extra } = f.header;
    return new TextClassifier(scorer, spec, new LogisticModel(weights, bias), { labels, metrics: metrics as BinaryMetrics | undefined, training: training as Record<string, unknown> | undefined }, extra);
  }
}
