// The prompts a run trains with, recorded in the model it saves: the recipe's query prompt becomes
// the folder's 'query' prompt and its positive prompt the 'document' one, so that embed, eval and
// the run's own evaluation (encode_query / encode_document roles) prepend what training did.
// sentence-transformers' trainer leaves the model's prompts as they are; densetrain records them
// because a model trained with prompts is only used well with them.
import type { ColumnPrompts } from '../data/config.js';
import type { ModelFolder } from '../model/folder.js';

/** `folder` with the recipe's prompts as its query / document prompts (those the recipe sets; others kept). */
export function withTrainingPrompts(folder: ModelFolder, prompts: ColumnPrompts | undefined): ModelFolder {
  if (!prompts || (prompts.query === '' && prompts.positive === '')) return folder;
  const merged = { ...folder.prompts };
  if (prompts.query !== '') merged.query = prompts.query;
  if (prompts.positive !== '') merged.document = prompts.positive;
  return { ...folder, prompts: merged };
}
