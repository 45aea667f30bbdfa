// A URL-like setting (an S3 endpoint, a repository URL) may carry user:password@ by mistake. Whatever
// is printed of such a value, in an error or the debug log of settings, shows [redacted] instead.
export function withoutUrlCredentials(text: string): string {
  return text.replace(/^([a-z][a-z0-9+.-]*:\/\/)[^/?#]*@/i, '$1[redacted]@');
}
