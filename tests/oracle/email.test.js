'use strict';
// Differential test: `scv normalize email` against the npm package normalize-email.
//
// What normalize-email does (index.js of 1.1.1, read before writing this): String
// toLowerCase() of the whole value (Unicode, not only ASCII); if the value does not split into
// exactly two parts at '@' it is returned unchanged; for gmail.com and live.com the local part
// loses its dots and everything from the first '+', for hotmail.com and outlook.com only the
// '+' part, and googlemail.com also becomes gmail.com. It does not trim and validates nothing.
//
// What scv does (src/normalize.c): trim (space, tab, CR, LF, NBSP), reject invalid addresses,
// lower-case ASCII letters only; with provider rules (an engine option, not exposed by the
// `scv` program) gmail.com and googlemail.com fold dots and +tags and become gmail.com.
//
// So the two are meant to agree on valid addresses, trimmed: without provider rules at every
// domain normalize-email does not fold; with provider rules also at gmail.com and googlemail.com;
// never (by design) where normalize-email folds hotmail.com, outlook.com and live.com. The
// provider-rule half uses the Node binding (bindings/node, needs SCV_LIBRARY and its koffi) and is
// skipped when that is not available. Deterministic; ORACLE_SEED=N explores other seeds.

const test = require('node:test');
const assert = require('node:assert/strict');
const path = require('node:path');
const normalizeEmail = require('normalize-email');
const { makeRng, suiteSeed, findScvCli, runScv, formatTable, pct } = require('./lib');

const REQUIRED_AGREEMENT = 0.99;
const COUNTS = { plain: 1200, gmail: 550, microsoft: 250, junk: 320 };

const FIRST = ['john', 'jane', 'anna', 'peter', 'maria', 'lukas', 'sophie', 'mohammed', 'li', 'olga',
  'pierre', 'giulia', 'jan', 'emma', 'noah', 'liam', 'sven', 'ines', 'carlos', 'aoife', 'raj', 'priya',
  'kim', 'ole', 'zofia', 'tiago', 'sean', 'mia', 'felix', 'chloe'];
const LAST = ['smith', 'doe', 'mueller', 'schmidt', 'dupont', 'rossi', 'garcia', 'jansen', 'peeters',
  'meier', 'gruber', 'andersson', 'hansen', 'nielsen', 'nowak', 'silva', 'murphy', 'brown', 'sharma',
  'santos', 'obrien', 'van-dijk', 'lefevre', 'kowalski', 'berg'];
const TAGS = ['news', 'shop', 'amazon', '2024', 'spam', 'promo', 'a.b', 'x', 'newsletter-de', 'crm'];
const PLAIN_DOMAINS = ['yahoo.com', 'yahoo.co.uk', 'aol.com', 'icloud.com', 'me.com', 'web.de', 'gmx.de',
  'gmx.net', 't-online.de', 'orange.fr', 'free.fr', 'libero.it', 'btinternet.com', 'proton.me',
  'fastmail.fm', 'yandex.ru', 'qq.com', '163.com', 'comcast.net', 'example.com', 'acme-corp.com',
  'mail.example.org', 'uni-heidelberg.de', 'company.co.uk', 'shop.example', 'xn--mnchen-3ya.de',
  'telenet.be', 'bluewin.ch', 'seznam.cz', 'wp.pl', 'sapo.pt', 'eircom.net', 'bigpond.com',
  'rediffmail.com', 'uol.com.br', 'gmail.de', 'mail.gmail.com', 'gmail.co', 'hotmail.de',
  'outlook.de', 'live.co.uk'];
const GMAIL_DOMAINS = ['gmail.com', 'gmail.com', 'gmail.com', 'googlemail.com'];
const MICROSOFT_DOMAINS = ['hotmail.com', 'outlook.com', 'live.com'];

// ---- generation ---------------------------------------------------------------------------

function localPart(rng) {
  const f = rng.pick(FIRST);
  const l = rng.pick(LAST);
  const m = rng.pick(FIRST);
  const n = String(rng.range(1, 99));
  const tag = rng.pick(TAGS);
  return rng.pick([
    `${f}.${l}`, `${f}.${l}`, `${f}${l}`, `${f}_${l}`, `${f[0]}.${l}`, `${f}.${l}${n}`, `${f}-${l}`,
    `${l}${f[0]}${n}`, `${f}.${m[0]}.${l}`, `${f}+${tag}`, `${f}.${l}+${tag}`,
    `${f}+${tag}+${rng.pick(TAGS)}`, `${f}${n}`, `${f}.${l}.${n}`, `${f}'${l}`, `${f}&${l}`,
    `${f}=${l}`, `${l}.${f}`, `${f}..${l}`,
  ]);
}

function recase(s, rng) {
  const mode = rng.weighted([['lower', 50], ['title', 25], ['upper', 10], ['mixed', 15]]);
  if (mode === 'lower') return s;
  if (mode === 'upper') return s.toUpperCase();
  if (mode === 'title') return s.replace(/(^|[._\-+'])([a-z])/g, (_, p, c) => p + c.toUpperCase());
  return [...s].map((c) => (rng.chance(0.3) ? c.toUpperCase() : c)).join('');
}

function recaseDomain(d, rng) {
  const mode = rng.weighted([['lower', 70], ['title', 15], ['upper', 15]]);
  if (mode === 'lower') return d;
  if (mode === 'upper') return d.toUpperCase();
  return d[0].toUpperCase() + d.slice(1);
}

// Padding both sides trim the same way: space, tab, NBSP (scv) and String.prototype.trim.
function pad(s, rng) {
  if (!rng.chance(0.2)) return s;
  const p = () => rng.pick(['', ' ', '  ', '\t', '\u00a0', ' \t']);
  return `${p()}${s}${p()}`;
}

function address(domains, rng) {
  return pad(`${recase(localPart(rng), rng)}@${recaseDomain(rng.pick(domains), rng)}`, rng);
}

// Invalid addresses, by what is wrong with them (scv's documented rules).
function junk(rng) {
  const ok = () => `${localPart(rng)}@${rng.pick(PLAIN_DOMAINS.concat(GMAIL_DOMAINS))}`;
  const local = () => localPart(rng);
  const dom = () => rng.pick(PLAIN_DOMAINS);
  const gens = [
    ['no @', () => ok().replace('@', rng.pick(['', ' at ', '(at)', '_at_']))],
    ['two @', () => `${local()}@${local()}@${dom()}`],
    ['space inside', () => { const a = ok(); const i = rng.range(1, a.length - 1); return `${a.slice(0, i)} ${a.slice(i)}`; }],
    ['empty local part', () => `@${dom()}`],
    ['empty domain', () => `${local()}@`],
    ['domain without dot', () => `${local()}@${rng.pick(['localhost', 'gmail', 'example', 'mailserver'])}`],
    ['domain ends with dot', () => `${local()}@${dom()}.`],
    ['domain starts with dot', () => `${local()}@.${dom()}`],
    ['double dot in domain', () => `${local()}@${dom().replace('.', '..')}`],
    ['invalid domain character', () => `${local()}@${dom().replace('.', rng.pick(['_', '!', ',', '/']) + 'x.')}`],
    ['IP literal domain', () => `${local()}@[192.168.${rng.range(0, 255)}.${rng.range(1, 254)}]`],
    ['quoted local with space', () => `"${rng.pick(FIRST)} ${rng.pick(LAST)}"@${dom()}`],
    ['local part > 64 bytes', () => `${'a'.repeat(rng.range(65, 80))}@${dom()}`],
    ['longer than 254 bytes', () => `${local()}@${'sub.'.repeat(rng.range(62, 70))}example.com`],
    ['control byte', () => { const a = ok(); const i = rng.range(1, a.length - 1); return `${a.slice(0, i)}\u0001${a.slice(i)}`; }],
    ['placeholder', () => rng.pick(['n/a', 'none', '-', '@', 'null', 'unknown', 'test', 'no email'])],
    ['mailto: or display name', () => rng.pick([`mailto:${ok()}`, `John Doe <${ok()}>`, `<${ok()}>`])],
    ['comma-separated list', () => `${ok()},${ok()}`],
  ];
  const [what, gen] = rng.pick(gens);
  return { input: gen(), what };
}

// Edge inputs outside the scope where both are meant to agree: listed, not scored.
const EDGES = [
  ['non-ASCII upper case (scv folds ASCII only)', 'ÄNNE.MÜLLER@WEB.DE'],
  ['non-ASCII upper case in domain', 'jan@MÜNCHEN.DE'],
  ['dotted capital I (toLowerCase adds U+0307)', 'İNCİ@example.com'],
  ['already lower-case non-ASCII', 'jörg@münchen.de'],
  ['VT padding (String.trim removes it; scv rejects)', '\u000bjohn@example.com'],
  ['FF padding', 'john@example.com\u000c'],
  ['ideographic space padding (String.trim removes it)', '\u3000john@example.com'],
  ['Gmail local part empty after folding', '+news@gmail.com'],
  ['Gmail local part of dots only', '...@gmail.com'],
  ['Gmail with a dot right before +', 'john.+x@gmail.com'],
  ['upper-case GOOGLEMAIL domain', 'J.DOE@GOOGLEMAIL.COM'],
  ['hotmail +tag', 'John.Doe+news@Hotmail.com'],
  ['outlook +tag', 'jane+shop@outlook.com'],
  ['live.com dots and +tag', 'j.doe+x@live.com'],
  ['gmail.com with trailing dot', 'john@gmail.com.'],
  ['local part with double dot', 'john..doe@example.com'],
  ['local part starting with a dot', '.john@example.com'],
  ['RFC 5322 comment', 'john(comment)@example.com'],
];

function buildCases(seed) {
  const rng = makeRng(seed);
  const cases = [];
  for (let i = 0; i < COUNTS.plain; i++) cases.push({ set: 'plain', input: address(PLAIN_DOMAINS, rng) });
  for (let i = 0; i < COUNTS.gmail; i++) cases.push({ set: 'gmail', input: address(GMAIL_DOMAINS, rng) });
  for (let i = 0; i < COUNTS.microsoft; i++) cases.push({ set: 'microsoft', input: address(MICROSOFT_DOMAINS, rng) });
  for (let i = 0; i < COUNTS.junk; i++) cases.push({ set: 'junk', ...junk(rng) });
  for (const [what, input] of EDGES) cases.push({ set: 'edge', input, what });
  for (const c of cases) {
    c.domain = c.input.trim().split('@').pop().toLowerCase();
    c.ref = normalizeEmail(c.input.trim());
  }
  return cases;
}

/** The Node binding with and without provider rules, or a reason it cannot be used. */
function loadBinding() {
  if (!process.env.SCV_LIBRARY) return { reason: 'SCV_LIBRARY is not set' };
  try {
    const { Engine } = require(path.resolve(__dirname, '..', '..', 'bindings', 'node'));
    return { rules: new Engine({ emailProviderRules: true }), plain: new Engine() };
  } catch (err) {
    return { reason: `the Node binding cannot be loaded: ${err.message.split('\n')[0]}` };
  }
}

// ---- reporting ----------------------------------------------------------------------------

function report(title, cases, out, inScope) {
  const sets = ['plain', 'gmail', 'microsoft', 'junk', 'edge'];
  const rows = [['set', 'inputs', 'scv accepts', 'same as normalize-email', 'agree%', 'in scope', 'in-scope agree%']];
  let scopeN = 0;
  let scopeOk = 0;
  for (const s of sets) {
    const list = cases.filter((c) => c.set === s);
    const acc = list.filter((c) => out(c) !== '').length;
    const same = list.filter((c) => out(c) === c.ref).length;
    const scope = list.filter(inScope);
    const ok = scope.filter((c) => out(c) === c.ref).length;
    scopeN += scope.length;
    scopeOk += ok;
    rows.push([s, list.length, acc, same, pct(same, list.length), scope.length, pct(ok, scope.length)]);
  }
  const all = cases.length;
  rows.push(['ALL', all, cases.filter((c) => out(c) !== '').length, cases.filter((c) => out(c) === c.ref).length,
    pct(cases.filter((c) => out(c) === c.ref).length, all), scopeN, pct(scopeOk, scopeN)]);
  console.log(`\n${title}\n`);
  console.log(formatTable(rows));
  return { scopeN, scopeOk };
}

function byDomain(cases, out, sets) {
  const m = new Map();
  for (const c of cases.filter((x) => sets.includes(x.set))) {
    const e = m.get(c.domain) || { n: 0, ok: 0 };
    e.n++;
    if (out(c) === c.ref) e.ok++;
    m.set(c.domain, e);
  }
  const rows = [['domain', 'inputs', 'same', 'agree%']];
  for (const [d, e] of [...m.entries()].sort((a, b) => b[1].n - a[1].n)) rows.push([d, e.n, e.ok, pct(e.ok, e.n)]);
  return formatTable(rows);
}

function differences(cases, out, filter, limit = 4) {
  const cats = new Map();
  for (const c of cases.filter((x) => filter(x) && out(x) !== x.ref)) {
    const key = `${c.set}${c.what ? ` | ${c.what}` : ` | ${c.domain}`} | ${out(c) === '' ? 'scv rejects' : 'different value'}`;
    const e = cats.get(key) || { n: 0, ex: [] };
    e.n++;
    if (e.ex.length < limit) e.ex.push(`${JSON.stringify(c.input)} scv=${out(c) || '(rejected)'} normalize-email=${JSON.stringify(c.ref)}`);
    cats.set(key, e);
  }
  const lines = [];
  for (const [k, e] of [...cats.entries()].sort((a, b) => b[1].n - a[1].n)) {
    lines.push(`${k}: ${e.n}`);
    for (const x of e.ex) lines.push(`    ${x}`);
  }
  return lines.join('\n');
}

// ---- tests --------------------------------------------------------------------------------

const seed = suiteSeed(20240612);
const cases = buildCases(seed);
const cli = findScvCli();
let cliOut = null;

test('scv normalize email (program, no provider rules) agrees with normalize-email where both apply', (t) => {
  if (!cli) {
    t.skip('SCV_CLI is not set and no built scv was found');
    return;
  }
  const outs = runScv(cli, ['normalize', 'email'], cases.map((c) => c.input));
  cases.forEach((c, i) => { c.scv = outs[i]; });
  cliOut = outs;
  const out = (c) => c.scv;
  // In scope: valid addresses at domains normalize-email does not fold.
  const inScope = (c) => c.set === 'plain';
  console.log(`\ne-mail: scv vs normalize-email ${require('normalize-email/package.json').version} (seed ${seed})`);
  const { scopeN, scopeOk } = report('scv normalize email (no provider rules)', cases, out, inScope);
  console.log('\nby domain (plain, gmail and microsoft sets)\n');
  console.log(byDomain(cases, out, ['plain', 'gmail', 'microsoft']));
  console.log('\ndifferences (set | category | kind): count, examples\n');
  console.log(differences(cases, out, () => true));
  assert.ok(scopeN >= 1000, `only ${scopeN} in-scope addresses`);
  assert.ok(scopeOk / scopeN >= REQUIRED_AGREEMENT, `in-scope agreement ${pct(scopeOk, scopeN)} < 99%`);
  // Every generated valid address is accepted, every junk input rejected (scv's own rules).
  const validRejected = cases.filter((c) => ['plain', 'gmail', 'microsoft'].includes(c.set) && c.scv === '');
  assert.deepEqual(validRejected.map((c) => c.input), [], 'valid addresses rejected');
});

test('scv with e-mail provider rules (Node binding) agrees with normalize-email on Gmail', (t) => {
  const b = loadBinding();
  if (b.reason) {
    t.skip(`provider rules are an engine option the scv program does not expose; ${b.reason}`);
    return;
  }
  const norm = (engine, v) => engine.normalize('email', v) ?? '';
  for (const c of cases) {
    c.rules = norm(b.rules, c.input);
    c.plainBinding = norm(b.plain, c.input);
  }
  // The binding without provider rules gives what the program gives.
  if (cliOut) {
    const mismatch = cases.filter((c) => c.plainBinding !== c.scv);
    assert.deepEqual(mismatch.map((c) => c.input), [], 'binding and program differ');
  }
  const out = (c) => c.rules;
  // In scope: valid addresses except at the Microsoft domains (scv folds Gmail only).
  const inScope = (c) => c.set === 'plain' || c.set === 'gmail';
  const { scopeN, scopeOk } = report('scv with provider rules (Node binding)', cases, out, inScope);
  console.log('\nby domain (gmail and microsoft sets)\n');
  console.log(byDomain(cases, out, ['gmail', 'microsoft']));
  console.log('\ndifferences with provider rules, outside the junk set\n');
  console.log(differences(cases, out, (c) => c.set !== 'junk'));
  const gmail = cases.filter((c) => c.set === 'gmail');
  const gmailOk = gmail.filter((c) => c.rules === c.ref).length;
  assert.ok(gmailOk / gmail.length >= REQUIRED_AGREEMENT, `Gmail agreement ${pct(gmailOk, gmail.length)} < 99%`);
  assert.ok(scopeOk / scopeN >= REQUIRED_AGREEMENT, `in-scope agreement ${pct(scopeOk, scopeN)} < 99%`);
});

// Suspected scv bug, reported (README.md): invisible or space characters other than NBSP are
// neither trimmed nor rejected, so "john@example.com" and "john@example.com<U+200B>" become two
// different identifiers. Marked todo until src/normalize.c is changed.
test('suspected bug: Unicode spaces and invisible characters pass e-mail validation', { todo: 'reported, see README.md' }, () => {
  assert.ok(cli, 'no scv program');
  const inputs = ['john@example.com\u3000', 'john@example.com\u200b', '\ufeffjohn@example.com',
    'jo\u2002hn@example.com', 'john@exam\u200bple.com'];
  const outs = runScv(cli, ['normalize', 'email'], inputs);
  outs.forEach((o, i) => {
    assert.ok(o === '' || o === 'john@example.com', `${JSON.stringify(inputs[i])} -> ${JSON.stringify(o)}`);
  });
});
