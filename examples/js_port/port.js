#!/usr/bin/env node
// A scalar reverse-mode autodiff engine written from docs/SPEC.md alone.
// Node.js >= 20, no dependencies.
//
//   node port.js             speak the conformance protocol v1 (SPEC section 7) on stdin/stdout
//   node port.js --selftest  check the XorShift64* test vectors (SPEC section 5)
'use strict';

// ---------------------------------------------------------------- 1. Numbers

// IEEE division already gives exactly what the spec asks for (x / +-0 = +-inf with
// sign(a) * sign(b), 0 / 0 = nan / 0 = nan).
function div(a, b) {
  return a / b;
}

function exp(x) {
  return Math.exp(x); // inf on overflow, never throws
}

function log(x) {
  return Math.log(x); // log(+-0) = -inf, log(x < 0) = nan, log(inf) = inf
}

function sqrt(x) {
  return Math.sqrt(x); // sqrt(-0) = -0, sqrt(x < 0) = nan
}

// C99 pow. JS Math.pow follows C99 at special values except that it returns nan for
// pow(1, nan), pow(+-1, +-inf); C99 returns 1 for pow(1, anything) and pow(-1, +-inf).
// Off the special values V8's Math.pow is not correctly rounded (Math.pow(2, 1.5) is
// 1 ulp below glibc's and torch's 2.8284271247461903), so finite cases are computed in
// double-double arithmetic (~100 bits) and rounded once (powFinite below).
function pow(x, y) {
  if (y === 0) return 1; // any x, nan included
  if (x === 1) return 1; // any y, nan included
  if (x === -1 && (y === Infinity || y === -Infinity)) return 1;
  if (!Number.isFinite(x) || !Number.isFinite(y) || x === 0) return Math.pow(x, y); // C99 specials
  return powFinite(x, y);
}

// ---- double-double helpers (values are [hi, lo] with |lo| <= ulp(hi) / 2)

function twoSum(a, b) {
  const s = a + b;
  const bb = s - a;
  return [s, (a - (s - bb)) + (b - bb)];
}

function quickTwoSum(a, b) {
  const s = a + b;
  return [s, b - (s - a)];
}

const SPLITTER = 134217729; // 2^27 + 1
function twoProd(a, b) {
  const p = a * b;
  let t = SPLITTER * a;
  const ah = t - (t - a);
  const al = a - ah;
  t = SPLITTER * b;
  const bh = t - (t - b);
  const bl = b - bh;
  return [p, ((ah * bh - p) + ah * bl + al * bh) + al * bl];
}

function ddAdd(a, b) {
  const s = twoSum(a[0], b[0]);
  const t = twoSum(a[1], b[1]);
  let r = quickTwoSum(s[0], s[1] + t[0]);
  return quickTwoSum(r[0], r[1] + t[1]);
}

function ddMul(a, b) {
  const p = twoProd(a[0], b[0]);
  return quickTwoSum(p[0], p[1] + (a[0] * b[1] + a[1] * b[0]));
}

function ddMulD(a, d) {
  const p = twoProd(a[0], d);
  return quickTwoSum(p[0], p[1] + a[1] * d);
}

function ddDiv(a, b) {
  const q1 = a[0] / b[0];
  let r = ddAdd(a, ddMulD(b, -q1));
  const q2 = r[0] / b[0];
  r = ddAdd(r, ddMulD(b, -q2));
  const q3 = r[0] / b[0];
  const q = quickTwoSum(q1, q2);
  return ddAdd(q, [q3, 0]);
}

const DD_LN2 = [0.6931471805599453, 2.3190468138462996e-17];

// 1/(2n+1) for the atanh series and 1/n! for the exp series, in double-double.
const ATANH_C = [];
for (let n = 0; n < 30; n++) ATANH_C.push(ddDiv([1, 0], [2 * n + 1, 0]));
const EXP_C = [[1, 0]];
for (let n = 1; n < 30; n++) EXP_C.push(ddDiv(EXP_C[n - 1], [n, 0]));

const F64 = new Float64Array(1);
const U32 = new Uint32Array(F64.buffer); // little-endian: U32[1] holds sign and exponent

// ln(x) for finite x > 0, in double-double.
function ddLog(x) {
  let e = 0;
  if (x < 2.2250738585072014e-308) {
    x *= 18014398509481984; // 2^54: make subnormals normal
    e = -54;
  }
  F64[0] = x;
  e += ((U32[1] >>> 20) & 0x7ff) - 1023;
  U32[1] = (U32[1] & 0x800fffff) | (1023 << 20); // mantissa m in [1, 2)
  let m = F64[0];
  if (m > Math.SQRT2) {
    m /= 2;
    e += 1;
  }
  // ln m = 2 atanh(s), s = (m - 1) / (m + 1); m - 1 is exact, m + 1 taken as twoSum
  const s = ddDiv([m - 1, 0], twoSum(m, 1));
  const s2 = ddMul(s, s);
  let p = ATANH_C[ATANH_C.length - 1];
  for (let n = ATANH_C.length - 2; n >= 0; n--) p = ddAdd(ddMul(p, s2), ATANH_C[n]);
  const lnm = ddMulD(ddMul(p, s), 2);
  return ddAdd(ddMulD(DD_LN2, e), lnm);
}

// |x| ** y for finite nonzero x and y (sign handled by the caller), rounded once.
function powAbs(x, y) {
  const t = ddMulD(ddLog(x), y);
  if (t[0] > 709.8) return Infinity;
  if (t[0] < -745.2) return 0;
  const k = Math.round(t[0] / DD_LN2[0]);
  const r = ddAdd(t, ddMulD(DD_LN2, -k)); // |r| <= ~0.35
  let p = EXP_C[EXP_C.length - 1];
  for (let n = EXP_C.length - 2; n >= 0; n--) p = ddAdd(ddMul(p, r), EXP_C[n]);
  // p = exp(r) in [0.7, 1.42]; result = p * 2^k
  if (k >= -1021) {
    // hi is p rounded to 53 bits; scaling by 2^k is exact unless it overflows (then inf)
    let v = p[0];
    let kk = k;
    while (kk > 1000) { v *= 2 ** 1000; kk -= 1000; }
    return v * 2 ** kk;
  }
  // subnormal result: round p * 2^(k + 1074) to an integer (ties to even), times 2^-1074
  const sc = 2 ** (k + 1074);
  const hi = p[0] * sc;
  const lo = p[1] * sc;
  let n = Math.round(hi);
  const d = (hi - n) + lo;
  if (d > 0.5 || (d === 0.5 && n % 2 !== 0)) n += 1;
  else if (d < -0.5 || (d === -0.5 && n % 2 !== 0)) n -= 1;
  return n * Number.MIN_VALUE;
}

function powFinite(x, y) {
  if (y === 1) return x;
  if (y === 2) return x * x; // one correctly rounded product
  if (y === -1) return 1 / x;
  if (y === 0.5 && x > 0) return Math.sqrt(x);
  if (x < 0) {
    if (!Number.isInteger(y)) return NaN;
    const odd = Math.abs(y) < 2 ** 53 && Math.abs(y) % 2 === 1;
    const r = powAbs(-x, y);
    return odd ? -r : r;
  }
  return powAbs(x, y);
}

// torch's pow(Tensor, Scalar) with its six special exponents.
function powScalar(x, k) {
  if (k === 2) return x * x;
  if (k === 3) return x * x * x;
  if (k === 0.5) return sqrt(x);
  if (k === -0.5) return div(1, sqrt(x));
  if (k === -1) return div(1, x);
  if (k === -2) return div(1, x * x);
  return pow(x, k);
}

// 1 - x*x rounded once, as fma(-x, x, 1) (SPEC section 1; torch's tanh backward). x*x = p + e exactly
// (twoProd), 1 - p = s + t exactly (twoSum); s + (t - e) rounds once but for a near-tie in t - e.
function oneMinusSquare(x) {
  if (!Number.isFinite(x)) return 1 - x * x;
  const [p, e] = twoProd(x, x);
  const [s, t] = twoSum(1, -p);
  return s + (t - e);
}

function sigmoid(x) {
  return 1 / (1 + exp(-x));
}

// ---------------------------------------------------------------- 4. Ops

// Forward of every op: (a, b) for binary ops, (a) for unary ones, (a, k) for pow_scalar.
const FORWARD = {
  add: (a, b) => a + b,
  sub: (a, b) => a - b,
  mul: (a, b) => a * b,
  div: (a, b) => div(a, b),
  neg: (a) => -a,
  pow: (a, b) => pow(a, b),
  pow_scalar: (a, k) => powScalar(a, k),
  relu: (a) => (a < 0 ? 0 : a),
  tanh: (a) => Math.tanh(a),
  exp: (a) => exp(a),
  log: (a) => log(a),
  sigmoid: (a) => sigmoid(a),
  maximum: (a, b) => (a >= b || Number.isNaN(a) ? a : b),
  minimum: (a, b) => (a <= b || Number.isNaN(a) ? a : b),
};

const ARITY = {
  add: 2, sub: 2, mul: 2, div: 2, neg: 1, pow: 2, pow_scalar: 1, relu: 1, tanh: 1,
  exp: 1, log: 1, sigmoid: 1, maximum: 2, minimum: 2,
};

// Gradient formulas, one line per op, exactly as SPEC section 4 writes them.
// (g, out, a, b) for ops of two inputs (b unused for unary ops), (g, out, a, k) for
// pow_scalar. A literal 0 is a masked gradient (exactly 0.0 whatever g is).
// `/` on doubles is the spec's div() (IEEE); `pow`, `log`, `powScalar` are the helpers.
const GRADS = {
  add: (g, out, a, b) => [g, g],
  sub: (g, out, a, b) => [g, -g],
  mul: (g, out, a, b) => [g * b, g * a],
  div: (g, out, a, b) => [div(g, b), -g * div(div(a, b), b)],
  neg: (g, out, a, b) => [-g],
  pow: (g, out, a, b) => [b == 0 ? 0 : g * (b * pow(a, b - 1)), g * ((a == 0 && b >= 0) ? 0 : out * log(a))],
  pow_scalar: (g, out, a, k) => [k == 0 ? 0 : g * (k * powScalar(a, k - 1))],
  relu: (g, out, a, b) => [out <= 0 ? 0 : g],
  tanh: (g, out, a, b) => [g * oneMinusSquare(out)],
  exp: (g, out, a, b) => [g * out],
  log: (g, out, a, b) => [div(g, a)],
  sigmoid: (g, out, a, b) => [g * (1 - out) * out],
  maximum: (g, out, a, b) => [a < b ? 0 : (a == b ? div(g, 2) : g), a > b ? 0 : (a == b ? div(g, 2) : g)],
  minimum: (g, out, a, b) => [a > b ? 0 : (a == b ? div(g, 2) : g), a < b ? 0 : (a == b ? div(g, 2) : g)],
};

// ---------------------------------------------------------------- 2. Values

class Value {
  static made = 0;

  constructor(data, inputs = [], op = 'leaf', params = []) {
    this.data = data;
    this.grad = 0.0;
    this.inputs = inputs; // Value[] in argument order
    this.op = op; // 'leaf' or a key of GRADS
    this.params = params; // [k] for pow_scalar
    this.seq = Value.made++; // creation order (section 3)
  }

  static leaf(x) {
    return new Value(x);
  }

  static apply(op, inputs, params = []) {
    const fwd = FORWARD[op];
    if (!fwd) throw new Error(`unknown op ${JSON.stringify(op)}`);
    if (inputs.length !== ARITY[op]) {
      throw new Error(`op ${op} takes ${ARITY[op]} input(s), got ${inputs.length}`);
    }
    let data;
    if (op === 'pow_scalar') {
      if (params.length !== 1 || typeof params[0] !== 'number') {
        throw new Error('pow_scalar needs exactly one numeric parameter k');
      }
      data = fwd(inputs[0].data, params[0]);
    } else {
      data = fwd(...inputs.map((v) => v.data));
    }
    return new Value(data, inputs, op, params);
  }

  // Section 3: every op node the output depends on, in decreasing order of creation (torch's order).
  backward() {
    // 1. Collect reachable nodes (iteratively).
    const seen = new Set([this]);
    const todo = [this];
    const order = [];
    while (todo.length) {
      const n = todo.pop();
      if (n.op !== 'leaf') order.push(n);
      for (const i of n.inputs) {
        if (!seen.has(i)) {
          seen.add(i);
          todo.push(i);
        }
      }
    }
    order.sort((x, y) => y.seq - x.seq); // made later first: every consumer before its inputs
    // 2. The output's upstream gradient is 1.0; 3. each node in turn adds it to .grad and sends its shares.
    const upstream = new Map();
    upstream.set(this, 1.0);
    const addGrad = (n, g) => {
      n.grad = n.grad === 0 ? g : n.grad + g; // a zero .grad takes the gradient as is (-0.0 stays -0.0)
    };
    for (const n of order) {
      const g = upstream.get(n);
      upstream.delete(n);
      addGrad(n, g);
      const ins = n.inputs;
      const a = ins[0].data;
      const second = n.op === 'pow_scalar' ? n.params[0] : ins.length > 1 ? ins[1].data : undefined;
      const grads = GRADS[n.op](g, n.data, a, second);
      for (let j = 0; j < ins.length; j++) {
        const inp = ins[j];
        const prev = upstream.get(inp);
        // The first contribution is taken as is (as torch's input buffer does), so a
        // -0.0 gradient stays -0.0; later ones are added in the order they arrive.
        upstream.set(inp, prev === undefined ? grads[j] : prev + grads[j]);
      }
    }
    for (const [n, g] of upstream) addGrad(n, g); // the leaves (and a leaf output)
  }
}

// ---------------------------------------------------------------- 5. XorShift64*

const MASK64 = (1n << 64n) - 1n;

class XorShift64Star {
  constructor(seed) {
    let z = (BigInt(seed) + 0x9e3779b97f4a7c15n) & MASK64;
    z = ((z ^ (z >> 30n)) * 0xbf58476d1ce4e5b9n) & MASK64;
    z = ((z ^ (z >> 27n)) * 0x94d049bb133111ebn) & MASK64;
    z = z ^ (z >> 31n);
    this.state = z === 0n ? 0x9e3779b97f4a7c15n : z;
  }

  nextU64() {
    let x = this.state;
    x ^= x >> 12n;
    x ^= (x << 25n) & MASK64;
    x ^= x >> 27n;
    this.state = x;
    return (x * 0x2545f4914f6cdd1dn) & MASK64;
  }

  random() {
    return Number(this.nextU64() >> 11n) * 2 ** -53;
  }

  uniform(a, b) {
    return a + (b - a) * this.random();
  }

  below(n) {
    return Number(this.nextU64() % BigInt(n));
  }
}

function selftest() {
  const vectors = [
    [0, ['7bbcb40d550682d0', 'de7fe413d00cc9fd', 'b3c638353c668c91'],
      [0.4833481342839381, 0.8691389606829488, 0.7022433404894405]],
    [1, ['4b46a55df3611b9b', 'd7e1f1410e763ef4', '5f14ec66975f9b06'],
      [0.29404672187536496, 0.8432913574055981, 0.37141301636381596]],
    [42, ['31b0ece7c4f697a2', '9008a3b1cb686f03', '7c7173abd97be16f'],
      [0.1941059175341826, 0.5626318272656207, 0.4861061377100522]],
  ];
  let ok = true;
  for (const [seed, hex, rnd] of vectors) {
    const r1 = new XorShift64Star(seed);
    const gotHex = [r1.nextU64(), r1.nextU64(), r1.nextU64()].map((x) => x.toString(16).padStart(16, '0'));
    const r2 = new XorShift64Star(seed);
    const gotRnd = [r2.random(), r2.random(), r2.random()];
    for (let i = 0; i < 3; i++) {
      if (gotHex[i] !== hex[i]) {
        ok = false;
        console.error(`seed ${seed}: next_u64 #${i} = 0x${gotHex[i]}, expected 0x${hex[i]}`);
      }
      if (gotRnd[i] !== rnd[i]) {
        ok = false;
        console.error(`seed ${seed}: random #${i} = ${gotRnd[i]}, expected ${rnd[i]}`);
      }
    }
  }
  // A small engine sanity check: d(x*x + 2*x)/dx at 3 = 8, twice after two backwards.
  const x = Value.leaf(3);
  const two = Value.leaf(2);
  const y = Value.apply('add', [Value.apply('mul', [x, x]), Value.apply('mul', [two, x])]);
  y.backward();
  if (y.data !== 15 || x.grad !== 8) {
    ok = false;
    console.error(`engine check: y = ${y.data}, dy/dx = ${x.grad}`);
  }
  y.backward();
  if (x.grad !== 16) {
    ok = false;
    console.error(`engine check: after two backwards dy/dx = ${x.grad}`);
  }
  if (ok) {
    console.log('selftest ok');
    return 0;
  }
  console.log('selftest FAILED');
  return 1;
}

// ---------------------------------------------------------------- 7. Protocol

function parseNumber(v, what) {
  if (typeof v === 'number') return v;
  if (v === 'inf') return Infinity;
  if (v === '-inf') return -Infinity;
  if (v === 'nan') return NaN;
  throw new Error(`${what}: not a number: ${JSON.stringify(v)}`);
}

function encodeNumber(x) {
  if (Number.isNaN(x)) return '"nan"';
  if (x === Infinity) return '"inf"';
  if (x === -Infinity) return '"-inf"';
  if (Object.is(x, -0)) return '-0.0';
  return JSON.stringify(x);
}

// SPEC section 2, the select pseudo-op: which input Python's max/min/sorted or a comparison picks.
// The node is that input itself (same Value, same gradient).
const COMPARE = { '<': (x, y) => x < y, '<=': (x, y) => x <= y, '>': (x, y) => x > y, '>=': (x, y) => x >= y };
function selectIndex(by, xs, params) {
  if (by === 'max' || by === 'min') {
    let best = 0;
    for (let j = 1; j < xs.length; j++) if (by === 'max' ? xs[j] > xs[best] : xs[j] < xs[best]) best = j;
    return best;
  }
  if (by === 'sorted') {
    const order = xs.map((_, j) => j);
    for (let j = 1; j < order.length; j++) {
      for (let i = j; i > 0 && xs[order[i]] < xs[order[i - 1]]; i--) [order[i], order[i - 1]] = [order[i - 1], order[i]];
    }
    if (params.length !== 1 || !(params[0] >= 0 && params[0] < xs.length)) throw new Error('sorted needs an index');
    return order[params[0]];
  }
  if (!(by in COMPARE) || xs.length !== 2) throw new Error(`unknown select ${JSON.stringify(by)}`);
  return COMPARE[by](xs[0], xs[1]) ? 0 : 1;
}

function runRequest(req) {
  if (req === null || typeof req !== 'object' || !Array.isArray(req.nodes)) {
    throw new Error('request must be an object with a "nodes" array');
  }
  const specs = req.nodes;
  const nodes = new Array(specs.length);
  for (let i = 0; i < specs.length; i++) {
    const s = specs[i];
    if (s.id !== undefined && s.id !== i) throw new Error(`node ${i} has id ${s.id}`);
    if (s.op === 'leaf') {
      nodes[i] = Value.leaf(parseNumber(s.value, `node ${i} value`));
    } else {
      const inputs = (s.inputs || []).map((j) => {
        if (!Number.isInteger(j) || j < 0 || j >= i) throw new Error(`node ${i}: bad input ${j}`);
        return nodes[j];
      });
      const params = (s.params || []).map((p) => parseNumber(p, `node ${i} param`));
      nodes[i] = s.op === 'select' ? inputs[selectIndex(s.by, inputs.map((v) => v.data), params)] : Value.apply(s.op, inputs, params);
    }
  }
  const out = req.output;
  if (!Number.isInteger(out) || out < 0 || out >= nodes.length) throw new Error(`bad output ${out}`);
  nodes[out].backward();
  const data = nodes.map((n) => encodeNumber(n.data)).join(',');
  const grad = nodes.map((n) => encodeNumber(n.grad)).join(',');
  return `{"data":[${data}],"grad":[${grad}]}`;
}

const HELLO = JSON.stringify({
  type: 'hello', protocol: 1, name: 'js_port', version: '1.0.0', language: 'JavaScript',
  ops: [...Object.keys(FORWARD), 'select'], // select: SPEC section 2
});

// One message in, the line to answer (or null for none). Protocol v1 (SPEC section 7):
// "start" gets the hello (the version we speak, whatever was asked: the runner decides);
// "graph" gets {"id", "data", "grad"} or {"id", "error"}; a line of any other type (or
// none) is ignored.
function respond(line) {
  let msg;
  try {
    msg = JSON.parse(line);
  } catch (e) {
    return JSON.stringify({ error: `not a JSON line: ${e.message}` });
  }
  const kind = msg !== null && typeof msg === 'object' ? msg.type : undefined;
  if (kind === 'start') return HELLO;
  if (kind !== 'graph') {
    console.error(`js_port: ignoring a message of type ${JSON.stringify(kind === undefined ? null : kind)}`);
    return null;
  }
  const head = `"id":${JSON.stringify(msg.id === undefined ? null : msg.id)},`;
  try {
    return `{${head}${runRequest(msg).slice(1)}`;
  } catch (e) {
    return `{${head}"error":${JSON.stringify(String(e && e.message ? e.message : e))}}`;
  }
}

function serve() {
  const readline = require('node:readline');
  process.stdout.on('error', (e) => process.exit(e.code === 'EPIPE' ? 0 : 1)); // reader went away
  const rl = readline.createInterface({ input: process.stdin, crlfDelay: Infinity });
  rl.on('line', (line) => {
    if (line.trim() === '') return;
    const answer = respond(line);
    if (answer !== null) process.stdout.write(answer + '\n');
  });
  rl.on('close', () => { process.exitCode = 0; }); // end of input: exit 0 once stdout drains
}

if (require.main === module) {
  if (process.argv.includes('--selftest')) {
    process.exitCode = selftest();
  } else {
    serve();
  }
}

module.exports = { Value, XorShift64Star, GRADS, FORWARD, div, exp, log, sqrt, pow, powScalar, sigmoid };
