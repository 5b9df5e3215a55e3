import assert from 'node:assert/strict';
import { test } from 'node:test';
import { anonymize, isPublicIPv4, isPublicIPv6, pii, PII_DEFAULTS } from '../../../src/data/filters/pii.js';
import { cleanChinese, cleanEnglish, doc, run } from './helpers.js';

const anon = (t: string, o = {}) => anonymize(t, { ...PII_DEFAULTS, ...o });

test('emails are replaced, upper case and subdomains included', () => {
  const r = anon('Write to John.Doe@Example.COM, jane_doe+tag@mail.example.co.uk or x@[93.184.216.34].');
  assert.equal(r.text, 'Write to <EMAIL>, <EMAIL> or <EMAIL>.');
  assert.deepEqual(r.counts, { email: 3, phone: 0, ip: 0 });
  assert.equal(anon('not@emails, a@b, user@1.2, @handle, x@y.').counts.email, 0);
});

test('phone numbers: international, Chinese mobile and landline, North American', () => {
  const en = anon('Call +1 415 555 2671, +44 20 7946 0958, (415) 555-2671, 415-555-2671 or 415.555.2671.');
  assert.equal(en.text, 'Call <PHONE>, <PHONE>, <PHONE>, <PHONE> or <PHONE>.');
  const zh = anon('我的手机号是13812345678，也可以打+86 139 1234 5678、+86-139-1234-5678、0086 13912345678或办公电话010-12345678、0755-1234567。');
  assert.equal(zh.text, '我的手机号是<PHONE>，也可以打<PHONE>、<PHONE>、<PHONE>或办公电话<PHONE>、<PHONE>。');
  assert.equal(zh.counts.phone, 6);
});

test('IP addresses: public IPv4 and IPv6 replaced, private, loopback and documentation ones kept', () => {
  const r = anon('Servers 8.8.8.8, 93.184.216.34 and 2606:4700:4700::1111; local 192.168.1.1, 10.0.0.5, 127.0.0.1, 172.16.0.1, fe80::1, ::1, 2001:db8::1.');
  assert.equal(r.text, 'Servers <IP>, <IP> and <IP>; local 192.168.1.1, 10.0.0.5, 127.0.0.1, 172.16.0.1, fe80::1, ::1, 2001:db8::1.');
  assert.equal(r.counts.ip, 3);
  const all = anon('local 192.168.1.1 and fe80::1:2', { onlyPublicIps: false });
  assert.equal(all.text, 'local <IP> and <IP>');
  assert.ok(isPublicIPv4('1.1.1.1') && !isPublicIPv4('100.64.0.1') && !isPublicIPv4('224.0.0.1') && !isPublicIPv4('203.0.113.9'));
  assert.ok(isPublicIPv6('2a00:1450::1') && !isPublicIPv6('fd00::1') && !isPublicIPv6('::ffff:8.8.8.8'));
});

test('version numbers, dates, times, decimals, ids and code are left alone', () => {
  const safe = [
    'Version 1.2.3 and v1.2.3.4 and version 10.0.0.1 and build 2.0.0.1',
    'dates 2023-06-01, 2023.06.01, 2023/06/01, 01.06.2023, 12:30:45',
    'pi 3.14159265358979, ratio 1:2:3, 1.2.3.4.5, 256.1.1.1, 1e10',
    'order 20230601123, id 12345678901234, price $1,234.56, +12.50%, 15% off, 1-800',
    'std::vector<int> v; Foo::Bar::baz(); a::b; ISBN 978-3-16-148410-0',
    'room 101, year 2024, +5 points, score 3-1, 5.5.5 build',
  ].join('\n');
  const r = anon(safe, { onlyPublicIps: false });
  assert.equal(r.text, safe);
  assert.deepEqual(r.counts, { email: 0, phone: 0, ip: 0 });
});

test('the stage is a transform that always keeps and reports {email, phone, ip}', async () => {
  const stage = pii();
  assert.equal(stage.name, 'pii');
  assert.equal(stage.kind, 'transform');
  const d = doc('Mail me at a.b@example.com or +1 415 555 2671 from 8.8.4.4.', { url: 'u' });
  const r = await run(stage, d);
  assert.ok(r.keep);
  assert.equal(r.doc.text, 'Mail me at <EMAIL> or <PHONE> from <IP>.');
  assert.deepEqual(r.doc.metadata, { url: 'u' });
  assert.deepEqual(r.counts, { email: 1, phone: 1, ip: 1 });
  for (const t of [cleanEnglish(), cleanChinese(), '']) {
    const c = await run(stage, doc(t));
    assert.ok(c.keep && c.doc.text === t, 'clean text unchanged');
    assert.deepEqual(c.counts, { email: 0, phone: 0, ip: 0 });
  }
  const custom = await run(pii({ emailReplacement: '[email]', phones: false }), 'a@b.io +1 415 555 2671');
  assert.ok(custom.keep && custom.doc.text === '[email] +1 415 555 2671');
});
