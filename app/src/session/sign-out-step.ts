/**
 * Where a sign-out stands. Signing out deletes this device's copy of the user's documents, so
 * while the server has not acknowledged every local change as durable, sign-out waits for the
 * user's choice: wait until everything is on the server, or discard after a second confirmation.
 */
export type SignOutStep =
  | 'idle'
  /** Changes would be lost: the user picks wait, sign out anyway, or cancel. */
  | 'warning'
  /** Signs out by itself once nothing is pending (after reconnecting). */
  | 'waiting'
  /** "Sign out anyway" was chosen: one more explicit confirmation before discarding. */
  | 'confirming-discard'
  /** The replica is being wiped; nothing turns this back. */
  | 'signing-out';

export type SignOutEvent =
  /** The user asked to sign out. */
  | 'request'
  | 'wait'
  /** "Sign out anyway": leads to the confirmation, never straight to the wipe. */
  | 'discard'
  | 'confirm-discard'
  | 'cancel'
  /** The count of changes the server has not acknowledged changed. */
  | 'pending-changed';

/**
 * The next step after `event`, given how many local changes the server has not yet acknowledged
 * as durable (`pending`, across the main document and every month document). Only
 * 'confirm-discard' reaches 'signing-out' while changes are pending.
 */
export function nextSignOutStep(
  step: SignOutStep,
  event: SignOutEvent,
  pending: number,
): SignOutStep {
  const isSafe = pending === 0;
  switch (step) {
    case 'idle':
      if (event !== 'request') return step;
      return isSafe ? 'signing-out' : 'warning';
    case 'warning':
      if (event === 'cancel') return 'idle';
      if (event === 'wait') return isSafe ? 'signing-out' : 'waiting';
      if (event === 'discard') return isSafe ? 'signing-out' : 'confirming-discard';
      // Everything reached the server while the warning was open: the user still decides.
      return step;
    case 'waiting':
      if (event === 'cancel') return 'idle';
      if (event === 'discard') return isSafe ? 'signing-out' : 'confirming-discard';
      if (event === 'pending-changed' && isSafe) return 'signing-out';
      return step;
    case 'confirming-discard':
      if (event === 'cancel') return 'idle';
      if (event === 'confirm-discard') return 'signing-out';
      return step;
    case 'signing-out':
      return step;
  }
}
