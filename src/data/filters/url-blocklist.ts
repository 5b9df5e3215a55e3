// URL and domain blocklist (RefinedWeb section G.1; datatrove pipeline/filters/url_filter.py), on
// metadata.url: blocked domains (a listed domain blocks its subdomains), blocked URLs, banned words
// in the URL, two or more "soft" banned words, and banned sub-words anywhere in the URL. Reasons
// are datatrove's. The shipped lists are small samples (lists/README.md); pass real files.
import type { Doc, DocStage, StageResult } from '../types.js';
import { defaultListPath, readList } from './lists.js';
import { resolveOptions } from '../options/resolve.js';
import { boolean, integer, nullable, path, string, words, type OptionSchema } from '../options/schema.js';
import { stageName, type StageOptions } from './options.js';

export interface UrlBlocklistOptions extends StageOptions {
  /** The metadata field holding the URL. */
  urlField: string;
  /** Use the shipped sample lists for the lists given no file. */
  useDefaultLists: boolean;
  /** Blocked domains, one per line (default: lists/url-domains.txt). */
  domainsFile: string | null;
  /** Blocked URLs, one per line, compared without scheme, "www." and trailing '/' (default: none). */
  urlsFile: string | null;
  /** Words that block a URL containing one as a whole word (default: lists/url-banned-words.txt). */
  bannedWordsFile: string | null;
  /** Words that block a URL containing `softWordThreshold` of them (default: lists/url-soft-banned-words.txt). */
  softBannedWordsFile: string | null;
  /** Strings that block a URL whose letters and digits contain one (default: lists/url-banned-subwords.txt). */
  bannedSubwordsFile: string | null;
  extraDomains: string[];
  extraUrls: string[];
  extraBannedWords: string[];
  extraSoftBannedWords: string[];
  extraBannedSubwords: string[];
  /** datatrove: soft_word_threshold = 2. */
  softWordThreshold: number;
}

export const URL_BLOCKLIST_DEFAULTS: UrlBlocklistOptions = {
  name: 'url_blocklist',
  urlField: 'url',
  useDefaultLists: true,
  domainsFile: null,
  urlsFile: null,
  bannedWordsFile: null,
  softBannedWordsFile: null,
  bannedSubwordsFile: null,
  extraDomains: [],
  extraUrls: [],
  extraBannedWords: [],
  extraSoftBannedWords: [],
  extraBannedSubwords: [],
  softWordThreshold: 2,
};

interface ParsedUrl {
  /** Lower-cased host without "www." and without a trailing dot. */
  host: string;
  /** host + path (+ query), lower-cased, no trailing '/'. */
  normalized: string;
}

/** The host and normalized form of a URL, or undefined when it does not parse. */
export function parseUrl(url: string): ParsedUrl | undefined {
  let u: URL;
  try {
    u = new URL(/^[a-z][a-z0-9+.-]*:\/\//i.test(url) ? url : `http://${url}`);
  } catch {
    return undefined;
  }
  const host = u.hostname.toLowerCase().replace(/\.$/, '').replace(/^www\./, '');
  if (!host) return undefined;
  const normalized = `${host}${u.pathname}${u.search}`.toLowerCase().replace(/\/+$/, '');
  return { host, normalized };
}

function normalizeListedUrl(entry: string): string {
  return parseUrl(entry)?.normalized ?? entry;
}

const listFile = nullable(path);

export const URL_BLOCKLIST_SCHEMA: OptionSchema<UrlBlocklistOptions> = {
  name: stageName,
  urlField: string({ nonEmpty: true }),
  useDefaultLists: boolean,
  domainsFile: listFile,
  urlsFile: listFile,
  bannedWordsFile: listFile,
  softBannedWordsFile: listFile,
  bannedSubwordsFile: listFile,
  extraDomains: words,
  extraUrls: words,
  extraBannedWords: words,
  extraSoftBannedWords: words,
  extraBannedSubwords: words,
  softWordThreshold: integer(1),
};

/** The `url_blocklist` filter. Documents without a URL are kept and counted (no_url). */
export function urlBlocklist(options?: Partial<UrlBlocklistOptions>): DocStage {
  const o = resolveOptions('url_blocklist', URL_BLOCKLIST_DEFAULTS, URL_BLOCKLIST_SCHEMA, options);
  const load = (file: string | null, shipped: string | null, extra: string[], option: string): string[] => {
    const base = file ? readList(file, 'url_blocklist', o, option) : o.useDefaultLists && shipped ? readList(defaultListPath(shipped), 'url_blocklist', o) : [];
    return [...base, ...extra.map((x) => x.toLowerCase())];
  };
  const domains = new Set(load(o.domainsFile, 'url-domains.txt', o.extraDomains, 'domainsFile').map((d) => d.replace(/^www\./, '').replace(/\.$/, '')));
  const urls = new Set(load(o.urlsFile, null, o.extraUrls, 'urlsFile').map(normalizeListedUrl));
  const banned = new Set(load(o.bannedWordsFile, 'url-banned-words.txt', o.extraBannedWords, 'bannedWordsFile'));
  const soft = new Set(load(o.softBannedWordsFile, 'url-soft-banned-words.txt', o.extraSoftBannedWords, 'softBannedWordsFile'));
  const subwords = load(o.bannedSubwordsFile, 'url-banned-subwords.txt', o.extraBannedSubwords, 'bannedSubwordsFile').map((s) => s.replace(/[^a-z0-9]+/g, '')).filter(Boolean);

  const reasonFor = (url: string): string | undefined => {
    const p = parseUrl(url);
    if (!p) return undefined;
    // The host and every parent domain: a.b.example.com, b.example.com, example.com, com.
    for (let h = p.host; h; h = h.includes('.') ? h.slice(h.indexOf('.') + 1) : '') {
      if (domains.has(h)) return 'domain';
    }
    if (urls.has(p.normalized)) return 'url';
    const lower = url.toLowerCase();
    const words = new Set(lower.split(/[^a-z0-9]+/).filter(Boolean));
    for (const w of words) if (banned.has(w)) return 'hard_blacklisted';
    let nSoft = 0;
    for (const w of words) if (soft.has(w)) nSoft++;
    if (nSoft >= o.softWordThreshold) return 'soft_blacklisted';
    const squashed = lower.replace(/[^a-z0-9]+/g, '');
    for (const s of subwords) if (squashed.includes(s)) return 'blacklisted_subword';
    return undefined;
  };

  return {
    name: o.name,
    kind: 'filter',
    process(doc: Doc): StageResult {
      const url = doc.metadata[o.urlField];
      if (typeof url !== 'string' || !url) return { keep: true, doc, counts: { no_url: 1 } };
      if (!parseUrl(url)) return { keep: true, doc, counts: { bad_url: 1 } };
      const reason = reasonFor(url);
      return reason ? { keep: false, reason } : { keep: true, doc };
    },
  };
}
