// The WebAssembly JS API as Node 20 provides it. @types/node 20 leaves it to lib.dom, which a
// Node library should not pull in; only what maskpack uses is declared.
declare namespace WebAssembly {
  interface MemoryDescriptor {
    initial: number;
    maximum?: number;
    shared?: boolean;
  }
  class Memory {
    constructor(descriptor: MemoryDescriptor);
    readonly buffer: ArrayBuffer;
    grow(delta: number): number;
  }
  interface ModuleExportDescriptor {
    name: string;
    kind: 'function' | 'global' | 'memory' | 'table' | 'tag';
  }
  class Module {
    constructor(bytes: ArrayBufferView | ArrayBuffer);
    static exports(module: Module): ModuleExportDescriptor[];
  }
  class Global {
    readonly value: number;
  }
  class Instance {
    constructor(module: Module, imports?: Record<string, Record<string, unknown>>);
    readonly exports: Record<string, unknown>;
  }
}
