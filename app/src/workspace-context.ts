import { type DocContext, systemContext, type Task, type UserDocs } from '@tasks/crdt';
import { type Accessor, createContext, useContext } from 'solid-js';
import type { Replica } from './replica/replica.js';
import type { Session } from './session/session.js';

export interface Notice {
  id: number;
  text: string;
  /** An action offered with the notice (Undo). */
  action?: { label: string; run: () => void };
}

export interface Workspace {
  session: Accessor<Session>;
  replica: Replica;
  docs: UserDocs;
  tasks: Record<string, Task>;
  ctx: DocContext;
  /** The current time, ticking every second (running timers, "today"). */
  now: Accessor<Date>;
  notify(text: string, action?: Notice['action']): void;
  /** Runs a write; a refused write (validation) becomes a visible message, never a crash. */
  act<R>(write: () => R): R | undefined;
  openTask(id: string | null): void;
  /** Signs out, asking first while changes are not yet on the server (the sign-out dialog). */
  signOut(): void;
  /** Goes on with a new session the server started (after a password change). */
  renewSession(next: Session): void;
  /** Deletes this device's copy and signs out at once (the account is gone, or every session). */
  forgetDevice(): Promise<void>;
}

export const WorkspaceContext = createContext<Workspace>();

export function useWorkspace(): Workspace {
  const workspace = useContext(WorkspaceContext);
  if (!workspace) throw new Error('useWorkspace outside of <WorkspaceContext.Provider>');
  return workspace;
}

export const appContext: DocContext = systemContext;
