#!/usr/bin/env node
// render.js renders API Gateway (REST API) mapping templates with velocityjs, a JavaScript
// implementation of Apache Velocity, and the variables API Gateway provides, so that the
// templates of package vtl can be executed in tests without an AWS account.
//
// Input on stdin: one job object, or an array of jobs (one process renders many):
//   {
//     "template": "...",        // the template text
//     "mode": "request",        // request | response: a VTL mapping template ($input is the
//                               //   method request, or the integration response, body);
//                               // gateway | accesslog: simple $context substitution, no VTL
//     "body": "...",            // $input.body (raw text)
//     "headers": {"Origin": "https://..."},   // $input.params().header (names as sent)
//     "querystring": {}, "path": {},          // $input.params().querystring / .path
//     "context": {"requestId": "..."},        // $context (nested objects for error.*, etc.)
//     "stageVariables": {},
//     "nulls": "literal"        // literal: a null reference renders as its own text (Velocity's
//                               //   default) and a JSONPath that matches nothing is null;
//                               // empty: a null reference renders as "" and such a path gives ""
//   }
// Output on stdout: one result per job (an array for an array):
//   {"output": "...", "status": "429" | null, "headers": {"Retry-After": "1"},
//    "requestOverride": {...}, "warnings": [...], "error": "..." }
// status and headers are what the template set through $context.responseOverride. warnings
// name every place where the template relied on behaviour that differs between engines or is
// likely a mistake (a null reference rendered, a #set skipped because its value was null, a
// method Java does not have). error is set when API Gateway would fail the request instead
// of rendering (a Java exception in a method, an override set twice, a body that is not JSON).
//
// Where this emulation may differ from API Gateway is listed in GAPS below; keep it current.
'use strict';

const fs = require('fs');
const path = require('path');

// GAPS: known or possible differences from API Gateway. Printed by `node render.js --gaps`.
const GAPS = [
  'Engine: velocityjs 2.1.7 parses the templates, not Apache Velocity 1.7. Expression ' +
    'semantics (#if truthiness, ==, arithmetic, #set with a null value, property and method ' +
    'lookup) are re-implemented below with Velocity 1.7 rules; parsing and whitespace are ' +
    'velocityjs\'s. Velocity 1.7 keeps or eats the newline after a directive differently, so ' +
    'outputs may differ in whitespace between tokens (never inside a rendered value).',
  'Constructs that velocityjs cannot parse (e.g. "$sep{" right after a reference) fail here even ' +
    'where Velocity 1.7 might accept them; the formal ${ref} form parses in both. velocityjs drops ' +
    'the backslash of every \\$ (Velocity keeps it before text that is not a reference): the ' +
    'templates use no \\$.',
  'Null references: Velocity renders a non-quiet null reference as its own text; whether API ' +
    'Gateway does is not documented. Jobs can render in both ways (nulls: literal | empty) and ' +
    'every such reference is reported in warnings, so a template can be proven not to depend on it.',
  'Numbers: JSON numbers become JavaScript doubles. Java keeps 1.0 as a Double (rendered "1.0") ' +
    'and 1 as an Integer; here both render "1". Integers beyond 2^53 lose precision here.',
  'Maps keep JSON key order, except that JavaScript puts integer-like keys first (keySet order).',
  '$input.path and $input.json support the JSONPath subset $, .name, [\'name\'], ["name"], [n], ' +
    '[-n], [*] and .*; anything else fails loudly. API Gateway does not document its answer for a ' +
    'path that matches nothing: it is null with nulls=literal and "" with nulls=empty.',
  '$input.path/$input.json on a body that is not JSON fail the job (API Gateway answers 400 ' +
    '"Could not parse request body into json" for requests; for integration responses an error).',
  '$input.params(x) searches path, query string, then headers, by exact (case-sensitive) name; ' +
    'header names keep the case the job gives. Whether API Gateway normalises header-name case ' +
    'in $input.params() is not documented: test both "Origin" and "origin". A missing ' +
    'parameter gives "" from $input.params(x) here.',
  '$util.escapeJavaScript follows Apache commons-lang StringEscapeUtils.escapeJavaScript (2.6), ' +
    'which gives the same output as commons-lang3 escapeEcmaScript: \\\' \\" \\\\ \\/ \\b \\t \\n ' +
    '\\f \\r, other controls and every char above 0x7E as \\uXXXX (upper-case hex, UTF-16 units); ' +
    'DEL (0x7F) is kept. API Gateway does not say which library it uses.',
  '$util.base64Encode encodes the UTF-8 bytes of the string (standard alphabet, padded, no line ' +
    'breaks). A lone UTF-16 surrogate becomes U+FFFD here and "?" in Java.',
  '$util.urlEncode/urlDecode follow java.net.URLEncoder/URLDecoder with UTF-8.',
  'Java regular expressions (replaceAll, matches, split) run as JavaScript RegExps: the common ' +
    'syntax agrees; possessive quantifiers, \\p{javaX} classes and embedded flags other than (?i) ' +
    'are rejected rather than emulated. Replacement strings use Java rules ($n, \\ escapes).',
  'Methods: only the Java methods of String, List, Map, Number and Boolean implemented below are ' +
    'callable; a JavaScript-only method (e.g. join) is reported as a warning, as Velocity would ' +
    'leave the reference unrendered.',
  'Gateway responses and access logs: API Gateway substitutes $context variables without VTL. ' +
    'Here every variable used must be given in the job (else the job fails), and values are ' +
    'inserted exactly as given: the job must give them as API Gateway would (for example ' +
    'error.messageString already quoted, validationErrorString with its quotes escaped). Whether ' +
    'API Gateway escapes other characters (backslashes, a user agent\'s quotes) in these values ' +
    'is not documented.',
  '$context.responseOverride: setting the same override twice fails the job, as the AWS guide ' +
    'says API Gateway answers 5XX. Headers set here are reported as set; API Gateway may also ' +
    'require them to be declared as method response headers.',
];

function moduleRoot(start) {
  let dir = start;
  for (;;) {
    if (fs.existsSync(path.join(dir, 'go.mod'))) return dir;
    const up = path.dirname(dir);
    if (up === dir) throw new Error('render.js: no go.mod above ' + start);
    dir = up;
  }
}

function loadVelocity() {
  const root = moduleRoot(__dirname);
  const from = path.join(root, 'tools', 'standins');
  return require(require.resolve('velocityjs', { paths: [from] }));
}

// ---------------------------------------------------------------------------------------------
// Java value model: string = java.lang.String, number = Integer/Double, boolean = Boolean,
// null/undefined = null, Array = java.util.List, plain object = java.util.Map. Objects API
// Gateway provides ($input, $util, $context) are host objects whose own methods are callable.

const HOST = Symbol('host');
const host = (o) => Object.defineProperty(o, HOST, { value: true });
const isNull = (v) => v === null || v === undefined;
const isMap = (v) => typeof v === 'object' && v !== null && !Array.isArray(v) && !v[HOST];

class JavaError extends Error {}

function typeName(v) {
  if (isNull(v)) return 'null';
  if (typeof v === 'string') return 'java.lang.String';
  if (typeof v === 'number') return Number.isInteger(v) ? 'java.lang.Integer' : 'java.lang.Double';
  if (typeof v === 'boolean') return 'java.lang.Boolean';
  if (Array.isArray(v)) return 'java.util.ArrayList';
  if (v[HOST]) return 'API Gateway object';
  return 'java.util.LinkedHashMap';
}

// toString as Java (and Velocity's rendering of a value) would give it.
function javaString(v) {
  if (isNull(v)) return 'null';
  if (Array.isArray(v)) return '[' + v.map(javaString).join(', ') + ']';
  if (isMap(v)) return '{' + Object.keys(v).map((k) => k + '=' + javaString(v[k])).join(', ') + '}';
  return String(v);
}

function javaEquals(a, b) {
  if (isNull(a) || isNull(b)) return isNull(a) && isNull(b);
  if (typeof a === 'number' && typeof b === 'number') return a === b;
  if (Array.isArray(a) && Array.isArray(b)) return a.length === b.length && a.every((x, i) => javaEquals(x, b[i]));
  if (isMap(a) && isMap(b)) {
    const ka = Object.keys(a);
    return ka.length === Object.keys(b).length && ka.every((k) => Object.prototype.hasOwnProperty.call(b, k) && javaEquals(a[k], b[k]));
  }
  return a === b;
}

// Velocity 1.7 ==: nulls equal only each other; numbers by value; values of different
// classes by their toString().
function velocityEquals(a, b) {
  if (isNull(a) || isNull(b)) return isNull(a) && isNull(b);
  if (typeof a === 'number' && typeof b === 'number') return a === b;
  if (typeName(a) === typeName(b)) return javaEquals(a, b);
  return javaString(a) === javaString(b);
}

// Velocity 1.7 #if: null and false are false; everything else (also "" and 0) is true.
const truthy = (v) => !isNull(v) && v !== false;

function javaRegex(re, flags) {
  if (typeof re !== 'string') throw new JavaError('regex must be a String');
  if (/[*+?}]\+/.test(re) || /\\p\{java/.test(re) || /\(\?[a-hj-z]/.test(re)) {
    throw new JavaError('render.js: Java regex feature not emulated in ' + JSON.stringify(re));
  }
  let f = flags || '';
  let src = re;
  if (src.startsWith('(?i)')) {
    src = src.slice(4);
    f += 'i';
  }
  try {
    return new RegExp(src, f + 'u');
  } catch (e) {
    try {
      return new RegExp(src, f);
    } catch (e2) {
      throw new JavaError('PatternSyntaxException: ' + e2.message);
    }
  }
}

// Java Matcher.appendReplacement rules: \x is a literal x, $n is group n.
function javaReplacement(rep) {
  if (typeof rep !== 'string') throw new JavaError('replacement must be a String');
  return (...m) => {
    let out = '';
    for (let i = 0; i < rep.length; i++) {
      const c = rep[i];
      if (c === '\\') {
        i++;
        if (i >= rep.length) throw new JavaError('IllegalArgumentException: character to be escaped is missing');
        out += rep[i];
      } else if (c === '$') {
        let j = i + 1;
        if (j >= rep.length || !/[0-9]/.test(rep[j])) throw new JavaError('IllegalArgumentException: Illegal group reference');
        let n = rep[j];
        while (j + 1 < rep.length && /[0-9]/.test(rep[j + 1]) && Number(n + rep[j + 1]) < m.length - 2) n += rep[++j];
        const g = Number(n);
        if (g >= m.length - 2) throw new JavaError('IndexOutOfBoundsException: No group ' + g);
        out += m[g] === undefined ? '' : m[g];
        i = j;
      } else {
        out += c;
      }
    }
    return out;
  };
}

function checkIndex(i, len, what) {
  if (!Number.isInteger(i) || i < 0 || i >= len) throw new JavaError(`IndexOutOfBoundsException: ${what} ${i}, size ${len}`);
}

const str = (v) => typeof v === 'string';
// Each method: [argument check, implementation]. A failed check is "no such method".
const stringMethods = {
  length: [(a) => a.length === 0, (s) => s.length],
  isEmpty: [(a) => a.length === 0, (s) => s.length === 0],
  contains: [(a) => a.length === 1 && (str(a[0]) || isNull(a[0])), (s, x) => {
    if (isNull(x)) throw new JavaError('NullPointerException: contains(null)');
    return s.includes(x);
  }],
  startsWith: [(a) => str(a[0]) && (a.length === 1 || (a.length === 2 && Number.isInteger(a[1]))), (s, x, off) => s.startsWith(x, off || 0)],
  endsWith: [(a) => a.length === 1 && str(a[0]), (s, x) => s.endsWith(x)],
  equals: [(a) => a.length === 1, (s, x) => s === x],
  equalsIgnoreCase: [(a) => a.length === 1, (s, x) => str(x) && s.toLowerCase() === x.toLowerCase()],
  indexOf: [(a) => str(a[0]) && a.length <= 2, (s, x, from) => s.indexOf(x, from || 0)],
  lastIndexOf: [(a) => a.length === 1 && str(a[0]), (s, x) => s.lastIndexOf(x)],
  substring: [(a) => a.length >= 1 && a.length <= 2 && a.every(Number.isInteger), (s, b, e) => {
    const end = e === undefined ? s.length : e;
    if (b < 0 || end > s.length || b > end) throw new JavaError(`StringIndexOutOfBoundsException: begin ${b}, end ${end}, length ${s.length}`);
    return s.substring(b, end);
  }],
  charAt: [(a) => a.length === 1 && Number.isInteger(a[0]), (s, i) => {
    checkIndex(i, s.length, 'index');
    return s[i];
  }],
  toLowerCase: [(a) => a.length === 0, (s) => s.toLowerCase()],
  toUpperCase: [(a) => a.length === 0, (s) => s.toUpperCase()],
  trim: [(a) => a.length === 0, (s) => s.replace(/^[\x00-\x20]+|[\x00-\x20]+$/g, '')],
  concat: [(a) => a.length === 1 && str(a[0]), (s, x) => s + x],
  replace: [(a) => a.length === 2 && str(a[0]) && str(a[1]), (s, x, y) => s.split(x).join(y)],
  replaceAll: [(a) => a.length === 2 && str(a[0]) && str(a[1]), (s, re, rep) => s.replace(javaRegex(re, 'g'), javaReplacement(rep))],
  replaceFirst: [(a) => a.length === 2 && str(a[0]) && str(a[1]), (s, re, rep) => s.replace(javaRegex(re, ''), javaReplacement(rep))],
  matches: [(a) => a.length === 1 && str(a[0]), (s, re) => javaRegex('^(?:' + re + ')$').test(s)],
  split: [(a) => str(a[0]) && (a.length === 1 || (a.length === 2 && Number.isInteger(a[1]))), (s, re, limit) => {
    const parts = [];
    const rx = javaRegex(re, 'g');
    let last = 0;
    let m;
    if (s === '') return [''];
    while ((m = rx.exec(s)) !== null) {
      if (limit > 0 && parts.length === limit - 1) break;
      if (m[0] === '' && (m.index === 0 || m.index >= s.length)) {
        rx.lastIndex++;
        continue;
      }
      parts.push(s.slice(last, m.index));
      last = m.index + m[0].length;
      if (m[0] === '') rx.lastIndex++;
    }
    parts.push(s.slice(last));
    if (!limit) while (parts.length > 1 && parts[parts.length - 1] === '') parts.pop();
    return parts;
  }],
  toString: [(a) => a.length === 0, (s) => s],
};
const listMethods = {
  size: [(a) => a.length === 0, (l) => l.length],
  isEmpty: [(a) => a.length === 0, (l) => l.length === 0],
  get: [(a) => a.length === 1 && Number.isInteger(a[0]), (l, i) => {
    checkIndex(i, l.length, 'Index');
    return l[i];
  }],
  contains: [(a) => a.length === 1, (l, x) => l.some((e) => javaEquals(e, x))],
  indexOf: [(a) => a.length === 1, (l, x) => l.findIndex((e) => javaEquals(e, x))],
  add: [(a) => a.length === 1, (l, x) => {
    l.push(x);
    return true;
  }],
  toString: [(a) => a.length === 0, (l) => javaString(l)],
};
const mapMethods = {
  get: [(a) => a.length === 1, (m, k) => (Object.prototype.hasOwnProperty.call(m, k) ? m[k] : null)],
  containsKey: [(a) => a.length === 1, (m, k) => Object.prototype.hasOwnProperty.call(m, k)],
  keySet: [(a) => a.length === 0, (m) => Object.keys(m)],
  values: [(a) => a.length === 0, (m) => Object.values(m)],
  entrySet: [(a) => a.length === 0, (m) => Object.keys(m).map((key) => ({ key, value: m[key] }))],
  size: [(a) => a.length === 0, (m) => Object.keys(m).length],
  isEmpty: [(a) => a.length === 0, (m) => Object.keys(m).length === 0],
  put: [(a) => a.length === 2, (m, k, v) => {
    const old = Object.prototype.hasOwnProperty.call(m, k) ? m[k] : null;
    m[k] = v;
    return old;
  }],
  toString: [(a) => a.length === 0, (m) => javaString(m)],
};
const numberMethods = {
  toString: [(a) => a.length === 0, (n) => String(n)],
  intValue: [(a) => a.length === 0, (n) => Math.trunc(n)],
  longValue: [(a) => a.length === 0, (n) => Math.trunc(n)],
  doubleValue: [(a) => a.length === 0, (n) => n],
  equals: [(a) => a.length === 1, (n, x) => n === x],
};
const booleanMethods = {
  toString: [(a) => a.length === 0, (b) => String(b)],
  booleanValue: [(a) => a.length === 0, (b) => b],
  equals: [(a) => a.length === 1, (b, x) => b === x],
};

function methodTable(v) {
  if (typeof v === 'string') return stringMethods;
  if (typeof v === 'number') return numberMethods;
  if (typeof v === 'boolean') return booleanMethods;
  if (Array.isArray(v)) return listMethods;
  if (isMap(v)) return mapMethods;
  return null;
}

// Velocity property lookup ($x.name): getName()/isName() on objects, get("name") on maps.
function javaProperty(base, name) {
  if (isNull(base)) return undefined;
  if (base[HOST]) return Object.prototype.hasOwnProperty.call(base, name) && typeof base[name] !== 'function' ? base[name] : undefined;
  if (isMap(base)) return Object.prototype.hasOwnProperty.call(base, name) ? base[name] : undefined;
  const table = methodTable(base);
  const cap = name.charAt(0).toUpperCase() + name.slice(1);
  for (const m of ['get' + cap, 'is' + cap, name === 'empty' ? 'isEmpty' : null]) {
    if (m && table && table[m] && table[m][0]([])) return table[m][1](base);
  }
  return undefined;
}

// ---------------------------------------------------------------------------------------------
// JSONPath (the subset the templates need).

function parseJsonPath(p) {
  if (typeof p !== 'string' || p[0] !== '$') throw new JavaError('render.js: JSONPath must start with $: ' + JSON.stringify(p));
  const steps = [];
  let i = 1;
  while (i < p.length) {
    let m;
    const rest = p.slice(i);
    if ((m = /^\.([A-Za-z_$][A-Za-z0-9_$-]*)/.exec(rest))) steps.push({ key: m[1] });
    else if ((m = /^\.\*/.exec(rest)) || (m = /^\[\*\]/.exec(rest))) steps.push({ all: true });
    else if ((m = /^\[(-?[0-9]+)\]/.exec(rest))) steps.push({ index: Number(m[1]) });
    else if ((m = /^\['([^'\\]*)'\]/.exec(rest)) || (m = /^\["([^"\\]*)"\]/.exec(rest))) steps.push({ key: m[1] });
    else throw new JavaError('render.js: JSONPath syntax not emulated: ' + JSON.stringify(p));
    i += m[0].length;
  }
  return steps;
}

function evalJsonPath(doc, p) {
  const steps = parseJsonPath(p);
  let nodes = [doc];
  let definite = true;
  for (const s of steps) {
    const next = [];
    for (const n of nodes) {
      if (s.all) {
        definite = false;
        if (Array.isArray(n)) next.push(...n);
        else if (isMap(n)) next.push(...Object.values(n));
      } else if (s.index !== undefined) {
        if (Array.isArray(n)) {
          const i = s.index < 0 ? n.length + s.index : s.index;
          if (i >= 0 && i < n.length) next.push(n[i]);
        }
      } else if (isMap(n) && Object.prototype.hasOwnProperty.call(n, s.key)) {
        next.push(n[s.key]);
      }
    }
    nodes = next;
  }
  if (!definite) return nodes;
  return nodes.length ? nodes[0] : undefined;
}

// ---------------------------------------------------------------------------------------------
// $util

function escapeJavaScript(s) {
  let out = '';
  for (let i = 0; i < s.length; i++) {
    const c = s.charCodeAt(i);
    const hex = c.toString(16).toUpperCase();
    if (c > 0x7f) out += '\\u' + hex.padStart(4, '0');
    else if (c < 32) {
      const named = { 8: '\\b', 9: '\\t', 10: '\\n', 12: '\\f', 13: '\\r' }[c];
      out += named || '\\u' + hex.padStart(4, '0');
    } else {
      const ch = s[i];
      out += { "'": "\\'", '"': '\\"', '\\': '\\\\', '/': '\\/' }[ch] || ch;
    }
  }
  return out;
}

function urlEncode(s) {
  let out = '';
  for (const b of Buffer.from(s, 'utf8')) {
    const ch = String.fromCharCode(b);
    if (/[A-Za-z0-9.\-*_]/.test(ch)) out += ch;
    else if (ch === ' ') out += '+';
    else out += '%' + b.toString(16).toUpperCase().padStart(2, '0');
  }
  return out;
}

function urlDecode(s) {
  const bytes = [];
  for (let i = 0; i < s.length; i++) {
    const ch = s[i];
    if (ch === '+') bytes.push(0x20);
    else if (ch === '%') {
      const h = s.slice(i + 1, i + 3);
      if (!/^[0-9A-Fa-f]{2}$/.test(h)) throw new JavaError('IllegalArgumentException: URLDecoder: Illegal hex characters in escape (%) pattern');
      bytes.push(parseInt(h, 16));
      i += 2;
    } else bytes.push(...Buffer.from(ch, 'utf8'));
  }
  return Buffer.from(bytes).toString('utf8');
}

function makeUtil(warn) {
  const stringArg = (name, fn) => (...a) => {
    if (a.length !== 1 || !(str(a[0]) || isNull(a[0]))) {
      warn(`$util.${name}(${a.map(typeName).join(', ')}): no such method (takes one String)`);
      return undefined;
    }
    return isNull(a[0]) ? undefined : fn(a[0]);
  };
  return host({
    escapeJavaScript: stringArg('escapeJavaScript', escapeJavaScript),
    base64Encode: stringArg('base64Encode', (s) => Buffer.from(s, 'utf8').toString('base64')),
    base64Decode: stringArg('base64Decode', (s) => {
      if (!/^[A-Za-z0-9+/]*={0,2}$/.test(s) || s.length % 4 === 1) throw new JavaError('IllegalArgumentException: not base64: ' + JSON.stringify(s.slice(0, 40)));
      return Buffer.from(s, 'base64').toString('utf8');
    }),
    parseJson: stringArg('parseJson', (s) => {
      try {
        return JSON.parse(s);
      } catch (e) {
        throw new JavaError('parseJson: ' + e.message);
      }
    }),
    urlEncode: stringArg('urlEncode', urlEncode),
    urlDecode: stringArg('urlDecode', urlDecode),
  });
}

function makeInput(job) {
  const body = job.body === undefined ? '' : String(job.body);
  const missing = job.nulls === 'empty' ? '' : undefined;
  let doc;
  let parsed = false;
  const root = () => {
    if (!parsed) {
      try {
        doc = JSON.parse(body);
      } catch (e) {
        throw new JavaError('Could not parse payload into json: ' + e.message);
      }
      parsed = true;
    }
    return doc;
  };
  const params = {
    path: { ...(job.path || {}) },
    querystring: { ...(job.querystring || {}) },
    header: { ...(job.headers || {}) },
  };
  return host({
    body,
    // A path that matches nothing gives null, or "" with nulls=empty: API Gateway documents
    // neither, so templates are tested with both.
    path(p) {
      const r = evalJsonPath(root(), p);
      if (r === undefined) return missing;
      return structuredClone(r);
    },
    json(p) {
      const r = evalJsonPath(root(), p);
      return r === undefined ? missing : JSON.stringify(r);
    },
    params(name) {
      if (name === undefined) return structuredClone(params);
      for (const where of ['path', 'querystring', 'header']) {
        if (Object.prototype.hasOwnProperty.call(params[where], name)) return params[where][name];
      }
      return '';
    },
  });
}

// Override maps that remember what was set and refuse a second set of the same name.
function overrides(kind, names, fail) {
  const set = {};
  const record = (obj, label) =>
    new Proxy(obj, {
      set(target, key, value) {
        const name = label ? label + '.' + String(key) : String(key);
        if (Object.prototype.hasOwnProperty.call(set, name)) fail(`$context.${kind}.${name} overridden twice: API Gateway answers 5XX`);
        set[name] = value;
        target[key] = value;
        return true;
      },
    });
  const o = {};
  for (const n of names) o[n] = record({}, n);
  return { proxy: record(o, ''), set };
}

// ---------------------------------------------------------------------------------------------
// The engine: velocityjs's Compile with Velocity 1.7 semantics where they differ.

const velocity = loadVelocity();
const BLOCKED = new Set(['__proto__', 'constructor', 'prototype']);

class GatewayCompile extends velocity.Compile {
  constructor(asts, warn) {
    super(asts, { escape: false });
    this.warn = warn;
  }

  refText(ast) {
    return velocity.Helper.getRefText(ast);
  }

  getReferences(ast, isVal) {
    const quiet = ast.leader === '$!';
    let ret = BLOCKED.has(ast.id) ? undefined : this.context[ast.id];
    const local = this.getLocal(ast);
    if (local.isLocal) ret = local.value;
    else if (ast.args !== undefined) ret = isNull(ret) ? undefined : this.getPropMethod(ast, this.context, ast);
    for (const property of ast.path || []) {
      if (isNull(ret)) {
        ret = undefined;
        break;
      }
      ret = this.getAttributes(property, ret, ast);
    }
    if (isVal && isNull(ret)) {
      if (!quiet) this.warn(`null reference ${this.refText(ast)} rendered (as its text in Velocity, maybe as "" in API Gateway): use $! or check it`);
      return this.silence || quiet ? '' : this.refText(ast);
    }
    if (isVal) return javaString(ret);
    return ret;
  }

  getAttributes(property, base, ast) {
    if (isNull(base)) return undefined;
    if (property.type === 'method') return this.getPropMethod(property, base, ast);
    if (property.type === 'property') {
      if (BLOCKED.has(property.id)) return undefined;
      return javaProperty(base, property.id);
    }
    const key = property.id.type === 'references' ? this.getReferences(property.id) : this.getLiteral(property.id);
    if (Array.isArray(base)) {
      const i = Number(key);
      checkIndex(i, base.length, 'Index');
      return base[i];
    }
    if (isMap(base) && !BLOCKED.has(String(key))) return Object.prototype.hasOwnProperty.call(base, key) ? base[key] : undefined;
    this.warn(`index [${key}] on ${typeName(base)} is not supported by Velocity`);
    return undefined;
  }

  getPropMethod(property, base, ast) {
    const name = property.id;
    const args = (property.args || []).map((e) => this.getLiteral(e));
    if (base[HOST]) {
      if (Object.prototype.hasOwnProperty.call(base, name) && typeof base[name] === 'function') return base[name](...args);
      this.warn(`no method ${name}() on ${this.refText(ast)}`);
      return undefined;
    }
    const table = methodTable(base);
    const m = table && Object.prototype.hasOwnProperty.call(table, name) ? table[name] : null;
    if (!m || !m[0](args)) {
      this.warn(`no method ${name}(${args.map(typeName).join(', ')}) on ${typeName(base)} in ${this.refText(ast)}: Velocity leaves it unrendered`);
      return undefined;
    }
    return m[1](base, ...args);
  }

  getExpression(ast) {
    if (ast.type !== 'math') return this.getLiteral(ast);
    const [l, r] = ast.expression;
    const ev = (x) => this.getExpression(x);
    const num = (a, b, op) => {
      if (typeof a === 'string' && op === '+' && !isNull(b)) return a + javaString(b);
      if (typeof b === 'string' && op === '+' && !isNull(a)) return javaString(a) + b;
      if (typeof a !== 'number' || typeof b !== 'number') {
        this.warn(`arithmetic ${op} on ${typeName(a)} and ${typeName(b)} gives null in Velocity`);
        return undefined;
      }
      const ints = Number.isInteger(a) && Number.isInteger(b);
      switch (op) {
        case '+': return a + b;
        case '-': return a - b;
        case '*': return a * b;
        case '/':
          if (b === 0) {
            this.warn('division by zero gives null in Velocity');
            return undefined;
          }
          return ints ? Math.trunc(a / b) : a / b;
        case '%':
          if (b === 0) return undefined;
          return a % b;
      }
      return undefined;
    };
    const cmp = (a, b, f) => {
      if (typeof a !== 'number' || typeof b !== 'number') {
        this.warn(`comparison of ${typeName(a)} and ${typeName(b)} is false in Velocity 1.7`);
        return false;
      }
      return f(a, b);
    };
    switch (ast.operator) {
      case '+': case '-': case '*': case '/': case '%':
        return num(ev(l), ev(r), ast.operator);
      case '||': return truthy(ev(l)) || truthy(ev(r));
      case '&&': return truthy(ev(l)) && truthy(ev(r));
      case '>': return cmp(ev(l), ev(r), (a, b) => a > b);
      case '<': return cmp(ev(l), ev(r), (a, b) => a < b);
      case '>=': return cmp(ev(l), ev(r), (a, b) => a >= b);
      case '<=': return cmp(ev(l), ev(r), (a, b) => a <= b);
      case '==': return velocityEquals(ev(l), ev(r));
      case '!=': return !velocityEquals(ev(l), ev(r));
      case 'minus': {
        const v = ev(l);
        return typeof v === 'number' ? -v : undefined;
      }
      case 'not': return !truthy(ev(l));
      case 'parenthesis': return ev(l);
    }
    throw new Error('render.js: unknown operator ' + ast.operator);
  }

  getBlockIf(block) {
    let taken = false;
    const body = [];
    for (const ast of block) {
      const cond = ast.type === 'if' || ast.type === 'elseif';
      if (!cond && ast.type !== 'else') {
        if (taken) body.push(ast);
        continue;
      }
      if (taken) break;
      taken = cond ? truthy(this.getExpression(ast.condition)) : true;
    }
    return this.renderAstList(body, this.contextId);
  }

  // Velocity 1.7: a #set whose value is null leaves the target unchanged.
  setValue(ast) {
    const ref = ast.equal[0];
    const valAst = ast.equal[1];
    const val = valAst.type === 'math' ? this.getExpression(valAst) : this.getLiteral(valAst);
    if (isNull(val)) {
      this.warn(`#set(${this.refText(ref)} = ...) skipped: the value is null, Velocity 1.7 keeps the old value`);
      return;
    }
    let context = this.getContext(ref.id);
    if (this.contextId && this.contextId.indexOf('macro:') === 0) context = this.context;
    if (BLOCKED.has(ref.id)) return;
    if (!ref.path) {
      context[ref.id] = val;
      return;
    }
    const keys = this.getPathKeys(ref);
    let base = context[ref.id];
    for (let i = 0; i < keys.length - 1; i++) {
      base = isNull(base) || BLOCKED.has(keys[i]) ? undefined : base[keys[i]];
    }
    const last = keys[keys.length - 1];
    if (isNull(base) || typeof base !== 'object' || BLOCKED.has(last)) {
      this.warn(`#set(${this.refText(ref)}): no such object, nothing set`);
      return;
    }
    base[last] = val;
  }
}

// Parsed templates, by text: a batch renders the same template many times.
const parsed = new Map();
function parse(template) {
  if (!parsed.has(template)) parsed.set(template, velocity.parse(template));
  return parsed.get(template);
}

function renderVTL(job) {
  const warnings = [];
  const warn = (w) => {
    if (!warnings.includes(w)) warnings.push(w);
  };
  let failure = null;
  const fail = (e) => {
    if (!failure) failure = e;
  };
  const response = overrides('responseOverride', ['header'], fail);
  const request = overrides('requestOverride', ['header', 'querystring', 'path'], fail);
  const context = host({ ...structuredClone(job.context || {}) });
  context.responseOverride = response.proxy;
  context.requestOverride = request.proxy;
  const root = host({
    input: makeInput(job),
    util: makeUtil(warn),
    context,
    stageVariables: { ...(job.stageVariables || {}) },
  });
  const asts = parse(job.template);
  const output = new GatewayCompile(asts, warn).render(root, {}, job.nulls === 'empty');
  if (failure) throw new JavaError(failure);
  const headers = {};
  for (const [k, v] of Object.entries(response.set)) {
    if (k.startsWith('header.')) headers[k.slice('header.'.length)] = javaString(v);
  }
  const status = Object.prototype.hasOwnProperty.call(response.set, 'status') ? javaString(response.set.status) : null;
  const req = {};
  for (const [k, v] of Object.entries(request.set)) req[k] = javaString(v);
  return { output, status, headers, requestOverride: req, warnings };
}

// Gateway responses and access log formats: $context.a.b and $stageVariables.x are replaced by
// the longest given path; nothing else is interpreted.
function renderSubstitution(job) {
  const vars = { context: job.context || {}, stageVariables: job.stageVariables || {} };
  const output = job.template.replace(/\$(context|stageVariables)((?:\.[A-Za-z_][A-Za-z0-9_]*)+)/g, (all, rootName, dotted) => {
    const names = dotted.slice(1).split('.');
    for (let n = names.length; n > 0; n--) {
      let v = vars[rootName];
      for (const k of names.slice(0, n)) v = v !== null && typeof v === 'object' && Object.prototype.hasOwnProperty.call(v, k) ? v[k] : undefined;
      if (v !== undefined && (typeof v !== 'object' || v === null)) return String(v) + (n < names.length ? '.' + names.slice(n).join('.') : '');
    }
    throw new Error(`render.js: ${all} is not given in the job's context`);
  });
  return { output, status: null, headers: {}, requestOverride: {}, warnings: [] };
}

function render(job) {
  try {
    if (typeof job.template !== 'string') throw new Error('job has no template');
    const mode = job.mode || 'request';
    if (mode === 'gateway' || mode === 'accesslog') return renderSubstitution(job);
    if (mode !== 'request' && mode !== 'response') throw new Error('unknown mode ' + mode);
    return renderVTL(job);
  } catch (e) {
    return { output: '', status: null, headers: {}, requestOverride: {}, warnings: [], error: (e && e.message) || String(e) };
  }
}

function main() {
  if (process.argv.includes('--gaps')) {
    process.stdout.write(GAPS.map((g) => '- ' + g).join('\n') + '\n');
    return;
  }
  const input = fs.readFileSync(0, 'utf8');
  const jobs = JSON.parse(input);
  const out = Array.isArray(jobs) ? jobs.map(render) : render(jobs);
  process.stdout.write(JSON.stringify(out) + '\n');
}

main();
