// Fused training kernels compiled to a WebAssembly module (SIMD128) that imports the tfjs wasm
// backend's own memory, so they read and write tensors in place of their heap offsets (no copies).
// Why hand-written: tfjs has no fused AdamW / cross-entropy kernels; as chains of tfjs ops they cost
// ~15–25 passes over the parameters (or the [N, V] logits) per step, and JS loops are slower still.
// Constraints of sharing tfjs's memory: no data segments, no stack (leaf functions, values in
// wasm locals only) — build.sh checks the output for both. Rebuild: `sh build.sh` (clang + lld).
#include <stdint.h>
#include <wasm_simd128.h>

#define EXPORT(name) __attribute__((export_name(#name)))

// AdamW: g' = g·gs; m' = b1·m + (1−b1)·g'; v' = b2·v + (1−b2)·g'²;
// p' = p·keep − lr·(m'·ib1) / (√(v'·ib2) + eps). Outputs go to separate (new) tensors.
EXPORT(adamw)
void adamw(const float* p, const float* g, const float* m, const float* v, float* po, float* mo, float* vo, uint32_t n,
           float b1, float b2, float lr, float eps, float ib1, float ib2, float keep, float gs) {
  const v128_t B1 = wasm_f32x4_splat(b1), C1 = wasm_f32x4_splat(1.0f - b1);
  const v128_t B2 = wasm_f32x4_splat(b2), C2 = wasm_f32x4_splat(1.0f - b2);
  const v128_t LR = wasm_f32x4_splat(lr), EPS = wasm_f32x4_splat(eps);
  const v128_t IB1 = wasm_f32x4_splat(ib1), IB2 = wasm_f32x4_splat(ib2);
  const v128_t KEEP = wasm_f32x4_splat(keep), GS = wasm_f32x4_splat(gs);
  uint32_t i = 0;
  for (; i + 4 <= n; i += 4) {
    v128_t gi = wasm_f32x4_mul(wasm_v128_load(g + i), GS);
    v128_t mi = wasm_f32x4_add(wasm_f32x4_mul(wasm_v128_load(m + i), B1), wasm_f32x4_mul(gi, C1));
    v128_t vi = wasm_f32x4_add(wasm_f32x4_mul(wasm_v128_load(v + i), B2), wasm_f32x4_mul(wasm_f32x4_mul(gi, gi), C2));
    v128_t upd = wasm_f32x4_div(wasm_f32x4_mul(mi, IB1), wasm_f32x4_add(wasm_f32x4_sqrt(wasm_f32x4_mul(vi, IB2)), EPS));
    wasm_v128_store(mo + i, mi);
    wasm_v128_store(vo + i, vi);
    wasm_v128_store(po + i, wasm_f32x4_sub(wasm_f32x4_mul(wasm_v128_load(p + i), KEEP), wasm_f32x4_mul(LR, upd)));
  }
  for (; i < n; i++) {
    float gi = g[i] * gs;
    float mi = m[i] * b1 + gi * (1.0f - b1);
    float vi = v[i] * b2 + gi * gi * (1.0f - b2);
    mo[i] = mi;
    vo[i] = vi;
    po[i] = p[i] * keep - lr * ((mi * ib1) / (__builtin_sqrtf(vi * ib2) + eps));
  }
}

// EMA: o = e + (p − e)·k
EXPORT(ema)
void ema(const float* e, const float* p, float* o, uint32_t n, float k) {
  const v128_t K = wasm_f32x4_splat(k);
  uint32_t i = 0;
  for (; i + 4 <= n; i += 4) {
    v128_t ei = wasm_v128_load(e + i);
    wasm_v128_store(o + i, wasm_f32x4_add(ei, wasm_f32x4_mul(wasm_f32x4_sub(wasm_v128_load(p + i), ei), K)));
  }
  for (; i < n; i++) o[i] = e[i] + (p[i] - e[i]) * k;
}

// Σx², accumulated in float64.
EXPORT(sumsq)
double sumsq(const float* x, uint32_t n) {
  v128_t acc0 = wasm_f64x2_splat(0.0), acc1 = wasm_f64x2_splat(0.0);
  uint32_t i = 0;
  for (; i + 4 <= n; i += 4) {
    v128_t xi = wasm_v128_load(x + i);
    v128_t sq = wasm_f32x4_mul(xi, xi);
    acc0 = wasm_f64x2_add(acc0, wasm_f64x2_promote_low_f32x4(sq));
    acc1 = wasm_f64x2_add(acc1, wasm_f64x2_promote_low_f32x4(wasm_i32x4_shuffle(sq, sq, 2, 3, 0, 1)));
  }
  double s = wasm_f64x2_extract_lane(acc0, 0) + wasm_f64x2_extract_lane(acc0, 1) + wasm_f64x2_extract_lane(acc1, 0) +
             wasm_f64x2_extract_lane(acc1, 1);
  for (; i < n; i++) s += (double)x[i] * x[i];
  return s;
}

// exp(x) for x ≤ 0 (Cephes expf polynomial, |rel err| < 2e-7 on [−87, 0]); x below −87 flushes to ~0.
static inline v128_t exp_neg(v128_t x) {
  x = wasm_f32x4_max(x, wasm_f32x4_splat(-87.0f));
  v128_t fx = wasm_f32x4_nearest(wasm_f32x4_mul(x, wasm_f32x4_splat(1.44269504088896341f)));
  x = wasm_f32x4_sub(x, wasm_f32x4_mul(fx, wasm_f32x4_splat(0.693359375f)));
  x = wasm_f32x4_sub(x, wasm_f32x4_mul(fx, wasm_f32x4_splat(-2.12194440e-4f)));
  v128_t y = wasm_f32x4_splat(1.9875691500e-4f);
  y = wasm_f32x4_add(wasm_f32x4_mul(y, x), wasm_f32x4_splat(1.3981999507e-3f));
  y = wasm_f32x4_add(wasm_f32x4_mul(y, x), wasm_f32x4_splat(8.3334519073e-3f));
  y = wasm_f32x4_add(wasm_f32x4_mul(y, x), wasm_f32x4_splat(4.1665795894e-2f));
  y = wasm_f32x4_add(wasm_f32x4_mul(y, x), wasm_f32x4_splat(1.6666665459e-1f));
  y = wasm_f32x4_add(wasm_f32x4_mul(y, x), wasm_f32x4_splat(5.0000001201e-1f));
  y = wasm_f32x4_add(wasm_f32x4_add(wasm_f32x4_mul(wasm_f32x4_mul(y, x), x), x), wasm_f32x4_splat(1.0f));
  v128_t pow2n = wasm_i32x4_shl(wasm_i32x4_add(wasm_i32x4_trunc_sat_f32x4(fx), wasm_i32x4_splat(127)), 23);
  return wasm_f32x4_mul(y, pow2n);
}

// Cross-entropy rows: for each row r of logits [n, v] (v a multiple of 4), writes
// grad[r] = w[r]·(softmax(x[r]) − onehot(label[r])) and stats = (max, Σexp(x − max)) per row; the
// caller forms loss = Σ w[r]·(log Σ + max − x[r, label]) (n logs, done in JS).
EXPORT(xent)
void xent(const float* x, const int32_t* labels, const float* w, float* grad, float* stats, uint32_t n, uint32_t v) {
  for (uint32_t r = 0; r < n; r++) {
    const float* xr = x + (uint64_t)r * v;
    float* gr = grad + (uint64_t)r * v;
    v128_t mx = wasm_f32x4_splat(-3.4e38f);
    for (uint32_t j = 0; j < v; j += 4) mx = wasm_f32x4_max(mx, wasm_v128_load(xr + j));
    float m0 = wasm_f32x4_extract_lane(mx, 0), m1 = wasm_f32x4_extract_lane(mx, 1);
    float m2 = wasm_f32x4_extract_lane(mx, 2), m3 = wasm_f32x4_extract_lane(mx, 3);
    float m = m0 > m1 ? m0 : m1;
    m = m > m2 ? m : m2;
    m = m > m3 ? m : m3;
    const v128_t M = wasm_f32x4_splat(m);
    v128_t acc = wasm_f32x4_splat(0.0f);
    for (uint32_t j = 0; j < v; j += 4) {
      v128_t e = exp_neg(wasm_f32x4_sub(wasm_v128_load(xr + j), M));
      wasm_v128_store(gr + j, e);
      acc = wasm_f32x4_add(acc, e);
    }
    float s = wasm_f32x4_extract_lane(acc, 0) + wasm_f32x4_extract_lane(acc, 1) + wasm_f32x4_extract_lane(acc, 2) +
              wasm_f32x4_extract_lane(acc, 3);
    const v128_t SCALE = wasm_f32x4_splat(w[r] / s);
    for (uint32_t j = 0; j < v; j += 4) wasm_v128_store(gr + j, wasm_f32x4_mul(wasm_v128_load(gr + j), SCALE));
    gr[labels[r]] -= w[r];
    stats[2 * r] = m;
    stats[2 * r + 1] = s;
  }
}

// Column sums of x [rows, cols]: out[j] = Σ_r x[r, j] (reductions over leading axes: bias and gain
// gradients). tfjs's wasm Sum transposes the whole tensor first when the axes are not innermost.
EXPORT(colsum)
void colsum(const float* x, float* out, uint32_t rows, uint32_t cols) {
  uint32_t j = 0;
  for (; j + 4 <= cols; j += 4) wasm_v128_store(out + j, wasm_f32x4_splat(0.0f));
  for (; j < cols; j++) out[j] = 0.0f;
  for (uint32_t r = 0; r < rows; r++) {
    const float* xr = x + (uint64_t)r * cols;
    j = 0;
    for (; j + 4 <= cols; j += 4) wasm_v128_store(out + j, wasm_f32x4_add(wasm_v128_load(out + j), wasm_v128_load(xr + j)));
    for (; j < cols; j++) out[j] += xr[j];
  }
}

// Broadcast add/multiply (op 0: +, 1: ×) for the two shapes transformer layers produce, which tfjs's
// wasm binary kernels run on a slow generic broadcast path:
//   trailing: b repeats along a's leading axes (bias [N] over [.., N]; rotary tables [L, dh] over [B, H, L, dh])
//   rows:     b holds one value per row of a [rows, cols] (RMSNorm's [.., 1] scales)
EXPORT(bcast_trailing)
void bcast_trailing(const float* a, const float* b, float* out, uint32_t n, uint32_t bsize, uint32_t op) {
  for (uint32_t base = 0; base < n; base += bsize) {
    const float* ar = a + base;
    float* orow = out + base;
    uint32_t j = 0;
    if (op == 0) {
      for (; j + 4 <= bsize; j += 4) wasm_v128_store(orow + j, wasm_f32x4_add(wasm_v128_load(ar + j), wasm_v128_load(b + j)));
      for (; j < bsize; j++) orow[j] = ar[j] + b[j];
    } else {
      for (; j + 4 <= bsize; j += 4) wasm_v128_store(orow + j, wasm_f32x4_mul(wasm_v128_load(ar + j), wasm_v128_load(b + j)));
      for (; j < bsize; j++) orow[j] = ar[j] * b[j];
    }
  }
}

EXPORT(bcast_rows)
void bcast_rows(const float* a, const float* b, float* out, uint32_t rows, uint32_t cols, uint32_t op) {
  for (uint32_t r = 0; r < rows; r++) {
    const float* ar = a + (uint64_t)r * cols;
    float* orow = out + (uint64_t)r * cols;
    const float s = b[r];
    const v128_t S = wasm_f32x4_splat(s);
    uint32_t j = 0;
    if (op == 0) {
      for (; j + 4 <= cols; j += 4) wasm_v128_store(orow + j, wasm_f32x4_add(wasm_v128_load(ar + j), S));
      for (; j < cols; j++) orow[j] = ar[j] + s;
    } else {
      for (; j + 4 <= cols; j += 4) wasm_v128_store(orow + j, wasm_f32x4_mul(wasm_v128_load(ar + j), S));
      for (; j < cols; j++) orow[j] = ar[j] * s;
    }
  }
}

// RMSNorm over rows of x [rows, d]: r = 1/√(mean(x²) + eps), y = x·r·g. Saves r for the backward.
EXPORT(rmsnorm_fwd)
void rmsnorm_fwd(const float* x, const float* g, float* y, float* r, uint32_t rows, uint32_t d, float eps) {
  for (uint32_t i = 0; i < rows; i++) {
    const float* xr = x + (uint64_t)i * d;
    float* yr = y + (uint64_t)i * d;
    v128_t acc = wasm_f32x4_splat(0.0f);
    uint32_t j = 0;
    for (; j + 4 <= d; j += 4) {
      v128_t v = wasm_v128_load(xr + j);
      acc = wasm_f32x4_add(acc, wasm_f32x4_mul(v, v));
    }
    float ss = wasm_f32x4_extract_lane(acc, 0) + wasm_f32x4_extract_lane(acc, 1) + wasm_f32x4_extract_lane(acc, 2) +
               wasm_f32x4_extract_lane(acc, 3);
    for (; j < d; j++) ss += xr[j] * xr[j];
    const float ri = 1.0f / __builtin_sqrtf(ss / (float)d + eps);
    r[i] = ri;
    const v128_t R = wasm_f32x4_splat(ri);
    j = 0;
    for (; j + 4 <= d; j += 4) wasm_v128_store(yr + j, wasm_f32x4_mul(wasm_f32x4_mul(wasm_v128_load(xr + j), R), wasm_v128_load(g + j)));
    for (; j < d; j++) yr[j] = xr[j] * ri * g[j];
  }
}

// RMSNorm backward: dx = r·g·dy − x·r³·mean(g·dy·x); dg = Σ_rows dy·x·r (dg zeroed here).
EXPORT(rmsnorm_bwd)
void rmsnorm_bwd(const float* dy, const float* x, const float* g, const float* r, float* dx, float* dg, uint32_t rows, uint32_t d) {
  uint32_t j = 0;
  for (; j + 4 <= d; j += 4) wasm_v128_store(dg + j, wasm_f32x4_splat(0.0f));
  for (; j < d; j++) dg[j] = 0.0f;
  for (uint32_t i = 0; i < rows; i++) {
    const float* dyr = dy + (uint64_t)i * d;
    const float* xr = x + (uint64_t)i * d;
    float* dxr = dx + (uint64_t)i * d;
    const float ri = r[i];
    const v128_t R = wasm_f32x4_splat(ri);
    v128_t acc = wasm_f32x4_splat(0.0f);
    j = 0;
    for (; j + 4 <= d; j += 4) {
      v128_t dyv = wasm_v128_load(dyr + j), xv = wasm_v128_load(xr + j);
      acc = wasm_f32x4_add(acc, wasm_f32x4_mul(wasm_f32x4_mul(wasm_v128_load(g + j), dyv), xv));
      wasm_v128_store(dg + j, wasm_f32x4_add(wasm_v128_load(dg + j), wasm_f32x4_mul(wasm_f32x4_mul(dyv, xv), R)));
    }
    float dot = wasm_f32x4_extract_lane(acc, 0) + wasm_f32x4_extract_lane(acc, 1) + wasm_f32x4_extract_lane(acc, 2) +
                wasm_f32x4_extract_lane(acc, 3);
    for (; j < d; j++) {
      dot += g[j] * dyr[j] * xr[j];
      dg[j] += dyr[j] * xr[j] * ri;
    }
    const float c = ri * ri * ri * dot / (float)d;
    const v128_t C = wasm_f32x4_splat(c);
    j = 0;
    for (; j + 4 <= d; j += 4) {
      v128_t t = wasm_f32x4_mul(wasm_f32x4_mul(wasm_v128_load(g + j), wasm_v128_load(dyr + j)), R);
      wasm_v128_store(dxr + j, wasm_f32x4_sub(t, wasm_f32x4_mul(wasm_v128_load(xr + j), C)));
    }
    for (; j < d; j++) dxr[j] = ri * g[j] * dyr[j] - xr[j] * c;
  }
}

// σ(a) for any a, through exp of −|a| (exp_neg's domain).
static inline v128_t sigmoid4(v128_t a) {
  v128_t e = exp_neg(wasm_f32x4_neg(wasm_f32x4_abs(a)));
  v128_t one = wasm_f32x4_splat(1.0f);
  v128_t inv = wasm_f32x4_div(one, wasm_f32x4_add(one, e));
  // a ≥ 0: 1/(1+e); a < 0: e/(1+e)
  return wasm_v128_bitselect(inv, wasm_f32x4_mul(e, inv), wasm_f32x4_ge(a, wasm_f32x4_splat(0.0f)));
}

static inline float sigmoid1(float a) {
  v128_t s = sigmoid4(wasm_f32x4_splat(a));
  return wasm_f32x4_extract_lane(s, 0);
}

// SwiGLU gate: y = silu(a)·b = a·σ(a)·b.
EXPORT(swiglu_fwd)
void swiglu_fwd(const float* a, const float* b, float* y, uint32_t n) {
  uint32_t i = 0;
  for (; i + 4 <= n; i += 4) {
    v128_t av = wasm_v128_load(a + i);
    wasm_v128_store(y + i, wasm_f32x4_mul(wasm_f32x4_mul(av, sigmoid4(av)), wasm_v128_load(b + i)));
  }
  for (; i < n; i++) y[i] = a[i] * sigmoid1(a[i]) * b[i];
}

// da = dy·b·σ(a)·(1 + a·(1 − σ(a))), db = dy·a·σ(a).
EXPORT(swiglu_bwd)
void swiglu_bwd(const float* dy, const float* a, const float* b, float* da, float* db, uint32_t n) {
  const v128_t one = wasm_f32x4_splat(1.0f);
  uint32_t i = 0;
  for (; i + 4 <= n; i += 4) {
    v128_t av = wasm_v128_load(a + i), dyv = wasm_v128_load(dy + i);
    v128_t s = sigmoid4(av);
    v128_t dsilu = wasm_f32x4_mul(s, wasm_f32x4_add(one, wasm_f32x4_mul(av, wasm_f32x4_sub(one, s))));
    wasm_v128_store(da + i, wasm_f32x4_mul(wasm_f32x4_mul(dyv, wasm_v128_load(b + i)), dsilu));
    wasm_v128_store(db + i, wasm_f32x4_mul(dyv, wasm_f32x4_mul(av, s)));
  }
  for (; i < n; i++) {
    float s = sigmoid1(a[i]);
    da[i] = dy[i] * b[i] * s * (1.0f + a[i] * (1.0f - s));
    db[i] = dy[i] * a[i] * s;
  }
}
