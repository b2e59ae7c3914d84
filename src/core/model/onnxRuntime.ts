import type * as ort from 'onnxruntime-node';
import { OnnxRuntimeUnavailableError } from './encoderErrors';

let runtime: typeof ort | undefined;

/**
 * onnxruntime-node, loaded on first use. A platform without its native binary gets a typed error
 * instead of a crash at startup, so everything that needs no model keeps working.
 */
export function onnxRuntime(): typeof ort {
  if (!runtime) {
    try {
      // eslint-disable-next-line @typescript-eslint/no-require-imports
      runtime = require('onnxruntime-node') as typeof ort;
    } catch (error) {
      throw new OnnxRuntimeUnavailableError(error);
    }
  }
  return runtime;
}
