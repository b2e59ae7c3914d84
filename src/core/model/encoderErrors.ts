/** The encoder could not be loaded: names the file and says why (missing, corrupt, mismatched). */
export class EncoderLoadError extends Error {
  constructor(readonly file: string, readonly why: string, cause?: unknown) {
    super(`encoder file ${file}: ${why}`, cause === undefined ? undefined : { cause });
    this.name = 'EncoderLoadError';
  }
}

/** onnxruntime itself is not available on this platform: features that need the model are off. */
export class OnnxRuntimeUnavailableError extends Error {
  constructor(cause: unknown) {
    super(`onnxruntime-node could not be loaded on ${process.platform}-${process.arch}: ${cause instanceof Error ? cause.message : String(cause)}`, { cause });
    this.name = 'OnnxRuntimeUnavailableError';
  }
}
