import { EventSequence } from './cache-events';

/** A check as the bus makes one: the read is sent now, and its reply says `counter`. */
const check = (sequence: EventSequence, counter: number) => sequence.checked(counter, sequence.readSent());

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
    expect(check(sequence, 12)).toBe(true); // 11 and 12 may still be on their way
    sequence.received(11);
    expect(check(sequence, 12)).toBe(false); // 12 had a whole interval to arrive
    // The counter is the new floor: events up to it may still come, and the next ones are in turn.
    expect(sequence.received(13)).toBe(true);
    expect(check(sequence, 13)).toBe(true);
    expect(check(sequence, 13)).toBe(true);
  });

  it('takes a first read above every event received as a floor, not as events received', () => {
    const sequence = new EventSequence();
    // The publisher's own read is answered before its first two events reach its subscriber.
    expect(check(sequence, 2)).toBe(true);
    expect(sequence.received(1)).toBe(true);
    expect(sequence.received(2)).toBe(true);
    expect(check(sequence, 2)).toBe(true);
  });

  it('after the floor, reports events that never arrive, whether none or a later one came', () => {
    const quiet = new EventSequence();
    expect(check(quiet, 5)).toBe(true); // 1 to 5 may predate listening
    expect(check(quiet, 7)).toBe(true);
    expect(check(quiet, 7)).toBe(false); // 6 and 7 came after the floor was read, and never arrived

    const skipped = new EventSequence();
    expect(check(skipped, 5)).toBe(true);
    expect(skipped.received(7)).toBe(false); // 6 was published after the floor was read
  });

  it('reports a counter that went back, below an event received or below the previous read', () => {
    const belowEvent = new EventSequence();
    expect(check(belowEvent, 7)).toBe(true);
    expect(belowEvent.received(8)).toBe(true);
    expect(check(belowEvent, 0)).toBe(false);

    const belowRead = new EventSequence();
    expect(check(belowRead, 7)).toBe(true);
    expect(check(belowRead, 3)).toBe(false);
  });

  it('takes a counter below events that arrived while its read was out: they were published after it ran', () => {
    const sequence = new EventSequence();
    sequence.received(10);
    const read = sequence.readSent();
    // The read runs at 10; events 11 and 12 reach the subscriber before its reply reaches the reader.
    sequence.received(11);
    sequence.received(12);
    expect(sequence.checked(10, read)).toBe(true);
    expect(sequence.received(13)).toBe(true);
    expect(check(sequence, 13)).toBe(true);
    // Below what had arrived before the read was sent, the counter did go back.
    expect(check(sequence, 12)).toBe(false);
  });

  it('ignores the reply to a read sent before it forgot: the events it counts may predate listening again', () => {
    const sequence = new EventSequence();
    sequence.received(3);
    const stale = sequence.readSent();
    sequence.forget();
    expect(sequence.checked(9, stale)).toBe(true);
    expect(sequence.received(20)).toBe(true);
    expect(check(sequence, 20)).toBe(true);
  });
});
