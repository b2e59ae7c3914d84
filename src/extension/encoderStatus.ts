import * as vscode from 'vscode';
import { Encoder } from '../core/model/encoder';
import { EncoderLoadError, OnnxRuntimeUnavailableError } from '../core/model/encoderErrors';

/** Where the encoder comes from: `astrolabe.encoder.path`, or the bundled models/encoder. */
export function encoderFolder(context: vscode.ExtensionContext): string {
  const configured = vscode.workspace.getConfiguration('astrolabe').get<string>('encoder.path')?.trim();
  return configured ? configured : context.asAbsolutePath('models/encoder');
}

/**
 * Loads the encoder once to check it, and says what it is or why it cannot be used. A failure is a
 * message naming the file, never an exception that takes the extension down: parsing and the views
 * keep working without a model.
 */
export async function checkEncoder(folder: string, log: vscode.LogOutputChannel): Promise<string> {
  try {
    const started = Date.now();
    const encoder = await Encoder.load(folder, { threads: 1 });
    const { modelId, hiddenSize, layers, dimensions, maxTokens } = encoder.config;
    await encoder.release();
    const summary = `encoder ${modelId}: ${layers} layers, ${hiddenSize} dimensions (Matryoshka ${dimensions.join('/')}), up to ${maxTokens} tokens; loaded in ${Date.now() - started} ms from ${folder}`;
    log.info(summary);
    return summary;
  } catch (error) {
    if (error instanceof EncoderLoadError || error instanceof OnnxRuntimeUnavailableError) {
      log.warn(`encoder unavailable: ${error.message}`);
      throw new Error(`${error.message}. Search by meaning is off; everything else works.`, { cause: error });
    }
    throw error;
  }
}
