// Which prompt a text gets, as sentence-transformers' encode decides it: a literal prompt, else a
// named one, else the folder's default_prompt_name; encode_query / encode_document use the
// 'query' / 'document' prompt. sentence-transformers always has both of those (empty unless the
// folder sets them), so naming them is never an error.

/** What a model folder says about prompts (ModelFolder has these fields). */
export interface PromptConfig {
  prompts: Record<string, string>;
  defaultPromptName: string | null;
  /** false: pooling leaves the prompt's tokens out. */
  includePrompt: boolean;
}

/** A caller's choice of prompt: a literal text (`prompt=`) or a name (`prompt_name=`), not both. */
export interface PromptChoice {
  prompt?: string;
  promptName?: string;
}

/** The prompt named `name`, or a clear error naming where prompts live. */
export function namedPrompt(prompts: Record<string, string>, name: string, source: string): string {
  const prompt = prompts[name] ?? (name === 'query' || name === 'document' ? '' : undefined);
  if (prompt === undefined) throw new Error(`prompt "${name}" is not defined in ${source} (has: ${Object.keys(prompts).join(', ') || 'none'})`);
  return prompt;
}

/** The text prepended to every input; '' for none. `source` names config_sentence_transformers.json. */
export function resolvePrompt(cfg: PromptConfig, choice: PromptChoice, source: string): string {
  if (choice.prompt !== undefined && choice.promptName !== undefined) throw new Error(`give a prompt or a prompt name, not both (prompt name "${choice.promptName}")`);
  if (choice.prompt !== undefined) return choice.prompt;
  if (choice.promptName !== undefined) return namedPrompt(cfg.prompts, choice.promptName, source);
  return cfg.defaultPromptName === null ? '' : namedPrompt(cfg.prompts, cfg.defaultPromptName, source);
}

/** encode_query / encode_document: the role's prompt unless the caller chose one. */
export function roleChoice<T extends PromptChoice>(cfg: PromptConfig, role: 'query' | 'document', o: T): T {
  return o.prompt !== undefined || o.promptName !== undefined ? o : { ...o, prompt: cfg.prompts[role] ?? '' };
}
