import { describe, expect, it } from 'vitest';
import { conflictFieldText } from './conflict-field-text.js';

describe('a conflict field as the inbox shows it', () => {
  it('shows dates in the user’s zone and all-day dates as days', () => {
    expect(conflictFieldText('dueDate', '2026-12-01T08:30:00Z', 'Europe/Paris')).toBe(
      'Tue 1 Dec, 09:30',
    );
    expect(conflictFieldText('startDate', '2026-12-01', 'Europe/Paris')).toBe('Tue 1 Dec');
  });

  it('names empty values, minutes and priorities in words', () => {
    expect(conflictFieldText('dueDate', null, 'UTC')).toBe('none');
    expect(conflictFieldText('description', '', 'UTC')).toBe('none');
    expect(conflictFieldText('estimatedDuration', 45, 'UTC')).toBe('45 min');
    expect(conflictFieldText('priority', 'HIGH', 'UTC')).toBe('high');
    expect(conflictFieldText('deleted', true, 'UTC')).toBe('yes');
  });

  it('shows whatever a malformed item holds as short text', () => {
    expect(conflictFieldText('dueDate', 'next week', 'UTC')).toBe('next week');
    expect(conflictFieldText('title', { nested: [1, 2] }, 'UTC')).toBe('{"nested":[1,2]}');
    expect(conflictFieldText('description', 'x'.repeat(500), 'UTC')).toHaveLength(120);
  });
});
