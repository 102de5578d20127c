// The pieces BERT-family encoders add to the shared kernels (issue 22): their embeddings (word + position + token type, before
// the embedding LayerNorm), the exact erf GELU (cuBLASLt's GELU epilogue is the tanh form GPT-2 uses), and the fp32 residual
// stream converted to the products' input type (post-LayerNorm blocks feed x itself to the qkv product, not a LayerNorm of it).
// Legend as gpt2.cu: B batch, T tokens (the padded bucket), C channels, R = B * T rows.

// x[b, t, :] = words[ids[b, t], :] + positions[offset + t, :] + types[0, :]   grid (R), block 256.   ids (B, T) -> x (B, T, C) fp32.
// Token type 0 throughout (single texts, as sentence-transformers encodes them); offset is RoBERTa's padding index + 1 (0 for BERT).
extern "C" __global__ void embed_encoder(float* __restrict__ x, const int* __restrict__ ids, const float* __restrict__ words,
                                         const float* __restrict__ positions, const float* __restrict__ type0, int T, int C, int offset)
{
    const int row = blockIdx.x;
    const int t = row % T;
    const float* word = words + (size_t)ids[row] * C;
    const float* pos = positions + (size_t)(offset + t) * C;
    float* out = x + (size_t)row * C;
    for (int c = threadIdx.x; c < C; c += blockDim.x) out[c] = word[c] + pos[c] + type0[c];
}

// GELU, exact form 0.5 x (1 + erf(x / sqrt 2)) (HF "gelu"), in place on n floatX values.
extern "C" __global__ void gelu_erf(floatX* x, long long n)
{
    const long long i = (long long)blockIdx.x * blockDim.x + threadIdx.x;
    if (i >= n) return;
    const float v = toF(x[i]);
    x[i] = fromF(0.5f * v * (1.f + erff(v * 0.70710678118654752f)));
}

// out (n) floatX = in (n) fp32: the residual stream as the next product's input.
extern "C" __global__ void to_x(floatX* __restrict__ out, const float* __restrict__ in, long long n)
{
    const long long i = (long long)blockIdx.x * blockDim.x + threadIdx.x;
    if (i < n) out[i] = fromF(in[i]);
}
