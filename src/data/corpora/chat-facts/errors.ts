// A typed error for the chat-facts set: a source package missing or not shaped as expected, or export options
// that cannot be met (a noisy set larger than the training pool).
export class ChatFactsError extends Error {
  constructor(message: string) {
    super(`chat-facts: ${message}`);
    this.name = 'ChatFactsError';
  }
}
