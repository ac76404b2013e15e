import { describe, expect, it } from 'vitest';
import { storefrontEventSchema } from '#shared/events/schema.ts';

// This file imports no classic zod (which sets the English locale on import), as a function bundle does not.
describe('Module: zodLocale', () => {
  it('returns zod’s English message for a rule of a zod/mini schema that has no message of its own', () => {
    // Prepare
    const event = { eventId: 'e1', type: 'purchase', anonymousId: 'a1', itemId: 'sku-1', timestamp: 1, quantity: 0 };

    // Act
    const parsed = storefrontEventSchema.safeParse(event);

    // Assess
    expect(parsed.error?.issues.map(({ path, message }) => ({ path, message }))).toEqual([
      { path: ['quantity'], message: 'Too small: expected number to be >=1' },
    ]);
  });
});
