import { type Accessor, createEffect, createSignal, on } from 'solid-js';
import { nextSignOutStep, type SignOutEvent, type SignOutStep } from './sign-out-step.js';

export interface SignOutFlow {
  step: Accessor<SignOutStep>;
  send(event: SignOutEvent): void;
}

/**
 * The sign-out dialog's state, driven by the user's choices and by `pending` (changes the
 * server has not acknowledged, across every open document); `signOut` runs once, when the step
 * becomes 'signing-out'.
 */
export function createSignOutFlow(
  pending: Accessor<number>,
  signOut: () => Promise<void>,
): SignOutFlow {
  const [step, setStep] = createSignal<SignOutStep>('idle');
  const send = (event: SignOutEvent) => {
    const previous = step();
    const next = nextSignOutStep(previous, event, pending());
    setStep(next);
    if (next === 'signing-out' && previous !== 'signing-out') void signOut();
  };
  createEffect(on(pending, () => send('pending-changed'), { defer: true }));
  return { step, send };
}
