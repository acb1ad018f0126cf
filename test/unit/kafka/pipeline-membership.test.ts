import { KafkaJSNonRetriableError, KafkaJSProtocolError } from 'kafkajs';
import { describe, expect, it } from 'vitest';
import { membershipError } from '../../../src/kafka/pipeline.js';

/** A broker error as kafkajs's protocol layer makes it (src/protocol/error.js). */
function protocolError(type: string, code: number, retriable: boolean): KafkaJSProtocolError {
  return new KafkaJSProtocolError(Object.assign(new Error(`broker says ${type}`), { type, code, retriable }));
}

/** What kafkajs's retrier throws for a non-retriable error: the protocol error as the cause (src/retry/index.js). */
const NonRetriable = KafkaJSNonRetriableError as unknown as new (e: Error, metadata: { cause: Error }) => KafkaJSNonRetriableError;

describe('membershipError', () => {
  it.each([
    ['UNKNOWN_MEMBER_ID', 25],
    ['ILLEGAL_GENERATION', 22],
    ['REBALANCE_IN_PROGRESS', 27],
  ])('finds %s inside the wrapper a refused commit comes in, so kafkajs rejoins instead of crashing', (type, code) => {
    const refusal = protocolError(type, code, false);
    const thrown = new NonRetriable(refusal, { cause: refusal });
    expect(thrown.name).toBe('KafkaJSNonRetriableError');
    expect(membershipError(thrown)).toBe(refusal);
    expect(membershipError(refusal)).toBe(refusal);
  });

  it('leaves other failures alone: they still fail the batch as they did', () => {
    const other = protocolError('TOPIC_AUTHORIZATION_FAILED', 29, false);
    expect(membershipError(new NonRetriable(other, { cause: other }))).toBeUndefined();
    expect(membershipError(new Error('socket hang up'))).toBeUndefined();
    expect(membershipError('not an error')).toBeUndefined();
  });
});
