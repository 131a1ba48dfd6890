import { describe, expect, it } from 'vitest';
import { nextSignOutStep, type SignOutEvent, type SignOutStep } from './sign-out-step.js';

/** The step after `events`, each seen with the pending count given beside it. */
function after(...events: ReadonlyArray<readonly [SignOutEvent, number]>): SignOutStep {
  return events.reduce<SignOutStep>(
    (step, [event, pending]) => nextSignOutStep(step, event, pending),
    'idle',
  );
}

describe('signing out', () => {
  it('signs out at once when the server has every change', () => {
    expect(after(['request', 0])).toBe('signing-out');
  });

  it('warns instead of signing out while changes are not acknowledged', () => {
    expect(after(['request', 3])).toBe('warning');
  });

  it('keeps everything when the warning is cancelled', () => {
    expect(after(['request', 3], ['cancel', 3])).toBe('idle');
  });

  it('asks a second time before discarding, and discards only on that confirmation', () => {
    expect(after(['request', 2], ['discard', 2])).toBe('confirming-discard');
    expect(after(['request', 2], ['discard', 2], ['confirm-discard', 2])).toBe('signing-out');
    expect(after(['request', 2], ['discard', 2], ['cancel', 2])).toBe('idle');
  });

  it('never discards pending changes without passing through the confirmation', () => {
    const events: SignOutEvent[] = [
      'request',
      'wait',
      'discard',
      'confirm-discard',
      'cancel',
      'pending-changed',
    ];
    const steps: SignOutStep[] = ['idle', 'warning', 'waiting', 'confirming-discard'];
    const wipes = steps.flatMap((step) =>
      events
        .filter((event) => nextSignOutStep(step, event, 1) === 'signing-out')
        .map((event) => `${step} + ${event}`),
    );
    expect(wipes).toEqual(['confirming-discard + confirm-discard']);
  });

  it('ignores a confirmation that was never asked for', () => {
    expect(after(['confirm-discard', 4])).toBe('idle');
    expect(after(['request', 4], ['confirm-discard', 4])).toBe('warning');
    expect(after(['request', 4], ['wait', 4], ['confirm-discard', 4])).toBe('waiting');
  });

  it('waiting signs out by itself once the last change is acknowledged', () => {
    expect(after(['request', 2], ['wait', 2], ['pending-changed', 1])).toBe('waiting');
    expect(after(['request', 2], ['wait', 2], ['pending-changed', 1], ['pending-changed', 0])).toBe(
      'signing-out',
    );
  });

  it('waiting can still be cancelled, or turned into a confirmed discard', () => {
    expect(after(['request', 2], ['wait', 2], ['cancel', 2])).toBe('idle');
    expect(after(['request', 2], ['wait', 2], ['discard', 2])).toBe('confirming-discard');
  });

  it('leaves the choice to the user when everything syncs while the warning is open', () => {
    expect(after(['request', 1], ['pending-changed', 0])).toBe('warning');
    // Nothing would be lost any more: either choice signs out without a second question.
    expect(after(['request', 1], ['pending-changed', 0], ['wait', 0])).toBe('signing-out');
    expect(after(['request', 1], ['pending-changed', 0], ['discard', 0])).toBe('signing-out');
  });

  it('does not sign out when changes arrive after the wait was cancelled', () => {
    expect(after(['request', 2], ['wait', 2], ['cancel', 2], ['pending-changed', 0])).toBe('idle');
  });

  it('does not undo a sign-out under way', () => {
    for (const event of ['cancel', 'request', 'pending-changed'] as const) {
      expect(nextSignOutStep('signing-out', event, 5)).toBe('signing-out');
    }
  });
});
