import { Tokenizer } from '@huggingface/tokenizers';
import { readFileSync } from 'node:fs';

/** The ids the completion prompt format needs (training/lm_tokenizer.py fixes them by name). */
export interface CompletionSpecialTokens {
  readonly endOfText: number;
  readonly fimPrefix: number;
  readonly fimSuffix: number;
  readonly fimMiddle: number;
}

/**
 * The completion model's byte-level BPE tokenizer (the tokenizer.json training wrote, run by
 * @huggingface/tokenizers): any text round-trips exactly. `tokenTexts` holds each id's own decoded
 * text, which the monitors' vocabulary trie is built from.
 */
export class CompletionTokenizer {
  readonly specials: CompletionSpecialTokens;
  readonly tokenTexts: readonly string[];
  /** Ids that are control tokens, never text (they decode to ''). */
  readonly specialIds: ReadonlySet<number>;

  private constructor(private readonly tokenizer: Tokenizer, vocabularySize: number) {
    const id = (token: string): number => {
      const found = tokenizer.token_to_id(token);
      if (found === undefined) throw new Error(`tokenizer has no ${token} token`);
      return found;
    };
    this.specials = { endOfText: id('<|endoftext|>'), fimPrefix: id('<fim_prefix>'), fimSuffix: id('<fim_suffix>'), fimMiddle: id('<fim_middle>') };
    this.specialIds = new Set([...tokenizer.get_added_tokens_decoder().keys()]);
    const texts: string[] = [];
    for (let token = 0; token < vocabularySize; token++) texts.push(this.specialIds.has(token) ? '' : this.decode([token]));
    this.tokenTexts = texts;
  }

  static fromFile(path: string): CompletionTokenizer {
    const json = JSON.parse(readFileSync(path, 'utf8')) as { model: { vocab: Record<string, number> }; added_tokens?: unknown[] };
    const size = Object.keys(json.model.vocab).length;
    return new CompletionTokenizer(new Tokenizer(json, {}), size);
  }

  get vocabularySize(): number {
    return this.tokenTexts.length;
  }

  encode(text: string): number[] {
    return text ? this.tokenizer.encode(text, { add_special_tokens: false }).ids : [];
  }

  decode(ids: readonly number[]): string {
    return this.tokenizer.decode([...ids], { skip_special_tokens: true, clean_up_tokenization_spaces: false });
  }
}
