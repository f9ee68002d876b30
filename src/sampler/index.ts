export { Sampler, createSampler, type SamplerState, type SamplerBatch } from './sampler.js';
export { padWidth, optionsHash, type SamplerOptions, type ResolvedSamplerOptions, type PadPolicy, type BatchBy } from './options.js';
export { epochPermutation } from './permutation.js';
export { rankShare } from './batching.js';
export { toSources, type MixtureOptions } from './sampler.js';
export { MAX_SOURCES, type MixtureSource } from './mixture.js';
export { blend, mixtureWeights, type Blend, type WeightInput } from './blend.js';
