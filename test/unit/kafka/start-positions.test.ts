import { describe, expect, it } from 'vitest';
import { committedOffset, startsToPin } from '../../../src/kafka/start-positions.js';
import type { TopicPositions } from '../../../src/kafka/start-positions.js';

function topic(name: string, partitions: [committed: string | undefined, low: string, high: string][]): TopicPositions {
  return { topic: name, partitions: partitions.map(([committed, low, high], partition) => ({ partition, committed, low, high })) };
}

describe('startsToPin', () => {
  it('starts a topic new to the group at its end with latest, on every partition', () => {
    const starts = startsToPin([topic('in', [[undefined, '0', '10'], [undefined, '5', '7']])], 'latest');
    expect(starts).toEqual([
      { topic: 'in', partition: 0, offset: '10' },
      { topic: 'in', partition: 1, offset: '7' },
    ]);
  });

  it('starts a topic new to the group at the oldest retained record with earliest', () => {
    const starts = startsToPin([topic('in', [[undefined, '3', '10']])], 'earliest');
    expect(starts).toEqual([{ topic: 'in', partition: 0, offset: '3' }]);
  });

  it('starts a partition added to a topic the group already reads at its beginning, whatever start_from says', () => {
    const starts = startsToPin([topic('in', [['42', '0', '50'], [undefined, '0', '12']])], 'latest');
    expect(starts).toEqual([{ topic: 'in', partition: 1, offset: '0' }]);
  });

  it('leaves partitions with a committed offset alone, and judges each topic by itself', () => {
    const starts = startsToPin([topic('a', [['1', '0', '9']]), topic('b', [[undefined, '0', '4']])], 'latest');
    expect(starts).toEqual([{ topic: 'b', partition: 0, offset: '4' }]);
  });

  it('answers only for the partitions asked about, still judging the topic by all of them', () => {
    const positions = [topic('in', [['8', '0', '9'], [undefined, '0', '3'], [undefined, '0', '6']])];
    expect(startsToPin(positions, 'latest', (_, p) => p === 2)).toEqual([{ topic: 'in', partition: 2, offset: '0' }]);
  });
});

describe('committedOffset', () => {
  it('reads kafkajs -1 and an empty offset as none, and keeps 0', () => {
    expect(committedOffset('-1')).toBeUndefined();
    expect(committedOffset('')).toBeUndefined();
    expect(committedOffset(undefined)).toBeUndefined();
    expect(committedOffset('0')).toBe('0');
    expect(committedOffset('123')).toBe('123');
  });
});
