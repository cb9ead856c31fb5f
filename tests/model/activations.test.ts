// Activations: values and derivatives against mpmath references, derivatives against central
// differences of the next-lower order, tails free of NaN/Infinity, erf/erfc against known values.
import { describe, expect, it } from 'vitest';
import { activationFunctions, erf, erfc, evalActivation, normalCdf, pairActivation } from '../../src/model/activations.js';
import { ACTIVATIONS, type Activation } from '../../src/model/architecture.js';

// Reference values σ, σ′, σ″, σ‴ computed with mpmath at 60 digits from the closed forms
// (softplus′ = sigmoid, sigmoid′ = q = σ(1−σ), σ″ = q(1−2σ), σ‴ = q(1−6q); tanh′ = 1−t²,
// tanh″ = −2t(1−t²); erf(x/√2)′ = √(2/π)e^{−x²/2}; gelu = xΦ(x)); those closed forms were checked
// against mpmath.diff in the generating script. Values that underflow float64 are 0.
const REFERENCE_POINTS = [-40, -12.5, -5, -2, -0.7, -1e-6, 0, 1e-6, 0.3, 1, 2.2, 5, 12.5, 40];
const REFERENCE: Record<Exclude<Activation, 'relu'>, number[][]> = {
  softplus: [
    [4.248354255291589e-18, 4.248354255291589e-18, 4.248354255291589e-18, 4.248354255291589e-18],
    [3.7266462281239904e-06, 3.7266392841865614e-06, 3.7266253963462068e-06, 3.726597620769008e-06],
    [0.006715348489118068, 0.0066928509242848554, 0.006648056670790155, 0.006559067766322563],
    [0.1269280110429725, 0.11920292202211756, 0.10499358540350652, 0.07996250105615306],
    [0.4031860488854579, 0.3318122278318339, 0.22171287329310904, 0.07457878844034181],
    [0.6931466805600703, 0.49999975, 0.2499999999999375, 1.2499999999995833e-07],
    [0.6931471805599453, 0.5, 0.25, 0.0],
    [0.6931476805600703, 0.50000025, 0.2499999999999375, -1.2499999999995833e-07],
    [0.8543552444685271, 0.574442516811659, 0.24445831169074586, -0.03639618395557624],
    [1.3132616875182228, 0.7310585786300049, 0.19661193324148185, -0.09085774767294841],
    [2.3050833197686957, 0.9002495108803149, 0.08980032904006872, -0.07188507555035768],
    [5.006715348489118, 0.9933071490757152, 0.006648056670790155, -0.006559067766322563],
    [12.500003726646229, 0.9999962733607158, 3.7266253963462068e-06, -3.726597620769008e-06],
    [40.0, 1.0, 4.248354255291589e-18, -4.248354255291589e-18],
  ],
  g: [
    [4.248354255291589e-18, 4.248354255291589e-18, 4.248354255291589e-18, 4.248354255291589e-18],
    [3.7266462281239904e-06, 3.726639284186562e-06, 3.72662539634621e-06, 3.7265976207690202e-06],
    [0.006715350550271687, 0.006692859168899311, 0.006648089649247842, 0.0065591996801522235],
    [0.12726336117343898, 0.12054387270514345, 0.11035379063171809, 0.10137455641494403],
    [0.4605102247843266, 0.5479646868573711, 0.9871966167380346, 2.41169287982206],
    [1.1931456805600704, 1.499999749996, 0.25000799999993745, -7.999999874872],
    [1.1931471805599454, 1.5, 0.25, -8.0],
    [1.1931486805600704, 1.500000249996, 0.24999199999993754, -8.000000124872],
    [1.6228800279675448, 1.2860202793988817, -1.2841518054408492, -0.803381875567324],
    [2.2952754775561313, 0.8017094034831693, -0.07582544161274422, 0.9197585127193025],
    [3.304932609410636, 0.9008522614581058, 0.08739005345494823, -0.06224978570391955],
    [6.006715346427964, 0.9933071573203296, 0.006648023692332468, -0.006558935852492902],
    [13.500003726646229, 0.9999962733607158, 3.726625396346204e-06, -3.7265976207689957e-06],
    [41.0, 1.0, 4.248354255291589e-18, -4.248354255291589e-18],
  ],
  erf: [
    [-1.0, 0.0, 0.0, 0.0],
    [-1.0, 9.390390715950292e-35, 1.1737988394937865e-33, 1.457858158651283e-32],
    [-0.9999994266968563, 2.9734390294685954e-06, 1.4867195147342977e-05, 7.136253670724629e-05],
    [-0.9544997361036416, 0.1079819330263761, 0.2159638660527522, 0.3239457990791283],
    [-0.5160726955538539, 0.6245078667335225, 0.43715550671346576, -0.3184990120340965],
    [-7.978845608027324e-07, 0.7978845608024664, 7.978845608024664e-07, -0.7978845608016685],
    [0.0, 0.7978845608028654, 0.0, -0.7978845608028654],
    [7.978845608027324e-07, 0.7978845608024664, -7.978845608024664e-07, -0.7978845608016685],
    [0.23582284437790527, 0.7627756309210482, -0.22883268927631445, -0.6941258241381538],
    [0.6826894921370859, 0.4839414490382867, -0.4839414490382867, 0.0],
    [0.9721931049730028, 0.07094918569246286, -0.15608820852341831, 0.2724448730590574],
    [0.9999994266968563, 2.9734390294685954e-06, -1.4867195147342977e-05, 7.136253670724629e-05],
    [1.0, 9.390390715950292e-35, -1.1737988394937865e-33, 1.457858158651283e-32],
    [1.0, 0.0, -0.0, 0.0],
  ],
  sigmoid: [
    [4.248354255291589e-18, 4.248354255291589e-18, 4.248354255291589e-18, 4.248354255291589e-18],
    [3.7266392841865614e-06, 3.7266253963462068e-06, 3.726597620769008e-06, 3.726542069925139e-06],
    [0.0066928509242848554, 0.006648056670790155, 0.006559067766322563, 0.00638287672580193],
    [0.11920292202211756, 0.10499358540350652, 0.07996250105615306, 0.038851667548206015],
    [0.3318122278318339, 0.22171287329310904, 0.07457878844034181, -0.07322671581020831],
    [0.49999975, 0.2499999999999375, 1.2499999999995833e-07, -0.124999999999875],
    [0.5, 0.25, 0.0, -0.125],
    [0.50000025, 0.2499999999999375, -1.2499999999995833e-07, -0.124999999999875],
    [0.574442516811659, 0.24445831169074586, -0.03639618395557624, -0.11410088523739328],
    [0.7310585786300049, 0.19661193324148185, -0.09085774767294841, -0.03532558051623565],
    [0.9002495108803149, 0.08980032904006872, -0.07188507555035768, 0.04141573446584106],
    [0.9933071490757152, 0.006648056670790155, -0.006559067766322563, 0.00638287672580193],
    [0.9999962733607158, 3.7266253963462068e-06, -3.726597620769008e-06, 3.726542069925139e-06],
    [1.0, 4.248354255291589e-18, -4.248354255291589e-18, 4.248354255291589e-18],
  ],
  tanh: [
    [-1.0, 7.219405551381661e-35, 1.4438811102763322e-34, 2.8877622205526645e-34],
    [-0.9999999999722241, 5.555177545831308e-11, 1.1110355091354016e-10, 2.2220710181473633e-10],
    [-0.9999092042625951, 0.0001815832309438067, 0.0003631334879209056, 0.0007261350889566668],
    [-0.9640275800758169, 0.07065082485316447, 0.13621868742711304, 0.2526540650980627],
    [-0.6043677771171635, 0.6347395899824586, 0.7672323100919165, 0.1215922773832365],
    [-9.999999999996666e-07, 0.999999999999, 1.9999999999973334e-06, -1.999999999992],
    [0.0, 1.0, 0.0, -2.0],
    [9.999999999996666e-07, 0.999999999999, -1.9999999999973334e-06, -1.999999999992],
    [0.2913126124515909, 0.9151369618266292, -0.5331818782014544, -1.3643061061011235],
    [0.7615941559557649, 0.4199743416140261, -0.6397000084492245, 0.6216266807712962],
    [0.9757431300314515, 0.04792534419642589, -0.09352565070811052, 0.1779203450876282],
    [0.9999092042625951, 0.0001815832309438067, -0.0003631334879209056, 0.0007261350889566668],
    [0.9999999999722241, 5.555177545831308e-11, -1.1110355091354016e-10, 2.2220710181473633e-10],
    [1.0, 7.219405551381661e-35, -1.4438811102763322e-34, 2.8877622205526645e-34],
  ],
  gelu: [
    [-0.0, -0.0, -0.0, -0.0],
    [-4.665705373597142e-35, -5.831668554480156e-34, -7.242338839676663e-33, -8.935543665646449e-32],
    [-1.4332578593959695e-06, -7.146946001792295e-06, -3.4194548838888845e-05, -0.00015610554904710126],
    [-0.04550026389635842, -0.0852318010781969, -0.1079819330263761, 0.0],
    [-0.1693745565561511, 0.023385898866340134, 0.4715034393838095, 0.7672079142821324],
    [-4.999996010577196e-07, 0.4999992021154392, 0.7978845608020675, 1.595769121604534e-06],
    [0.0, 0.5, 0.7978845608028654, 0.0],
    [5.000003989422804e-07, 0.5000007978845608, 0.7978845608020675, -1.595769121604534e-06],
    [0.1853734266566858, 0.7323277668271099, 0.728450727529601, -0.44736790753519473],
    [0.8413447460685429, 1.0833154705876864, 0.24197072451914334, -0.7259121735574301],
    [2.169412415470303, 1.0641406567482106, -0.10074784368329727, 0.06555704757983569],
    [4.999998566742141, 1.000007146946002, -3.4194548838888845e-05, 0.00015610554904710126],
    [12.5, 1.0, -7.242338839676663e-33, 8.935543665646449e-32],
    [40.0, 1.0, -0.0, 0.0],
  ],
};
const ERF_REFERENCE: [number, number, number][] = [
  [-30, -1.0, 2.0],
  [-5, -0.9999999999984626, 1.9999999999984626],
  [-2.5, -0.999593047982555, 1.999593047982555],
  [-1, -0.8427007929497149, 1.8427007929497148],
  [-0.5, -0.5204998778130465, 1.5204998778130465],
  [-1e-8, -1.1283791670955126e-08, 1.0000000112837917],
  [0, 0.0, 1.0],
  [1e-8, 1.1283791670955126e-08, 0.9999999887162083],
  [0.1, 0.1124629160182849, 0.8875370839817152],
  // either side of the ends of erf's rational intervals (0.46875 and 4, activations.ts)
  [0.46875, 0.49261347321793797, 0.507386526782062],
  [0.46876, 0.4926225311068465, 0.5073774688931535],
  [-0.46876, -0.4926225311068465, 1.4926225311068466],
  [3.99999, 0.9999999845814722, 1.5418527774541464e-8],
  [4.0, 0.9999999845827421, 1.541725790028002e-8],
  [4.00001, 0.9999999845840118, 1.5415988127604508e-8],
  [8.0, 1.0, 1.1224297172982926e-29],
  [0.5, 0.5204998778130465, 0.4795001221869535],
  [0.999, 0.8422852702064969, 0.15771472979350307],
  [1, 0.8427007929497149, 0.15729920705028513],
  [1.001, 0.8431154854780764, 0.15688451452192367],
  [1.5, 0.9661051464753108, 0.033894853524689274],
  [2, 0.9953222650189527, 0.004677734981047266],
  [3, 0.9999779095030014, 2.209049699858544e-05],
  [4.5, 0.9999999998033839, 1.9661604415428876e-10],
  [6, 1.0, 2.1519736712498913e-17],
  [10, 1.0, 2.088487583762545e-45],
  [20, 1.0, 5.395865611607901e-176],
  [26, 1.0, 5.663192408856143e-296],
];

/** Largest error allowed against the references: relative, with an absolute floor for true zeros. */
const REFERENCE_TOLERANCE = 1e-14;

describe('erf and erfc', () => {
  it('match the known values', () => {
    const known: [number, number][] = [
      [erf(0.5), 0.5204998778130465],
      [erf(1), 0.8427007929497149],
      [erf(2), 0.9953222650189527],
      [erfc(3), 2.209049699858544e-5],
      [erfc(5), 1.5374597944280349e-12],
      [erf(1e-8), 1.1283791670955126e-8],
    ];
    for (const [actual, expected] of known) expect(Math.abs(actual - expected)).toBeLessThanOrEqual(1e-15 * Math.abs(expected));
  });

  // 1e-15: Cody's approximations measured 4e-16 (erf) and 8e-16 (erfc) at worst against mpmath on
  // 5,000 points over [−27, 27] (2026-12-07); the series and continued fraction before them 2e-15 and 1e-14
  it('match mpmath to 1e-15 relative over the whole range, including erfc tails', () => {
    for (const [x, erfValue, erfcValue] of ERF_REFERENCE) {
      expect(Math.abs(erf(x) - erfValue), `erf(${x})`).toBeLessThanOrEqual(1e-15 * Math.abs(erfValue));
      expect(Math.abs(erfc(x) - erfcValue), `erfc(${x})`).toBeLessThanOrEqual(1e-15 * Math.abs(erfcValue));
    }
  });

  it('are odd (erf) and reflect (erfc), with exact limits', () => {
    for (const x of [1e-300, 0.2, 0.9, 1, 1.7, 4, 30]) {
      expect(erf(-x)).toBe(-erf(x));
      expect(Math.abs(erfc(-x) - (2 - erfc(x)))).toBeLessThanOrEqual(4e-16);
    }
    expect(erf(0)).toBe(0);
    expect(erf(Infinity)).toBe(1);
    expect(erf(-Infinity)).toBe(-1);
    expect(erfc(Infinity)).toBe(0);
    expect(erfc(1000)).toBe(0);
    expect(Number.isNaN(erf(NaN))).toBe(true);
  });

  it('gives Φ with full relative accuracy in the left tail', () => {
    // mpmath ncdf at 40 digits, rounded to float64
    const known: [number, number][] = [
      [-38, 2.88542835e-316],
      [-20, 2.7536241186062337e-89],
      [-10, 7.619853024160525e-24],
      [-3, 0.0013498980316300946],
      [-1.5, 0.06680720126885807],
      [-1, 0.15865525393145705],
      [0, 0.5],
      [2, 0.9772498680518208],
    ];
    for (const [x, expected] of known) {
      // below 1e-308 the result is subnormal and keeps fewer digits
      const tolerance = Math.abs(expected) < 1e-300 ? 1e-9 : 1e-14;
      expect(Math.abs(normalCdf(x) - expected), `Φ(${x})`).toBeLessThanOrEqual(tolerance * expected);
    }
  });
});

describe('activations', () => {
  it('match the mpmath references to 1e-14 relative (values and three derivatives)', () => {
    const out = new Float64Array(4);
    for (const name of Object.keys(REFERENCE) as (keyof typeof REFERENCE)[]) {
      REFERENCE_POINTS.forEach((x, p) => {
        evalActivation(name, x, out);
        const expected = REFERENCE[name][p];
        for (let order = 0; order < 4; order++) {
          // a relative bound, with a floor of 1e-300 for the references that are exactly 0
          const bound = REFERENCE_TOLERANCE * Math.abs(expected[order]) + 1e-300;
          expect(Math.abs(out[order] - expected[order]), `${name}^(${order})(${x})`).toBeLessThanOrEqual(bound);
        }
      });
    }
  });

  it('relu is max(x, 0) with derivative 1 for x > 0 and 0 otherwise', () => {
    expect(Array.from(evalActivation('relu', 2.5))).toEqual([2.5, 1, 0, 0]);
    expect(Array.from(evalActivation('relu', -2.5))).toEqual([0, 0, 0, 0]);
    expect(Array.from(evalActivation('relu', 0))).toEqual([0, 0, 0, 0]);
  });

  // Each derivative against the central difference of the order below it:
  //   |σ^(k+1)(x) − (σ^(k)(x+h) − σ^(k)(x−h))/2h| ≤ 1e-6·|σ^(k+1)(x)| + 1e-9·max(1, |σ^(k)(x)|)
  // with h = 1e-5·max(1, |x|). The truncation error h²σ^(k+3)/6 is ~1e-10 relative; the absolute
  // term covers the rounding of σ^(k)(x±h), about 1e-16·|σ^(k)|/h ≈ 1e-11·|σ^(k)|.
  const POINTS = [-40, -12.5, -5, -2, -1, -0.3, -1e-6, 1e-6, 0.3, 0.8, 1.5, 3, 7, 40];
  for (const name of ACTIVATIONS) {
    it(`${name}: σ′, σ″, σ‴ agree with central differences`, () => {
      const fns = activationFunctions(name);
      const orders = [fns.value, fns.d1, fns.d2, fns.d3];
      // relu has kinks at 0: test it only away from them, where h cannot cross 0
      const points = name === 'relu' ? POINTS.filter((x) => Math.abs(x) > 1e-3) : POINTS;
      for (const x of points) {
        const h = 1e-5 * Math.max(1, Math.abs(x));
        for (let order = 0; order < 3; order++) {
          const difference = (orders[order](x + h) - orders[order](x - h)) / (2 * h);
          const exact = orders[order + 1](x);
          const bound = 1e-6 * Math.abs(exact) + 1e-9 * Math.max(1, Math.abs(orders[order](x)));
          expect(Math.abs(exact - difference), `${name}^(${order + 1})(${x})`).toBeLessThanOrEqual(bound);
        }
      }
    });
  }

  it('evaluate() agrees with value/d1/d2/d3 and with evalActivation', () => {
    for (const name of ACTIVATIONS) {
      const fns = activationFunctions(name);
      for (const x of [-3.2, -0.4, 0.6, 2.1]) {
        const out = evalActivation(name, x);
        expect(Array.from(out)).toEqual([fns.value(x), fns.d1(x), fns.d2(x), fns.d3(x)]);
      }
    }
  });

  it("valuesAndSlopes() gives evaluate()'s first two entries, bit for bit", () => {
    const xs = Float64Array.from({ length: 300 }, (_, k) => (k - 150) * 0.37 + Math.sin(k));
    const from = 7;
    const count = xs.length - from - 5;
    for (const name of ACTIVATIONS) {
      const fns = activationFunctions(name);
      const values = new Float64Array(xs.length).fill(-1);
      const slopes = new Float64Array(xs.length).fill(-1);
      fns.valuesAndSlopes(xs, from, count, values, slopes);
      const out = new Float64Array(4);
      for (let k = 0; k < xs.length; k++) {
        fns.evaluate(xs[k], out);
        // only [from, from + count) is written
        const inside = k >= from && k < from + count;
        expect([values[k], slopes[k]], `${name} at ${xs[k]}`).toEqual(inside ? [out[0], out[1]] : [-1, -1]);
      }
    }
  });

  it('stays finite for large |x| (no overflow, no NaN) and has the right tails', () => {
    for (const name of ACTIVATIONS) {
      for (const x of [-1000, -800, -100, 100, 800, 1000]) {
        const out = evalActivation(name, x);
        for (let order = 0; order < 4; order++) expect(Number.isFinite(out[order]), `${name}^(${order})(${x})`).toBe(true);
      }
    }
    const check = (name: Activation, x: number, expected: number[]) => {
      const out = evalActivation(name, x);
      for (let order = 0; order < 4; order++) expect(Math.abs(out[order] - expected[order]), `${name}^(${order})(${x})`).toBeLessThanOrEqual(1e-15 * Math.abs(expected[order]));
    };
    check('softplus', 1000, [1000, 1, 0, 0]);
    check('softplus', -1000, [0, 0, 0, 0]);
    check('sigmoid', 1000, [1, 0, 0, 0]);
    check('tanh', -1000, [-1, 0, 0, 0]);
    check('erf', 1000, [1, 0, 0, 0]);
    check('gelu', 1000, [1000, 1, 0, 0]);
    check('gelu', -1000, [0, 0, 0, 0]);
    check('g', 1000, [1001, 1, 0, 0]);
    // relative accuracy in the tails, where 1 − σ or 1 − t² would cancel
    check('softplus', -700, [Math.exp(-700), Math.exp(-700), Math.exp(-700), Math.exp(-700)]);
    check('sigmoid', 700, [1, Math.exp(-700), -Math.exp(-700), Math.exp(-700)]);
    check('tanh', 300, [1, 4 * Math.exp(-600), -8 * Math.exp(-600), 16 * Math.exp(-600)]);
  });

  it('rejects unknown activation names', () => {
    expect(() => activationFunctions('swish' as Activation)).toThrow(RangeError);
  });
});

// pairActivation (the float64 reference of the GPU's pair_activate) computes the odd differences
// σ⁽ᵏ⁾(ζ+η) − σ⁽ᵏ⁾(ζ−η) for |η| up to its quadrature limit (1/8; 1/32 for g) by five-point
// Gauss–Legendre, not by subtraction. Its oracle here is plain float64 subtraction, accurate to a
// few ulps of the terms: about 1e-16·|σ⁽ᵏ⁾|/(2η·|σ⁽ᵏ⁺¹⁾|) relative, so ~1e-13 at η = 1e-3.
describe('pairActivation', () => {
  const ZETAS = [-4, -2, -0.7, 0, 0.4, 1, 1.5, 3, 6];
  const SMOOTH = ACTIVATIONS.filter((name) => name !== 'relu');
  const quadratureLimit = (name: Activation) => (name === 'g' ? 1 / 32 : 1 / 8);

  // |quadrature − subtraction| ≤ 1e-10·|subtraction| + 1e-14·(|σ⁽ᵏ⁾(ζ+η)| + |σ⁽ᵏ⁾(ζ−η)|).
  // The relative term holds the rule's truncation error, ~(2η)¹¹·4e-13·|σ⁽ᵏ⁺¹¹⁾|: largest at
  // η = 1/8 for tanh, whose high derivatives are large (measured 2.1e-11 relative, ζ = −0.7, σ‴ − σ‴).
  // The absolute term holds the subtraction's own rounding (measured ≤ 1.6e-16 of the terms; the
  // activations themselves are good to 1e-14 relative, above). Measured worst: 0.21 of this bound
  // (tanh), ≤ 0.021 for the others. A wrong node or weight copied from a table (a few digits off)
  // misses it by orders of magnitude.
  it('gives the differences of plain float64 subtraction for 1e-3 ≤ |η| ≤ its quadrature limit', () => {
    let checked = 0;
    for (const name of SMOOTH) {
      for (const zeta of ZETAS) {
        for (let i = 0; i <= 20; i++) {
          const magnitude = 1e-3 * (quadratureLimit(name) / 1e-3) ** (i / 20);
          for (const eta of [magnitude, -magnitude]) {
            const { difference } = pairActivation(name, zeta, eta);
            const plus = evalActivation(name, zeta + eta);
            const minus = evalActivation(name, zeta - eta);
            for (let k = 0; k < 3; k++) {
              const subtraction = plus[k] - minus[k];
              const bound = 1e-10 * Math.abs(subtraction) + 1e-14 * (Math.abs(plus[k]) + Math.abs(minus[k]));
              expect(Math.abs(difference[k] - subtraction), `${name} ζ=${zeta} η=${eta} σ^(${k})`).toBeLessThanOrEqual(bound);
              checked++;
            }
          }
        }
      }
    }
    expect(checked).toBe(SMOOTH.length * ZETAS.length * 21 * 2 * 3);
  });

  // …and that the quadrature is what computes them: at η = 1e-9 subtraction has lost 8 digits
  // (measured ≥ 2e-9 relative), while the integral still equals 2η·σ⁽ᵏ⁺¹⁾(ζ) up to its O(η²)
  // term, ~1e-19 (measured ≤ 1.9e-15 relative, the rounding of the five terms). ζ avoids the zeros
  // of σ⁽ᵏ⁺¹⁾, where a relative error means nothing.
  it('keeps its relative accuracy where subtraction cancels (η = 1e-9)', () => {
    const eta = 1e-9;
    for (const name of SMOOTH) {
      for (const zeta of [-4, -2.5, -0.7, 0.4, 1.5, 3]) {
        const { difference } = pairActivation(name, zeta, eta);
        const at = evalActivation(name, zeta);
        for (let k = 0; k < 3; k++) {
          const firstOrder = 2 * eta * at[k + 1];
          expect(Math.abs(at[k + 1]), `${name} σ^(${k + 1})(${zeta}) is no zero`).toBeGreaterThan(1e-6);
          expect(Math.abs(difference[k] - firstOrder), `${name} ζ=${zeta} σ^(${k})`).toBeLessThanOrEqual(1e-13 * Math.abs(firstOrder));
        }
      }
    }
  });
});
