/** A failure the user can act on: the CLI prints its message without a stack trace. */
export class StackError extends Error {
  /**
   * @param {string} message
   * @param {{ cause?: unknown }} [options]
   */
  constructor(message, options) {
    super(message, options);
    this.name = 'StackError';
  }
}
