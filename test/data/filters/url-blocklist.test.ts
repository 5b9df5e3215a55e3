import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, test } from 'node:test';
import { parseUrl, urlBlocklist } from '../../../src/data/filters/url-blocklist.js';
import { cleanEnglish, doc, outcome, run } from './helpers.js';

const dir = mkdtempSync(join(tmpdir(), 'yi-urls-'));
after(() => rmSync(dir, { recursive: true, force: true }));
const at = (url: unknown) => doc(cleanEnglish(), { url });

test('each rule of the shipped sample lists, with datatrove reasons', async () => {
  const s = urlBlocklist();
  assert.equal(s.name, 'url_blocklist');
  assert.equal(await outcome(s, at('https://www.bbc.co.uk/news/world-123')), 'kept');
  assert.equal(await outcome(s, at('https://www.pornhub.com/view?x=1')), 'domain');
  assert.equal(await outcome(s, at('http://de.xvideos.com/video1')), 'domain', 'subdomains of a listed domain');
  assert.equal(await outcome(s, at('http://notxvideos.com/')), 'blacklisted_subword', 'a longer domain is not a subdomain; the sub-word rule still sees it');
  assert.equal(await outcome(s, at('https://example.org/free-porn-videos')), 'hard_blacklisted');
  assert.equal(await outcome(s, at('https://example.org/hot-girls-tonight')), 'soft_blacklisted', 'two soft words');
  assert.equal(await outcome(s, at('https://example.org/girls-basketball-scores')), 'kept', 'one soft word');
  assert.equal(await outcome(s, at('https://example.org/bestonlinecasino2024')), 'blacklisted_subword');
  assert.equal(await outcome(s, at('https://example.org/sporn')), 'kept', 'banned words are whole words');
});

test('documents without a URL, or with one that does not parse, are kept and counted', async () => {
  const s = urlBlocklist();
  assert.deepEqual(await run(s, doc('text')), { keep: true, doc: doc('text'), counts: { no_url: 1 } });
  assert.deepEqual((await run(s, at(42))).counts, { no_url: 1 });
  assert.deepEqual((await run(s, at('http://exa mple.com/'))).counts, { bad_url: 1 });
});

test('user files and extra entries; URL lists compare without scheme, www and trailing slash', async () => {
  const domains = join(dir, 'domains.txt');
  writeFileSync(domains, '# mine\nEvil.Example\n');
  const urls = join(dir, 'urls.txt');
  writeFileSync(urls, 'https://www.site.example/bad/page/\n');
  const s = urlBlocklist({ domainsFile: domains, urlsFile: urls, extraBannedWords: ['forbidden'], useDefaultLists: false });
  assert.equal(await outcome(s, at('http://a.evil.example/x')), 'domain');
  assert.equal(await outcome(s, at('site.example/bad/page')), 'url');
  assert.equal(await outcome(s, at('https://site.example/bad/page2')), 'kept');
  assert.equal(await outcome(s, at('https://x.example/forbidden/fruit')), 'hard_blacklisted');
  assert.equal(await outcome(s, at('https://www.pornhub.com/')), 'kept', 'shipped lists off');
  assert.equal(await outcome(urlBlocklist({ urlField: 'source' }), doc('t', { source: 'https://pornhub.com' })), 'domain');
  assert.equal(parseUrl('HTTP://WWW.Example.COM./A/b/?q=1')?.normalized, 'example.com/a/b/?q=1');
});
