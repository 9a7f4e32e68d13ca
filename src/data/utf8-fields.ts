// Which field of a JSON line holds invalid UTF-8, so the error can name it. Node decodes invalid
// bytes as U+FFFD; the fields whose strings (or keys) then hold U+FFFD are the bad ones, unless
// the line also holds a genuine U+FFFD, which makes them indistinguishable (then: no field).
const REPLACEMENT = '\ufffd';
const REPLACEMENT_BYTES = Buffer.from(REPLACEMENT, 'utf8');

/** The paths (`query`, `negatives[2].document`) of the fields holding invalid UTF-8; [] when unknown. */
export function invalidUtf8Fields(bytes: Buffer): string[] {
  if (bytes.includes(REPLACEMENT_BYTES) || /\\u[fF][fF][fF][dD]/.test(bytes.toString('latin1'))) return [];
  let value: unknown;
  try {
    value = JSON.parse(bytes.toString('utf8'));
  } catch {
    return []; // the bad bytes lie outside strings: the line is not JSON either
  }
  const found: string[] = [];
  walk(value, '', found);
  return found;
}

function walk(v: unknown, at: string, found: string[]): void {
  if (typeof v === 'string') {
    if (v.includes(REPLACEMENT)) found.push(at || '(the whole value)');
  } else if (Array.isArray(v)) {
    v.forEach((x, i) => walk(x, `${at}[${i}]`, found));
  } else if (v !== null && typeof v === 'object') {
    for (const [k, x] of Object.entries(v)) {
      const key = at ? `${at}.${k}` : k;
      if (k.includes(REPLACEMENT)) found.push(key);
      else walk(x, key, found);
    }
  }
}
