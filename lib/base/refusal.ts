// `Refusal`: why a cookie was refused, as a stable code and words.
/**
 * Why a cookie was refused. The code is stable (tests, dashboards and docs/errors.md rely on it);
 * the detail is for people. Both go to the debug log, never to the client.
 */
export type RefusalCode =
  | 'too-long' | 'malformed' | 'bad-signature' | 'unknown-key' | 'unsupported-version'
  | 'expired' | 'future' | 'absolute-lifetime' | 'revoked'
  | 'bad-payload' | 'too-large'
  | 'split-missing-piece' | 'split-too-many'

export class Refusal {
  constructor (readonly code: RefusalCode, readonly detail: string) {}
}
