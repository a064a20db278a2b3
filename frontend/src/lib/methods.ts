// What each training method (training.method, Go's runconfig.Methods) is,
// in the words the New run form shows beside its choice: a name, one line
// on what it does and the data it needs. The list of methods and every
// setting's meaning are Go's; these lines are the UI's own copy.

export interface MethodInfo {
  title: string;
  /** What the method does, in one line. */
  line: string;
  /** The data it trains on. */
  data: string;
  /** Whether it trains on preference pairs (a prompt with a chosen and a rejected answer). */
  pairs: boolean;
}

export const methodInfo: Record<string, MethodInfo> = {
  sft: {
    title: 'SFT',
    line: 'Supervised fine-tuning: the model learns to write the answers of your examples.',
    data: 'conversations, instructions or text',
    pairs: false,
  },
  dpo: {
    title: 'DPO',
    line: 'Direct Preference Optimization: the model learns to prefer the chosen answer over the rejected one, held near the base model.',
    data: 'preference pairs: a prompt with a chosen and a rejected answer',
    pairs: true,
  },
  orpo: {
    title: 'ORPO',
    line: 'Odds-ratio preference optimization: learns the chosen answers and to prefer them over the rejected ones, with no reference model.',
    data: 'preference pairs: a prompt with a chosen and a rejected answer',
    pairs: true,
  },
  cpt: {
    title: 'Continued pretraining',
    line: "Teaches the model a domain's text: no prompts, every token is trained.",
    data: 'raw text',
    pairs: false,
  },
};

/** A method's info; an unknown method (a newer Go) shows under its own name. */
export function infoOf(method: string): MethodInfo {
  return methodInfo[method] ?? { title: method, line: '', data: '', pairs: false };
}

/**
 * What the form notes under the chosen method about how it reads the
 * data, or '' when there is nothing beyond its line.
 */
export function methodNote(method: string): string {
  if (method === 'cpt') {
    return 'Text data is packed into full rows of the maximum sequence length, and every token is trained: there is no prompt to mask, so "train on responses only" and packing are not asked.';
  }
  if (infoOf(method).pairs) {
    return 'Needs a preference dataset (prompt, chosen and rejected columns; the Datasets screen shows both answers). The prompt is never trained; each answer is.';
  }
  return '';
}
