// Philox4x32-10 (Salmon et al., SC'11), the WGSL twin of src/numerics/rng.ts: a shared snippet with no
// bindings and no entry point, concatenated before the kernels that draw random numbers. Every
// function here returns bit for bit what its TypeScript namesake returns (tests/numerics/rng-gpu.test.ts).
//
//   philox4x32(counter, key)   = philox4x32(c0, c1, c2, c3, k0, k1)   four u32 words
//   uniform01(u)               = toUniform(u)                          [0, 1) on a 2^-24 grid
//   random_index(u, n)         = randomIndex(u, n)                     uniform in 0..n-1 (n >= 1)
//   minibatch_index(...)       = minibatchIndex(...)                   see below
//
// Draws of a run use counter (c, run, stream, 0) under key (seedLo, seedHi), with seedLo/seedHi the
// low and high 32 bits of the seed and stream one of STREAMS in rng.ts; the 4 words of counter block c
// are draws 4c, 4c+1, 4c+2, 4c+3, the order RandomStream(seed, run, stream) hands them out.
//
// Minibatches of SGD: sample b (0 <= b < batch) of step t of run r with seed s is
//   random_index(word (g mod 4) of philox4x32((g / 4, r, STREAMS.minibatch, 0), (seedLo, seedHi)), N)
// with g = t * batch + b the global draw number (integer division; g < 2^34 so that g / 4 fits a
// u32). This is draw g of RandomStream(s, r, STREAMS.minibatch), so the CPU and the GPU pick the
// same samples, in the same order, whichever processor runs which step.

const PHILOX_M0: u32 = 0xD2511F53u;
const PHILOX_M1: u32 = 0xCD9E8D57u;
const PHILOX_W0: u32 = 0x9E3779B9u;
const PHILOX_W1: u32 = 0xBB67AE85u;
// STREAMS.minibatch in src/numerics/rng.ts
const PHILOX_STREAM_MINIBATCH: u32 = 4u;

// The exact 64-bit product of two u32 as (high word, low word). WGSL has no 64-bit integers: the
// high word is assembled from the four 16 x 16-bit partial products, none of which overflows.
fn mulhilo32(a: u32, b: u32) -> vec2<u32> {
  let al = a & 0xFFFFu;
  let ah = a >> 16u;
  let bl = b & 0xFFFFu;
  let bh = b >> 16u;
  let ll = al * bl;
  let lh = al * bh;
  let hl = ah * bl;
  let mid = (ll >> 16u) + (lh & 0xFFFFu) + (hl & 0xFFFFu);
  let hi = ah * bh + (lh >> 16u) + (hl >> 16u) + (mid >> 16u);
  return vec2<u32>(hi, a * b);
}

// Philox4x32 with 10 rounds: four independent u32 from a 128-bit counter and a 64-bit key.
fn philox4x32(counter: vec4<u32>, key: vec2<u32>) -> vec4<u32> {
  var x = counter;
  var k = key;
  for (var r = 0u; r < 10u; r++) {
    let p0 = mulhilo32(PHILOX_M0, x.x);
    let p1 = mulhilo32(PHILOX_M1, x.z);
    x = vec4<u32>(p1.x ^ x.y ^ k.x, p1.y, p0.x ^ x.w ^ k.y, p0.y);
    k += vec2<u32>(PHILOX_W0, PHILOX_W1);
  }
  return x;
}

// u32 to a uniform in [0, 1): the top 24 bits times 2^-24, exact in f32 (same as toUniform).
fn uniform01(u: u32) -> f32 {
  return f32(u >> 8u) * 5.9604644775390625e-8;
}

// u32 to a uniform index in 0..n-1 (n >= 1): floor(uniform01(u) * f32(n)), clamped to n - 1. The f32
// product is correctly rounded in WGSL; randomIndex in rng.ts rounds it with Math.fround.
fn random_index(u: u32, n: u32) -> u32 {
  return min(u32(floor(uniform01(u) * f32(n))), n - 1u);
}

// Sample b of the minibatch of step t of a run (see the head of this file): g = t * batch + b is
// formed in 64 bits, so t * batch may pass 2^32 (up to g < 2^34).
fn minibatch_index(key: vec2<u32>, run: u32, step: u32, batch: u32, b: u32, samples: u32) -> u32 {
  let product = mulhilo32(step, batch);
  let lo = product.y + b;
  let hi = product.x + select(0u, 1u, lo < b);
  let block = (lo >> 2u) | (hi << 30u);
  let words = philox4x32(vec4<u32>(block, run, PHILOX_STREAM_MINIBATCH, 0u), key);
  return random_index(words[lo & 3u], samples);
}
