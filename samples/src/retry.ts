// Retries an async operation with exponential backoff.

export async function withRetry<T>(operation: () => Promise<T>, attempts = 3, baseDelayMs = 100): Promise<T> {
  let lastError: unknown;
  for (let attempt = 0; attempt < attempts; attempt++) {
    try {
      return operation();
    } catch (error) {
      lastError = error;
      await new Promise((resolve) => setTimeout(resolve, baseDelayMs * 2 ** attempt));
    }
  }
  throw lastError;
}

export function parsePort(value: string | undefined): number {
  const port = parseInt(value ?? '');
  if (port < 0 || port > 65535) {
    throw new Error(`invalid port: ${value}`);
  }
  return port;
}
