import { EncoderLoadError, OnnxRuntimeUnavailableError } from '../model/encoderErrors';
import { TokenizerFileError } from '../tokenize/tokenizerFile';
import { IndexIdentity } from './indexStore';
import { UnitVectors } from './workspaceIndexer';

/**
 * Without a usable encoder, the index still holds every unit and its lexical terms: search by words
 * keeps working. Its identity differs from any model's, so the index is rebuilt with vectors as soon
 * as the encoder loads again.
 */
export const LEXICAL_ONLY: IndexIdentity = { modelId: 'none (lexical only)', dimension: 0 };

/** Empty vectors: every unit counts as embedded, at no cost. */
export const NO_VECTORS: UnitVectors = {
  embedUnits: (units) => Promise.resolve(units.map(() => new Float32Array(0))),
};

/** Whether a failure to load the encoder leaves search lexical-only rather than failing it: a missing, corrupt or mismatched model or tokenizer file, or no onnxruntime. */
export function isEncoderUnavailable(error: unknown): error is EncoderLoadError | OnnxRuntimeUnavailableError | TokenizerFileError {
  return error instanceof EncoderLoadError || error instanceof OnnxRuntimeUnavailableError || error instanceof TokenizerFileError;
}
