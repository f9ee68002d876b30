/** First byte after the module's static data: host arenas start at or above it. */
export function heapBase(): usize {
  return __heap_base;
}
