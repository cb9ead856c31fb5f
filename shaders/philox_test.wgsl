// Test kernel for philox.wgsl (used only by tests/numerics/rng-gpu.test.ts). Three entry points:
//   main:      for i in 0..count, the words w of philox4x32((counter0 + i, run, stream, c3), key),
//              then uniform01(w) (as bits) and random_index(w, n): 12 u32 per i
//   convert:   uniform01 (as bits) and random_index(u, n) of given words: 2 u32 per word
//   minibatch: minibatch_index(key, run, step0 + t, batch, b, samples) for t in 0..count, b in 0..batch

struct Config {
  counter0: u32,
  run: u32,
  stream: u32,
  c3: u32,
  key: vec2<u32>,
  n: u32,
  count: u32,
  step0: u32,
  batch: u32,
  samples: u32,
  _pad: u32,
}

@group(0) @binding(0) var<uniform> cfg: Config;
@group(0) @binding(1) var<storage, read_write> result: array<u32>;
@group(0) @binding(2) var<storage, read> words_in: array<u32>;

@compute @workgroup_size(64)
fn main(@builtin(global_invocation_id) id: vec3<u32>) {
  let i = id.x;
  if (i >= cfg.count) {
    return;
  }
  let w = philox4x32(vec4<u32>(cfg.counter0 + i, cfg.run, cfg.stream, cfg.c3), cfg.key);
  for (var j = 0u; j < 4u; j++) {
    result[12u * i + j] = w[j];
    result[12u * i + 4u + j] = bitcast<u32>(uniform01(w[j]));
    result[12u * i + 8u + j] = random_index(w[j], cfg.n);
  }
}

@compute @workgroup_size(64)
fn convert(@builtin(global_invocation_id) id: vec3<u32>) {
  let i = id.x;
  if (i >= cfg.count) {
    return;
  }
  let u = words_in[i];
  result[2u * i] = bitcast<u32>(uniform01(u));
  result[2u * i + 1u] = random_index(u, cfg.n);
}

@compute @workgroup_size(64)
fn minibatch(@builtin(global_invocation_id) id: vec3<u32>) {
  let i = id.x;
  if (i >= cfg.count * cfg.batch) {
    return;
  }
  let t = i / cfg.batch;
  let b = i % cfg.batch;
  result[i] = minibatch_index(cfg.key, cfg.run, cfg.step0 + t, cfg.batch, b, cfg.samples);
}
