/** The row plan the fused collate + mask kernel executes (see docs and `assembly/collate.ts`). */
export interface RowPlan {
  rows: number;
  width: number;
  rowItemStart: Int32Array;
  items: Int32Array;
  rowLengths: Int32Array;
  sampleIds: Uint32Array;
  nextSentenceLabel?: Int32Array;
}
