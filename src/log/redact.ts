// Paths pino must never print. Settings objects also hide their secrets themselves (config/secret.ts);
// this list is the second fence for anything that carries credentials into a log call.
export const REDACT_PATHS = [
  'secretAccessKey',
  'sessionToken',
  'password',
  '*.secretAccessKey',
  '*.sessionToken',
  '*.password',
  '*.credentials',
  'credentials',
  '*.*.secretAccessKey',
  '*.*.sessionToken',
  '*.*.password',
];
