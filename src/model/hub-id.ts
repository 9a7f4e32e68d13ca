// Hugging Face Hub model ids as a model argument: `ORG/NAME` or `ORG/NAME@revision`. An argument
// is an id only when no local file or folder has that name, so a folder always wins.
import fs from 'node:fs';

export interface HubId {
  /** `ORG/NAME` */
  repo: string;
  /** branch, tag or commit; `main` when not given */
  revision: string;
  /** the argument as the user wrote it */
  text: string;
}

// The Hub's rules for names: letters, digits, `-`, `_`, `.`; not starting with `.` or `-`.
const PART = '[A-Za-z0-9_][A-Za-z0-9_.-]*';
const ID = new RegExp(`^(${PART}/${PART})(?:@(\\S+))?$`);

/** The Hub id an argument names, or undefined for a path (existing or not an id's shape). */
export function parseHubId(arg: string): HubId | undefined {
  if (fs.existsSync(arg)) return undefined;
  const m = ID.exec(arg);
  if (!m || m[1].split('/').some((p) => p === '.' || p === '..' || p.endsWith('.'))) return undefined;
  return { repo: m[1], revision: m[2] ?? 'main', text: arg };
}

/** A full commit hash: such a revision never moves, so a cached snapshot needs no request. */
export const isCommitHash = (revision: string): boolean => /^[0-9a-f]{40}$/.test(revision);
