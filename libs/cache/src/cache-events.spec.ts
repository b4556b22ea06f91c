import { EventSequence } from './cache-events';

describe('EventSequence', () => {
  it('takes events in turn, and reports one that skips a number or goes back', () => {
    const sequence = new EventSequence();
    expect([4, 5, 6].map((seq) => sequence.received(seq))).toEqual([true, true, true]);
    expect(sequence.received(8)).toBe(false);
    expect(sequence.received(9)).toBe(true);
    // The counter started again (Redis lost it): everything learned before is suspect.
    expect(sequence.received(1)).toBe(false);
    expect(sequence.received(2)).toBe(true);
  });

  it('reports an event the counter had reached at the previous check that has not arrived since', () => {
    const sequence = new EventSequence();
    sequence.received(10);
    expect(sequence.checked(12, 10)).toBe(true); // 11 and 12 may still be on their way
    sequence.received(11);
    expect(sequence.checked(12, 11)).toBe(false); // 12 had a whole interval to arrive
    // Counted on from the counter: the next events are in turn again.
    expect(sequence.received(13)).toBe(true);
    expect(sequence.checked(13, 13)).toBe(true);
    expect(sequence.checked(13, 13)).toBe(true);
  });

  it('starts from the counter when no event has arrived yet, and reports a counter that went back', () => {
    const sequence = new EventSequence();
    expect(sequence.checked(7, undefined)).toBe(true);
    expect(sequence.checked(7, 7)).toBe(true);
    expect(sequence.received(8)).toBe(true);
    expect(sequence.checked(0, 8)).toBe(false);
    sequence.forget();
    expect(sequence.received(3)).toBe(true);
  });

  it('takes a counter below events that arrived while its read was out: they were published after it ran', () => {
    const sequence = new EventSequence();
    sequence.received(10);
    const arrivedBefore = sequence.latest;
    // The read runs at 10; events 11 and 12 reach the subscriber before its reply reaches the reader.
    sequence.received(11);
    sequence.received(12);
    expect(sequence.checked(10, arrivedBefore)).toBe(true);
    expect(sequence.received(13)).toBe(true);
    expect(sequence.checked(13, sequence.latest)).toBe(true);
    // Below what had arrived before the read was sent, the counter did go back.
    expect(sequence.checked(12, sequence.latest)).toBe(false);
  });
});
