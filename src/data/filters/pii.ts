// PII anonymisation (Yi tech report section 2.1; datatrove pipeline/formatters/pii.py for emails
// and IPs): emails, phone numbers and IP addresses are replaced by placeholders, and the counts of
// each go to the stage's stats. The patterns are anchored so that version numbers (1.2.3, v1.2.3.4),
// dates (2023-06-01, 2023.06.01), times (12:30:45), decimals (3.14159265358) and long ids are left
// alone: a phone number needs a phone-like shape (a '+' country code, a Chinese mobile prefix,
// a (NNN) NNN-NNNN layout), an IP address must parse as one.
import { isIPv6 } from 'node:net';
import type { Doc, DocStage, StageResult } from '../types.js';
import { resolveOptions } from '../options/resolve.js';
import { boolean, string, type OptionSchema } from '../options/schema.js';
import { stageName, type StageOptions } from './options.js';

export interface PiiOptions extends StageOptions {
  emails: boolean;
  phones: boolean;
  ips: boolean;
  /**
   * Replace only public (globally routable) IP addresses, as datatrove does by default: private,
   * loopback, link-local and documentation addresses (192.168.1.1, 127.0.0.1, 10.0.0.0/8...)
   * identify no one and fill technical documentation.
   */
  onlyPublicIps: boolean;
  emailReplacement: string;
  phoneReplacement: string;
  ipReplacement: string;
}

export const PII_DEFAULTS: PiiOptions = {
  name: 'pii',
  emails: true,
  phones: true,
  ips: true,
  onlyPublicIps: true,
  emailReplacement: '<EMAIL>',
  phoneReplacement: '<PHONE>',
  ipReplacement: '<IP>',
};

// datatrove's email pattern (RFC 5322-ish local part, dotted domain or bracketed IP), made
// case-insensitive, and with a top-level domain that starts with a letter ("a@1.2" is not an email).
const EMAIL =
  /(?<![\w.!#$%&'*+/=?^`{|}~-])[a-z0-9!#$%&'*+/=?^_`{|}~-]+(?:\.[a-z0-9!#$%&'*+/=?^_`{|}~-]+)*@(?:(?:[a-z0-9](?:[a-z0-9-]*[a-z0-9])?\.)+[a-z](?:[a-z0-9-]*[a-z0-9])?|\[(?:(?:25[0-5]|2[0-4][0-9]|[01]?[0-9][0-9]?)\.){3}(?:25[0-5]|2[0-4][0-9]|[01]?[0-9][0-9]?)\])/gi;

const OCTET = '(?:25[0-5]|2[0-4][0-9]|1[0-9][0-9]|[1-9]?[0-9])';
// Four octets, not part of a longer dotted number (1.2.3.4.5) and not a version (v1.2.3.4,
// "version 1.2.3.4").
const IPV4 = new RegExp(`(?<![\\w.]|[vV]\\s?|(?:version|release|build|ver\\.)\\s)${OCTET}(?:\\.${OCTET}){3}(?![\\w]|\\.\\d)`, 'gi');
// Candidates: hex groups and colons (a dotted IPv4 tail allowed), then node's parser decides.
const IPV6 = /(?<![\w:.])(?:[0-9a-f]{0,4}:){2,7}(?:[0-9a-f]{1,4}|(?:\d{1,3}\.){3}\d{1,3})?(?![\w:])/gi;

// Phone numbers, each needing a shape that ordinary numbers do not have:
//  - Chinese mobile: optional +86 / 0086, then 1[3-9]X XXXX XXXX (spaces or dashes allowed);
//  - international: '+', a country code, then groups of digits (8 to 15 digits in all, E.164);
//  - North American: (NNN) NNN-NNNN or NNN-NNN-NNNN / NNN.NNN.NNNN;
//  - Chinese landline: 0NN(N)-NNNNNNN(N).
const PHONE = new RegExp(
  [
    '(?:(?:\\+|00)86[\\s-]?)?1[3-9]\\d[\\s-]?\\d{4}[\\s-]?\\d{4}',
    '\\+\\d{1,3}(?:[\\s.-]?\\(\\d{1,4}\\))?(?:[\\s.-]?\\d{1,4}){2,5}',
    '\\(\\d{3}\\)\\s?\\d{3}[\\s.-]\\d{4}',
    '\\d{3}([.-])\\d{3}\\1\\d{4}',
    '0\\d{2,3}-\\d{7,8}',
  ]
    .map((p) => `(?:${p})`)
    .join('|'),
  'g',
);
// No digit, dot-digit or word character may touch a phone number on either side.
const PHONE_BOUNDED = new RegExp(`(?<![\\w+.]|\\d[.,])(?:${PHONE.source})(?![\\w]|[.,]\\d)`, 'g');

function ipv4Parts(ip: string): number[] {
  return ip.split('.').map(Number);
}

/** Whether an IPv4 address is globally routable (Python's ipaddress is_global, simplified to its tables). */
export function isPublicIPv4(ip: string): boolean {
  const [a, b, c] = ipv4Parts(ip) as [number, number, number, number];
  if (a === 0 || a === 10 || a === 127 || a >= 224) return false; // this-network, private, loopback, multicast, reserved
  if (a === 100 && b >= 64 && b <= 127) return false; // shared address space (carrier NAT)
  if (a === 169 && b === 254) return false; // link-local
  if (a === 172 && b >= 16 && b <= 31) return false; // private
  if (a === 192 && b === 168) return false; // private
  if (a === 192 && b === 0 && (c === 0 || c === 2)) return false; // IETF protocol assignments, TEST-NET-1
  if (a === 198 && (b === 18 || b === 19)) return false; // benchmarking
  if (a === 198 && b === 51 && c === 100) return false; // TEST-NET-2
  if (a === 203 && b === 0 && c === 113) return false; // TEST-NET-3
  return true;
}

/** Whether an IPv6 address is global unicast (2000::/3), documentation (2001:db8::/32) excluded. */
export function isPublicIPv6(ip: string): boolean {
  if (ip.startsWith('::')) return false;
  const first = parseInt(ip.split(':')[0]!, 16);
  if (!(first >= 0x2000 && first <= 0x3fff)) return false;
  const second = parseInt(ip.split(':')[1] || '0', 16);
  return !(first === 0x2001 && second === 0x0db8);
}

function digits(s: string): number {
  let n = 0;
  for (let i = 0; i < s.length; i++) if (s.charCodeAt(i) >= 48 && s.charCodeAt(i) <= 57) n++;
  return n;
}

export interface PiiCounts {
  email: number;
  phone: number;
  ip: number;
}

/** The text with PII replaced, and how many of each kind were replaced. */
export function anonymize(text: string, o: Omit<PiiOptions, 'name'> = PII_DEFAULTS): { text: string; counts: PiiCounts } {
  const counts: PiiCounts = { email: 0, phone: 0, ip: 0 };
  // Emails first (their domain may be an IP), then IPs (before phones: dotted quads are not phones).
  if (o.emails) {
    text = text.replace(EMAIL, () => {
      counts.email++;
      return o.emailReplacement;
    });
  }
  if (o.ips) {
    text = text.replace(IPV6, (m) => {
      // At least two groups with content, so "a::b"-like scope operators and bare "::" stay.
      if (!isIPv6(m) || m.replace(/[^0-9a-f]/gi, '').length < 4) return m;
      if (o.onlyPublicIps && !isPublicIPv6(m.toLowerCase())) return m;
      counts.ip++;
      return o.ipReplacement;
    });
    text = text.replace(IPV4, (m) => {
      if (o.onlyPublicIps && !isPublicIPv4(m)) return m;
      counts.ip++;
      return o.ipReplacement;
    });
  }
  if (o.phones) {
    text = text.replace(PHONE_BOUNDED, (m) => {
      const d = digits(m);
      if (m.startsWith('+') && (d < 8 || d > 15)) return m;
      counts.phone++;
      return o.phoneReplacement;
    });
  }
  return { text, counts };
}

export const PII_SCHEMA: OptionSchema<PiiOptions> = {
  name: stageName,
  emails: boolean,
  phones: boolean,
  ips: boolean,
  onlyPublicIps: boolean,
  emailReplacement: string(),
  phoneReplacement: string(),
  ipReplacement: string(),
};

/** The `pii` transform. Counts: { email, phone, ip } replaced. */
export function pii(options?: Partial<PiiOptions>): DocStage {
  const o = resolveOptions('pii', PII_DEFAULTS, PII_SCHEMA, options);
  return {
    name: o.name,
    kind: 'transform',
    process(doc: Doc): StageResult {
      const r = anonymize(doc.text, o);
      const counts = { ...r.counts };
      return { keep: true, doc: r.text === doc.text ? doc : { ...doc, text: r.text }, counts };
    },
  };
}
