/** Query parameters that carry credentials in feed URLs (MaxMind's `license_key`, signed URLs' `sig`, ...). */
const SECRET_PARAM = /key|token|secret|licen[cs]e|pass|auth|sig|credential/i;

/**
 * A URL as iprisk prints and stores it: a password in the user info and the values of
 * credential-like query parameters replaced by `***`. Feed URLs sometimes embed licence keys,
 * and secrets are never logged.
 */
export function redactUrl(url: string): string {
  let parsed: URL;
  try {
    parsed = new URL(url);
  } catch {
    return url;
  }
  let changed = false;
  if (parsed.password !== '') {
    parsed.password = '***';
    changed = true;
  }
  for (const name of [...parsed.searchParams.keys()]) {
    if (SECRET_PARAM.test(name)) {
      parsed.searchParams.set(name, '***');
      changed = true;
    }
  }
  return changed ? parsed.toString() : url;
}
